"""UsageStats over the TPC-H workload: roles, join partners, aggregates, expressions, reads and writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.schema import Schema
from sqltune.workload import Execution, UsageStats, Workload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tpch() -> UsageStats:
    workload = Workload.from_sql(ROOT / "fixtures/workloads/tpch", dialect="postgres")
    return workload.usage(Schema.load(ROOT / "fixtures/schemas/tpch.sql", "postgres"))


def test_every_tpch_query_parses_and_every_column_resolves(tpch: UsageStats) -> None:
    assert tpch.unparsed == [] and tpch.unresolved.templates == 0


def test_roles_are_weighted_once_per_template(tpch: UsageStats) -> None:
    shipdate = tpch.column("lineitem", "l_shipdate")
    assert shipdate.weight("range").templates == 7
    # Q21 reads lineitem three times; it still counts one template.
    assert tpch.table("lineitem").reads.templates == 17


def test_join_keys_keep_their_partners(tpch: UsageStats) -> None:
    assert set(tpch.column("orders", "o_custkey").joins) == {"customer.c_custkey"}
    assert "orders.o_orderkey" in tpch.column("lineitem", "l_orderkey").joins


def test_aggregates_keep_their_function() -> None:
    workload = Workload("postgres")
    workload.add(Execution("SELECT avg(price), count(DISTINCT customer_id), sum(price) FROM sales", 10.0))
    usage = workload.usage()
    assert set(usage.column("sales", "price").aggregates) == {"avg", "sum"}
    assert set(usage.column("sales", "customer_id").aggregates) == {"count_distinct"}


def test_filtered_expressions_are_kept_with_their_dialect() -> None:
    workload = Workload("postgres")
    workload.add(Execution("SELECT id FROM events e WHERE date_trunc('day', e.ts) = '2026-01-01'", 5.0, calls=2))
    expressions = workload.usage().column("events", "ts").expressions
    assert list(expressions) == ["DATE_TRUNC('DAY', ts)"] and expressions["DATE_TRUNC('DAY', ts)"].calls == 2


def test_writes_per_table_and_kind() -> None:
    workload = Workload("postgres")
    workload.add(Execution("INSERT INTO audit SELECT * FROM orders WHERE id = 1", 1.0, calls=5))
    workload.add(Execution("UPDATE orders SET status = 'x' WHERE id = 2", 1.0, calls=7))
    workload.add(Execution("DELETE FROM orders WHERE id = 3", 1.0))
    usage = workload.usage()
    assert {kind: w.calls for kind, w in usage.table("orders").writes.items()} == {"update": 7, "delete": 1}
    assert usage.table("orders").reads.calls == 5  # the INSERT ... SELECT reads it; the target is written
    assert usage.table("audit").writes["insert"].calls == 5 and usage.table("audit").reads.calls == 0


def test_a_template_that_does_not_parse_is_listed_not_dropped() -> None:
    workload = Workload("postgres")
    workload.add(Execution("SELECT FROM WHERE (", 3.0, location="app.log:7"))
    workload.add(Execution("SELECT a FROM t", 1.0))
    usage = workload.usage()
    assert [(t.location, t.calls) for t, _ in usage.unparsed] == [("app.log:7", 1)]
    assert "syntax error" in usage.unparsed[0][1]
    assert usage.to_dict()["unparsed"][0]["location"] == "app.log:7"


def test_tables_and_columns_share_one_qualified_name() -> None:
    schema = Schema.from_ddl(
        "CREATE TABLE public.lineitem (l_orderkey int, l_shipdate date);"
        " CREATE TABLE public.orders (o_orderkey int); CREATE TABLE staging.orders (o_orderkey int)",
        "postgres",
    )
    workload = Workload("postgres")
    workload.add(Execution("SELECT count(*) FROM lineitem WHERE l_shipdate > DATE '1995-01-01'", 5.0))
    workload.add(Execution("UPDATE public.lineitem SET l_shipdate = now() WHERE l_orderkey = 1", 1.0))
    workload.add(Execution("SELECT * FROM public.orders o JOIN staging.orders s USING (o_orderkey)", 1.0))
    usage = workload.usage(schema)
    assert sorted(usage.tables) == ["public.lineitem", "public.orders", "staging.orders"]
    assert {table for table, _ in usage.columns} <= set(usage.tables)
    lineitem = usage.table("lineitem")  # the short name ends one known name
    assert lineitem is usage.table("public.lineitem") and lineitem.reads.calls == 1
    assert lineitem.writes["update"].calls == 1
    assert usage.column("lineitem", "l_shipdate") is usage.columns["public.lineitem", "l_shipdate"]
    assert [c.column for c in usage.columns_of("lineitem")] == ["l_orderkey", "l_shipdate"]
    assert usage.table("orders").reads.calls == 0 and usage.columns_of("orders") == []  # two tables: ambiguous
    assert usage.table("staging.orders").reads.calls == 1
    without = workload.usage()  # no schema: as the queries wrote them
    assert sorted(without.tables) == ["lineitem", "public.lineitem", "public.orders", "staging.orders"]


def test_a_bigquery_project_quoted_for_its_hyphen_names_the_same_table() -> None:
    schema = Schema.from_mapping({"acme-analytics.shop.orders": {"order_date": "date", "status": "text"}})
    workload = Workload("bigquery")
    workload.add(Execution("SELECT status FROM `acme-analytics.shop.orders` WHERE order_date > '2024-01-01'", 3.0))
    workload.add(Execution("SELECT status FROM `acme-analytics`.shop.orders AS o WHERE o.status = 'x'", 3.0))
    usage = workload.usage(schema)
    assert sorted(usage.tables) == ["acme-analytics.shop.orders"] and usage.unresolved.templates == 0
    assert usage.table("orders").reads.templates == 2
    assert sorted(c for _, c in usage.columns) == ["order_date", "status"]
