"""RW022 or-in-to-left-join: ``a.fk IS NULL OR a.fk IN (SELECT id FROM t ...)`` becomes a LEFT JOIN.

An IN (or EXISTS) under OR is no semi-join: planners cannot turn it into a join and run it per outer row, or
hash the subquery into memory, on PostgreSQL, MySQL and MariaDB alike. A LEFT JOIN on the subquery's match
keeps every outer row, and ``t.id IS NOT NULL`` is TRUE exactly for the rows the IN keeps (a joined row's
``t.id`` equals ``a.fk``, so it is never NULL). Under AND and OR alone -- no NOT -- a WHERE keeps a row when
it would with the IN in place, since whether AND/OR is TRUE depends only on which operands are TRUE: the
IN's NULL (a NULL ``a.fk``, a NULL in the subquery) and FALSE both reject, and so does the IS NOT NULL.

The LEFT JOIN must not repeat outer rows: APPLIED when the matched columns, with those the subquery's filter
pins, include a unique key of the table, or when the query is the body of an IN or EXISTS; otherwise the
advice joins ``(SELECT DISTINCT id FROM t ...)``, which returns the same rows. A top-level WHERE conjunct is
RW002's.

>>> from sqltune.rewrites.base import show
>>> ddl = ("CREATE TABLE folders (id int PRIMARY KEY, parent_id int, shared boolean); "
...        "CREATE TABLE docs (id int PRIMARY KEY, folder_id int)")
>>> show(or_in_to_left_join, "SELECT docs.id FROM docs WHERE docs.folder_id IS NULL OR docs.folder_id IN "
...      "(SELECT id FROM folders WHERE shared)", ddl)
APPLIED: SELECT docs.id FROM docs LEFT JOIN folders ON folders.id = docs.folder_id AND
    folders.shared WHERE docs.folder_id IS NULL OR folders.id IS NOT NULL
>>> show(or_in_to_left_join, "SELECT id FROM folders WHERE parent_id IS NULL OR id IN "
...      "(SELECT folder_id FROM docs)", ddl)
ADVISED: SELECT id FROM folders LEFT JOIN (SELECT DISTINCT folder_id FROM docs) AS docs ON
    docs.folder_id = folders.id WHERE parent_id IS NULL OR docs.folder_id IS NOT NULL
  if: de-duplicating the subquery's rows once costs less than the IN test per outer row (the rows
      are the same; a plain JOIN without DISTINCT needs (folder_id) unique in docs)
>>> show(or_in_to_left_join, "SELECT id FROM docs WHERE NOT (folder_id IS NULL OR folder_id IN "
...      "(SELECT id FROM folders))", ddl)
unchanged
"""

from __future__ import annotations

from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import is_not_null
from sqltune.rewrites._subquery_join import Filter, join_site, membership_only, subquery_sites, top_level_conjunct
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema

__all__ = ["REWRITE", "or_in_to_left_join"]

RATIONALE = (
    "an IN or EXISTS under OR cannot become a semi-join, so it runs per outer row (or hashes the subquery in "
    "memory); a LEFT JOIN matching at most one row per outer row, tested with IS NOT NULL, keeps the same "
    "rows and lets the planner join by the key's index or a hash"
)
DISTINCT_RATIONALE = (
    "an IN or EXISTS under OR cannot become a semi-join, so it runs per outer row (or hashes the subquery in "
    "memory); a LEFT JOIN to the subquery's distinct values, tested with IS NOT NULL, keeps the same rows"
)


def _under_or(node: exp.Expression, outer: exp.Select) -> bool:
    """Between ``node`` and ``outer``'s WHERE there are only AND, OR and parentheses, and an OR (a top-level
    conjunct is RW002's)."""
    if top_level_conjunct(node, outer):
        return False
    parent = node.parent
    while isinstance(parent, exp.And | exp.Or | exp.Paren):
        parent = parent.parent
    return isinstance(parent, exp.Where) and parent is outer.args.get("where")


def _site(found: Filter, dialect: str | None) -> Site | None:
    test = is_not_null
    if membership_only(found.outer) or found.unique(dialect):
        return join_site(found, RATIONALE, left=True, test=test)
    if found.distinct_form(dialect):
        conditions = (found.distinct_condition(),)
        return join_site(found, DISTINCT_RATIONALE, conditions, left=True, distinct=True, test=test)
    return None


def or_in_to_left_join(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Turn one IN / EXISTS under OR into a LEFT JOIN tested with IS NOT NULL."""
    return best_site(
        REWRITE.id,
        expression,
        lambda tree: subquery_sites(tree, schema, _under_or, lambda found: _site(found, dialect)),
    )


REWRITE = Rewrite(
    "RW022",
    "or-in-to-left-join",
    "IN / EXISTS under OR becomes a LEFT JOIN tested with IS NOT NULL",
    or_in_to_left_join,
    # MariaDB runs the subquery per row (up to 2x faster joined); PostgreSQL hashes it once (0.84x joined, at
    # 100k rows, benchmarks/rewrite_appsql.py): only the user's data can tell, so --verify decides.
    data_dependent=True,
)
