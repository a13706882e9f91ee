""":class:`CostModelBackend`: the offline what-if backend over the cost model's parts.

- :meth:`CostModelBackend.evaluate`: reads the query once (:mod:`~sqltune.indexes.costmodel.reading`,
  cached per query id and graph) and costs it with the given indexes (:mod:`~sqltune.indexes.costmodel.query`);
- :meth:`CostModelBackend.size`: an index's estimated bytes (:mod:`~sqltune.indexes.costmodel.stats`),
  cached per index.

The backend is the :class:`~sqltune.indexes.costmodel.settings.CostContext` the path costing reads its
settings and index sizes from. Its answers are labelled estimates (``estimated = True``).

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.graph import QueryGraph
>>> from sqltune.schema import ColumnStats, TableStats
>>> schema = Schema.from_ddl("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total numeric)")
>>> schema.table("orders").stats = TableStats(rows=1_000_000, pages=10_000)
>>> schema.table("orders").column("customer_id").stats = ColumnStats(distinct=50_000)
>>> query = WorkloadQuery("q", "", QueryGraph.build(parse_one("SELECT total FROM orders WHERE customer_id = 7")))
>>> backend = CostModelBackend(schema)
>>> round(backend.evaluate(query, []).cost)  # 10 000 pages + 1M rows * (0.01 + 0.0025)
22500
>>> index = IndexSpec("orders", ("customer_id",))
>>> with_index = backend.evaluate(query, [index])
>>> round(with_index.cost, 1), [str(i) for i in with_index.used]  # 20 rows, 20 random heap pages
(84.4, ['orders(customer_id)'])
>>> covering = IndexSpec("orders", ("customer_id",), include=("total",))
>>> backend.evaluate(query, [index, covering]).plan["relations"][0]["access"]
'Index Only Scan'
>>> round(backend.size(index) / 2**20, 1)  # MB: 1M entries of (8 + 16) bytes at fill factor 0.9
25.4
"""

from __future__ import annotations

from collections.abc import Sequence

from sqltune.graph import QueryGraph
from sqltune.indexes.costmodel.facts import QueryFacts
from sqltune.indexes.costmodel.query import cost_query
from sqltune.indexes.costmodel.reading import read_query
from sqltune.indexes.costmodel.settings import CostSettings
from sqltune.indexes.costmodel.stats import index_size
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.whatif import Evaluation
from sqltune.schema import Schema

__all__ = ["CostModelBackend"]


class CostModelBackend:
    """:class:`~sqltune.indexes.whatif.WhatIfBackend` from schema statistics (see the documentation of
    :mod:`sqltune.indexes.costmodel`)."""

    label = "cost-model"
    estimated = True

    def __init__(self, schema: Schema | None = None, settings: CostSettings | None = None) -> None:
        self.schema = schema or Schema()
        self.settings = settings or CostSettings()
        self._queries: dict[str, tuple[QueryGraph, QueryFacts]] = {}
        self._sizes: dict[IndexSpec, float] = {}

    # -- the protocol ---------------------------------------------------------------------------------
    def evaluate(self, query: WorkloadQuery, indexes: Sequence[IndexSpec]) -> Evaluation:
        total, used, plan = cost_query(self, self._facts(query), indexes)
        return Evaluation(total, used, {"estimated": True, "backend": self.label, "relations": plan})

    def size(self, index: IndexSpec) -> float:
        """Bytes: B-tree ``entries * (key and INCLUDE widths + 16) / 0.9``; BRIN a few pages."""
        size = self._sizes.get(index)
        if size is None:
            size = self._sizes[index] = index_size(self.settings, self.schema.table(index.table), index)
        return size

    # -- reading the query ----------------------------------------------------------------------------
    def _facts(self, query: WorkloadQuery) -> QueryFacts:
        cached = self._queries.get(query.id)
        if cached is not None and cached[0] is query.graph:
            return cached[1]
        facts = read_query(self.schema, self.settings, query.graph)
        self._queries[query.id] = (query.graph, facts)
        return facts
