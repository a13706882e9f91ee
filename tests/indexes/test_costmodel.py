"""The offline cost model: PostgreSQL-style path choice from statistics, monotone and deterministic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sqltune.core.sqlglot import parse_one
from sqltune.graph import QueryGraph
from sqltune.indexes.costmodel import CostModelBackend, CostSettings
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.whatif import CostEvaluator, WhatIfBackend
from sqltune.schema import ColumnStats, Index, Schema, TableStats

DDL = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text, country text, created_at timestamptz);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id), status text,
                     total numeric, created_at timestamptz, email text);
"""


def make_schema() -> Schema:
    schema = Schema.from_ddl(DDL)
    customers = schema.table("customers")
    assert customers is not None
    customers.stats = TableStats(rows=100_000, pages=2_000)
    customers.columns["country"].stats = ColumnStats(distinct=50)
    customers.columns["email"].stats = ColumnStats(distinct=100_000)
    orders = schema.table("orders")
    assert orders is not None
    orders.stats = TableStats(rows=1_000_000, pages=10_000)
    orders.columns["customer_id"].stats = ColumnStats(distinct=100_000, correlation=0.01)
    orders.columns["status"].stats = ColumnStats(
        distinct=4, most_common=["done", "open", "cancelled", "rare"], most_common_freqs=[0.9, 0.06, 0.039, 0.001]
    )
    orders.columns["created_at"].stats = ColumnStats(distinct=900_000, correlation=0.99)
    return schema


@pytest.fixture(scope="module")
def backend() -> CostModelBackend:
    return CostModelBackend(make_schema())


def q(sql: str, name: str | None = None) -> WorkloadQuery:
    return WorkloadQuery(name or sql, sql, QueryGraph.build(parse_one(sql, dialect="postgres")))


def access(backend: CostModelBackend, sql: str, *indexes: IndexSpec) -> list[tuple[str, str | None]]:
    plan = backend.evaluate(q(sql), list(indexes)).plan
    return [(step["access"], step["index"]) for step in plan["relations"]]


BY_CUSTOMER = IndexSpec("orders", ("customer_id",))


def test_it_is_a_labelled_estimate(backend: CostModelBackend) -> None:
    protocol: WhatIfBackend = backend  # mypy checks that the backend implements the protocol
    assert (protocol.label, protocol.estimated) == ("cost-model", True)
    assert backend.evaluate(q("SELECT 1 FROM orders"), []).plan["estimated"] is True


def test_sequential_scan_is_pages_plus_cpu_per_row(backend: CostModelBackend) -> None:
    # 10 000 pages * seq_page_cost 1 + 1M rows * (cpu_tuple_cost 0.01 + 1 filter * cpu_operator_cost 0.0025),
    # plus cpu_tuple_cost for the result.
    assert backend.evaluate(q("SELECT total FROM orders WHERE customer_id = 7"), []).cost == pytest.approx(22_500.01)
    settings = CostSettings(seq_page_cost=2.0)
    doubled = CostModelBackend(make_schema(), settings).evaluate(q("SELECT total FROM orders WHERE total > 1"), [])
    assert doubled.cost == pytest.approx(32_500.01)


def test_selective_equality_uses_the_index(backend: CostModelBackend) -> None:
    query = q("SELECT total FROM orders WHERE customer_id = 7")
    without = backend.evaluate(query, [])
    found = backend.evaluate(query, [BY_CUSTOMER])
    assert found.used == {BY_CUSTOMER}
    assert found.cost < without.cost / 100
    # 10 matching rows, each on its own heap page at random_page_cost 4, plus one leaf page.
    assert 40 < found.cost < 50


def test_an_unselective_index_is_not_used(backend: CostModelBackend) -> None:
    index = IndexSpec("orders", ("status",))
    common = backend.evaluate(q("SELECT id FROM orders WHERE status = 'done'"), [index])  # MCV: 90 % of rows
    assert common.used == frozenset()
    assert common.cost == backend.evaluate(q("SELECT id FROM orders WHERE status = 'done'"), []).cost
    rare = backend.evaluate(q("SELECT id FROM orders WHERE status = 'rare'"), [index])  # MCV: 0.1 %
    assert rare.used == {index}


