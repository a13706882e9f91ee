"""Rules about data-changing statements (UPDATE, DELETE)."""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.core.sqlglot import exp
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.rules.builtin.set_operations import constant_key


def _always_true(condition: exp.Expression) -> bool:
    """``WHERE TRUE``, ``WHERE 1 = 1``, ``WHERE 'a' = 'a'``: a WHERE that keeps every row."""
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.Boolean):
        return bool(condition.this)
    if isinstance(condition, exp.EQ):
        left, right = constant_key(condition.this), constant_key(condition.expression)
        return left is not None and left == right
    return False


def _joined_tables(node: exp.Expression) -> list[exp.Join]:
    """Joins that restrict the target rows: MySQL ``UPDATE t JOIN s ON ...``, T-SQL ``... FROM t JOIN s ON ...``."""
    holders: list[exp.Expression] = [node.this] if isinstance(node.this, exp.Expression) else []
    from_ = node.args.get("from_")
    if isinstance(from_, exp.From):
        holders.append(from_.this)
    holders.append(node)
    joins = [join for holder in holders for join in holder.args.get("joins") or ()]
    return [
        join
        for join in joins
        if (join.args.get("on") is not None or join.args.get("using"))
        and (join.side or "").upper() not in ("LEFT", "FULL")
    ]


def _limited(node: exp.Expression) -> bool:
    """MySQL ``DELETE ... LIMIT n`` and T-SQL ``DELETE TOP (n)``: a deliberate batch, not a whole-table change."""
    if node.args.get("limit") is not None:
        return True
    # sqlglot reads T-SQL's DELETE TOP (n) FROM t as a table named TOP.
    return any(isinstance(t, exp.Table) and t.name.upper() == "TOP" for t in node.args.get("tables") or ())


class DmlWithoutWhere(Rule):
    """SQ018: UPDATE or DELETE with no WHERE (or an always-true one) and no join restricting the target rows."""

    code = "SQ018"
    node_types = (exp.Update, exp.Delete)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if node.find_ancestor(exp.Merge) is not None:
            return  # MERGE ... WHEN MATCHED THEN UPDATE/DELETE: restricted by the MERGE's ON
        where = node.args.get("where")
        if where is not None and not _always_true(where.this):
            return
        if _limited(node) or _joined_tables(node):
            return
        target = node.this if isinstance(node.this, exp.Table) else None
        name = f"`{target.sql(dialect=ctx.dialect)}`" if target is not None else "the table"
        how = (
            "without WHERE" if where is None else f"with the always-true `WHERE {where.this.sql(dialect=ctx.dialect)}`"
        )
        if isinstance(node, exp.Update):
            message = f"UPDATE of {name} {how} changes every row; add the WHERE clause that selects the rows to change"
        else:
            message = (
                f"DELETE from {name} {how} removes every row; add the WHERE clause that selects the rows to remove, "
                "or write TRUNCATE if emptying the table is the intent"
            )
        yield Violation(message, target or node)


RULES = [DmlWithoutWhere]
