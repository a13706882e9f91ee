"""What RW003 and RW018 share: a correlated aggregate subquery taken apart, and the grouped table that
computes its value for every correlation key at once.

``(SELECT agg(...) FROM t WHERE t.k = o.k AND p)`` is, for one outer row, the aggregate over the rows of
``t`` that pass ``p`` and whose ``k`` equals the row's ``o.k``. ``(SELECT t.k AS key1, agg(...) AS agg FROM t
WHERE p GROUP BY t.k)`` computes it for all keys in one pass. Joined on ``key1 = o.k``, an outer row meets at
most one of its rows -- the table is grouped by the key, so it is unique per key and never multiplies outer
rows, duplicates included -- and that row's ``agg`` is the subquery's value. This needs grouping to put
together exactly the rows that ``t.k = o.k`` matches, which the schema proves when both sides are of one
type (any two integer or exact numeric types count as one, as do VARCHAR and TEXT; a CTE or derived-table
column is followed to the column it projects); otherwise that is a condition. A NULL key matches nothing,
in the subquery and in the join. An outer row without a match gets NULL from an outer join: the value over
no rows of every aggregate but COUNT, whose 0 must be put back (the "COUNT bug" of decorrelation).

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.schema import Schema
>>> schema = Schema.from_ddl("CREATE TABLE o (id int); CREATE TABLE l (o_id bigint, x int)")
>>> outer = parse_one("SELECT o.id FROM o WHERE 2 < (SELECT count(*) FROM l WHERE l.o_id = o.id AND l.x > 0)")
>>> found = correlated_aggregate(outer.find(exp.Subquery), outer, schema)
>>> [(inner.sql(), value.sql()) for inner, value in found.keys], [p.sql() for p in found.local], found.conditions
([('l.o_id', 'o.id')], ['l.x > 0'], ())
>>> joined = grouped_join(found, outer_join=True)
>>> print(joined.table.sql())
(SELECT l.o_id AS key1, COUNT(*) AS agg FROM l WHERE l.x > 0 GROUP BY l.o_id) AS l_agg
>>> joined.on.sql(), joined.value.sql()
('l_agg.key1 = o.id', 'COALESCE(l_agg.agg, 0)')
"""

from __future__ import annotations

from dataclasses import dataclass

from sqltune.core.predicates import calls_aggregate, conjuncts, has_window, is_aggregate_function, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import (
    EXACT_NUMERIC_PREFIXES,
    INTEGER_TYPES,
    Scope,
    conjoin,
    enclosing_select,
    fresh_alias,
    is_null,
    own_columns,
    set_where,
    volatile_call,
)
from sqltune.rewrites.base import shown
from sqltune.rewrites.semi_join import joinable_outer
from sqltune.schema import Schema, fold

__all__ = ["CorrelatedAggregate", "GroupedJoin", "attach", "correlated_aggregate", "grouped_join", "join_style"]

AGGREGATES = (exp.Count, exp.Sum, exp.Min, exp.Max, exp.Avg)

#: Operators that are NULL when an operand is NULL: around an aggregate they keep "NULL over no rows".
STRICT = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Paren, exp.Cast)

#: Type families whose members compare, and group, by value alike.
_EXACT_NUMBER, _TEXT = "exact number", "text"
_TEXT_TYPES = frozenset({"TEXT", "VARCHAR", "STRING"})

#: CTEs and derived tables followed to find a column's type.
_MAX_DEPTH = 8


@dataclass(slots=True)
class CorrelatedAggregate:
    """A scalar subquery ``(SELECT <aggregate> FROM ... WHERE <keys> AND <local>)`` of the SELECT ``outer``."""

    subquery: exp.Subquery
    outer: exp.Select
    select: exp.Select  # the subquery's SELECT
    aggregate: exp.Expression  # its one output, unaliased: an aggregate or an expression over aggregates
    keys: list[tuple[exp.Column, exp.Expression]]  # (inner column, outer expression qualified in ``outer``)
    local: list[exp.Expression]  # the other conjuncts of its WHERE: they read only its own FROM items
    scope: Scope
    conditions: tuple[str, ...]  # what the schema does not prove (key types, volatile functions)

    @property
    def null_when_empty(self) -> bool:
        """Over no rows the value is NULL (no COUNT, only NULL-propagating operators around aggregates)."""
        return _null_when_empty(self.aggregate)


