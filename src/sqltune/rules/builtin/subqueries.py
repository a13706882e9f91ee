"""Rules about subqueries: ones that run once per outer row, count where one row would do, or sort for nothing.

The correlated-subquery rules read the :class:`~sqltune.graph.QueryGraph`: its scopes know how a subquery is
used (``how``: scalar, exists, in, ...) and whether it references an outer query (``correlated``).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.core.predicates import aggregates_rows, conjuncts
from sqltune.core.source import Span
from sqltune.core.sqlglot import exp
from sqltune.graph import QueryGraph, ScopeInfo
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.rules.builtin.grouping import close_parentheses, unwrap
from sqltune.rules.builtin.ordering import clause_span

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_FLIPPED: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.EQ: exp.EQ,
    exp.NEQ: exp.NEQ,
    exp.GT: exp.LT,
    exp.GTE: exp.LTE,
    exp.LT: exp.GT,
    exp.LTE: exp.GTE,
}
#: ``count OP n`` pairs that test for existence (True) or absence (False).
_EXISTENCE: dict[tuple[type[exp.Expression], int], bool] = {
    (exp.GT, 0): True,
    (exp.GTE, 1): True,
    (exp.NEQ, 0): True,
    (exp.EQ, 0): False,
    (exp.LT, 1): False,
    (exp.LTE, 0): False,
}
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Cast, exp.Neg, exp.Paren)


def _clause_in(node: exp.Expression, container: exp.Expression) -> str:
    """The clause (``where``, ``expressions``, ...) of ``container`` under which ``node`` sits."""
    child, parent = node, node.parent
    while parent is not None and parent is not container:
        child, parent = parent, parent.parent
    return child.arg_key if parent is container else ""


def _outer_columns(graph: QueryGraph, info: ScopeInfo) -> list[exp.Column]:
    """Columns used in ``info`` or its nested scopes that belong to relations of enclosing scopes."""
    inner = {info.id}
    changed = True
    while changed:
        changed = False
        for scope in graph.scopes.values():
            if scope.parent in inner and scope.id not in inner:
                inner.add(scope.id)
                changed = True
    found: list[exp.Column] = []
    for use in graph.uses:
        relation = use.column.relation
        outer = use.scope in inner and relation is not None and graph.relations[relation].scope not in inner
        if outer and all(use.node is not seen for seen in found):
            found.append(use.node)
    return found


def _subquery_span(ctx: StatementContext, node: exp.Expression) -> Span:
    """The span of ``node`` including the ``(SELECT`` and ``)`` of subqueries at its edges, which sqlglot records
    no position for."""
    span = ctx.span(node)
    text = ctx.statement.source.text
    leftmost = node
    while isinstance(leftmost.args.get("this"), exp.Expression) and not isinstance(leftmost, exp.Subquery):
        leftmost = leftmost.this
    start = span.start
    if isinstance(leftmost, exp.Subquery):
        start = len(text[: span.start].rstrip())
        if text[max(0, start - 6) : start].lower() == "select":
            start = len(text[: start - 6].rstrip())
        start = start - 1 if start > 0 and text[start - 1] == "(" else span.start
    return ctx.statement.source.span(start, close_parentheses(text, start, span.end))


def _correlated_scalars(ctx: StatementContext) -> Iterator[tuple[ScopeInfo, exp.Expression, str]]:
    """Each correlated scalar subquery with its enclosing query node and the clause it sits in there."""
    if not ctx.has(exp.Subquery):
        return
    graph = ctx.graph
    for info in graph.scopes.values():
        if info.kind != "subquery" or info.how != "scalar" or not info.correlated or info.parent is None:
            continue
        outer = graph.scopes[info.parent].node
        yield info, outer, _clause_in(info.node, outer)


def _names(columns: list[exp.Column], dialect: str | None) -> str:
    names = dict.fromkeys(f"`{c.sql(dialect=dialect)}`" for c in columns)
    return ", ".join(names) or "an outer column"


def _correlation(select: exp.Expression, outer: list[exp.Column]) -> list[tuple[exp.Column, exp.Column]]:
    """The ``inner = outer`` equalities of a subquery's WHERE: the keys to group and join a derived table on."""
    where = select.args.get("where")
    pairs: list[tuple[exp.Column, exp.Column]] = []
    outer_ids = {id(c) for c in outer}
    for condition in conjuncts(where.this if where is not None else None):
        if isinstance(condition, exp.EQ):
            left, right = condition.this, condition.expression
            if isinstance(left, exp.Column) and isinstance(right, exp.Column):
                if id(right) in outer_ids and id(left) not in outer_ids:
                    pairs.append((left, right))
                elif id(left) in outer_ids and id(right) not in outer_ids:
                    pairs.append((right, left))
    return pairs


