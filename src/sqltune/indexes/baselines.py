"""Baselines the advisor is measured against, run through the same what-if evaluator.

- :func:`extend`: Extend (Schlosser, Kossmann, Boissier, ICDE 2019), as described in the paper and evaluated in
  Kossmann et al., VLDB 2020: start empty; in every round cost every single-column candidate not yet chosen and
  every one-column extension of every chosen index; take the move with the best cost reduction per added
  byte if it lowers the workload cost by at least 0.3 %; stop when none does or the budget is full.
- :func:`per_query_greedy`: a Dexter-style advisor: for each query on its own, try its single- and
  two-column candidates and keep the best one if it cuts that query's cost by at least half; then fit the
  kept indexes into the budget by benefit per byte.

Given the database's ``schema``, both skip candidates an existing index already serves (a left prefix of
it), as sqltune's own candidate generation does: otherwise they "win" by proposing, say, ``lineitem
(l_orderkey)`` next to the primary key ``(l_orderkey, l_linenumber)`` — cheaper in the planner's estimate
because it is smaller, and exactly the redundant index rule SQ106 reports.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqltune.indexes.candidates import already_served, table_usages
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.selection import Selection, SelectionStep
from sqltune.indexes.whatif import CostEvaluator
from sqltune.schema import Schema, fold

__all__ = ["extend", "indexable_columns", "per_query_greedy"]


def indexable_columns(queries: Sequence[WorkloadQuery]) -> dict[str, list[str]]:
    """Per table, every column some query filters, joins, groups or sorts on (Extend's attributes)."""
    columns: dict[str, dict[str, None]] = {}
    for query in queries:
        for table, usage in table_usages(query).items():
            bucket = columns.setdefault(table, {})
            for column in (*usage.filtered, *usage.join, *usage.ordering):
                bucket.setdefault(column, None)
    return {table: list(found) for table, found in columns.items()}


def extend(
    queries: Sequence[WorkloadQuery],
    evaluator: CostEvaluator,
    *,
    budget_bytes: float,
    max_width: int = 2,
    min_cost_improvement: float = 1.003,
    schema: Schema | None = None,
) -> Selection:
    started = time.perf_counter()
    calls_before = evaluator.calls
    existing = schema or Schema()
    attributes = indexable_columns(queries)
    singles = [IndexSpec(table, (column,)) for table, cols in attributes.items() for column in cols]
    singles = [spec for spec in singles if not already_served(spec, existing)]
    current: list[IndexSpec] = []
    cost_without = evaluator.workload_cost(queries, current)
    current_cost = cost_without
    used = 0.0
    steps: list[SelectionStep] = []
    while True:
        best: tuple[float, list[IndexSpec], IndexSpec, IndexSpec | None, float, float] | None = None
        moves: list[tuple[IndexSpec, IndexSpec | None]] = [(s, None) for s in singles if s not in current]
        for index in current:
            if index.width < max_width:
                for column in attributes.get(fold(index.table), []):
                    extended = index.extended(column)
                    if column not in map(fold, index.columns) and not already_served(extended, existing):
                        moves.append((extended, index))
        for add, replaced in moves:
            grow = evaluator.size(add) - (evaluator.size(replaced) if replaced else 0.0)
            if used + grow > budget_bytes:
                continue
            configuration = [i for i in current if i != replaced] + [add]
            cost = evaluator.workload_cost(queries, configuration)
            if cost * min_cost_improvement >= current_cost:
                continue
            ratio = (current_cost - cost) / max(grow, 1.0)
            if best is None or ratio > best[0]:
                best = (ratio, configuration, add, replaced, cost, grow)
        if best is None:
            break
        _, current, add, replaced, cost, grow = best
        steps.append(SelectionStep(add, replaced, current_cost, cost, grow, ()))
        current_cost, used = cost, used + grow
    return Selection(
        indexes=current,
        cost_without=cost_without,
        cost_with=current_cost,
        size_bytes=used,
        what_if_calls=evaluator.calls - calls_before,
        seconds=time.perf_counter() - started,
        algorithm="extend",
        steps=steps,
    )


def per_query_greedy(
    queries: Sequence[WorkloadQuery],
    evaluator: CostEvaluator,
    *,
    budget_bytes: float,
    min_query_improvement: float = 0.5,
    schema: Schema | None = None,
) -> Selection:
    started = time.perf_counter()
    calls_before = evaluator.calls
    cost_without = evaluator.workload_cost(queries, [])
    kept: dict[IndexSpec, float] = {}
    for query in queries:
        base = evaluator.cost(query, [])
        options: list[IndexSpec] = []
        for table, usage in table_usages(query).items():
            columns = list(dict.fromkeys((*usage.filtered, *usage.join)))
            options += [IndexSpec(table, (c,)) for c in columns]
            options += [IndexSpec(table, (a, b)) for a in columns for b in columns if a != b]
        options = [spec for spec in options if not already_served(spec, schema or Schema())]
        best: tuple[float, IndexSpec] | None = None
        for option in options:
            cost = evaluator.cost(query, [option])
            if cost <= base * (1 - min_query_improvement) and (best is None or cost < best[0]):
                best = (cost, option)
        if best is not None:
            kept[best[1]] = kept.get(best[1], 0.0) + query.weight * (base - best[0])
    chosen: list[IndexSpec] = []
    used = 0.0
    for index in sorted(kept, key=lambda i: kept[i] / max(evaluator.size(i), 1.0), reverse=True):
        size = evaluator.size(index)
        if used + size <= budget_bytes:
            chosen.append(index)
            used += size
    return Selection(
        indexes=chosen,
        cost_without=cost_without,
        cost_with=evaluator.workload_cost(queries, chosen),
        size_bytes=used,
        what_if_calls=evaluator.calls - calls_before,
        seconds=time.perf_counter() - started,
        algorithm="per-query greedy (Dexter-style)",
    )
