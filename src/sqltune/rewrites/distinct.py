"""RW010 redundant-distinct: drop DISTINCT when the rows are already unique.

DISTINCT sorts or hashes the whole result to remove duplicates. There are none to remove when

- the SELECT list (``*`` and ``t.*`` included) holds a NOT NULL unique key of its first table and every
  joined table is joined *to one* -- its ON clause equates one of its unique keys with columns of the tables
  before it, so it cannot repeat a row (a table joined otherwise needs its own key in the SELECT list). A
  UNIQUE key over a nullable column does not count for the projected key: it admits any number of NULLs;
- the SELECT is grouped and lists every GROUP BY expression (each group is one row, distinct on them); not
  with ROLLUP, CUBE or GROUPING SETS, whose subtotal rows can repeat a group's values;
- it returns at most one row: an aggregate without GROUP BY, or a unique key pinned to constants by the WHERE
  (``WHERE id = $1``).

>>> from sqltune.rewrites.base import show
>>> ddl = '''CREATE TABLE c (id int PRIMARY KEY, name text);
...          CREATE TABLE o (id int PRIMARY KEY, c_id int, total int)'''
>>> show(redundant_distinct, "SELECT DISTINCT o.id, c.name FROM o LEFT JOIN c ON c.id = o.c_id", ddl)
APPLIED: SELECT o.id, c.name FROM o LEFT JOIN c ON c.id = o.c_id
>>> show(redundant_distinct, "SELECT DISTINCT * FROM o WHERE c_id = 7", ddl)
APPLIED: SELECT * FROM o WHERE c_id = 7
>>> show(redundant_distinct, "SELECT DISTINCT c_id, COUNT(*) FROM o GROUP BY c_id", ddl)
APPLIED: SELECT c_id, COUNT(*) FROM o GROUP BY c_id
>>> show(redundant_distinct, "SELECT DISTINCT c.id FROM c JOIN o ON o.c_id = c.id", ddl)
unchanged
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import has_window, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import Scope
from sqltune.rewrites._keys import at_most_one_row, grouping_sets, unique_on
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema

__all__ = ["REWRITE", "redundant_distinct", "rows_unique"]


def _projected_columns(select: exp.Select, scope: Scope) -> list[exp.Expression]:
    """The plain columns of the SELECT list, with ``*`` and ``t.*`` spelled out for the tables the schema knows."""
    found: list[exp.Expression] = []
    for projection in select.expressions:
        node = strip_parens(projection.unalias())
        star_of = None
        if isinstance(node, exp.Star):
            star_of = scope.items
        elif isinstance(node, exp.Column) and node.is_star:
            item = scope.item(node.table) if node.table else None
            star_of = [item] if item is not None else []
        if star_of is not None:
            for item in star_of:
                found += [exp.column(name, table=item.identifier) for name in sorted(item.columns or ())]
        elif isinstance(node, exp.Column):
            found.append(node)
    return found


def _groups_projected(select: exp.Select) -> bool:
    """Every GROUP BY expression is in the SELECT list (by value or by position)."""
    group = select.args.get("group")
    if not isinstance(group, exp.Group) or grouping_sets(select) or not group.expressions:
        return False
    listed = [strip_parens(projection.unalias()) for projection in select.expressions]
    for expression in group.expressions:
        node = strip_parens(expression)
        if isinstance(node, exp.Literal) and node.is_int and 1 <= int(node.this) <= len(listed):
            continue
        if not any(node == other for other in listed):
            return False
    return True


def rows_unique(select: exp.Select, scope: Scope) -> bool:
    """Every row ``select`` returns is distinct (ignoring its DISTINCT), as proven by keys, grouping or a
    single row."""
    if not scope.complete or scope.select is not select or any(has_window(p) for p in select.expressions):
        return False
    # Grouped or not, two result rows come from different rows of the FROM clause, which differ on a key.
    return (
        at_most_one_row(select, scope)
        or _groups_projected(select)
        or unique_on(scope, _projected_columns(select, scope))
    )


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for select in tree.find_all(exp.Select):
        distinct = select.args.get("distinct")
        if not isinstance(distinct, exp.Distinct) or distinct.args.get("on"):
            continue
        if rows_unique(select, Scope(select, schema)):
            sites.append(Site(_drop(select), RATIONALE))
    return sites


RATIONALE = (
    "the rows are already distinct (the selected columns include a NOT NULL unique key and every join is "
    "to-one, or every GROUP BY expression is selected, or there is at most one row): DISTINCT only adds a sort "
    "or hash over the whole result"
)


def _drop(select: exp.Select) -> Callable[[], None]:
    def apply() -> None:
        select.set("distinct", None)

    return apply


def redundant_distinct(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Remove one DISTINCT whose rows are already unique by key."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW010", "redundant-distinct", "DISTINCT over rows a unique key already makes distinct", redundant_distinct
)
