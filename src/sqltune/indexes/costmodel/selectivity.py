"""Selectivity: the fraction of a relation's rows each predicate keeps, from column statistics.

- :func:`equality`, :func:`null_fraction`, :func:`predicate_fraction`: one column's statistics for
  ``col = const``, ``col IS NULL`` and a partial index's predicate;
- :class:`Predicate` and :func:`predicate`: one filter of the query graph, as an index-usable equality or
  range on a column (or expression) key, or another filter, with its selectivity;
- :func:`combine`: a relation's predicates folded into its per-column index conditions and overall
  selectivity;
- :func:`key`, :func:`constant_text`, :data:`PARTIAL_EQUALITY`, :data:`PARTIAL_NOT_NULL`: how column names,
  constants and partial-index predicates are matched.

**Selectivity** of one predicate (the fraction of rows it keeps):

- ``col = const``: the constant's frequency when it is one of ``most_common``; else
  ``(1 - sum(most_common_freqs) - null_fraction) / (distinct - len(most_common))``; without MCVs
  ``(1 - null_fraction) / distinct``; ``1 / N`` on a unique column; 0.005 without statistics;
- ``col IN (v1, ..., vk)``: ``k`` times the equality selectivity (an ``IN (subquery)`` counts as ten values);
- ``col IS NULL``: ``null_fraction`` (0 for a NOT NULL column, 0.005 unknown);
- a one-sided range (``<``, ``>=``...): 1/3; both bounds on one column (``BETWEEN``, or ``>`` and ``<``): 0.005;
  ``LIKE 'abc%'``: 0.05; a leading-wildcard ``LIKE`` or a regex: 0.005; any other filter: 1/3 (0.005 for an
  equality between two expressions);
- ``NOT p``: ``1 - sel(p)``; ``p1 OR p2 ...``: ``min(1, sum(sel(pi)))``; conjunctions multiply
  (independence).

A relation's output rows are ``R = max(1, N * product of its predicates' selectivities)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqltune.core.sqlglot import exp
from sqltune.graph import ColumnRole, ColumnUse
from sqltune.indexes.candidates import expression_of
from sqltune.indexes.costmodel.facts import RelationFacts
from sqltune.schema import Table, fold

__all__ = [
    "PARTIAL_EQUALITY",
    "PARTIAL_NOT_NULL",
    "Predicate",
    "combine",
    "constant_text",
    "equality",
    "key",
    "null_fraction",
    "predicate",
    "predicate_fraction",
]

#: Selectivity defaults of PostgreSQL's planner (``selfuncs.h``) and the ones this model adds.
DEFAULT_EQ_SEL = 0.005
DEFAULT_INEQ_SEL = 1 / 3
DEFAULT_RANGE_INEQ_SEL = 0.005
DEFAULT_MATCH_SEL = 0.005
LIKE_PREFIX_SEL = 0.05
#: An ``IN (subquery)`` is costed as a list of this many values.
IN_SUBQUERY_VALUES = 10

PARTIAL_EQUALITY = re.compile(r"^\(*\s*\"?(?P<column>[\w$]+)\"?\s*=\s*(?P<value>.+?)\s*\)*$", re.DOTALL)
PARTIAL_NOT_NULL = re.compile(r"^\(*\s*\"?(?P<column>[\w$]+)\"?\s+is\s+not\s+null\s*\)*$", re.IGNORECASE)


def key(text: str) -> str:
    """Match key of a column name or an index expression: folded, without quotes or white space."""
    return re.sub(r"\s+|\"", "", fold(text)).lower()


def constant_text(sql: str) -> str:
    """``'open'::text`` -> ``open``: a constant as its bare text, for comparing predicates and MCVs."""
    text = re.sub(r"::[\w\s]+$", "", sql.strip())
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1].replace("''", "'")
    return text


# -- one column's statistics ----------------------------------------------------------------------------
def equality(table: Table | None, rows: float, column: str, constant: str | None) -> float:
    """Selectivity of ``column = constant`` (``constant`` None: a parameter or another column)."""
    if table is not None and table.is_unique([column]):
        return 1.0 / rows
    col = table.column(column) if table is not None else None
    stats = col.stats if col is not None else None
    if stats is None or not stats.distinct:
        return DEFAULT_EQ_SEL
    null = stats.null_fraction or 0.0
    if stats.most_common and stats.most_common_freqs:
        if constant is not None:
            for value, frequency in zip(stats.most_common, stats.most_common_freqs, strict=False):
                if str(value) == constant:
                    return frequency
        others = stats.distinct - len(stats.most_common)
        if others >= 1:
            return max(0.0, 1.0 - sum(stats.most_common_freqs) - null) / others
    return max(0.0, 1.0 - null) / stats.distinct


def null_fraction(table: Table | None, column: str) -> float:
    """Selectivity of ``column IS NULL``: 0 for a NOT NULL column, the statistic, else the default."""
    col = table.column(column) if table is not None else None
    if col is not None and table is not None and table.is_not_null(column):
        return 0.0
    if col is None or col.stats is None or col.stats.null_fraction is None:
        return DEFAULT_EQ_SEL
    return col.stats.null_fraction


def predicate_fraction(table: Table | None, rows: float, where: str | None) -> float:
    """Fraction of the rows a partial index's predicate keeps (1 when it cannot be read)."""
    if not where:
        return 1.0
    equal = PARTIAL_EQUALITY.match(where.strip())
    if equal is not None:
        return equality(table, rows, equal.group("column"), constant_text(equal.group("value")))
    not_null = PARTIAL_NOT_NULL.match(where.strip())
    if not_null is not None:
        return 1.0 - null_fraction(table, not_null.group("column"))
    return 1.0


