"""Rules about NULL semantics that silently change results: three-valued logic in NOT IN and ``= NULL``,
and string concatenation that turns the whole value NULL.

These are correctness bugs that also look like performance problems (a query "returns nothing" or is
patched with DISTINCT/COALESCE downstream), so the messages say what the query really computes.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.core.findings import Fix
from sqltune.core.sqlglot import exp
from sqltune.graph import ColumnUse, QueryGraph
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.rules.builtin.predicates import clause_of, conjuncts, uses_by_node
from sqltune.schema import fold

__all__ = [
    "RULES",
    "EqualsNull",
    "NotInNullableSubquery",
    "NullableConcatenation",
    "is_not_null_test",
    "rejects_null",
]

#: Comparisons that are never true when their column operand is NULL.
_STRICT = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.In, exp.Between)


def _same_column(a: exp.Column, b: exp.Expression, uses: dict[int, ColumnUse]) -> bool:
    if not isinstance(b, exp.Column) or fold(a.name) != fold(b.name):
        return False
    use_a, use_b = uses.get(id(a)), uses.get(id(b))
    if use_a and use_b and use_a.column.relation and use_b.column.relation:
        return use_a.column.relation == use_b.column.relation
    # In valid SQL an unqualified name is unique among the block's relations, so it matches any qualifier.
    return not a.table or not b.table or fold(a.table) == fold(b.table)


def is_not_null_test(term: exp.Expression) -> exp.Expression | None:
    """The operand of ``x IS NOT NULL`` (``Not(Is)`` or, in some dialects, ``Is(negate=True)``), else None."""
    term = term.unnest()
    negated = isinstance(term, exp.Not)
    test = term.this.unnest() if negated else term
    if not isinstance(test, exp.Is) or not isinstance(test.expression, exp.Null):
        return None
    return test.this.unnest() if negated != bool(test.args.get("negate")) else None


def rejects_null(select: exp.Expression, column: exp.Column, uses: dict[int, ColumnUse]) -> bool:
    """True when the block's WHERE (or an inner join's ON) keeps no row where ``column`` is NULL.

    Recognised: ``col IS NOT NULL`` and any comparison, LIKE, IN or BETWEEN whose operand is the bare
    column, as a top-level conjunct.

    >>> from sqltune.core.sqlglot import parse_one
    >>> block = parse_one("SELECT b FROM u WHERE b > 0 AND c = 1")
    >>> rejects_null(block, block.expressions[0], {})
    True
    """
    terms = conjuncts(select.args.get("where").this) if select.args.get("where") else []
    for join in select.args.get("joins") or ():
        if (join.side or "").lower() not in ("left", "right", "full"):
            terms += conjuncts(join.args.get("on"))
    for term in terms:
        tested = is_not_null_test(term)
        if tested is not None:
            if _same_column(column, tested, uses):
                return True
        elif isinstance(term, _STRICT):
            operands = [term.this] if isinstance(term, exp.In | exp.Between) else [term.this, term.expression]
            if any(_same_column(column, operand.unnest(), uses) for operand in operands):
                return True
    return False


def _on_nullable_side(relation_id: str, graph: QueryGraph) -> bool:
    """True when an outer join can fill the relation's columns with NULLs."""
    relation = graph.relations[relation_id]
    if relation.join_kind in ("left", "full"):
        return True
    order = graph.scopes[relation.scope].relations
    later = order[order.index(relation_id) + 1 :]
    return any(graph.relations[r].join_kind in ("right", "full") for r in later)


def _column_nullable(
    column: exp.Column, ctx: StatementContext, uses: dict[int, ColumnUse], depth: int = 0
) -> bool | None:
    """Whether a column reference can be NULL: True, False (proven NOT NULL) or None (unknown)."""
    use = uses.get(id(column))
    if use is None or use.column.relation is None:
        return None
    graph = ctx.graph
    if _on_nullable_side(use.column.relation, graph):
        return True
    relation = graph.relations[use.column.relation]
    if relation.table is not None:
        declared = relation.table.column(column.name)
        if declared is None:
            return None
        return not relation.table.is_not_null(column.name)
    if relation.defined_by is not None and depth < 4:
        body = graph.scopes[relation.defined_by].node
        if isinstance(body, exp.Select):
            for projection in body.expressions:
                if fold(projection.alias_or_name) == fold(column.name):
                    return _expression_nullable(projection.unalias(), body, ctx, uses, depth + 1)
    return None