def correlated_aggregate(subquery: exp.Subquery, outer: exp.Select, schema: Schema) -> CorrelatedAggregate | None:
    """``subquery`` taken apart, or ``None`` unless it is an ungrouped aggregate over its own FROM items,
    correlated with ``outer`` only by equalities ``inner column = outer expression`` in its WHERE."""
    sub = subquery.this
    if not isinstance(sub, exp.Select) or subquery.alias or not isinstance(sub.args.get("from_"), exp.From):
        return None
    if any(sub.args.get(key) for key in ("group", "having", "limit", "offset", "qualify", "distinct", "with_")):
        return None
    if len(sub.expressions) != 1 or any(node is not sub for node in sub.find_all(exp.Query)):
        return None  # a nested query could reach the outer query where the grouped table cannot
    aggregate = strip_parens(sub.expressions[0].unalias())
    if not _aggregate_expression(aggregate) or has_window(aggregate):
        return None
    scope, outer_scope = Scope(sub, schema), Scope(outer, schema)
    if not scope.complete or not outer_scope.complete:
        return None
    where = sub.args.get("where")
    filters = conjuncts(where.this) if isinstance(where, exp.Where) else []
    in_where = {id(node) for node in where.walk()} if isinstance(where, exp.Where) else set()
    if any(scope.is_local(column) is not True for column in own_columns(sub) if id(column) not in in_where):
        return None  # the aggregate and the joins' ON read only the subquery's own FROM items
    keys: list[tuple[exp.Column, exp.Expression]] = []
    local: list[exp.Expression] = []
    for conjunct in filters:
        pair = _correlation(conjunct, scope, outer_scope)
        if pair is not None:
            keys.append(pair)
        elif all(scope.is_local(column) is True for column in own_columns(conjunct)):
            local.append(conjunct)
        else:
            return None  # correlated other than by equality
    if not keys:
        return None
    conditions = [
        f"{shown(inner)} and {shown(value)} are of one type (grouping by {shown(inner)} must put together "
        f"exactly the rows {shown(inner)} = {shown(value)} matches)"
        for inner, value in keys
        if not _one_type(inner, scope, value, outer_scope)
    ]
    volatile = volatile_call(sub)
    if volatile is not None:
        conditions.append(
            f"evaluating {shown(volatile)} once per row of the grouped table, instead of once per outer row and "
            "inner row, gives acceptable results"
        )
    return CorrelatedAggregate(subquery, outer, sub, aggregate, keys, local, scope, tuple(conditions))


def _aggregate_expression(node: exp.Expression) -> bool:
    """An aggregate, or an expression over aggregates and constants (``AVG(x) * 0.2``), of this level."""
    if isinstance(node, AGGREGATES):
        return True
    if is_aggregate_function(node) or node.find(exp.Query, exp.Subquery) is not None:
        return False
    aggregates = [n for n in node.walk() if is_aggregate_function(n)]
    if not aggregates or any(not isinstance(agg, AGGREGATES) for agg in aggregates):
        return False
    inside = {id(n) for agg in aggregates for n in agg.walk()}
    return not any(isinstance(n, exp.Column) and id(n) not in inside for n in node.walk())


def _null_when_empty(node: exp.Expression) -> bool:
    if isinstance(node, exp.Count):
        return False
    if isinstance(node, AGGREGATES):
        return True
    if not isinstance(node, STRICT):
        return False
    children = [child for child in node.iter_expressions() if not isinstance(child, exp.DataType)]
    aggregated = [child for child in children if calls_aggregate(child)]
    return bool(aggregated) and all(_null_when_empty(child) for child in aggregated)


def _over_no_rows(node: exp.Expression) -> exp.Expression:
    """``node`` evaluated over no input rows: COUNT is 0, every other aggregate NULL."""
    for aggregate in list(node.find_all(exp.AggFunc)):
        aggregate.replace(exp.Literal.number(0) if isinstance(aggregate, exp.Count) else exp.Null())
    return node


def _correlation(conjunct: exp.Expression, scope: Scope, outer: Scope) -> tuple[exp.Column, exp.Expression] | None:
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
        moved = other.copy()
        for column in moved.find_all(exp.Column):
            owner = outer.resolve(column)
            if owner is None:
                return None  # a column of a query further out: the grouped table cannot read it
            column.set("table", owner.identifier)
        return inner, moved
    return None


# -- key types ------------------------------------------------------------------------------------------
def _one_type(inner: exp.Column, scope: Scope, value: exp.Expression, outer: Scope) -> bool:
    """The two sides of a correlation equality are of one type: the same column of one CTE, or columns
    whose schema types (found through CTEs and derived tables) are of one family."""
    if not isinstance(value, exp.Column):
        return False
    mine, theirs = scope.resolve(inner), outer.resolve(value)
    if mine is None or theirs is None:
        return False
    if mine.cte is not None and mine.cte is theirs.cte and fold(inner.name) == fold(value.name):
        return True
    left, right = _family(_source_type(inner, scope)), _family(_source_type(value, outer))
    return bool(left) and left == right


def _family(type_: str) -> str:
    base = type_.split("(")[0].strip()
    if base in INTEGER_TYPES or base.startswith(EXACT_NUMERIC_PREFIXES):
        return _EXACT_NUMBER
    return _TEXT if base in _TEXT_TYPES else base


def _source_type(column: exp.Column, scope: Scope, depth: int = 0) -> str:
    """The schema type of ``column``, followed through CTEs and derived tables that project a bare column."""
    item = scope.resolve(column)
    if item is None or depth > _MAX_DEPTH:
        return ""
    if item.table is not None:
        return scope.column_type(column)
    holder = item.cte if item.cte is not None else item.node
    alias = holder.args.get("alias")
    body = holder.this
    if not isinstance(body, exp.Select) or (isinstance(alias, exp.TableAlias) and alias.columns):
        return ""  # set operations may mix types; renamed columns are positional
    for projection in body.expressions:
        if fold(projection.alias_or_name) == fold(column.name):
            source = strip_parens(projection.unalias())
            return _source_type(source, Scope(body, scope.schema), depth + 1) if isinstance(source, exp.Column) else ""
    return ""


