"""Candidate layout keys of one table, from the workload's usage statistics.

- :func:`key_columns`: the table's columns the workload filters, joins, groups or orders by, ranked filter
  above join above GROUP BY/ORDER BY, then by time (calls where the workload has no times); a near-unique
  column that the workload filters through an expression (``DATE_TRUNC('DAY', ts)``) is proposed as that
  expression, whose fewer values cluster as well and cost less to keep clustered;
- :func:`candidate_keys`: keys of 1 to ``max_key_columns`` of the first columns, each ordered lowest
  cardinality first; a boolean or ~10-value column never forms a key alone.

The pruning simulator then scores every candidate (:mod:`sqltune.layout.advisor`).

>>> from sqltune.workload import Execution, Workload
>>> workload = Workload("postgres")
>>> _ = workload.add(Execution("SELECT * FROM ev WHERE ts >= '2024-01-01' AND kind = 'a'", 50.0))
>>> _ = workload.add(Execution("SELECT kind, count(*) FROM ev GROUP BY kind", 10.0))
>>> [(c.column, c.tier) for c in key_columns(workload.usage(), "ev", {"ts": 1e6, "kind": 3}, 1e6)]
[('kind', 0), ('ts', 0)]
>>> ranked = key_columns(workload.usage(), "ev", {"ts": 1e6, "kind": 3}, 1e6)
>>> [tuple(c.text for c in key) for key in candidate_keys(ranked)]
[('ts',), ('kind', 'ts')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from sqltune.core.sqlglot import ParseError, exp, parse_one
from sqltune.graph import ColumnRole
from sqltune.layout.predicates import monotone
from sqltune.workload.usage import UsageStats

__all__ = ["KeyColumn", "candidate_keys", "key_columns"]

_TIERS = (
    {role.value for role in ColumnRole if role.is_filter},
    {ColumnRole.JOIN_KEY.value},
    {ColumnRole.GROUP_BY.value, ColumnRole.ORDER_BY.value, ColumnRole.WINDOW_PARTITION.value},
)


@dataclass(frozen=True, slots=True)
class KeyColumn:
    column: str
    tier: int  # 0 filter, 1 join, 2 group/order
    weight: float  # time (ms), or calls when the workload has no times
    distinct: float | None
    function: tuple[str, str] | None = None
    text: str = ""  # as shown and written in DDL: the column or its expression

    @property
    def part(self) -> str | tuple[str, tuple[str, str]]:
        """The key part as the simulator takes it."""
        return self.column if self.function is None else (self.column, self.function)


def key_columns(
    usage: UsageStats,
    table: str,
    distinct: Mapping[str, float | None],
    rows: float | None,
    *,
    near_unique: float = 0.5,
    timed: bool | None = None,
) -> list[KeyColumn]:
    """The table's usable key columns, best first (see the module documentation)."""
    columns = usage.columns_of(table)
    if timed is None:
        timed = any(w.time_ms for c in columns for w in c.roles.values())
    found = []
    for usage_of in columns:
        best: tuple[int, float] | None = None
        for tier, roles in enumerate(_TIERS):
            weight = sum(
                (w.time_ms if timed else float(w.calls)) for role, w in usage_of.roles.items() if role in roles
            )
            if weight > 0 or any(role in roles for role in usage_of.roles):
                best = (tier, weight)
                break
        if best is None:
            continue
        count = distinct.get(usage_of.column)
        function, text = None, usage_of.column
        if best[0] == 0 and count and rows and count / rows > near_unique and usage_of.expressions:
            expression = max(usage_of.expressions.items(), key=lambda item: item[1].time_ms or item[1].calls)[0]
            function = _function_of(expression, usage_of.column)
            if function is not None:
                text = expression
                count = None  # the expression's distinct count is unknown here; it is far below the column's
        found.append(KeyColumn(usage_of.column, best[0], best[1], count, function, text))
    found.sort(key=lambda c: (c.tier, -c.weight, c.column))
    return found


def _function_of(expression: str, column: str) -> tuple[str, str] | None:
    try:
        tree = parse_one(f"SELECT {expression}")
    except ParseError:
        return None
    operand = tree.expressions[0] if isinstance(tree, exp.Select) and tree.expressions else None
    target = next((c for c in tree.find_all(exp.Column) if c.name.lower() == column), None)
    if operand is None or target is None:
        return None
    return monotone(operand, target)


def candidate_keys(
    columns: Sequence[KeyColumn], *, max_key_columns: int = 3, low_cardinality: int = 10, top: int = 4
) -> list[tuple[KeyColumn, ...]]:
    """Keys of 1 to ``max_key_columns`` of the first ``top`` columns, each lowest cardinality first; never a
    column of at most ``low_cardinality`` values alone."""
    first = list(columns[:top])
    keys: list[tuple[KeyColumn, ...]] = []
    for size in range(1, min(max_key_columns, len(first)) + 1):
        for combination in combinations(first, size):
            if size == 1 and _low(combination[0], low_cardinality):
                continue
            keys.append(tuple(sorted(combination, key=_cardinality)))
    return keys


def _low(column: KeyColumn, low_cardinality: int) -> bool:
    return column.distinct is not None and column.distinct <= low_cardinality


def _cardinality(column: KeyColumn) -> float:
    # An expression of a near-unique column has an unknown count: it goes after the counted columns.
    return column.distinct if column.distinct is not None else float("inf")