def _expression_nullable(
    node: exp.Expression, select: exp.Expression, ctx: StatementContext, uses: dict[int, ColumnUse], depth: int = 0
) -> bool | None:
    node = node.unnest()
    if isinstance(node, exp.Null):
        return True
    if isinstance(node, exp.Literal | exp.Boolean | exp.Count):
        return False
    if isinstance(node, exp.Coalesce):
        if any(_expression_nullable(arg, select, ctx, uses, depth) is False for arg in node.iter_expressions()):
            return False
        return None
    if isinstance(node, exp.Column):
        if rejects_null(select, node, uses):
            return False
        return _column_nullable(node, ctx, uses, depth)
    return None


def _query_nullable(query: exp.Expression, ctx: StatementContext, uses: dict[int, ColumnUse]) -> bool | None:
    """Whether the single output column of a subquery can hold a NULL."""
    query = query.unnest()
    while isinstance(query, exp.Subquery):
        query = query.this
    if isinstance(query, exp.SetOperation):
        verdicts = [_query_nullable(query.left, ctx, uses), _query_nullable(query.right, ctx, uses)]
        if True in verdicts:
            return True
        return False if all(v is False for v in verdicts) else None
    if not isinstance(query, exp.Select) or not query.expressions:
        return None
    verdicts = [_expression_nullable(p.unalias(), query, ctx, uses) for p in query.expressions]
    if True in verdicts:
        return True
    return False if all(v is False for v in verdicts) else None


class NotInNullableSubquery(Rule):
    """SQ004: ``x NOT IN (SELECT col ...)`` (or ``x <> ALL (SELECT col ...)``) where ``col`` can be NULL.

    One NULL in the subquery makes ``NOT IN`` unknown for every row, so the query returns nothing. Silent
    when the schema proves the column NOT NULL (constraint or primary key, not on the outer side of a join)
    or the subquery filters it (``WHERE col IS NOT NULL`` or any comparison on it).
    """

    code = "SQ004"
    node_types = (exp.In, exp.NEQ)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if isinstance(node, exp.NEQ):
            target = node.expression.unnest()
            if not isinstance(target, exp.All):
                return
            query: exp.Expression | None = target.this
            shown = node
        else:
            parent = node.parent
            while isinstance(parent, exp.Paren):
                parent = parent.parent
            if node.args.get("negate"):
                shown = node
            elif isinstance(parent, exp.Not):
                shown = parent
            else:
                return
            if any(isinstance(value.unnest(), exp.Null) for value in node.expressions):
                yield Violation(
                    f"`{node.this.sql(ctx.dialect or '')} NOT IN (...)` lists NULL, so it is never true and the "
                    "condition rejects every row; remove the NULL (and test the column with IS NULL if meant)",
                    shown,
                )
                return
            query = node.args.get("query")
        if query is None:
            return
        uses = uses_by_node(ctx.graph)
        verdict = _query_nullable(query, ctx, uses)
        if verdict is False:
            return
        inner = query.unnest()
        inner = inner.this if isinstance(inner, exp.Subquery) else inner
        dialect = ctx.dialect or ""
        output = inner.selects[0].unalias().sql(dialect) if isinstance(inner, exp.Query) and inner.selects else "?"
        certainty = "is nullable" if verdict else "may be NULL (nothing proves it NOT NULL)"
        yield Violation(
            f"NOT IN over a subquery whose output `{output}` {certainty}: a single NULL makes the condition "
            f"unknown for every row and the query returns nothing; write NOT EXISTS (SELECT 1 FROM ... WHERE "
            f"{output} = {_qualified(node.this, ctx.graph, uses, dialect)}), or filter `{output} IS NOT NULL` in "
            "the subquery",
            shown,
        )


def _qualified(node: exp.Expression, graph: QueryGraph, uses: dict[int, ColumnUse], dialect: str) -> str:
    """The outer operand, qualified by its relation's alias so that it is not captured inside EXISTS."""
    column = node.unnest()
    use = uses.get(id(column))
    if isinstance(column, exp.Column) and not column.table and use is not None and use.column.relation:
        return f"{graph.relations[use.column.relation].alias}.{column.sql(dialect)}"
    return str(node.sql(dialect))


