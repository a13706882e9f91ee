"""Index selection on a TPC-H-like schema (SF1 row counts, synthetic statistics) with the offline cost model.

No database: the 22 TPC-H queries of ``fixtures/workloads/tpch`` plus a few weighted point queries, costed by
:class:`~sqltune.indexes.costmodel.CostModelBackend`. The checks are the contract of every selection algorithm:
the budget and the index limit hold, the workload never costs more than without indexes, and the same input
gives the same answer.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from sqltune.core.sqlglot import parse_one
from sqltune.graph import QueryGraph
from sqltune.indexes.baselines import extend
from sqltune.indexes.candidates import generate_candidates
from sqltune.indexes.costmodel import CostModelBackend
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.selection import Selection, select_indexes
from sqltune.indexes.whatif import CostEvaluator
from sqltune.schema import ColumnStats, Schema, TableStats

ROOT = Path(__file__).resolve().parents[2]
ROWS = {
    "region": 5,
    "nation": 25,
    "supplier": 10_000,
    "customer": 150_000,
    "part": 200_000,
    "partsupp": 800_000,
    "orders": 1_500_000,
    "lineitem": 6_000_000,
}
DISTINCT = {
    "c_nationkey": 25,
    "c_mktsegment": 5,
    "o_custkey": 100_000,
    "o_orderdate": 2_406,
    "o_orderstatus": 3,
    "o_orderpriority": 5,
    "l_orderkey": 1_500_000,
    "l_partkey": 200_000,
    "l_suppkey": 10_000,
    "l_shipdate": 2_526,
    "l_commitdate": 2_466,
    "l_receiptdate": 2_554,
    "l_returnflag": 3,
    "l_linestatus": 2,
    "l_shipmode": 7,
    "l_discount": 11,
    "l_quantity": 50,
    "p_name": 200_000,
    "p_brand": 25,
    "p_type": 150,
    "p_size": 50,
    "p_container": 40,
    "ps_partkey": 200_000,
    "ps_suppkey": 10_000,
    "s_nationkey": 25,
    "n_name": 25,
    "n_regionkey": 5,
    "r_name": 5,
}
# dbgen writes orders and lineitem in key order; dates are shuffled.
CORRELATION = {"o_orderkey": 1.0, "l_orderkey": 1.0, "o_orderdate": 0.01, "l_shipdate": 0.02}
POINT_QUERIES = [
    "SELECT o_orderkey, o_totalprice FROM orders WHERE o_custkey = 42",
    "SELECT l_linenumber, l_quantity FROM lineitem WHERE l_orderkey = 7",
    "SELECT c_name FROM customer WHERE c_mktsegment = 'BUILDING' AND c_nationkey = 7",
    "SELECT p_name FROM part WHERE p_brand = 'Brand#12' AND p_size = 5",
    "SELECT l_orderkey FROM lineitem WHERE l_shipdate BETWEEN '1995-01-01' AND '1995-01-07' AND l_shipmode = 'AIR'",
    "SELECT o_orderkey FROM orders WHERE o_orderdate = '1995-03-15' ORDER BY o_totalprice DESC LIMIT 10",
]
MB = 1_000_000


def tpch_schema() -> Schema:
    schema = Schema.from_ddl((ROOT / "fixtures" / "schemas" / "tpch.sql").read_text(encoding="utf-8"))
    for table in schema:
        table.stats = TableStats(rows=ROWS[table.name])
        for column in table.columns.values():
            if column.name in DISTINCT or column.name in CORRELATION:
                column.stats = ColumnStats(distinct=DISTINCT.get(column.name), correlation=CORRELATION.get(column.name))
    return schema


def workload(schema: Schema) -> list[WorkloadQuery]:
    queries = []
    for path in sorted((ROOT / "fixtures" / "workloads" / "tpch").glob("*.sql")):
        sql = path.read_text(encoding="utf-8").strip().rstrip(";")
        queries.append(
            WorkloadQuery(path.stem.lower(), sql, QueryGraph.build(parse_one(sql, dialect="postgres"), schema))
        )
    for number, sql in enumerate(POINT_QUERIES):
        graph = QueryGraph.build(parse_one(sql, dialect="postgres"), schema)
        queries.append(WorkloadQuery(f"point{number}", sql, graph, weight=100.0))
    return queries


@pytest.fixture(scope="module")
def schema() -> Schema:
    return tpch_schema()


@pytest.fixture(scope="module")
def queries(schema: Schema) -> list[WorkloadQuery]:
    found = workload(schema)
    assert len(found) == 22 + len(POINT_QUERIES)
    return found


def run_sqltune(schema: Schema, queries: list[WorkloadQuery], **limits: float | int | None) -> Selection:
    evaluator = CostEvaluator(CostModelBackend(schema))
    candidates = generate_candidates(queries, schema, max_width=2)
    return select_indexes(queries, candidates, evaluator, schema=schema, **limits)  # type: ignore[arg-type]


def run_extend(schema: Schema, queries: list[WorkloadQuery], budget: float) -> Selection:
    return extend(queries, CostEvaluator(CostModelBackend(schema)), budget_bytes=budget)


@functools.cache
def selected(algorithm: str, budget: float) -> Selection:
    """One run per algorithm and budget on the shared workload, reused by the tests that only read it."""
    schema = tpch_schema()
    queries = workload(schema)
    if algorithm == "extend":
        return run_extend(schema, queries, budget)
    return run_sqltune(schema, queries, budget_bytes=budget)


def total_size(schema: Schema, indexes: list[IndexSpec]) -> float:
    backend = CostModelBackend(schema)
    return sum(backend.size(index) for index in indexes)


@pytest.mark.parametrize("budget", [50 * MB, 200 * MB])
def test_budget_is_respected(schema: Schema, queries: list[WorkloadQuery], budget: float) -> None:
    for selection in (selected("sqltune", budget), selected("extend", budget)):
        assert selection.indexes, selection.algorithm
        assert selection.size_bytes <= budget
        assert total_size(schema, selection.indexes) == pytest.approx(selection.size_bytes)


def test_a_budget_too_small_for_any_index_selects_nothing(schema: Schema, queries: list[WorkloadQuery]) -> None:
    selection = run_sqltune(schema, queries, budget_bytes=1_000)
    assert selection.indexes == []
    assert selection.cost_with == pytest.approx(selection.cost_without)
    assert run_extend(schema, queries, 1_000).indexes == []


@pytest.mark.parametrize("limit", [1, 3])
def test_max_indexes_is_respected(schema: Schema, queries: list[WorkloadQuery], limit: int) -> None:
    selection = run_sqltune(schema, queries, max_indexes=limit)
    assert len(selection.indexes) == limit


@pytest.mark.parametrize("budget", [50 * MB, 200 * MB])
def test_cost_never_above_the_cost_without_indexes(schema: Schema, queries: list[WorkloadQuery], budget: float) -> None:
    for selection in (selected("sqltune", budget), selected("extend", budget)):
        assert selection.cost_with < selection.cost_without, selection.algorithm
        # The reported cost is what a fresh evaluation of the chosen indexes gives, query by query no higher.
        evaluator = CostEvaluator(CostModelBackend(schema))
        assert evaluator.workload_cost(queries, selection.indexes) == pytest.approx(selection.cost_with)
        for query in queries:
            assert evaluator.cost(query, selection.indexes) <= evaluator.cost(query, [])


def test_existing_indexes_are_never_proposed(schema: Schema, queries: list[WorkloadQuery]) -> None:
    selection = run_sqltune(schema, queries, budget_bytes=1_000 * MB)
    existing = {(index.table, index.key) for table in schema for index in table.effective_indexes() if index.primary}
    # A partial index on a key column serves a different predicate: only full indexes would duplicate.
    full = [index for index in selection.indexes if index.where is None]
    assert all((index.table, tuple(index.columns)) not in existing for index in full)


def test_deterministic(schema: Schema, queries: list[WorkloadQuery]) -> None:
    first = selected("sqltune", 200 * MB)
    second = run_sqltune(schema, queries, budget_bytes=200 * MB)
    assert (first.indexes, first.cost_with, first.what_if_calls) == (
        second.indexes,
        second.cost_with,
        second.what_if_calls,
    )
    a, b = selected("extend", 200 * MB), run_extend(schema, queries, 200 * MB)
    assert (a.indexes, a.cost_with, a.what_if_calls) == (b.indexes, b.cost_with, b.what_if_calls)


def test_point_lookups_get_their_index(schema: Schema, queries: list[WorkloadQuery]) -> None:
    selection = selected("sqltune", 200 * MB)
    assert any(index.table == "orders" and index.leading == "o_custkey" for index in selection.indexes)


def loader(schema: Schema) -> WorkloadQuery:
    """A bulk load that only writes ``lineitem``: every index on it costs 10^8 units of maintenance."""
    graph = QueryGraph.build(parse_one("INSERT INTO lineitem (l_orderkey) VALUES (1)", dialect="postgres"), schema)
    return WorkloadQuery("load", "INSERT ...", graph, weight=100_000_000.0, writes={"lineitem": 1.0})


def test_extend_keeps_indexes_off_a_table_with_heavy_writes(schema: Schema, queries: list[WorkloadQuery]) -> None:
    assert any(index.table == "lineitem" for index in run_extend(schema, queries, 1_000 * MB).indexes)
    busy = run_extend(schema, [*queries, loader(schema)], 1_000 * MB)
    assert busy.cost_with < busy.cost_without
    assert not any(index.table == "lineitem" for index in busy.indexes)


def test_write_traffic_keeps_indexes_off_a_table(schema: Schema, queries: list[WorkloadQuery]) -> None:
    assert any(index.table == "lineitem" for index in run_sqltune(schema, queries, budget_bytes=1_000 * MB).indexes)
    busy = run_sqltune(schema, [*queries, loader(schema)], budget_bytes=1_000 * MB)
    assert busy.cost_with <= busy.cost_without
    assert not any(index.table == "lineitem" for index in busy.indexes)


def test_sqltune_is_no_worse_than_extend_at_the_same_budget(schema: Schema, queries: list[WorkloadQuery]) -> None:
    """The advisor's headline claim, on the offline model: same or lower cost than Extend."""
    ours, theirs = selected("sqltune", 200 * MB), selected("extend", 200 * MB)
    assert ours.cost_with <= theirs.cost_with
