"""RW005 sargable-date-functions: ``date_trunc('month', col) = k`` / ``extract(year from col) = k`` -> a range.

An index on ``col`` orders rows by ``col``, not by ``date_trunc('month', col)``: a predicate that wraps the
column in a function cannot use the index (it is not *sargable*) and must compute the function for every
row. Truncation to a day, month or year and extracting the year are monotonic, so each comparison with a
constant is a half-open range on the column itself::

    f(col) =  k   ->  col >= lo AND col < hi        f(col) <  k  ->  col < lo
    f(col) >= k   ->  col >= lo                     f(col) <= k  ->  col < hi
    f(col) >  k   ->  col >= hi

where ``[lo, hi)`` is the period ``k`` starts. A ``k`` that is not the start of a period (``date_trunc('month',
col) = '2024-03-15'``) is left alone. The bounds are written as literals the column's type converts in the
same session time zone ``date_trunc`` and ``extract`` use, so ``timestamptz`` columns are safe too. The
change is APPLIED when the schema says the column is a DATE or TIMESTAMP, ADVISED otherwise.

>>> from sqltune.rewrites.base import show
>>> ddl = "CREATE TABLE t (ts timestamp, d date)"
>>> show(sargable_date_functions, "SELECT * FROM t WHERE date_trunc('month', ts) = '2024-03-01'", ddl)
APPLIED: SELECT * FROM t WHERE ts >= '2024-03-01' AND ts < '2024-04-01'
>>> show(sargable_date_functions, "SELECT * FROM t WHERE extract(year FROM d) <= 2023", ddl)
APPLIED: SELECT * FROM t WHERE d < '2024-01-01'
>>> show(sargable_date_functions, "SELECT * FROM t WHERE YEAR(d) = 2024", "", "mysql")
ADVISED: SELECT * FROM t WHERE d >= '2024-01-01' AND d < '2025-01-01'
  if: d is a DATE or TIMESTAMP column (the schema does not give its type)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqltune.core.predicates import strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import DATE_TYPES, TIMESTAMP_PREFIXES, Scope, enclosing_select, numeric_literal
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site, shown
from sqltune.schema import Schema

__all__ = ["REWRITE", "ComparisonSide", "range_predicate", "sargable_date_functions", "temporal_condition"]

COMPARISONS: tuple[type[exp.Expression], ...] = (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
MIRROR: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.EQ: exp.EQ,
    exp.GT: exp.LT,
    exp.LT: exp.GT,
    exp.GTE: exp.LTE,
    exp.LTE: exp.GTE,
}
UNITS = ("DAY", "MONTH", "YEAR")

ComparisonSide = tuple[exp.Expression, exp.Expression, type[exp.Expression]]


def sides(comparison: exp.Expression) -> list[ComparisonSide]:
    """(function side, constant side, operator as seen from the function side) for both orientations."""
    kind = type(comparison)
    return [
        (strip_parens(comparison.this), strip_parens(comparison.expression), kind),
        (strip_parens(comparison.expression), strip_parens(comparison.this), MIRROR[kind]),
    ]


def parse_moment(node: exp.Expression) -> dt.datetime | None:
    """A string literal (or a DATE/TIMESTAMP cast or typed literal of one) without a time zone, else ``None``."""
    if isinstance(node, exp.Cast) and node.to.this in (exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP):
        node = strip_parens(node.this)
    if not isinstance(node, exp.Literal) or not node.is_string:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(node.this).strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is None else None


def next_period(start: dt.datetime, unit: str) -> dt.datetime | None:
    if unit == "DAY":
        return start + dt.timedelta(days=1) if start.date() < dt.date.max else None
    if unit == "MONTH":
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    else:
        year, month = start.year + 1, 1
    return start.replace(year=year, month=month) if year <= dt.MAXYEAR else None


def truncate(moment: dt.datetime, unit: str) -> dt.datetime:
    moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit in {"MONTH", "YEAR"}:
        moment = moment.replace(day=1)
    if unit == "YEAR":
        moment = moment.replace(month=1)
    return moment


def _literal(moment: dt.datetime) -> exp.Expression:
    return exp.Literal.string(moment.date().isoformat())


def range_predicate(
    column: exp.Expression, kind: type[exp.Expression], low: dt.datetime, high: dt.datetime
) -> exp.Expression:
    """``f(column) <kind> k`` for a monotonic ``f`` whose value ``k`` covers ``[low, high)`` of the column."""
    lo, hi = _literal(low), _literal(high)
    if kind is exp.EQ:
        return exp.and_(exp.GTE(this=column.copy(), expression=lo), exp.LT(this=column.copy(), expression=hi))
    if kind is exp.GTE:
        return exp.GTE(this=column.copy(), expression=lo)
    if kind is exp.GT:
        return exp.GTE(this=column.copy(), expression=hi)
    if kind is exp.LT:
        return exp.LT(this=column.copy(), expression=lo)
    return exp.LT(this=column.copy(), expression=hi)


def temporal_condition(column: exp.Expression, scope: Scope | None) -> tuple[str, ...] | None:
    """``()`` when the schema proves ``column`` a DATE/TIMESTAMP, a condition to state when it does not know,
    ``None`` when it knows another type (the rewrite must not happen)."""
    kind = scope.column_type(column) if scope is not None else ""
    if not kind:
        return (f"{shown(column)} is a DATE or TIMESTAMP column (the schema does not give its type)",)
    if kind in DATE_TYPES or kind.startswith(TIMESTAMP_PREFIXES):
        return ()
    return None


def _unit(node: exp.Expression) -> str | None:
    unit = node.args.get("unit")
    if isinstance(unit, exp.Var | exp.Literal):
        text = str(unit.this).upper()
        return text if text in UNITS else None
    return None


def _function_column(node: exp.Expression) -> tuple[exp.Expression, str] | None:
    """(column, unit) for ``date_trunc(unit, column)``; (column, ``"YEAR*"``) for ``extract(year ...)``/``year()``."""
    if isinstance(node, exp.TimestampTrunc | exp.DateTrunc) and not node.args.get("zone"):
        unit = _unit(node)
        column = strip_parens(node.this)
        return (column, unit) if unit and isinstance(column, exp.Column) else None
    if isinstance(node, exp.Extract) and isinstance(node.this, exp.Var) and str(node.this.this).upper() == "YEAR":
        column = strip_parens(node.expression)
        return (column, "YEAR*") if isinstance(column, exp.Column) else None
    if isinstance(node, exp.Year):
        column = strip_parens(node.this)
        if isinstance(column, exp.TsOrDsToDate) and not column.args.get("format"):
            column = strip_parens(column.this)
        return (column, "YEAR*") if isinstance(column, exp.Column) else None
    return None


def _bounds(unit: str, constant: exp.Expression) -> tuple[dt.datetime, dt.datetime] | None:
    if unit == "YEAR*":
        year = numeric_literal(constant)
        if year is None or year != year.to_integral_value() or not dt.MINYEAR <= year < dt.MAXYEAR:
            return None
        low = dt.datetime(int(year), 1, 1)
        return low, dt.datetime(int(year) + 1, 1, 1)
    moment = parse_moment(constant)
    if moment is None or truncate(moment, unit) != moment:
        return None
    high = next_period(moment, unit)
    return (moment, high) if high is not None else None


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for comparison in tree.find_all(*COMPARISONS):
        for function, constant, kind in sides(comparison):
            found = _function_column(function)
            if found is None:
                continue
            column, unit = found
            bounds = _bounds(unit, constant)
            if bounds is None:
                continue
            select = enclosing_select(comparison)
            scope = Scope(select, schema) if select is not None else None
            conditions = temporal_condition(column, scope)
            if conditions is None:
                continue
            replacement = range_predicate(column, kind, *bounds)
            sites.append(Site(replace_comparison(comparison, replacement), _rationale(function, column), conditions))
            break
    return sites


def replace_comparison(comparison: exp.Expression, replacement: exp.Expression) -> Callable[[], None]:
    """A site action putting ``replacement`` where ``comparison`` was (parenthesised where an AND needs it)."""

    def apply() -> None:
        parent = comparison.parent
        needs_parens = isinstance(replacement, exp.And) and not isinstance(parent, exp.And | exp.Where | exp.Paren)
        comparison.replace(exp.Paren(this=replacement) if needs_parens else replacement)

    return apply


def _rationale(function: exp.Expression, column: exp.Expression) -> str:
    return (
        f"`{shown(function)}` hides {shown(column)} inside a function, so no index on {shown(column)} can serve the "
        "filter and the function runs for every row; the equivalent range on the column itself is sargable"
    )


def sargable_date_functions(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Turn one comparison of ``date_trunc``/``extract(year)``/``year()`` of a column with a constant into a range."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW005",
    "sargable-date-functions",
    "date_trunc / extract(year) / year() compared with a constant becomes a range on the column",
    sargable_date_functions,
)
