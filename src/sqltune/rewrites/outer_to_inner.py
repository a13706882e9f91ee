"""RW008 outer-to-inner-join: an outer join whose NULL-extended rows the WHERE clause discards is inner.

``a LEFT JOIN b ... WHERE b.x = 1`` keeps no row where ``b`` was NULL-extended (``NULL = 1`` is not true),
so it returns exactly what ``a JOIN b`` returns -- but an outer join fixes the join order and the planner
must keep unmatched rows until the filter. A condition rejects NULLs when it is a top-level WHERE conjunct
that compares (``=``, ``<``, ``LIKE``, ``IN``, ``BETWEEN``, ``IS NOT NULL``...) an expression that is NULL
whenever the column is: the column itself, a cast of it, or arithmetic over it. ``COALESCE``, ``IS NULL``,
``IS DISTINCT FROM`` and ``OR`` do not. FULL joins become LEFT or RIGHT joins when one side is rejected.

>>> from sqltune.rewrites.base import show
>>> show(outer_to_inner_join, "SELECT a.id FROM a LEFT JOIN b ON b.a_id = a.id WHERE b.x > 1")
APPLIED: SELECT a.id FROM a JOIN b ON b.a_id = a.id WHERE b.x > 1
>>> show(outer_to_inner_join, "SELECT a.id FROM a LEFT JOIN b ON b.a_id = a.id WHERE COALESCE(b.x, 0) = 0")
unchanged
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import null_rejected
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import FromItem, Scope, filtered_selects
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema

__all__ = ["REWRITE", "null_rejecting", "outer_to_inner_join"]

_STRICT_OPERATORS = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Paren, exp.Cast, exp.Mod)


def _strict_in(node: exp.Expression, item: FromItem, scope: Scope) -> bool:
    """``node`` is NULL whenever ``item``'s columns are NULL (a column of it, or a strict operator over one)."""
    stack = [node]  # arithmetic chains grow with the input: no recursion
    while stack:
        current = stack.pop()
        if isinstance(current, exp.Column):
            if scope.resolve(current) is item:
                return True
        elif isinstance(current, _STRICT_OPERATORS):
            operands = (current.this, current.args.get("expression"))
            stack.extend(o for o in operands if isinstance(o, exp.Expression) and not isinstance(o, exp.DataType))
    return False


def null_rejecting(conjunct: exp.Expression, item: FromItem, scope: Scope) -> bool:
    """A WHERE conjunct that is never TRUE when ``item`` is NULL-extended: it rejects NULL in an operand that
    is NULL whenever ``item``'s columns are (:func:`sqltune.core.predicates.null_rejected`)."""
    return any(_strict_in(operand, item, scope) for operand in null_rejected(conjunct))


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for _, parts, scope in filtered_selects(tree, schema):
        rejected = {id(item) for item in scope.items if any(null_rejecting(c, item, scope) for c in parts)}
        for index, item in enumerate(scope.items):
            side = item.side
            if side not in {"left", "right", "full"} or item.join is None:
                continue
            inner_rejected = id(item) in rejected
            outer_rejected = any(id(earlier) in rejected for earlier in scope.items[:index])
            new_side = _new_side(side, inner_rejected, outer_rejected)
            if new_side != side:
                sites.append(Site(_set_side(item.join, new_side), _rationale(item, side, new_side)))
    return sites


def _new_side(side: str, right_rejected: bool, left_rejected: bool) -> str:
    """The join that remains once the WHERE clause drops the NULL-extended rows it rejects."""
    if side == "left":
        return "" if right_rejected else side
    if side == "right":
        return "" if left_rejected else side
    if right_rejected and left_rejected:
        return ""
    if right_rejected:
        return "right"
    if left_rejected:
        return "left"
    return side


def _set_side(join: exp.Join, side: str) -> Callable[[], None]:
    def apply() -> None:
        join.set("side", side.upper() or None)
        if str(join.kind or "").upper() == "OUTER":
            join.set("kind", None)

    return apply


def _rationale(item: FromItem, side: str, new_side: str) -> str:
    new = f"{new_side.upper()} JOIN" if new_side else "an inner JOIN"
    return (
        f"the WHERE clause discards the rows the {side.upper()} JOIN of {item.alias} NULL-extends, so {new} returns "
        "the same rows and the planner may reorder it freely"
    )


def outer_to_inner_join(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Turn one outer join into an inner (or one-sided) join when WHERE rejects its NULL-extended rows."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW008",
    "outer-to-inner-join",
    "an outer join whose NULL rows WHERE discards becomes an inner join",
    outer_to_inner_join,
)
