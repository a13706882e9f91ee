"""RW003 scalar-subquery-to-join: a correlated aggregate subquery becomes a LEFT JOIN to a grouped table.

``(SELECT sum(l.x) FROM l WHERE l.o_id = o.id)`` runs once per outer row (a SubPlan in PostgreSQL). Grouping
the inner table once by the correlation key and LEFT JOINing it reads it once. The outer row with no match
gets NULL from the join -- which is what SUM, MIN, MAX, AVG return over no rows -- but COUNT over no rows
is 0, not NULL (the classic "COUNT bug" of decorrelation), so a COUNT is wrapped in ``COALESCE(..., 0)``.

>>> from sqltune.rewrites.base import show
>>> show(scalar_subquery_to_join,
...      "SELECT o.id, (SELECT count(*) FROM l WHERE l.o_id = o.id) AS n FROM o", "CREATE TABLE l (o_id int, x int)")
APPLIED: SELECT o.id, COALESCE(l_agg.agg, 0) AS n FROM o LEFT JOIN (SELECT l.o_id AS key1, COUNT(*)
    AS agg FROM l GROUP BY l.o_id) AS l_agg ON l_agg.key1 = o.id
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import (
    aggregates_rows,
    calls_aggregate,
    conjuncts,
    has_window,
    is_aggregate_function,
    strip_parens,
)
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import (
    Scope,
    conjoin,
    enclosing_select,
    fresh_alias,
    is_deterministic,
    is_null,
    own_columns,
    set_where,
)
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.rewrites.semi_join import joinable_outer
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "scalar_subquery_to_join"]

RATIONALE = (
    "the correlated subquery runs once per outer row; aggregating the inner table once, grouped by the "
    "correlation key, and LEFT JOINing the result reads it once (COUNT keeps its 0 for rows without a match)"
)

_AGGREGATES = (exp.Count, exp.Sum, exp.Min, exp.Max, exp.Avg)


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for subquery in list(tree.find_all(exp.Subquery)):
        site = _site(subquery, schema)
        if site is not None:
            sites.append(site)
    return sites


def _clause(node: exp.Expression, outer: exp.Select) -> str:
    """The argument of ``outer`` that holds ``node`` (``expressions``, ``where``...)."""
    while node.parent is not outer and node.parent is not None:
        node = node.parent
    return str(node.arg_key)


def _site(subquery: exp.Subquery, schema: Schema) -> Site | None:
    if isinstance(subquery.parent, exp.In | exp.Exists | exp.From | exp.Join) or subquery.alias:
        return None
    sub = subquery.this
    outer = enclosing_select(subquery)
    if not isinstance(sub, exp.Select) or outer is None or _clause(subquery, outer) not in {"expressions", "where"}:
        return None
    if not joinable_outer(outer) or outer.args.get("group") or any(aggregates_rows(p) for p in outer.expressions):
        return None
    if any(sub.args.get(key) for key in ("group", "having", "limit", "offset", "qualify", "distinct", "with_")):
        return None
    if len(sub.expressions) != 1:
        return None
    aggregate = strip_parens(sub.expressions[0].unalias())
    if not _aggregate_expression(aggregate) or has_window(aggregate) or not is_deterministic(sub):
        return None
    scope, outer_scope = Scope(sub, schema), Scope(outer, schema)
    if not scope.complete or not outer_scope.complete or any(item.columns is None for item in scope.items):
        return None
    if any(scope.is_local(column) is not True for column in own_columns(aggregate)):
        return None
    keys: list[tuple[exp.Expression, exp.Expression]] = []
    local: list[exp.Expression] = []
    where = sub.args.get("where")
    for conjunct in conjuncts(where.this) if isinstance(where, exp.Where) else []:
        if conjunct.find(exp.Query, exp.Subquery) is not None:
            return None
        pair = _correlation(conjunct, scope, outer_scope)
        if pair is not None:
            keys.append(pair)
        elif all(scope.is_local(column) is True for column in own_columns(conjunct)):
            local.append(conjunct)
        else:
            return None
    if not keys:
        return None
    return Site(_replace(outer, subquery, sub, aggregate, keys, local, scope), RATIONALE)


def _aggregate_expression(node: exp.Expression) -> bool:
    """An aggregate, or an expression over aggregates and constants (``AVG(x) * 0.2``), of this level."""
    if isinstance(node, _AGGREGATES):
        return True
    if is_aggregate_function(node) or node.find(exp.Query, exp.Subquery) is not None:
        return False
    aggregates = [n for n in node.walk() if is_aggregate_function(n)]
    if not aggregates or any(not isinstance(agg, _AGGREGATES) for agg in aggregates):
        return False
    inside = {id(n) for agg in aggregates for n in agg.walk()}
    return not any(isinstance(n, exp.Column) and id(n) not in inside for n in node.walk())


_STRICT = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Paren, exp.Cast, exp.Literal)


def _null_when_empty(node: exp.Expression) -> bool:
    """Over no rows the expression is NULL: no COUNT, and only NULL-propagating operators around aggregates."""
    if isinstance(node, exp.Count):
        return False
    if isinstance(node, _AGGREGATES):
        return True
    if not isinstance(node, _STRICT):
        return False
    children = [child for child in node.iter_expressions() if not isinstance(child, exp.DataType)]
    aggregated = [child for child in children if calls_aggregate(child)]
    return bool(aggregated) and all(_null_when_empty(child) for child in aggregated)


def _over_no_rows(node: exp.Expression) -> exp.Expression:
    """``node`` evaluated over no input rows: COUNT is 0, every other aggregate NULL."""
    for aggregate in list(node.find_all(exp.AggFunc)):
        aggregate.replace(exp.Literal.number(0) if isinstance(aggregate, exp.Count) else exp.Null())
    return node


def _correlation(conjunct: exp.Expression, scope: Scope, outer: Scope) -> tuple[exp.Expression, exp.Expression] | None:
    """``inner_column = outer_expression`` as (inner, outer with qualified columns), else ``None``."""
    if not isinstance(conjunct, exp.EQ):
        return None
    for inner, other in ((conjunct.this, conjunct.expression), (conjunct.expression, conjunct.this)):
        inner, other = strip_parens(inner), strip_parens(other)
        if not isinstance(inner, exp.Column) or scope.is_local(inner) is not True:
            continue
        columns = list(other.find_all(exp.Column))
        if not columns or any(scope.is_local(column) is not False for column in columns):
            continue
        if not is_deterministic(other):
            return None
        moved = other.copy()
        for column in moved.find_all(exp.Column):
            owner = outer.resolve(column)
            if owner is None:
                return None
            column.set("table", owner.identifier)
        return inner, moved
    return None


def _replace(
    outer: exp.Select,
    subquery: exp.Subquery,
    sub: exp.Select,
    aggregate: exp.Expression,
    keys: list[tuple[exp.Expression, exp.Expression]],
    local: list[exp.Expression],
    scope: Scope,
) -> Callable[[], None]:
    def apply() -> None:
        first = scope.items[0]
        alias = fresh_alias(outer, f"{fold(first.node.name) if isinstance(first.node, exp.Table) else 'sq'}_agg")
        names: list[str] = []
        projections: list[exp.Expression] = []
        group: list[exp.Expression] = []
        for inner, _ in keys:
            name = fresh_alias(outer, f"key{len(names) + 1}")
            names.append(name)
            column = inner.copy()
            for item in scope.items:
                if not column.table and item.columns is not None and fold(column.name) in item.columns:
                    column.set("table", item.identifier)
            projections.append(exp.alias_(column, name))
            group.append(column.copy())
        value_name = fresh_alias(outer, "agg")
        projections.append(exp.alias_(aggregate.copy(), value_name))
        body = sub.copy()
        body.set("expressions", projections)
        set_where(body, conjoin(c.copy() for c in local))
        body.set("group", exp.Group(expressions=group))
        body.set("order", None)
        derived = exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        on = conjoin(
            exp.EQ(this=exp.column(name, alias), expression=moved) for name, (_, moved) in zip(names, keys, strict=True)
        )
        value: exp.Expression = exp.column(value_name, alias)
        if isinstance(aggregate, exp.Count):
            value = exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
        elif not _null_when_empty(aggregate):
            # No match means no rows: the value of the expression over an empty input, COUNTs being 0.
            empty = _over_no_rows(aggregate.copy())
            value = exp.Case(ifs=[exp.If(this=is_null(exp.column(names[0], alias)), true=empty)], default=value)
        subquery.replace(value)
        outer.append("joins", exp.Join(this=derived, on=on, side="LEFT"))

    return apply


def scalar_subquery_to_join(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Decorrelate one scalar aggregate subquery correlated by equalities into a LEFT JOIN of a grouped table."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW003",
    "scalar-subquery-to-join",
    "a correlated aggregate subquery becomes a LEFT JOIN to the table grouped once",
    scalar_subquery_to_join,
)