def test_in_list_selectivity_grows_with_the_list(backend: CostModelBackend) -> None:
    one = backend.evaluate(q("SELECT id FROM orders WHERE customer_id IN (1)"), [BY_CUSTOMER]).cost
    three = backend.evaluate(q("SELECT id FROM orders WHERE customer_id IN (1, 2, 3)"), [BY_CUSTOMER]).cost
    assert one < three < 3.5 * one


def test_index_only_scan_needs_every_column_the_query_reads(backend: CostModelBackend) -> None:
    covering = IndexSpec("orders", ("customer_id",), include=("total",))
    assert access(backend, "SELECT total FROM orders WHERE customer_id = 3", covering) == [
        ("Index Only Scan", str(covering))
    ]
    assert access(backend, "SELECT total, status FROM orders WHERE customer_id = 3", covering)[0][0] == "Index Scan"
    assert access(backend, "SELECT * FROM orders WHERE customer_id = 3", covering)[0][0] == "Index Scan"
    # An UPDATE must visit the heap whatever the index holds.
    assert access(backend, "UPDATE orders SET total = 0 WHERE customer_id = 3", covering)[0][0] == "Index Scan"
    cheap = backend.evaluate(q("SELECT total FROM orders WHERE customer_id = 3"), [covering]).cost
    plain = backend.evaluate(q("SELECT total FROM orders WHERE customer_id = 3"), [BY_CUSTOMER]).cost
    assert cheap < plain


def test_equality_columns_before_the_range_column(backend: CostModelBackend) -> None:
    sql = "SELECT id FROM orders WHERE customer_id = 5 AND total > 100"
    good = IndexSpec("orders", ("customer_id", "total"))
    bad = IndexSpec("orders", ("total", "customer_id"))  # the range stops the key: only `total` is searched
    assert backend.evaluate(q(sql), [good]).cost < backend.evaluate(q(sql), [bad]).cost
    assert backend.evaluate(q(sql), [bad]).used == frozenset()
    # A key that does not start with a filtered column is no use for filtering.
    assert backend.evaluate(q(sql), [IndexSpec("orders", ("status", "customer_id"))]).used == frozenset()


def test_partial_index_needs_the_same_constant_predicate(backend: CostModelBackend) -> None:
    partial = IndexSpec("orders", ("customer_id",), where="status = 'open'")
    same = backend.evaluate(q("SELECT id FROM orders WHERE status = 'open' AND customer_id = 5"), [partial])
    assert same.used == {partial}
    other = backend.evaluate(q("SELECT id FROM orders WHERE status = 'cancelled' AND customer_id = 5"), [partial])
    assert other.used == frozenset()
    absent = backend.evaluate(q("SELECT id FROM orders WHERE customer_id = 5"), [partial])
    assert absent.used == frozenset()
    # Only 6 % of the rows are 'open': the partial index is far smaller than the full one.
    assert backend.size(partial) < 0.1 * backend.size(BY_CUSTOMER)


def test_brin_for_correlated_ranges_only(backend: CostModelBackend) -> None:
    brin = IndexSpec("orders", ("created_at",), method="brin")
    correlated = "SELECT id FROM orders WHERE created_at BETWEEN '2024-01-01' AND '2024-01-02'"
    found = backend.evaluate(q(correlated), [brin])
    assert found.used == {brin}
    assert found.cost < backend.evaluate(q(correlated), []).cost / 10
    uncorrelated = backend.evaluate(
        q("SELECT id FROM orders WHERE customer_id BETWEEN 1 AND 2"),
        [IndexSpec("orders", ("customer_id",), method="brin")],
    )
    assert uncorrelated.used == frozenset()
    assert backend.size(brin) < backend.size(IndexSpec("orders", ("created_at",))) / 100


def test_expression_index_matches_the_same_expression(backend: CostModelBackend) -> None:
    sql = "SELECT id FROM orders WHERE lower(email) = 'a@b.c'"
    plain = IndexSpec("orders", ("email",))
    expression = IndexSpec("orders", ("lower(email)",))
    assert backend.evaluate(q(sql), [plain]).used == frozenset()
    assert backend.evaluate(q(sql), [plain, expression]).used == {expression}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM orders WHERE customer_id = 1 OR status = 'rare'",  # one index cannot answer an OR
        "SELECT id FROM orders WHERE customer_id NOT IN (1, 2)",
        "SELECT id FROM orders WHERE NOT (customer_id = 1)",
        "SELECT id FROM orders WHERE customer_id + 1 = 5",
    ],
)
def test_predicates_an_index_cannot_search(backend: CostModelBackend, sql: str) -> None:
    assert backend.evaluate(q(sql), [BY_CUSTOMER]).used == frozenset()


