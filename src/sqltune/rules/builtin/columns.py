"""Rules about which columns a statement names."""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.core.sqlglot import exp
from sqltune.rules.base import Rule, StatementContext, Violation


class SelectStar(Rule):
    """SQ001: ``SELECT *`` or ``t.*`` in a query's output (not inside ``COUNT(*)`` or ``EXISTS``)."""

    code = "SQ001"
    node_types = (exp.Star,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        parent = node.parent
        star = parent if isinstance(parent, exp.Column) else node
        select = star.parent
        if not isinstance(select, exp.Select) or star.arg_key != "expressions":
            return
        outer = select.parent
        while isinstance(outer, exp.Subquery | exp.Paren):
            outer = outer.parent
        if isinstance(outer, exp.Exists):
            return  # EXISTS (SELECT * ...) reads no column
        yield Violation(f"`{star.sql()}` selects every column; name the columns the caller needs", star)


class InsertWithoutColumns(Rule):
    """SQ019: ``INSERT INTO t VALUES (...)`` / ``INSERT INTO t SELECT ...`` without a column list."""

    code = "SQ019"
    node_types = (exp.Insert,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        target = node.this
        if isinstance(target, exp.Table):
            yield Violation(
                f"INSERT into `{target.sql()}` without a column list depends on the table's column order",
                target,
            )


RULES = [SelectStar, InsertWithoutColumns]
