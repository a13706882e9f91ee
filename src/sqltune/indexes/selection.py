"""Workload-level index selection under a storage budget and/or an index-count limit.

The algorithm ("lazy benefit-per-byte greedy with query-derived extensions", documented in
``docs/indexes.md``):

1. Start from the candidates the queries themselves suggest (:mod:`sqltune.indexes.candidates`), not from
   every column: a handful per table, already in the B-tree column order the predicates want.
2. Every move has a ratio: the drop in weighted workload cost divided by the bytes it adds. Moves are *add
   an index*, and — generated only for indexes already chosen — *extend it by one column* that a query using it
   also filters, joins or sorts on, or *make it covering* (INCLUDE the other columns those queries read).
3. Moves sit in a max-heap keyed by their last computed ratio. The top move is re-evaluated against the
   current configuration only if the configuration changed since its ratio was computed (lazy greedy, as in
   CELF): an index's benefit rarely grows when others are added, so most moves never need a second look.
4. A move is taken when it fits the budget and lowers the workload cost by at least ``min_improvement``
   (relative, default 0.3 %, Extend's threshold). Only queries the moved index can affect are re-costed: the
   evaluator caches each query's cost under the indexes relevant to it.

Compared with Extend (Schlosser et al., ICDE 2019), which re-costs every single-column candidate and every
one-column extension in every round, this asks the optimizer far less often for the same or lower cost.
"""

from __future__ import annotations

import heapq
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqltune.graph import QueryGraph
from sqltune.indexes.candidates import TableUsage, already_served, covering_variant, table_usages
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.whatif import CostEvaluator, maintenance_cost
from sqltune.schema import Schema, fold

__all__ = ["Selection", "SelectionStep", "select_indexes"]


@dataclass(frozen=True, slots=True)
class SelectionStep:
    """One accepted move, for the explanation of the plan."""

    added: IndexSpec
    replaced: IndexSpec | None
    cost_before: float
    cost_after: float
    bytes_added: float
    queries: tuple[str, ...]  # ids of the queries whose cost it lowered


@dataclass(slots=True)
class Selection:
    indexes: list[IndexSpec]
    cost_without: float  # workload cost with none of the proposed indexes
    cost_with: float
    size_bytes: float
    what_if_calls: int
    seconds: float
    algorithm: str
    steps: list[SelectionStep] = field(default_factory=list)

    @property
    def relative_cost(self) -> float:
        return self.cost_with / self.cost_without if self.cost_without else 1.0


@dataclass(order=True, slots=True)
class _Move:
    priority: float  # -ratio, so that heapq pops the best first
    sequence: int
    version: tuple[int, ...] | None = field(compare=False)  # table versions it was costed at; None: estimate
    add: IndexSpec = field(compare=False)
    replace: IndexSpec | None = field(compare=False, default=None)
    benefit: float = field(compare=False, default=0.0)


class _State:
    def __init__(self, queries: Sequence[WorkloadQuery], evaluator: CostEvaluator) -> None:
        self.queries = list(queries)
        self.evaluator = evaluator
        self.current: list[IndexSpec] = []
        self.wanted: dict[str, frozenset[IndexSpec]] = {}  # per query: indexes of its best all-candidates plan
        self.by_table: dict[str, list[WorkloadQuery]] = {}
        for query in self.queries:
            # A query is affected by indexes on the tables it reads and, through index maintenance, writes.
            for table in {*table_usages(query), *(fold(t) for t in query.writes)}:
                self.by_table.setdefault(table, []).append(query)
        # A move's gain depends only on the indexes of the tables its queries read: it stays valid until
        # one of those tables gets a new index.
        self.versions: dict[str, int] = dict.fromkeys(self.by_table, 0)
        self.depends: dict[str, tuple[str, ...]] = {
            table: tuple(sorted({t for q in queries for t in (*table_usages(q), *map(fold, q.writes))}))
            for table, queries in self.by_table.items()
        }

    def version(self, index: IndexSpec) -> tuple[int, ...]:
        return tuple(self.versions[t] for t in self.depends.get(fold(index.table), ()))

    def affected(self, index: IndexSpec) -> list[WorkloadQuery]:
        return self.by_table.get(fold(index.table), [])

    def promising(self, query: WorkloadQuery, index: IndexSpec) -> bool:
        """True when the query's best plan with every candidate available reads the index's table through an
        index this one could stand in for (see :func:`_could_stand_in`)."""
        wanted = self.wanted.get(query.id)
        if wanted is None:
            return True
        return any(_could_stand_in(index, used, query) for used in wanted)

    def delta(self, add: IndexSpec, remove: IndexSpec | None, screened: bool = False) -> tuple[float, tuple[str, ...]]:
        """Cost reduction of the move (positive is better) and the queries it helps; ``screened`` costs it
        only on the queries where it is :meth:`promising` (the others almost never gain)."""
        after = [i for i in self.current if i != remove] + [add]
        gain = 0.0
        helped = []
        for query in self.affected(add):
            if screened and not self.promising(query, add) and not query.writes:
                continue
            before_cost = self.evaluator.cost(query, self.current)
            after_cost = self.evaluator.cost(query, after)
            gain += query.weight * (before_cost - after_cost)
            if after_cost < before_cost:
                helped.append(query.id)
            for table, rows in query.writes.items():
                gain -= query.weight * rows * (maintenance_cost(after, table) - maintenance_cost(self.current, table))
        return gain, tuple(helped)


