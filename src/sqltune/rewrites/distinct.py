"""RW010 redundant-distinct: drop DISTINCT when the selected columns already make every row unique.

DISTINCT sorts or hashes the whole result to remove duplicates. There are none to remove when the SELECT
list includes a NOT NULL unique key of its first table and every joined table is joined *to one*: its ON
clause equates one of its unique keys with columns of the tables before it, so it cannot repeat a row (a
table joined otherwise needs its own key in the SELECT list). A UNIQUE key over a nullable column does not
count for the projected key, since it admits any number of NULL rows.

>>> from sqltune.rewrites.base import show
>>> ddl = '''CREATE TABLE c (id int PRIMARY KEY, name text);
...          CREATE TABLE o (id int PRIMARY KEY, c_id int, total int)'''
>>> show(redundant_distinct, "SELECT DISTINCT o.id, c.name FROM o LEFT JOIN c ON c.id = o.c_id", ddl)
APPLIED: SELECT o.id, c.name FROM o LEFT JOIN c ON c.id = o.c_id
>>> show(redundant_distinct, "SELECT DISTINCT c.id FROM c JOIN o ON o.c_id = c.id", ddl)
unchanged
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import aggregates_rows, conjuncts, has_window, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.graph.predicates import unique_not_null
from sqltune.rewrites._analysis import FromItem, Scope
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "redundant_distinct", "rows_unique"]


def _to_one(index: int, item: FromItem, scope: Scope) -> bool:
    """``item``'s ON clause pins a unique key of it to columns of the items before it."""
    if item.join is None or item.table is None:
        return False
    earlier = {id(other) for other in scope.items[:index]}
    keys: set[str] = set()
    for conjunct in conjuncts(item.join.args.get("on")):
        if not isinstance(conjunct, exp.EQ):
            continue
        for mine, other in ((conjunct.this, conjunct.expression), (conjunct.expression, conjunct.this)):
            mine, other = strip_parens(mine), strip_parens(other)
            columns = list(other.find_all(exp.Column))
            if (
                isinstance(mine, exp.Column)
                and scope.resolve(mine) is item
                and columns
                and all(id(scope.resolve(column)) in earlier for column in columns)
                and other.find(exp.Query, exp.Subquery) is None
            ):
                keys.add(fold(mine.name))
    return bool(keys) and item.table.is_unique(keys)


def rows_unique(select: exp.Select, scope: Scope) -> bool:
    """Every row ``select`` returns is distinct (ignoring its DISTINCT), as proven by keys and joins."""
    if not scope.complete or not scope.items or select.args.get("group") or scope.select is not select:
        return False
    if any(aggregates_rows(p) or has_window(p) for p in select.expressions):
        return False
    projected: dict[int, set[str]] = {}
    for projection in select.expressions:
        column = strip_parens(projection.unalias())
        if isinstance(column, exp.Column) and not column.is_star:
            owner = scope.resolve(column)
            if owner is not None:
                projected.setdefault(id(owner), set()).add(fold(column.name))
    for index, item in enumerate(scope.items):
        if item.side in {"right", "full"} or item.table is None:
            return False
        if index > 0 and _to_one(index, item, scope):
            continue
        if not unique_not_null(item.table, projected.get(id(item), set())):
            return False
    return True


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
    "the selected columns include a NOT NULL unique key and every join is to-one, so there are no duplicate "
    "rows: DISTINCT only adds a sort or hash over the whole result"
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
