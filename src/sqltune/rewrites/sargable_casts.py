"""RW007 cast-off-column: move a cast off the column when the cast cannot change the comparison.

``CAST(col AS t) <op> k`` hides ``col`` from its index just like a function does. Three casts are
type-safe to remove, given the column's type from the schema:

- a TIMESTAMP (or DATE) column cast to DATE: ``CAST(ts AS DATE) = '2024-03-01'`` is the day's range
  ``ts >= '2024-03-01' AND ts < '2024-03-02'`` (and ``<``, ``>=``... as in RW005); also ``DATE(ts)`` and
  ``TO_DATE(ts)``;
- an integer column cast to a wider integer or to an unconstrained NUMERIC/DECIMAL: the cast is exact and
  order-preserving, so ``CAST(n AS BIGINT) > 5`` is ``n > 5``;
- a VARCHAR/TEXT column cast to unbounded TEXT/VARCHAR (the same string, the same collation).

An unknown column type makes the DATE case advice (and the other two are left alone: a narrowing cast
rounds or truncates).

>>> from sqltune.rewrites.base import show
>>> ddl = "CREATE TABLE t (ts timestamp, n int, s varchar(20))"
>>> show(cast_off_column, "SELECT * FROM t WHERE CAST(ts AS DATE) >= '2024-03-01'", ddl)
APPLIED: SELECT * FROM t WHERE ts >= '2024-03-01'
>>> show(cast_off_column, "SELECT * FROM t WHERE n::bigint = 5", ddl)
APPLIED: SELECT * FROM t WHERE n = 5
>>> show(cast_off_column, "SELECT * FROM t WHERE s::text = 'x'", ddl)
APPLIED: SELECT * FROM t WHERE s = 'x'
>>> show(cast_off_column, "SELECT * FROM t WHERE CAST(n AS SMALLINT) = 5", ddl)
unchanged
"""

from __future__ import annotations

from sqltune.core.predicates import strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import INTEGER_TYPES, Scope, enclosing_select, numeric_literal
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site, shown
from sqltune.rewrites.sargable_dates import (
    COMPARISONS,
    next_period,
    parse_moment,
    range_predicate,
    replace_comparison,
    sides,
    temporal_condition,
    truncate,
)
from sqltune.schema import Schema

__all__ = ["REWRITE", "cast_off_column"]

T = exp.DataType.Type
_INTEGER_WIDTH = {T.TINYINT: 1, T.SMALLINT: 2, T.INT: 4, T.BIGINT: 8}
_SCHEMA_WIDTH = {"TINYINT": 1, "SMALLINT": 2, "INT2": 2, "INT": 4, "INTEGER": 4, "INT4": 4, "BIGINT": 8, "INT8": 8}
_TEXT_TARGETS = {T.TEXT, T.VARCHAR}


def _to_date_column(node: exp.Expression) -> exp.Expression | None:
    cast = isinstance(node, exp.Cast) and node.to.this == T.DATE
    to_date = isinstance(node, exp.TsOrDsToDate) and not node.args.get("format")
    date = isinstance(node, exp.Date) and not node.expressions and node.this is not None
    if not (cast or to_date or date):
        return None
    inner = strip_parens(node.this)
    return inner if isinstance(inner, exp.Column) else None


def _widening(node: exp.Expression, scope: Scope | None) -> exp.Expression | None:
    """The column of ``CAST(int_col AS wider integer / NUMERIC)`` or ``CAST(text_col AS TEXT)``."""
    if not isinstance(node, exp.Cast) or scope is None or isinstance(node, exp.TryCast):
        return None
    column = strip_parens(node.this)
    if not isinstance(column, exp.Column):
        return None
    source = scope.column_type(column)
    target = node.to
    base = source.split("(")[0].strip()
    if base in INTEGER_TYPES and base in _SCHEMA_WIDTH:
        if target.this in _INTEGER_WIDTH and _INTEGER_WIDTH[target.this] >= _SCHEMA_WIDTH[base]:
            return column
        if target.this == T.DECIMAL and not target.expressions:
            return column
        return None
    if base in {"TEXT", "VARCHAR"} and target.this in _TEXT_TARGETS and not target.expressions:
        return column if target.this == T.TEXT or base == "VARCHAR" else None
    return None


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for comparison in tree.find_all(*COMPARISONS):
        candidates = [side for side in sides(comparison) if isinstance(side[0], exp.Cast | exp.TsOrDsToDate | exp.Date)]
        if not candidates:
            continue  # the enclosing SELECT (a walk up per comparison) is looked up only for a cast
        select = enclosing_select(comparison)
        scope = Scope(select, schema) if select is not None else None
        for cast, constant, kind in candidates:
            column = _to_date_column(cast)
            if column is not None:
                moment = parse_moment(constant)
                if moment is None or truncate(moment, "DAY") != moment:
                    continue
                high = next_period(moment, "DAY")
                conditions = temporal_condition(column, scope)
                if high is None or conditions is None:
                    continue
                replacement = range_predicate(column, kind, moment, high)
                sites.append(Site(replace_comparison(comparison, replacement), _rationale(cast, column), conditions))
                break
            column = _widening(cast, scope)
            literal = isinstance(constant, exp.Literal) or numeric_literal(constant) is not None
            if column is not None and literal:
                replacement = kind(this=column.copy(), expression=constant.copy())
                sites.append(Site(replace_comparison(comparison, replacement), _rationale(cast, column)))
                break
    return sites


def _rationale(cast: exp.Expression, column: exp.Expression) -> str:
    return (
        f"`{shown(cast)}` converts {shown(column)} for every row and keeps any index on it from serving the "
        "comparison; the cast changes no comparison result, so the bare column can be compared"
    )


def cast_off_column(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Remove one result-preserving cast from the column side of a comparison with a constant."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW007", "cast-off-column", "a type-safe cast moves off the column side of a comparison", cast_off_column
)
