"""Index candidates come from how queries use columns: roles decide the column order and the index kind."""

from __future__ import annotations

import pytest

from sqltune.core.sqlglot import parse_one
from sqltune.graph import QueryGraph
from sqltune.indexes.candidates import MAX_INCLUDE, covering_variant, generate_candidates, table_usages
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.schema import ColumnStats, Index, Schema, TableStats


def q(sql: str, name: str | None = None) -> WorkloadQuery:
    return WorkloadQuery(name or sql, sql, QueryGraph.build(parse_one(sql, dialect="postgres")))


def names(
    queries: list[WorkloadQuery], schema: Schema | None = None, max_width: int = 2, covering: bool = False
) -> list[str]:
    return [str(c) for c in generate_candidates(queries, schema, max_width=max_width, covering=covering)]


@pytest.fixture
def schema() -> Schema:
    schema = Schema.from_ddl(
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, status text, total numeric, "
        "created_at timestamptz, email text);"
        "CREATE TABLE customers (id bigint PRIMARY KEY, country text);"
        "CREATE TABLE tiny (id int PRIMARY KEY, code text)"
    )
    orders, customers, tiny = (schema.table(n) for n in ("orders", "customers", "tiny"))
    assert orders is not None and customers is not None and tiny is not None
    orders.stats = TableStats(rows=1_000_000, pages=10_000)
    orders.columns["customer_id"].stats = ColumnStats(distinct=100_000, correlation=0.02)
    orders.columns["status"].stats = ColumnStats(distinct=4)
    orders.columns["created_at"].stats = ColumnStats(distinct=900_000, correlation=0.99)
    customers.stats = TableStats(rows=100_000, pages=1_000)
    customers.columns["country"].stats = ColumnStats(distinct=50)
    tiny.stats = TableStats(rows=20, pages=1)
    return schema


def test_usages_group_columns_by_role() -> None:
    usage = table_usages(q("SELECT id FROM orders WHERE total > 5 AND customer_id = 3 ORDER BY created_at"))["orders"]
    assert (usage.equality, usage.range, usage.ordering) == (["customer_id"], ["total"], ["created_at"])
    assert usage.read == ["id", "total", "customer_id", "created_at"]
    assert usage.constants == {"customer_id": "3"}


def test_equality_columns_first_then_one_range_column(schema: Schema) -> None:
    found = names([q("SELECT id FROM orders WHERE total > 5 AND customer_id = 3")], schema)
    assert "orders(customer_id, total)" in found
    assert "orders(total, customer_id)" not in found  # a range column ends the useful key


def test_most_selective_equality_column_leads(schema: Schema) -> None:
    found = names([q("SELECT id FROM orders WHERE status = 'open' AND customer_id = 3")], schema)
    assert "orders(customer_id, status)" in found  # 100 000 distinct values before 4
    assert "orders(status, customer_id)" not in found
    # Without statistics the written order is kept.
    assert "orders(status, customer_id)" in names([q("SELECT id FROM orders WHERE status = 'x' AND customer_id = 3")])


def test_max_width_caps_the_key() -> None:
    sql = "SELECT id FROM t WHERE a = 1 AND b = 2 AND c > 3"
    assert max(len(c.columns) for c in generate_candidates([q(sql)], max_width=2)) == 2
    assert "t(a, b, c)" in names([q(sql)], max_width=3)


def test_join_keys_of_both_sides(schema: Schema) -> None:
    found = names([q("SELECT o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.country = 'NL'")])
    assert "orders(customer_id)" in found
    assert "customers(country, id)" in found  # equality columns, then the join key


def test_order_by_after_the_equality_columns(schema: Schema) -> None:
    found = names([q("SELECT id FROM orders WHERE customer_id = 4 ORDER BY created_at")], schema)
    assert "orders(customer_id, created_at)" in found


def test_covering_variants_include_the_other_columns_read(schema: Schema) -> None:
    sql = "SELECT total FROM orders WHERE customer_id = 4"
    assert "orders(customer_id) INCLUDE (total)" not in names([q(sql)], schema)
    assert "orders(customer_id) INCLUDE (total)" in names([q(sql)], schema, covering=True)
    # Too many other columns: no covering variant.
    wide = "SELECT a, b, c, d, e FROM t WHERE k = 1"
    assert all(not c.include for c in generate_candidates([q(wide)], covering=True))
    usage = table_usages(q(wide))["t"]
    assert covering_variant(IndexSpec("t", ("k",)), usage) is None
    narrow = table_usages(q("SELECT a FROM t WHERE k = 1"))["t"]
    assert covering_variant(IndexSpec("t", ("k",)), narrow) == IndexSpec("t", ("k",), include=("a",))
    assert MAX_INCLUDE == 3


def test_partial_index_for_a_low_cardinality_constant(schema: Schema) -> None:
    found = generate_candidates([q("SELECT id FROM orders WHERE status = 'open' AND customer_id = 3")], schema)
    assert IndexSpec("orders", ("customer_id",), where="status = 'open'") in found
    # customer_id has 100 000 values: no partial index on it.
    assert all(c.where != "customer_id = 3" for c in found)
    # Without statistics the cardinality is unknown: no partial index either.
    assert all(
        c.where is None for c in generate_candidates([q("SELECT id FROM orders WHERE status = 'open' AND a = 1")])
    )


def test_expression_index_for_a_function_of_a_column(schema: Schema) -> None:
    found = generate_candidates([q("SELECT id FROM orders WHERE lower(email) = 'a@b.c'")], schema)
    assert [c.columns for c in found] == [("LOWER(email)",)]


def test_brin_only_for_correlated_ranges(schema: Schema) -> None:
    correlated = generate_candidates([q("SELECT id FROM orders WHERE created_at > '2024-01-01'")], schema)
    assert IndexSpec("orders", ("created_at",), method="brin") in correlated
    uncorrelated = generate_candidates([q("SELECT id FROM orders WHERE customer_id > 5")], schema)
    assert all(c.method == "btree" for c in uncorrelated)


def test_existing_indexes_are_not_proposed_again(schema: Schema) -> None:
    assert names([q("SELECT total FROM orders WHERE id = 4")], schema) == []  # the primary key
    orders = schema.table("orders")
    assert orders is not None
    orders.indexes.append(Index("orders_customer_created", "orders", ("customer_id", "created_at")))
    found = names([q("SELECT id FROM orders WHERE customer_id = 4 ORDER BY created_at")], schema)
    assert "orders(customer_id)" not in found  # a left prefix of the existing index
    assert "orders(customer_id, created_at)" not in found  # the existing index itself
    assert found == ["orders(created_at)"]


def test_small_tables_are_not_worth_an_index(schema: Schema) -> None:
    assert names([q("SELECT id FROM tiny WHERE code = 'x'")], schema) == []


def test_deduplicated_in_order_of_first_proposal() -> None:
    queries = [q("SELECT a FROM t WHERE k = 1", "one"), q("SELECT a FROM t WHERE j = 1 AND k = 2", "two")]
    assert names(queries) == ["t(k)", "t(j)", "t(j, k)"]
    assert names(queries) == names(queries)


def test_no_candidate_for_not_in() -> None:
    assert names([q("SELECT id FROM orders WHERE customer_id NOT IN (1, 2)")]) == []


def test_no_composite_candidate_across_an_or() -> None:
    assert "orders(a, b)" not in names([q("SELECT id FROM orders WHERE a = 1 OR b = 2")])
