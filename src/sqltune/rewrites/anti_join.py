"""RW023 not-exists-to-left-join: on MySQL/MariaDB, ``NOT EXISTS`` becomes ``LEFT JOIN ... IS NULL``.

MariaDB has no anti-join for ``NOT EXISTS`` (or ``NOT IN``) -- its semi-join strategies do not cover them
-- and runs it as a dependent subquery per outer row or materializes the subquery and probes it, as MySQL
did before 8.0.17; both run ``LEFT JOIN u ON <the subquery's conditions> WHERE u.k IS NULL`` as a join that
stops at the first match ("Not exists" in EXPLAIN), with the index and join order the optimizer picks
(MariaDB 10.11, 200,000 outer rows against 300,000: 706 ms for NOT EXISTS, 359 ms for the join).

The two are the same rows in every database: an outer row with no matching row of ``u`` appears once,
NULL-extended; every row with matches is discarded, since a matched row's ``u.k`` equals the outer value and
so is not NULL -- however many rows match, with no key needed. PostgreSQL, DuckDB and the others plan NOT
EXISTS as an anti-join already, so the rewrite is only made for the ``mysql`` dialect. A ``NOT IN`` becomes
NOT EXISTS first (RW001), where its NULLs allow.

>>> from sqltune.rewrites.base import show
>>> ddl = "CREATE TABLE users (id int PRIMARY KEY); CREATE TABLE bans (id int PRIMARY KEY, user_id int)"
>>> sql = "SELECT id FROM users WHERE NOT EXISTS (SELECT 1 FROM bans WHERE bans.user_id = users.id)"
>>> show(not_exists_to_left_join, sql, ddl, dialect="mysql")
APPLIED: SELECT users.id FROM users LEFT JOIN bans ON bans.user_id = users.id WHERE bans.user_id IS
    NULL
>>> show(not_exists_to_left_join, sql, ddl, dialect="postgres")
unchanged
"""

from __future__ import annotations

from sqltune.core.predicates import strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import enclosing_select, is_null
from sqltune.rewrites._subquery_join import join_site, read_filter, top_level_conjunct
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema

__all__ = ["REWRITE", "not_exists_to_left_join"]

#: Dialects whose engines run NOT EXISTS per outer row (MySQL before 8.0.17, MariaDB).
DIALECTS = frozenset({"mysql"})

RATIONALE = (
    "MariaDB (and MySQL before 8.0.17) has no anti-join for NOT EXISTS: it runs a subquery per outer row or "
    "materializes it; a LEFT JOIN keeping the rows without a match (IS NULL on a matched column) is the same "
    "anti-join, run as a join that stops at the first match"
)


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for negation in list(tree.find_all(exp.Not)):
        exists = strip_parens(negation.this)
        outer = enclosing_select(negation)
        if not isinstance(exists, exp.Exists) or outer is None or not top_level_conjunct(negation, outer):
            continue  # under OR a LEFT JOIN could repeat the rows that match
        found = read_filter(exists, schema)
        site = join_site(found, RATIONALE, left=True, target=negation, test=is_null) if found is not None else None
        if site is not None:
            sites.append(site)
    return sites


def not_exists_to_left_join(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Turn one top-level ``NOT EXISTS`` of a MySQL/MariaDB query into ``LEFT JOIN ... IS NULL``."""
    if dialect not in DIALECTS:
        return None
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW023",
    "not-exists-to-left-join",
    "NOT EXISTS becomes LEFT JOIN ... IS NULL on MySQL/MariaDB",
    not_exists_to_left_join,
)