# -- the query's predicates -----------------------------------------------------------------------------
@dataclass(slots=True)
class Predicate:
    column: str
    kind: str  # "eq", "range", "other"
    selectivity: float
    group: int | None  # id of the OR it sits under


def predicate(relation: RelationFacts, use: ColumnUse, column: str) -> Predicate:
    """One filter on the relation: what it keeps, and whether (and how) an index can search it."""
    group, negated = _context(use.node)
    node = use.predicate
    if not use.sargable:
        expression = _expression(use)
        if isinstance(node, exp.EQ):
            found = Predicate(expression or column, "eq" if expression else "other", DEFAULT_EQ_SEL, group)
        elif isinstance(node, exp.GT | exp.GTE | exp.LT | exp.LTE) and expression:
            found = Predicate(expression, "range", DEFAULT_INEQ_SEL, group)
        else:
            found = Predicate(column, "other", DEFAULT_INEQ_SEL, group)
    else:
        found = _sargable(relation, use, column, group)
    if negated:
        found = Predicate(found.column, "other", 1.0 - found.selectivity, group)
    if use.role is ColumnRole.EQUALITY and isinstance(use.value, exp.Literal) and not negated and group is None:
        relation.constants[column] = use.value.sql(dialect="postgres")
    return found


def _sargable(relation: RelationFacts, use: ColumnUse, column: str, group: int | None) -> Predicate:
    table, rows = relation.table, relation.rows
    role = use.role
    if role is ColumnRole.EQUALITY:
        constant = use.value.name if isinstance(use.value, exp.Literal) else None
        return Predicate(column, "eq", equality(table, rows, column, constant), group)
    if role is ColumnRole.IN_LIST:
        node = use.predicate
        values = len(node.expressions) if isinstance(node, exp.In) and node.expressions else 0
        count = values or IN_SUBQUERY_VALUES
        return Predicate(column, "eq", min(1.0, count * equality(table, rows, column, None)), group)
    if role is ColumnRole.IS_NULL:
        return Predicate(column, "eq", null_fraction(table, column), group)
    if role is ColumnRole.RANGE:
        between = isinstance(use.predicate, exp.Between)
        return Predicate(column, "range", DEFAULT_RANGE_INEQ_SEL if between else DEFAULT_INEQ_SEL, group)
    if role is ColumnRole.LIKE_PREFIX:
        return Predicate(column, "range", LIKE_PREFIX_SEL, group)
    if role is ColumnRole.LIKE_WILDCARD:
        return Predicate(column, "other", DEFAULT_MATCH_SEL, group)
    if isinstance(use.predicate, exp.EQ):
        return Predicate(column, "other", DEFAULT_EQ_SEL, group)
    if isinstance(use.predicate, exp.NEQ):
        return Predicate(column, "other", 1.0 - equality(table, rows, column, None), group)
    return Predicate(column, "other", DEFAULT_INEQ_SEL, group)


def combine(relation: RelationFacts, predicates: Iterable[Predicate]) -> None:
    """Fold a relation's predicates into per-column index conditions and its overall selectivity."""
    equalities: dict[str, list[float]] = {}
    ranges: dict[str, list[float]] = {}
    groups: dict[int, float] = {}
    others = 1.0
    count = 0
    for found in predicates:
        count += 1
        if found.group is not None:
            groups[found.group] = groups.get(found.group, 0.0) + found.selectivity
        elif found.kind == "eq":
            equalities.setdefault(found.column, []).append(found.selectivity)
        elif found.kind == "range":
            ranges.setdefault(found.column, []).append(found.selectivity)
        else:
            others *= found.selectivity
    selectivity = others
    for group in groups.values():
        selectivity *= min(1.0, group)
    for column in sorted({*equalities, *ranges}):
        bounds = ranges.get(column, [])
        bounded = math.prod(bounds)
        if len(bounds) > 1:
            bounded = min(bounded, DEFAULT_RANGE_INEQ_SEL)  # both ends of a range: PostgreSQL's default
        combined = math.prod(equalities.get(column, [])) * bounded
        selectivity *= combined
        if column in equalities:
            relation.eq[column] = combined
        else:
            relation.range[column] = combined
    relation.filters = count
    relation.selectivity = max(0.0, min(1.0, selectivity))


def _context(node: exp.Expression) -> tuple[int | None, bool]:
    """The outermost OR the predicate sits under (by identity) and whether a NOT negates it."""
    group: int | None = None
    negated = False
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Where | exp.Join | exp.Query | exp.Having):
        if isinstance(parent, exp.Or):
            group = id(parent)
        elif isinstance(parent, exp.Not):
            negated = not negated
        parent = parent.parent
    return group, negated


def _expression(use: ColumnUse) -> str | None:
    """The key of the one-column function a non-sargable comparison applies (``lower(email)``), which an
    expression index on the same function can search."""
    expression = expression_of(use)
    return key(expression) if expression is not None else None
