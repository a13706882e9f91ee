"""RW014 count-to-exists: ``(SELECT COUNT(*) ...) > 0`` becomes ``EXISTS (SELECT 1 ...)``.

Counting every matching row to learn whether there is one reads them all; EXISTS stops at the first. An
ungrouped COUNT subquery always returns exactly one non-NULL row, so ``> 0``, ``>= 1`` and ``<> 0`` are
EXISTS and ``= 0``, ``< 1`` and ``<= 0`` are NOT EXISTS, with no NULL case to worry about. ``COUNT(x)``
counts non-NULL values, so it becomes EXISTS over ``x IS NOT NULL``.

>>> from sqltune.rewrites.base import show
>>> show(count_to_exists, "SELECT id FROM c WHERE (SELECT count(*) FROM o WHERE o.c_id = c.id) > 0")
APPLIED: SELECT id FROM c WHERE EXISTS(SELECT 1 FROM o WHERE o.c_id = c.id)
>>> show(count_to_exists, "SELECT id FROM c WHERE 0 = (SELECT count(o.note) FROM o WHERE o.c_id = c.id)")
APPLIED: SELECT id FROM c WHERE NOT EXISTS(SELECT 1 FROM o WHERE o.c_id = c.id AND o.note IS NOT
    NULL)
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqltune.core.predicates import conjuncts, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import conjoin, is_not_null, numeric_literal, set_where
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema

__all__ = ["REWRITE", "count_to_exists"]

RATIONALE = "EXISTS stops at the first matching row; COUNT reads and counts every one of them to compare with 0"

# (comparison, constant) -> True for EXISTS, False for NOT EXISTS, with the count on the left.
_MEANING: dict[tuple[type[exp.Expression], Decimal], bool] = {
    (exp.GT, Decimal(0)): True,
    (exp.GTE, Decimal(1)): True,
    (exp.NEQ, Decimal(0)): True,
    (exp.EQ, Decimal(0)): False,
    (exp.LT, Decimal(1)): False,
    (exp.LTE, Decimal(0)): False,
}
_MIRROR: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.GT: exp.LT,
    exp.LT: exp.GT,
    exp.GTE: exp.LTE,
    exp.LTE: exp.GTE,
    exp.EQ: exp.EQ,
    exp.NEQ: exp.NEQ,
}


def _count_query(node: exp.Expression) -> tuple[exp.Select, exp.Count] | None:
    node = strip_parens(node)
    if not isinstance(node, exp.Subquery) or not isinstance(node.this, exp.Select):
        return None
    select = node.this
    if any(select.args.get(key) for key in ("group", "having", "limit", "offset", "qualify", "fetch")):
        return None
    if len(select.expressions) != 1 or not isinstance(select.args.get("from_"), exp.From):
        return None
    count = strip_parens(select.expressions[0].unalias())
    if not isinstance(count, exp.Count) or isinstance(count.parent, exp.Window) or count.expressions:
        return None
    if isinstance(count.this, exp.Distinct) and len(count.this.expressions) != 1:
        return None
    return select, count


def _sites(tree: exp.Expression) -> list[Site]:
    sites: list[Site] = []
    for comparison in tree.find_all(*_MIRROR):
        for query_side, constant_side, kind in (
            (comparison.this, comparison.expression, type(comparison)),
            (comparison.expression, comparison.this, _MIRROR[type(comparison)]),
        ):
            found = _count_query(query_side)
            value = numeric_literal(constant_side)
            if found is None or value is None or (kind, value) not in _MEANING:
                continue
            sites.append(Site(_replace(comparison, *found, _MEANING[(kind, value)]), RATIONALE))
            break
    return sites


def _replace(comparison: exp.Expression, select: exp.Select, count: exp.Count, exists: bool) -> Callable[[], None]:
    def apply() -> None:
        body = select.copy()
        argument = count.this
        body.set("expressions", [exp.Literal.number(1)])
        body.set("distinct", None)
        body.set("order", None)
        if argument is not None and not isinstance(argument, exp.Star):
            value = argument.expressions[0] if isinstance(argument, exp.Distinct) else argument
            where = body.args.get("where")
            existing = conjuncts(where.this) if isinstance(where, exp.Where) else []
            set_where(body, conjoin([*existing, is_not_null(value.copy())]))
        test: exp.Expression = exp.Exists(this=body)
        comparison.replace(test if exists else exp.Not(this=test))

    return apply


def count_to_exists(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Turn one comparison of an ungrouped COUNT subquery with 0 or 1 into [NOT] EXISTS."""
    return best_site(REWRITE.id, expression, _sites)


REWRITE = Rewrite("RW014", "count-to-exists", "COUNT(*) > 0 over a subquery becomes EXISTS", count_to_exists)
