"""RW006 sargable-arithmetic: ``col + c > k`` becomes ``col > k - c`` (and ``-``, ``*`` by a constant).

Arithmetic on the column side hides the column from its index and costs an operation per row; moving the
constants to the other side (folded here, exactly, with decimal arithmetic) leaves the bare column.
Multiplying by a negative constant flips the comparison; a division that is not exact leaves it alone.

It is APPLIED only for exact numeric columns (integers, NUMERIC/DECIMAL) whose type the schema gives: for
floating point ``col + 0.1 > 0.3`` and ``col > 0.2`` round differently, so it is only advice there. NULLs
behave the same on both sides. The original can fail with an overflow (``int_col + 1`` at the integer
maximum) where the rewrite returns rows; a query that succeeds returns the same rows.

>>> from sqltune.rewrites.base import show
>>> ddl = "CREATE TABLE t (n int, f double precision)"
>>> show(sargable_arithmetic, "SELECT * FROM t WHERE n + 10 > 50", ddl)
APPLIED: SELECT * FROM t WHERE n > 40
>>> show(sargable_arithmetic, "SELECT * FROM t WHERE 100 - n <= 2 * 3", ddl)
unchanged
>>> show(sargable_arithmetic, "SELECT * FROM t WHERE n * -2 < 7", ddl)
APPLIED: SELECT * FROM t WHERE n > -3.5
>>> show(sargable_arithmetic, "SELECT * FROM t WHERE f - 0.5 = 1", ddl)
ADVISED: SELECT * FROM t WHERE f = 1.5
  if: f has an exact numeric type (floating-point f - 0.5 and the folded constant may round
      differently)
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqltune.core.predicates import strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import (
    EXACT_NUMERIC_PREFIXES,
    INTEGER_TYPES,
    Scope,
    decimal_literal,
    enclosing_select,
    numeric_literal,
)
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site, shown
from sqltune.schema import Schema

__all__ = ["REWRITE", "sargable_arithmetic"]

_COMPARISONS: tuple[type[exp.Expression], ...] = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_MIRROR: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.EQ: exp.EQ,
    exp.NEQ: exp.NEQ,
    exp.GT: exp.LT,
    exp.LT: exp.GT,
    exp.GTE: exp.LTE,
    exp.LTE: exp.GTE,
}


def _solve(
    side: exp.Expression, kind: type[exp.Expression], k: Decimal
) -> tuple[exp.Column, type[exp.Expression], Decimal] | None:
    """Solve ``side <kind> k`` for the column in ``side`` (``col ± c``, ``c ± col``, ``col * c``, ``c * col``)."""
    if not isinstance(side, exp.Add | exp.Sub | exp.Mul):
        return None
    left, right = strip_parens(side.this), strip_parens(side.expression)
    left_value, right_value = numeric_literal(left), numeric_literal(right)
    if isinstance(left, exp.Column) and right_value is not None:
        column, c, column_first = left, right_value, True
    elif isinstance(right, exp.Column) and left_value is not None:
        column, c, column_first = right, left_value, False
    else:
        return None
    if isinstance(side, exp.Add):
        return column, kind, k - c
    if isinstance(side, exp.Sub):
        if column_first:
            return column, kind, k + c  # col - c op k  ->  col op k + c
        return column, _MIRROR[kind], c - k  # c - col op k  ->  col op' c - k
    if c == 0:
        return None
    quotient = k / c
    if quotient * c != k or len(str(quotient.normalize())) > 30:
        return None  # not exact in a short decimal
    return column, (kind if c > 0 else _MIRROR[kind]), quotient


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for comparison in tree.find_all(*_COMPARISONS):
        kind = type(comparison)
        for side, constant, op in (
            (strip_parens(comparison.this), strip_parens(comparison.expression), kind),
            (strip_parens(comparison.expression), strip_parens(comparison.this), _MIRROR[kind]),
        ):
            k = numeric_literal(constant)
            solved = _solve(side, op, k) if k is not None else None
            if solved is None:
                continue
            column, new_kind, value = solved
            select = enclosing_select(comparison)
            type_ = Scope(select, schema).column_type(column) if select is not None else ""
            if type_ in INTEGER_TYPES or type_.startswith(EXACT_NUMERIC_PREFIXES):
                conditions: tuple[str, ...] = ()
            elif type_ and not type_.startswith(("FLOAT", "DOUBLE", "REAL")):
                break  # text, dates...: not arithmetic we can fold
            elif type_:
                conditions = (
                    f"{shown(column)} has an exact numeric type (floating-point {shown(side)} and the folded constant "
                    "may round differently)",
                )
            else:
                conditions = (f"{shown(column)} has an exact numeric type (the schema does not give its type)",)
            replacement = new_kind(this=column.copy(), expression=decimal_literal(value))
            sites.append(Site(_replace(comparison, replacement), _rationale(side, column), conditions))
            break
    return sites


def _replace(comparison: exp.Expression, replacement: exp.Expression) -> Callable[[], None]:
    def apply() -> None:
        comparison.replace(replacement)

    return apply


def _rationale(side: exp.Expression, column: exp.Column) -> str:
    return (
        f"`{shown(side)}` computes a value per row and hides {shown(column)} from its index; with the constants "
        "folded onto the other side the bare column is sargable"
    )


def sargable_arithmetic(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Move the constant of ``col + c``, ``col - c`` or ``col * c`` in one comparison to the constant side."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW006", "sargable-arithmetic", "col + c > k becomes col > k - c (exact numeric columns)", sargable_arithmetic
)