def _join_sketch(select: exp.Expression, outer: list[exp.Column], dialect: str | None, join: str) -> str:
    """The join that replaces a correlated subquery, as SQL text.

    An aggregating subquery becomes a derived table grouped by its correlation keys,
    ``JOIN (SELECT k, <aggregate> FROM ... GROUP BY k) s ON s.k = outer.k``; a plain lookup becomes a join of
    its table, ``JOIN departments d ON d.id = e.department_id``.
    """
    pairs = _correlation(select, outer)
    on = " AND ".join(f"{inner.sql(dialect=dialect)} = {other.sql(dialect=dialect)}" for inner, other in pairs)
    from_ = select.args.get("from_")
    if not aggregates_rows(select) and not select.args.get("joins") and isinstance(from_, exp.From) and pairs:
        return f"`{join} {from_.this.sql(dialect=dialect)} ON {on}`"
    if not pairs:
        return f"`{join} (SELECT key, <aggregate> FROM ... GROUP BY key) s ON s.key = <outer key>`"
    keys = ", ".join(dict.fromkeys(inner.sql(dialect=dialect) for inner, _ in pairs))
    on = " AND ".join(f"s.{inner.name} = {other.sql(dialect=dialect)}" for inner, other in pairs)
    return f"`{join} (SELECT {keys}, <aggregate> FROM ... GROUP BY {keys}) s ON {on}`"


def _excerpt(node: exp.Expression, dialect: str | None, replace: exp.Expression | None = None) -> str:
    """Short SQL text of ``node`` with the subquery ``replace`` shown as ``(SELECT ...)``."""
    text = str(node.sql(dialect=dialect))
    if replace is not None:
        text = text.replace(replace.sql(dialect=dialect), "(SELECT ...)")
    return text if len(text) <= 80 else text[:77] + "..."


class CorrelatedSubqueryInSelect(Rule):
    """SQ012: a scalar subquery in the SELECT list that references the outer row."""

    code = "SQ012"

    def check(self, ctx: StatementContext) -> Iterator[Violation]:
        for info, outer, clause in _correlated_scalars(ctx):
            if clause != "expressions" or not isinstance(outer, exp.Select):
                continue
            node = info.node.parent if isinstance(info.node.parent, exp.Subquery) else info.node
            comparison = node.parent
            while isinstance(comparison, exp.Paren):
                comparison = comparison.parent
            if isinstance(comparison, _COMPARISONS) and _existence_test(comparison) is not None:
                continue  # (SELECT count(*) ...) > 0 is SQ013's
            outer_columns = _outer_columns(ctx.graph, info)
            sketch = _join_sketch(info.node, outer_columns, ctx.dialect, "LEFT JOIN")
            yield Violation(
                f"subquery in the SELECT list references {_names(outer_columns, ctx.dialect)} of the outer query, "
                f"so it runs once per output row; join what it computes for all keys at once, {sketch}, "
                "or make the per-row lookup explicit with LEFT JOIN LATERAL",
                span=_subquery_span(ctx, node),
            )


class CorrelatedSubqueryFilter(Rule):
    """SQ024: ``x < (SELECT agg(...) FROM t WHERE t.k = outer.k)`` in WHERE or HAVING (TPC-H Q2, Q17, Q20)."""

    code = "SQ024"

    def check(self, ctx: StatementContext) -> Iterator[Violation]:
        for info, _outer, clause in _correlated_scalars(ctx):
            if clause not in ("where", "having", "qualify"):
                continue
            subquery = info.node.parent if isinstance(info.node.parent, exp.Subquery) else info.node
            comparison = subquery.parent
            while isinstance(comparison, _ARITHMETIC):
                comparison = comparison.parent
            if not isinstance(comparison, (*_COMPARISONS, exp.Between)):
                continue
            if isinstance(comparison, _COMPARISONS) and _existence_test(comparison) is not None:
                continue  # (SELECT count(*) ...) > 0 is SQ013's
            outer = _outer_columns(ctx.graph, info)
            sketch = _join_sketch(info.node, outer, ctx.dialect, "JOIN")
            rewritten = clause == "where" and isinstance(comparison, _COMPARISONS)
            fix = " (`sqltune fix` does it: RW018)" if rewritten else ""
            yield Violation(
                f"`{_excerpt(comparison, ctx.dialect, subquery)}` compares with a subquery correlated on "
                f"{_names(outer, ctx.dialect)}, which the planner may run once per outer row; join what it computes "
                f"for every key at once, {sketch}, and compare with its column{fix}",
                span=_subquery_span(ctx, subquery),
            )


def _count_side(node: exp.Expression) -> tuple[exp.Count, exp.Select | None] | None:
    """``count(...)`` directly, or the single ``count(...)`` output of an ungrouped scalar subquery."""
    node = unwrap(node) if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.Count):
        return node, None
    if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select):
        select = node.this
        if len(select.expressions) != 1 or any(select.args.get(k) for k in ("group", "having", "limit", "offset")):
            return None
        count = unwrap(select.expressions[0])
        if isinstance(count, exp.Count):
            return count, select
    return None