def test_hash_index_serves_equality_only(backend: CostModelBackend) -> None:
    hashed = IndexSpec("orders", ("customer_id",), method="hash")
    assert backend.evaluate(q("SELECT id FROM orders WHERE customer_id = 1"), [hashed]).used == {hashed}
    assert backend.evaluate(q("SELECT id FROM orders WHERE customer_id > 1"), [hashed]).used == frozenset()


def test_nested_loop_over_an_index_when_the_outer_side_is_small(backend: CostModelBackend) -> None:
    small = "SELECT o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.email = 'x'"
    found = backend.evaluate(q(small), [BY_CUSTOMER])
    assert found.used == {BY_CUSTOMER}
    assert [step["access"] for step in found.plan["relations"]] == ["Seq Scan", "Nested Loop (Index Scan)"]
    assert found.cost < backend.evaluate(q(small), []).cost / 5
    # Every customer: 100 000 probes cost more than one hash join over a sequential scan.
    large = backend.evaluate(q("SELECT o.total FROM customers c JOIN orders o ON o.customer_id = c.id"), [BY_CUSTOMER])
    assert large.used == frozenset()
    assert "Hash Join" in large.plan["relations"][1]["access"]


def test_correlated_exists_probes_the_index(backend: CostModelBackend) -> None:
    sql = (
        "SELECT count(*) FROM customers c WHERE c.email = 'a' "
        "AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)"
    )
    assert backend.evaluate(q(sql), [BY_CUSTOMER]).used == {BY_CUSTOMER}


def test_existing_indexes_are_available_but_not_reported(backend: CostModelBackend) -> None:
    # The primary key's own index answers `id = 5`: a hypothetical copy of it brings nothing.
    sql = "SELECT total FROM orders WHERE id = 5"
    copy = IndexSpec("orders", ("id",))
    found = backend.evaluate(q(sql), [copy])
    assert found.used == frozenset()
    assert found.cost == backend.evaluate(q(sql), []).cost < 20
    assert found.plan["relations"][0]["existing_index"] is True


def test_invalid_existing_index_is_ignored() -> None:
    schema = make_schema()
    orders = schema.table("orders")
    assert orders is not None
    orders.indexes.append(Index("broken", "orders", ("customer_id",), valid=False))
    model = CostModelBackend(schema)
    sql = "SELECT total FROM orders WHERE customer_id = 7"
    assert model.evaluate(q(sql), []).cost == pytest.approx(22_500.01)
    orders.indexes[-1].valid = True
    assert CostModelBackend(schema).evaluate(q(sql), []).cost < 100


def test_order_by_with_limit_reads_the_index_in_order(backend: CostModelBackend) -> None:
    index = IndexSpec("orders", ("customer_id", "id"))
    limited = backend.evaluate(q("SELECT id, total FROM orders ORDER BY customer_id, id LIMIT 10"), [index])
    assert limited.used == {index}
    assert limited.cost < 5
    # Mixed directions cannot come from one B-tree scan: sort everything (top-N).
    mixed = backend.evaluate(q("SELECT id, total FROM orders ORDER BY customer_id DESC, id LIMIT 10"), [index])
    assert mixed.used == frozenset()
    assert mixed.cost > 22_500
    # Equality columns before the ORDER BY column keep the order.
    filtered = "SELECT id FROM orders WHERE status = 'rare' ORDER BY customer_id LIMIT 10"
    status_first = IndexSpec("orders", ("status", "customer_id"))
    assert "ordered" in access(backend, filtered, status_first)[0][0]


def test_offset_counts_the_skipped_rows(backend: CostModelBackend) -> None:
    first = backend.evaluate(q("SELECT id FROM orders ORDER BY customer_id LIMIT 10"), [BY_CUSTOMER]).cost
    deep = backend.evaluate(q("SELECT id FROM orders ORDER BY customer_id LIMIT 10 OFFSET 100000"), [BY_CUSTOMER])
    assert deep.cost > 1000 * first