def select_indexes(
    queries: Sequence[WorkloadQuery],
    candidates: Iterable[IndexSpec],
    evaluator: CostEvaluator,
    *,
    budget_bytes: float | None = None,
    max_indexes: int | None = None,
    max_width: int = 2,
    min_improvement: float = 0.003,
    banned: Iterable[IndexSpec] = (),
    schema: Schema | None = None,
) -> Selection:
    """Choose indexes for the workload (see the module documentation). With the database's ``schema``, no
    move (extensions included) ever proposes an index an existing one already serves."""
    existing = schema or Schema()
    started = time.perf_counter()
    calls_before = evaluator.calls
    state = _State(queries, evaluator)
    banned_set = set(banned)
    cost_without = evaluator.workload_cost(queries, [])
    current_cost = cost_without
    used = 0.0
    sequence = 0
    heap: list[_Move] = []
    steps: list[SelectionStep] = []

    def push(add: IndexSpec, replace: IndexSpec | None = None, estimate: float | None = None) -> None:
        """Queue a move: with an estimated gain it is queued stale (costed exactly when it reaches the top)."""
        nonlocal sequence
        if add in banned_set or add in state.current or already_served(add, existing):
            return
        move_version: tuple[int, ...] | None
        if estimate is None:
            gain, _ = state.delta(add, replace, screened=True)
            move_version = state.version(add)
        else:
            gain, move_version = estimate, None
        if gain <= 0:
            return
        grow = evaluator.size(add) - (evaluator.size(replace) if replace else 0.0)
        sequence += 1
        heapq.heappush(heap, _Move(-gain / max(grow, 1.0), sequence, move_version, add, replace, gain))

    # One what-if call per query with every candidate available tells which indexes its best plan wants and
    # what that plan saves: an optimistic first estimate for each candidate, refined only when it matters.
    pool = [c for c in dict.fromkeys(candidates) if c not in banned_set]
    estimates: dict[IndexSpec, float] = dict.fromkeys(pool, 0.0)
    for query in queries:
        best = evaluator.evaluate(query, pool)
        state.wanted[query.id] = best.used
        saving = query.weight * (evaluator.cost(query, []) - best.cost)
        # The planner picks the most specific index; narrower ones may give most of the saving for less space.
        credited = {candidate for index in best.used for candidate in pool if _could_stand_in(candidate, index, query)}
        for candidate in credited:
            estimates[candidate] += saving
    for candidate, estimate in estimates.items():
        push(candidate, estimate=estimate)

    while heap:
        move = heapq.heappop(heap)
        if move.replace is not None and move.replace not in state.current:
            continue  # the index it extends was itself replaced
        grow = evaluator.size(move.add) - (evaluator.size(move.replace) if move.replace else 0.0)
        if budget_bytes is not None and used + grow > budget_bytes:
            continue  # checked before costing: a move that cannot fit is never worth a what-if call
        if max_indexes is not None and move.replace is None and len(state.current) >= max_indexes:
            continue
        if move.version != state.version(move.add):
            push(move.add, move.replace)  # cost it exactly against the current configuration
            continue
        if move.benefit < current_cost * min_improvement:
            continue
        gain, helped = state.delta(move.add, move.replace)
        if move.replace is not None:
            state.current.remove(move.replace)
        state.current.append(move.add)
        used += grow
        state.versions[fold(move.add.table)] += 1
        steps.append(SelectionStep(move.add, move.replace, current_cost, current_cost - gain, grow, helped))
        current_cost -= gain
        for follow in _follow_up_moves(move.add, state.affected(move.add), max_width):
            push(follow, move.add, estimate=gain)

    cost_with = evaluator.workload_cost(queries, state.current)
    return Selection(
        indexes=list(state.current),
        cost_without=cost_without,
        cost_with=cost_with,
        size_bytes=used,
        what_if_calls=evaluator.calls - calls_before,
        seconds=time.perf_counter() - started,
        algorithm="sqltune",
        steps=steps,
    )


def _could_stand_in(candidate: IndexSpec, used: IndexSpec, query: WorkloadQuery) -> bool:
    """Could ``candidate`` serve the access ``used`` serves in ``query``'s best plan? Yes when it leads with
    ``used``'s leading column (a prefix, an extension), or with another of its key columns that the query
    matches by equality or a join: among equality columns key order is a tie the planner breaks arbitrarily
    (``(l_suppkey, l_partkey)`` or ``(l_partkey, l_suppkey)`` for TPC-H Q20), so its mirror is as good."""
    if fold(candidate.table) != fold(used.table):
        return False
    if candidate.leading == used.leading:
        return True
    if candidate.leading not in map(fold, used.columns):
        return False
    usage = _usages(query).get(fold(used.table))
    return usage is not None and candidate.leading in {*usage.equality, *usage.join}


_USAGES: weakref.WeakKeyDictionary[QueryGraph, dict[str, TableUsage]] = weakref.WeakKeyDictionary()


def _usages(query: WorkloadQuery) -> dict[str, TableUsage]:
    """:func:`table_usages`, once per query graph."""
    found = _USAGES.get(query.graph)
    if found is None:
        found = _USAGES[query.graph] = table_usages(query)
    return found


def _follow_up_moves(index: IndexSpec, queries: Iterable[WorkloadQuery], max_width: int) -> list[IndexSpec]:
    """Extensions by one column and covering variants, from the queries that read the index's table."""
    moves: dict[IndexSpec, None] = {}
    key = set(map(fold, index.columns))
    for query in queries:
        usage = table_usages(query).get(fold(index.table))
        if usage is None or index.leading not in {*usage.filtered, *usage.join, *usage.ordering}:
            continue
        if index.width < max_width and index.method == "btree" and not index.where:
            for column in (*usage.equality, *usage.range, *usage.join, *usage.ordering):
                if column not in key:
                    moves.setdefault(index.extended(column), None)
        covering = covering_variant(index, usage)
        if covering is not None:
            moves.setdefault(covering, None)
    return list(moves)