class EqualsNull(Rule):
    """SQ005: ``= NULL``, ``<> NULL``, ``!= NULL`` and ``CASE x WHEN NULL``: comparisons that are never true.

    Assignments (``UPDATE ... SET a = NULL``, ``SET @v = NULL``) are not comparisons and are not reported.
    """

    code = "SQ005"
    node_types = (exp.EQ, exp.NEQ, exp.Case)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        dialect = ctx.dialect or ""
        if isinstance(node, exp.Case):
            subject = node.this
            for branch in node.args.get("ifs") or ():
                if subject is not None and isinstance(branch.this.unnest(), exp.Null):
                    yield Violation(
                        f"`CASE {subject.sql(dialect)} WHEN NULL` never matches (it tests `= NULL`); write "
                        f"`CASE WHEN {subject.sql(dialect)} IS NULL THEN ...`",
                        branch,
                    )
            return
        if isinstance(node.parent, exp.Update | exp.OnConflict | exp.SetItem) and node.arg_key in (
            "expressions",
            "this",
        ):
            return
        left, right = node.this.unnest(), node.expression.unnest()
        if isinstance(right, exp.Null):
            other = node.this
        elif isinstance(left, exp.Null):
            other = node.expression
        else:
            return
        operator = "=" if isinstance(node, exp.EQ) else "<>"
        test = "IS NULL" if isinstance(node, exp.EQ) else "IS NOT NULL"
        replacement = f"{other.sql(dialect)} {test}"
        yield Violation(
            f"`{operator} NULL` is never true (a comparison with NULL is unknown), so this condition never "
            f"holds; write `{replacement}`",
            node,
            fix=Fix(ctx.span(node), replacement, f"replace `{operator} NULL` by `{test}`", safe=False),
        )


class NullableConcatenation(Rule):
    """SQ021: ``a || b`` (or a NULL-propagating ``CONCAT``) over a nullable column: one NULL empties the value.

    Nullable means: the schema declares the column without NOT NULL (and it is no primary key column), or
    its relation is on the outer side of an outer join. Silent in filters (a NULL there already rejects the
    row), when the block filters the column (``WHERE col IS NOT NULL``), and in Oracle, where ``||`` treats
    NULL as an empty string.
    """

    code = "SQ021"
    node_types = (exp.DPipe, exp.Concat)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        dialect = (ctx.dialect or "").lower()
        if isinstance(node, exp.Concat) and node.args.get("coalesce"):
            return  # PostgreSQL's, DuckDB's CONCAT skip NULLs
        if isinstance(node, exp.DPipe) and (dialect == "oracle" or isinstance(_outer(node), exp.DPipe)):
            return  # Oracle: '' and NULL are one; a nested || is reported with its whole chain
        if isinstance(_outer(node), exp.Coalesce):
            return  # coalesce(a || b, ...) already supplies the value for NULL
        if clause_of(node) in ("where", "on", "having", "qualify"):
            return
        operands = _chain(node)
        uses = uses_by_node(ctx.graph)
        block = node.find_ancestor(exp.Select)
        nullable = []
        for operand in operands:
            column = operand.unnest()
            if not isinstance(column, exp.Column) or isinstance(column.this, exp.Star):
                continue
            if block is not None and rejects_null(block, column, uses):
                continue
            if _column_nullable(column, ctx, uses):
                nullable.append(column.sql(dialect))
        if not nullable:
            return
        names = ", ".join(f"`{name}`" for name in nullable)
        names = names if len(nullable) == 1 else f"one of {names}"
        first = nullable[0]
        if dialect in ("postgres", "postgresql", "duckdb", "redshift", ""):
            instead = f"wrap it (`coalesce({first}, '')`) or use concat()/concat_ws(), which skip NULLs"
        elif dialect in ("mysql", "mariadb"):
            instead = f"wrap it (`coalesce({first}, '')`) or use CONCAT_WS(), which skips NULLs"
        else:
            instead = f"wrap it: `coalesce({first}, '')`"
        yield Violation(
            f"`{node.sql(dialect)}` is NULL whenever {names} is NULL (nullable); {instead}",
            node,
        )


def _outer(node: exp.Expression) -> exp.Expression | None:
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    return parent


def _chain(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Concat):
        return list(node.expressions)
    operands: list[exp.Expression] = []
    for side in (node.this, node.expression):
        inner = side.unnest()
        operands.extend(_chain(inner) if isinstance(inner, exp.DPipe) else [side])
    return operands


RULES = [NotInNullableSubquery, EqualsNull, NullableConcatenation]