def test_limit_does_not_shorten_an_aggregate(backend: CostModelBackend) -> None:
    assert backend.evaluate(q("SELECT count(*) FROM orders LIMIT 1"), []).cost > 10_000
    assert backend.evaluate(q("SELECT id FROM orders LIMIT 1"), []).cost < 1


def test_size_formula(backend: CostModelBackend) -> None:
    # 1M entries * (8 bytes + 16 overhead) / fill factor 0.9, in whole 8 kB pages.
    assert backend.size(BY_CUSTOMER) == pytest.approx(1_000_000 * 24 / 0.9, rel=0.001)
    wider = IndexSpec("orders", ("customer_id",), include=("total", "created_at"))
    assert backend.size(wider) == pytest.approx(1_000_000 * 40 / 0.9, rel=0.001)
    assert backend.size(IndexSpec("orders", ("created_at",), method="brin")) <= 4 * 8192


def test_tables_without_statistics_get_planner_defaults() -> None:
    model = CostModelBackend()  # no schema at all
    cost = model.evaluate(q("SELECT a FROM unknown_t WHERE b = 1"), []).cost
    assert cost > 0
    assert model.size(IndexSpec("unknown_t", ("b",))) >= 2 * 8192
    with_index = model.evaluate(q("SELECT a FROM unknown_t WHERE b = 1"), [IndexSpec("unknown_t", ("b",))])
    assert with_index.cost <= cost


def test_schema_qualified_names_match(backend: CostModelBackend) -> None:
    qualified = IndexSpec("public.orders", ("customer_id",))
    assert backend.evaluate(q("SELECT total FROM orders WHERE customer_id = 7"), [qualified]).used == {qualified}


def test_works_behind_the_cost_evaluator(backend: CostModelBackend) -> None:
    evaluator = CostEvaluator(backend)
    query = q("SELECT total FROM orders WHERE customer_id = 7")
    assert evaluator.cost(query, [BY_CUSTOMER]) < evaluator.cost(query, [])
    evaluator.cost(query, [BY_CUSTOMER, IndexSpec("customers", ("email",))])  # irrelevant index: cached answer
    assert evaluator.calls == 2


WORKLOAD = [
    q("SELECT total FROM orders WHERE customer_id = 7", "by-customer"),
    q("SELECT id FROM orders WHERE status = 'open' AND customer_id = 5 AND total > 10", "open"),
    q("SELECT id FROM orders WHERE created_at > '2024-01-01' ORDER BY created_at LIMIT 50", "recent"),
    q("SELECT o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.country = 'NL'", "join"),
    q("SELECT c.email FROM customers c WHERE lower(c.email) = 'x' OR c.country = 'NL'", "or"),
    q("SELECT id FROM orders WHERE total BETWEEN 1 AND 2 ORDER BY id", "between"),
]
POOL = [
    BY_CUSTOMER,
    IndexSpec("orders", ("customer_id", "total")),
    IndexSpec("orders", ("total", "customer_id")),
    IndexSpec("orders", ("customer_id",), include=("total",)),
    IndexSpec("orders", ("customer_id",), where="status = 'open'"),
    IndexSpec("orders", ("created_at",)),
    IndexSpec("orders", ("created_at",), method="brin"),
    IndexSpec("orders", ("status",)),
    IndexSpec("orders", ("total",)),
    IndexSpec("customers", ("country",)),
    IndexSpec("customers", ("country", "id")),
    IndexSpec("customers", ("lower(email)",)),
]


@given(st.sets(st.sampled_from(POOL)), st.sampled_from(POOL), st.sampled_from(WORKLOAD))
def test_adding_an_index_never_raises_a_cost(indexes: set[IndexSpec], extra: IndexSpec, query: WorkloadQuery) -> None:
    model = CostModelBackend(make_schema())
    before = model.evaluate(query, sorted(indexes, key=str))
    after = model.evaluate(query, sorted(indexes | {extra}, key=str))
    assert after.cost <= before.cost
    assert after.used <= indexes | {extra}


@given(st.lists(st.sampled_from(POOL), unique=True), st.sampled_from(WORKLOAD))
def test_deterministic_whatever_the_order(indexes: list[IndexSpec], query: WorkloadQuery) -> None:
    model = CostModelBackend(make_schema())
    first = model.evaluate(query, indexes)
    again = CostModelBackend(make_schema()).evaluate(query, list(reversed(indexes)))
    assert (first.cost, first.used, first.plan) == (again.cost, again.used, again.plan)