def _small_integer(node: exp.Expression) -> int | None:
    node = unwrap(node) if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.Literal) and not node.is_string and node.this in ("0", "1"):
        return int(node.this)
    return None


def _existence_test(comparison: exp.Expression) -> tuple[bool, int, exp.Count, exp.Select | None] | None:
    """For ``count OP 0/1`` in either operand order: (tests existence?, the constant, the count, its subquery)."""
    for side, other, flip in (
        (comparison.this, comparison.expression, False),
        (comparison.expression, comparison.this, True),
    ):
        found = _count_side(side)
        value = _small_integer(other)
        if found is None or value is None:
            continue
        op = _FLIPPED[type(comparison)] if flip else type(comparison)
        exists = _EXISTENCE.get((op, value))
        return None if exists is None else (exists, value, *found)
    return None


class CountInsteadOfExists(Rule):
    """SQ013: ``(SELECT count(*) ...) > 0`` and ``SELECT count(*) > 0 ...``: counting to test for one row."""

    code = "SQ013"
    node_types = _COMPARISONS

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        test = _existence_test(node)
        if test is None:
            return
        exists, value, count, subquery = test
        if subquery is None and not self._existence_query(count, node):
            return
        argument = count.this
        condition = (
            ""
            if argument is None or isinstance(argument, exp.Star) or isinstance(unwrap(argument), exp.Literal)
            else f" with `{argument.sql(dialect=ctx.dialect)} IS NOT NULL` in its WHERE"
        )
        keyword = "EXISTS" if exists else "NOT EXISTS"
        where = "the subquery" if subquery is not None else "the query"
        yield Violation(
            f"`{_excerpt(node, ctx.dialect)}` counts every matching row only to compare the count with {value}; "
            f"{keyword} (SELECT 1 FROM ...){condition} stops at the first row, so rewrite {where} as {keyword}",
            span=_subquery_span(ctx, node),
        )

    @staticmethod
    def _existence_query(count: exp.Count, comparison: exp.Expression) -> bool:
        """``SELECT count(*) > 0 FROM t WHERE ...`` (no GROUP BY): the whole query asks whether a row exists."""
        if count.parent is None or isinstance(count.parent, exp.Window):
            return False
        select = comparison.parent
        while select is not None and not isinstance(select, exp.Select):
            if isinstance(select, exp.Subquery | exp.SetOperation):
                return False
            select = select.parent
        if not isinstance(select, exp.Select) or select.args.get("group") is not None:
            return False
        return _clause_in(comparison, select) == "expressions" and select.args.get("from_") is not None


def _nesting(query: exp.Expression) -> str:
    """How ``query`` is nested: "derived table `d`", "CTE `c`", "subquery", "UNION branch", or "" (top level)."""
    parent = query.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    if isinstance(parent, exp.CTE):
        return f"CTE `{parent.alias}`"
    if isinstance(parent, exp.Exists | exp.In):
        return "subquery"
    if isinstance(parent, exp.Subquery):
        holder = parent.parent
        if isinstance(holder, exp.SetOperation):
            return "UNION branch" if isinstance(holder, exp.Union) else "set-operation branch"
        if isinstance(holder, exp.From | exp.Join | exp.Lateral):
            return f"derived table `{parent.alias}`" if parent.alias else "derived table"
        return "subquery"
    return ""


class OrderByInSubquery(Rule):
    """SQ015: ORDER BY in a derived table, CTE or subquery without a row limit that would give it meaning."""

    code = "SQ015"
    node_types = (exp.Order,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        query = node.parent
        if node.arg_key != "order" or not isinstance(query, exp.Select | exp.SetOperation):
            return  # window, aggregate and WITHIN GROUP orderings are meaningful
        if any(query.args.get(key) is not None for key in ("limit", "offset", "for_")):
            return  # the order picks the rows kept (or, with FOR XML/JSON, the order of the text)
        distinct = query.args.get("distinct")
        if isinstance(distinct, exp.Distinct) and distinct.args.get("on") is not None:
            return  # DISTINCT ON keeps the first row of each group in this order
        where = _nesting(query)
        if not where:
            return
        yield Violation(
            f"ORDER BY in a {where} without LIMIT costs a sort but does not order the result: the enclosing query "
            "may reorder the rows; drop it, and sort in the outermost query (or inside the aggregate, "
            "`array_agg(x ORDER BY y)`) where the order matters",
            span=clause_span(ctx, node),
        )


RULES = [CorrelatedSubqueryInSelect, CountInsteadOfExists, OrderByInSubquery, CorrelatedSubqueryFilter]
