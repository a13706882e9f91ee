"""What-if evaluation: the cost of a query under a set of (hypothetical) indexes, behind one interface.

Backends (:class:`WhatIfBackend`):

- HypoPG on PostgreSQL (``sqltune.connectors.postgres.whatif.HypoPGBackend``): hypothetical indexes in
  sqltune's own session, the real planner's estimates;
- real indexes inside a transaction that is rolled back
  (``sqltune.connectors.postgres.whatif.RealIndexBackend``), for small or embedded databases without HypoPG;
- an offline cost model from schema statistics (:class:`sqltune.indexes.costmodel.CostModelBackend`) when no
  database is at hand — its answers are labelled as estimates.

:class:`CostEvaluator` sits in front of a backend: it asks only about the indexes that can matter to a query
(same table, leading column used by the query, or covering it), caches every answer under that reduced key
and counts the backend calls — the "what-if calls" the selection algorithms are compared on — telling each
one to its ``progress`` (:mod:`sqltune.indexes.progress`), if it has one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqltune.indexes.candidates import table_usages
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.progress import Progress
from sqltune.schema import fold

__all__ = ["CostEvaluator", "Evaluation", "Unplannable", "WhatIfBackend", "maintenance_cost"]


class Unplannable(ValueError):
    """The backend cannot cost this query (the database refused to plan it); the message says why. The
    advisor lists such a query as skipped and advises the rest."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    cost: float
    used: frozenset[IndexSpec] = frozenset()  # indexes the plan uses
    plan: Any = None  # the backend's plan (EXPLAIN JSON) as evidence, when it has one


class WhatIfBackend(Protocol):
    #: "hypopg", "real-index" or "cost-model"
    label: str
    #: True when costs come from sqltune's own model rather than the database's planner.
    estimated: bool

    def evaluate(self, query: WorkloadQuery, indexes: Sequence[IndexSpec]) -> Evaluation:
        """The query's cost and plan with ``indexes``; raises :class:`Unplannable` when it cannot be planned."""
        ...

    def size(self, index: IndexSpec) -> float:
        """Estimated size of the index in bytes."""
        ...


@dataclass
class CostEvaluator:
    backend: WhatIfBackend
    calls: int = 0  # backend evaluations (cache misses)
    requests: int = 0
    progress: Progress | None = None  # told of every backend call
    _cache: dict[tuple[str, frozenset[IndexSpec]], Evaluation] = field(default_factory=dict)
    _sizes: dict[IndexSpec, float] = field(default_factory=dict)
    _columns_by_query: dict[str, dict[str, tuple[set[str], set[str]]]] = field(default_factory=dict)

    def _columns(self, query: WorkloadQuery) -> dict[str, tuple[set[str], set[str]]]:
        """Per table: the columns the query searches, joins, groups or sorts on, and every column it reads."""
        cached = self._columns_by_query.get(query.id)
        if cached is None:
            cached = {
                table: ({*usage.filtered, *usage.join, *usage.ordering, *usage.expressions}, set(usage.read))
                for table, usage in table_usages(query).items()
            }
            self._columns_by_query[query.id] = cached
        return cached

    def relevant(self, query: WorkloadQuery, indexes: Iterable[IndexSpec]) -> frozenset[IndexSpec]:
        """The indexes that can change the query's plan: on its tables, leading with a column it searches,
        groups or sorts by, or covering every column it reads from the table (index-only scans)."""
        columns = self._columns(query)
        chosen = set()
        for index in indexes:
            found = columns.get(fold(index.table))
            if found is None:
                continue
            keys, read = found
            if index.leading in keys or read <= {*map(fold, index.columns), *map(fold, index.include)}:
                chosen.add(index)
        return frozenset(chosen)

    def evaluate(self, query: WorkloadQuery, indexes: Iterable[IndexSpec]) -> Evaluation:
        self.requests += 1
        key_indexes = self.relevant(query, indexes)
        key = (query.id, key_indexes)
        found = self._cache.get(key)
        if found is None:
            self.calls += 1
            try:
                found = self.backend.evaluate(query, sorted(key_indexes, key=str))
            finally:  # a call the database refused (Unplannable) was a call too
                if self.progress is not None:
                    self.progress.advance()
            self._cache[key] = found
        return found

    def cost(self, query: WorkloadQuery, indexes: Iterable[IndexSpec]) -> float:
        return self.evaluate(query, indexes).cost

    def workload_cost(self, queries: Iterable[WorkloadQuery], indexes: Sequence[IndexSpec]) -> float:
        """Weighted cost of the workload, plus index maintenance for the tables it writes."""
        total = 0.0
        for query in queries:
            total += query.weight * self.cost(query, indexes)
            for table, rows in query.writes.items():
                total += query.weight * rows * maintenance_cost(indexes, table)
        return total

    def size(self, index: IndexSpec) -> float:
        size = self._sizes.get(index)
        if size is None:
            size = self.backend.size(index)
            self._sizes[index] = size
        return size


#: Planner cost units charged per written row and index entry: inserting into a B-tree dirties a leaf page,
#: so one sequential page's cost (1.0) per row and index is a fair charge.
MAINTENANCE_COST_PER_ROW = 1.0


def maintenance_cost(indexes: Iterable[IndexSpec], table: str) -> float:
    key = fold(table)
    return sum(MAINTENANCE_COST_PER_ROW for index in indexes if fold(index.table) == key)
