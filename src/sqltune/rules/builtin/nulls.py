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
from sqltune.graph.predicates import can_be_null, query_can_be_null
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.rules.builtin.predicates import clause_of, uses_by_node

__all__ = ["RULES", "EqualsNull", "NotInNullableSubquery", "NullableConcatenation"]


class NotInNullableSubquery(Rule):
    """SQ004: ``x NOT IN (SELECT col ...)`` (or ``x <> ALL (SELECT col ...)``) where ``col`` can be NULL.

    One NULL in the subquery makes ``NOT IN`` unknown for every row, so the query returns nothing. Silent
    when the schema proves the column NOT NULL (constraint or primary key, not on the outer side of a join)
    or the subquery filters it (``WHERE col IS NOT NULL`` or any comparison on it): the NOT-NULL proof of the
    predicate toolkit (:func:`sqltune.graph.predicates.can_be_null`), which RW001 uses too.
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
        verdict = query_can_be_null(ctx.graph, query)
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
        nullable = []
        for operand in operands:
            column = operand.unnest()
            if not isinstance(column, exp.Column) or isinstance(column.this, exp.Star):
                continue
            if can_be_null(ctx.graph, column):
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
    """The operands of ``a || b || ...`` (nested ``||`` flattened, with a stack: chains grow with the input)."""
    if isinstance(node, exp.Concat):
        return list(node.expressions)
    operands: list[exp.Expression] = []
    stack = [node.expression, node.this]
    while stack:
        side = stack.pop()
        inner = side.unnest()
        if isinstance(inner, exp.DPipe):
            stack.extend((inner.expression, inner.this))
        else:
            operands.append(side)
    return operands


RULES = [NotInNullableSubquery, EqualsNull, NullableConcatenation]
