"""TPC-H and its 22 queries give the Star Schema Benchmark's design, item by item."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.design import DesignResult, design_star_schema
from sqltune.schema import Schema
from sqltune.workload import Workload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tpch() -> DesignResult:
    schema = Schema.load(ROOT / "fixtures/schemas/tpch.sql", "postgres")
    return design_star_schema(schema, Workload.from_sql(ROOT / "fixtures/workloads/tpch", dialect="postgres"))


def test_the_fact_is_at_line_item_grain_joining_lineitem_and_orders(tpch: DesignResult) -> None:
    fact = tpch.design.fact("fct_lineitem")
    assert fact is not None and fact.table == "lineitem"
    assert fact.grain == ("l_orderkey", "l_linenumber")
    assert fact.sources[:2] == ["lineitem", "orders"]
    assert ("lineitem", ("l_orderkey",), "orders", ("o_orderkey",)) in fact.joins
    assert any("orders folded in (header with a transaction date)" in e for e in fact.why.evidence)
    # partsupp's supply cost joins each line (q09): SSB's lo_supplycost.
    assert "partsupp" in fact.sources and fact.column("ps_supplycost") is not None
    assert fact.why.confidence >= 0.9 and "q01.sql" in fact.why.templates
    # Free text no query reads stays in the sources; o_comment (q13) is read, so it stays in the fact.
    assert fact.column("l_comment") is None and fact.column("ps_comment") is None
    assert fact.column("o_comment") is not None
    assert "left in the sources, free text no template reads: l_comment, o_clerk, ps_comment" in fact.why.evidence


def test_customer_supplier_part_and_date_are_the_dimensions(tpch: DesignResult) -> None:
    fact = tpch.design.fact("fct_lineitem")
    assert fact is not None
    assert {r.dimension for r in fact.dimensions} == {
        "dim_customer",
        "dim_supplier",
        "dim_part",
        "dim_date",
        "dim_lineitem_flags",
    }
    for name in ("customer", "supplier", "part"):
        dimension = tpch.design.dimension(f"dim_{name}")
        assert dimension is not None and dimension.table == name and dimension.kind == "regular"
        assert dimension.surrogate_key == f"{name}_key" and len(dimension.natural_key) == 1


def test_nation_and_region_are_folded_into_customer_and_supplier(tpch: DesignResult) -> None:
    for name, prefix in (("customer", "c"), ("supplier", "s")):
        dimension = tpch.design.dimension(f"dim_{name}")
        assert dimension is not None
        assert [(c, p) for c, _, p, _ in dimension.folded] == [(name, "nation"), ("nation", "region")]
        assert dimension.column(f"{prefix}_nation_name") is not None
        assert dimension.column(f"{prefix}_nation_region_name") is not None
        assert dimension.hierarchies == [[f"{prefix}_nation_region_name", f"{prefix}_nation_name", f"{prefix}_name"]]
    assert tpch.design.dimension("dim_nation") is None and tpch.design.dimension("dim_region") is None


def test_natural_and_surrogate_keys(tpch: DesignResult) -> None:
    customer = tpch.design.dimension("dim_customer")
    assert customer is not None and customer.natural_key == ("c_custkey",) and customer.surrogate_key == "customer_key"
    fact = tpch.design.fact("fct_lineitem")
    assert fact is not None
    role = next(r for r in fact.dimensions if r.dimension == "dim_customer")
    assert role.key == "customer_key" and role.natural == ("o_custkey",)


def test_one_generated_date_dimension_plays_order_ship_commit_and_receipt_date(tpch: DesignResult) -> None:
    date = tpch.design.dimension("dim_date")
    assert date is not None and date.kind == "date" and date.table is None
    assert sorted(date.roles) == ["commit_date", "order_date", "receipt_date", "ship_date"]
    assert date.hierarchies == [["year", "quarter", "month", "date_day"]]
    fact = tpch.design.fact("fct_lineitem")
    assert fact is not None
    ship = next(r for r in fact.dimensions if r.role == "ship_date")
    assert ship.key == "ship_date_key" and ship.natural == ("l_shipdate",) and "q06.sql" in ship.why.templates


def test_the_flags_form_a_junk_dimension(tpch: DesignResult) -> None:
    junk = tpch.design.dimension("dim_lineitem_flags")
    assert junk is not None and junk.kind == "junk"
    assert {"l_returnflag", "l_linestatus", "l_shipmode", "o_orderstatus", "o_orderpriority"} <= set(junk.natural_key)
    fact = tpch.design.fact("fct_lineitem")
    assert fact is not None and fact.column("l_returnflag") is None  # moved out of the fact


def test_measures_are_labelled_by_how_the_workload_aggregates_them(tpch: DesignResult) -> None:
    fact = tpch.design.fact("fct_lineitem")
    assert fact is not None
    measures = {m.name: m for m in fact.measures}
    assert measures["l_quantity"].additivity == "additive"
    assert measures["l_quantity"].stored_as == ["sum", "count"]  # avg(l_quantity): its sum and count
    assert measures["l_extendedprice"].additivity == "additive"
    assert measures["l_discount"].additivity == "non-additive"  # averaged, and a factor of revenue
    assert measures["ps_availqty"].additivity == "semi-additive"
    assert measures["ps_supplycost"].additivity == "non-additive"  # min(ps_supplycost) in q02
    assert "q01.sql" in measures["l_quantity"].why.templates


def test_order_and_line_numbers_are_degenerate_dimensions(tpch: DesignResult) -> None:
    fact = tpch.design.fact("fct_lineitem")
    assert fact is not None and fact.degenerate == ["l_orderkey", "l_linenumber"]


def test_partsupp_is_a_second_fact_and_part_and_supplier_are_conformed(tpch: DesignResult) -> None:
    partsupp = tpch.design.fact("fct_partsupp")
    assert partsupp is not None and partsupp.grain == ("ps_partkey", "ps_suppkey")
    assert sorted(tpch.design.conformed()) == ["dim_customer", "dim_date", "dim_part", "dim_supplier"]
    matrix = tpch.design.bus_matrix()
    assert set(matrix["fct_partsupp"]) == {"dim_part", "dim_supplier"}
    assert matrix["fct_lineitem"]["dim_date"] == ["ship_date", "commit_date", "receipt_date", "order_date"]


def test_orders_read_at_their_own_grain_get_an_order_fact_conformed_with_the_line_fact(tpch: DesignResult) -> None:
    # q04 (EXISTS on the lines), q13 (customers LEFT JOIN orders) and q22 (NOT EXISTS orders) read orders
    # where the line fact cannot answer: a header fact, one row per order, beside the line-grain fact.
    orders = tpch.design.fact("fct_orders")
    assert orders is not None and orders.table == "orders" and orders.header_of == "fct_lineitem"
    assert orders.grain == ("o_orderkey",) and orders.sources == ["orders"] and orders.joins == []
    assert orders.degenerate == ["o_orderkey"]
    assert orders.why.templates == ["q04.sql", "q13.sql", "q22.sql"]
    assert "conformed with fct_lineitem through dim_customer, dim_date" in orders.why.reason
    assert tpch.design.bus_matrix()["fct_orders"] == {
        "dim_customer": ["customer"],
        "dim_date": ["order_date"],
        "dim_orders_flags": ["flags"],
    }
    flags = tpch.design.dimension("dim_orders_flags")
    assert flags is not None and flags.natural_key == ("o_orderstatus", "o_orderpriority", "o_shippriority")
    # The line fact is unchanged: orders stay folded into it for the queries that read both.
    lineitem = tpch.design.fact("fct_lineitem")
    assert lineitem is not None and lineitem.sources[:2] == ["lineitem", "orders"] and lineitem.header_of is None


def test_dimensions_suggest_type_1_without_updates(tpch: DesignResult) -> None:
    for name in ("dim_customer", "dim_supplier", "dim_part"):
        dimension = tpch.design.dimension(name)
        assert dimension is not None and dimension.scd_type == 1
        assert "never updates" in dimension.scd.reason


def test_coverage_and_joins_before_and_after(tpch: DesignResult) -> None:
    coverage = tpch.coverage
    answered = {q.template for q in coverage.answered}
    assert len(answered) == 22 and coverage.share == 1.0
    # The order-grain questions read the order fact.
    rewritten = {q.template: q.rewritten or "" for q in coverage.queries}
    assert "FROM fct_orders AS orders JOIN dim_orders_flags AS orders_flags" in rewritten["q04.sql"]
    assert (
        "EXISTS(SELECT * FROM fct_lineitem AS lineitem WHERE lineitem.l_orderkey = orders.o_orderkey"
        in (rewritten["q04.sql"])
    )
    assert "FROM dim_customer AS customer LEFT OUTER JOIN fct_orders AS orders" in rewritten["q13.sql"]
    assert (
        "NOT EXISTS(SELECT * FROM fct_orders AS orders WHERE orders.o_custkey = customer.c_custkey)"
        in (rewritten["q22.sql"])
    )
    # q19's part join, repeated in each branch of its OR, is taken out of it and becomes a key join.
    assert "WHERE lineitem.part_key = part.part_key AND ((part.p_brand = 'Brand#12'" in rewritten["q19.sql"]
    joins = {q.template: (q.joins_before, q.joins_after) for q in coverage.queries}
    assert joins["q04.sql"] == (0, 1) and joins["q13.sql"] == (1, 1) and joins["q22.sql"] == (0, 0)
    assert joins["q05.sql"] == (5, 2) and joins["q08.sql"] == (7, 3) and joins["q09.sql"] == (5, 2)
    assert joins["q02.sql"] == (7, 3)
    assert joins["q01.sql"] == (0, 1)  # the flags now live in the junk dimension
    q05 = next(q for q in coverage.queries if q.template == "q05.sql").rewritten or ""
    assert "FROM dim_customer AS customer, fct_lineitem AS lineitem, dim_supplier AS supplier" in q05
    assert "lineitem.customer_key = customer.customer_key" in q05 and "supplier.s_nation_region_name = 'ASIA'" in q05
