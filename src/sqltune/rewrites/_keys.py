"""Key proofs the redundant-clause rewrites share: to-one joins, rows unique on columns, at most one row.

Each answer is conservative (``False`` unless the schema's keys prove it):

- :func:`to_one` -- a joined table's ON clause equates one of its unique keys with columns of the tables
  before it, so the join adds at most one of its rows to each row;
- :func:`unique_on` -- the rows of a SELECT's FROM clause are distinct on some columns: they hold a NOT NULL
  unique key of the first table, and every other table is joined to-one or has its own key among them;
- :func:`at_most_one_row` -- a SELECT returns at most one row: every table is pinned to one row, by
  equalities of a unique key to constants (literals, parameters, outer references) or to columns of tables
  already pinned. A UNIQUE key over nullable columns counts here: an equality is never TRUE for NULL.

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.rewrites._analysis import Scope
>>> from sqltune.schema import Schema
>>> schema = Schema.from_ddl("CREATE TABLE t (id int PRIMARY KEY, w int NOT NULL, n int, UNIQUE (w, n))")
>>> select = parse_one("SELECT * FROM t WHERE w = $1 AND n = 2 ORDER BY id LIMIT 1", "postgres")
>>> at_most_one_row(select, Scope(select, schema))
True
>>> select = parse_one("SELECT * FROM t WHERE w = 1", "postgres")
>>> at_most_one_row(select, Scope(select, schema))
False
"""

from __future__ import annotations

from collections.abc import Iterable

from sqltune.core.predicates import aggregates_rows, conjuncts, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.graph.predicates import unique_not_null
from sqltune.rewrites._analysis import FromItem, Scope, is_deterministic
from sqltune.schema import fold

__all__ = ["at_most_one_row", "constant_in", "grouping_sets", "keeps_a_row", "to_one", "unique_on"]


def constant_in(node: exp.Expression, scope: Scope) -> bool:
    """``node`` has one value for the whole evaluation of ``scope``'s SELECT: a literal, a parameter, an
    outer reference, or a deterministic expression over them (no subquery, aggregate or window)."""
    if node.find(exp.Query, exp.Subquery, exp.Window, exp.AggFunc) is not None or not is_deterministic(node):
        return False
    return all(scope.is_local(column) is False for column in node.find_all(exp.Column))


def _equated(
    term: exp.Expression, item: FromItem, scope: Scope, known: Iterable[int] = ()
) -> list[tuple[str, exp.Expression]]:
    """``(column of item, other side)`` for an equality ``item.column = other`` whose other side is constant
    or reads only the items with ids in ``known``."""
    found: list[tuple[str, exp.Expression]] = []
    allowed = set(known)
    if not isinstance(term, exp.EQ):
        return found
    for mine, other in ((term.this, term.expression), (term.expression, term.this)):
        mine, other = strip_parens(mine), strip_parens(other)
        if not isinstance(mine, exp.Column) or scope.resolve(mine) is not item:
            continue
        columns = list(other.find_all(exp.Column))
        if constant_in(other, scope) or (
            columns
            and other.find(exp.Query, exp.Subquery, exp.Window, exp.AggFunc) is None
            and is_deterministic(other)
            and all(id(scope.resolve(column)) in allowed for column in columns)
        ):
            found.append((fold(mine.name), other))
    return found


def to_one(index: int, item: FromItem, scope: Scope) -> bool:
    """``item``'s ON clause pins a unique key of it to columns of the items before it."""
    if item.join is None or item.table is None:
        return False
    earlier = [id(other) for other in scope.items[:index]]
    keys = {key for term in conjuncts(item.join.args.get("on")) for key, _ in _equated(term, item, scope, earlier)}
    return bool(keys) and item.table.is_unique(keys)


def keeps_a_row(query: exp.Expression) -> bool:
    """The query's LIMIT, if any, is a positive literal without OFFSET: it keeps a row whenever there is one
    (all an ``EXISTS`` asks; Django writes ``EXISTS(... LIMIT 1)``)."""
    if query.args.get("offset") or query.args.get("fetch"):
        return False
    limit = query.args.get("limit")
    if limit is None:
        return True
    value = limit.expression if isinstance(limit, exp.Limit) else None
    return isinstance(value, exp.Literal) and value.is_int and int(value.this) >= 1


def grouping_sets(select: exp.Select) -> bool:
    """GROUP BY ROLLUP / CUBE / GROUPING SETS (or MySQL's ``WITH ROLLUP``): one input row can give several."""
    group = select.args.get("group")
    if not isinstance(group, exp.Group):
        return False
    if any(group.args.get(key) for key in ("rollup", "cube", "grouping_sets", "totals")):
        return True
    return any(isinstance(e, exp.Rollup | exp.Cube | exp.GroupingSets) for e in group.expressions)


def unique_on(scope: Scope, columns: Iterable[exp.Expression]) -> bool:
    """The rows of the SELECT's FROM clause (before grouping) are distinct on ``columns``."""
    if not scope.complete or not scope.items:
        return False
    chosen: dict[int, set[str]] = {}
    for node in columns:
        column = strip_parens(node)
        if isinstance(column, exp.Column) and not column.is_star:
            owner = scope.resolve(column)
            if owner is not None:
                chosen.setdefault(id(owner), set()).add(fold(column.name))
    for index, item in enumerate(scope.items):
        if item.side in {"right", "full"} or item.table is None:
            return False
        if index > 0 and to_one(index, item, scope):
            continue
        if not unique_not_null(item.table, chosen.get(id(item), set())):
            return False
    return True


def at_most_one_row(select: exp.Select, scope: Scope) -> bool:
    """``select`` returns at most one row (see the module documentation)."""
    if not scope.complete or scope.select is not select or grouping_sets(select):
        return False
    if not select.args.get("group") and (
        any(aggregates_rows(p) for p in select.expressions) or select.args.get("having")
    ):
        return True  # an aggregate without GROUP BY: one row (none when HAVING rejects it)
    if not scope.items or any(item.side in {"right", "full"} for item in scope.items):
        return False
    where = select.args.get("where")
    row_wide = conjuncts(where.this) if isinstance(where, exp.Where) else []
    for item in scope.items:  # conditions every result row satisfies: the WHERE and the inner joins' ON
        if item.join is not None and item.is_inner:
            row_wide += conjuncts(item.join.args.get("on"))
    pinned: list[int] = []
    progress = True
    while progress:
        progress = False
        for item in scope.items:
            if id(item) in pinned or item.table is None:
                continue
            terms = list(row_wide)
            if item.side == "left" and item.join is not None:
                terms += conjuncts(item.join.args.get("on"))  # a left join adds at most one row if these pin it
            keys = {key for term in terms for key, _ in _equated(term, item, scope, pinned)}
            if keys and item.table.is_unique(keys):
                pinned.append(id(item))
                progress = True
    return len(pinned) == len(scope.items)