# -- the grouped table and its join ----------------------------------------------------------------------
@dataclass(slots=True)
class GroupedJoin:
    """``(SELECT keys, aggregate FROM ... GROUP BY keys) AS alias``, its join condition and the value that
    replaces the subquery."""

    table: exp.Subquery
    on: exp.Expression
    value: exp.Expression


def grouped_join(found: CorrelatedAggregate, outer_join: bool) -> GroupedJoin:
    """The grouped table for ``found``, named freshly in its statement; ``outer_join`` when rows without a
    match are kept (then the value is what the aggregate gives over no rows: COUNT's 0, else NULL)."""
    outer, scope = found.outer, found.scope
    first = scope.items[0]
    alias = fresh_alias(outer, f"{fold(first.node.name) if isinstance(first.node, exp.Table) else 'sq'}_agg")
    names: list[str] = []
    projections: list[exp.Expression] = []
    group: list[exp.Expression] = []
    for inner, _ in found.keys:
        name = fresh_alias(outer, f"key{len(names) + 1}")
        names.append(name)
        column = inner.copy()
        if not column.table:
            owner = scope.resolve(column)
            if owner is not None:
                column.set("table", owner.identifier)
        projections.append(exp.alias_(column, name))
        group.append(column.copy())
    value_name = fresh_alias(outer, "agg")
    projections.append(exp.alias_(found.aggregate.copy(), value_name))
    body = found.select.copy()
    body.set("expressions", projections)
    set_where(body, conjoin(c.copy() for c in found.local))
    body.set("group", exp.Group(expressions=group))
    body.set("order", None)
    table = exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))
    on = conjoin(
        exp.EQ(this=exp.column(name, alias), expression=moved.copy())
        for name, (_, moved) in zip(names, found.keys, strict=True)
    )
    assert on is not None  # there is at least one key
    value: exp.Expression = exp.column(value_name, alias)
    if outer_join and isinstance(found.aggregate, exp.Count):
        value = exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
    elif outer_join and not found.null_when_empty:
        # No match means no rows: the value of the expression over an empty input, COUNTs being 0.
        empty = _over_no_rows(found.aggregate.copy())
        value = exp.Case(ifs=[exp.If(this=is_null(exp.column(names[0], alias)), true=empty)], default=value)
    return GroupedJoin(table, on, value)


def join_style(outer: exp.Select, outer_join: bool) -> str | None:
    """How one more table joins at the end of ``outer``'s FROM: ``"on"`` (``[LEFT] JOIN ... ON``), ``"comma"``
    (a comma item, its condition in WHERE: inner joins only), ``"cross"`` (``LEFT JOIN ... ON`` once the
    commas are CROSS JOINs, which needs every join to be inner), or ``None``.

    A JOIN after ``FROM a, b`` binds to ``b`` alone, so its ON cannot read ``a``; a ``*`` would grow.
    """
    if not isinstance(outer.args.get("from_"), exp.From) or any(isinstance(p, exp.Star) for p in outer.expressions):
        return None
    if joinable_outer(outer):
        return "on"
    if not outer_join:
        return "comma"
    joins = outer.args.get("joins") or ()
    if all(not join.side and str(join.kind or "").upper() in {"", "INNER", "CROSS"} for join in joins):
        return "cross"
    return None


def attach(outer: exp.Select, joined: GroupedJoin, style: str, outer_join: bool) -> exp.Expression | None:
    """Join the grouped table at the end of ``outer``'s FROM in ``style`` (see :func:`join_style`); returns
    the condition the caller puts into WHERE for a comma item, else ``None``."""
    joins = outer.args.get("joins") or []
    if style == "comma":
        outer.append("joins", exp.Join(this=joined.table))
        return joined.on
    if style == "cross":
        for join in joins:
            if not join.args.get("on") and not join.args.get("using") and not join.kind:
                join.set("kind", "CROSS")
    outer.append("joins", exp.Join(this=joined.table, on=joined.on, side="LEFT" if outer_join else None))
    return None


def where_comparison(subquery: exp.Subquery) -> exp.Expression | None:
    """The comparison (``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``) that is a top-level conjunct of its SELECT's
    WHERE and has ``subquery`` as an operand, also under NULL-propagating arithmetic (``2 * (SELECT ...)``)."""
    parent = subquery.parent
    while isinstance(parent, STRICT):
        parent = parent.parent
    if not isinstance(parent, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
        return None
    outer = enclosing_select(parent)
    where = outer.args.get("where") if outer is not None else None
    if not isinstance(where, exp.Where) or not any(conjunct is parent for conjunct in conjuncts(where.this)):
        return None
    return parent
