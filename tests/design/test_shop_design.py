"""A second, different schema: an online shop whose workload mixes analytics with OLTP lookups and updates
(fixtures/schemas/shop.sql, fixtures/workloads/shop), tested item by item."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.design import DesignResult, design_star_schema
from sqltune.schema import Schema
from sqltune.workload import Workload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shop() -> DesignResult:
    schema = Schema.load(ROOT / "fixtures/schemas/shop.sql", "postgres")
    return design_star_schema(schema, Workload.from_sql(ROOT / "fixtures/workloads/shop", dialect="postgres"))


def test_one_fact_at_order_line_grain_with_the_order_header_folded(shop: DesignResult) -> None:
    assert [f.name for f in shop.design.facts] == ["fct_order_items", "fct_orders"]
    fact = shop.design.facts[0]
    assert fact.grain == ("order_id", "line_no") and fact.sources == ["order_items", "orders"]
    assert fact.degenerate == ["order_id", "line_no"]
    assert fact.column("id") is None  # orders.id is order_items.order_id: one column


def test_orders_counted_on_their_own_get_a_header_fact(shop: DesignResult) -> None:
    # a6 counts orders per status: the line fact cannot (an order without lines would be missing).
    orders = shop.design.fact("fct_orders")
    assert orders is not None and orders.header_of == "fct_order_items" and orders.grain == ("id",)
    assert orders.why.templates == ["a6_orders_per_status.sql"]
    assert "1 analytic template reads it at its own grain" in orders.why.reason
    assert {r.dimension for r in orders.dimensions} == {"dim_customers", "dim_date", "dim_orders_flags"}
    assert "dim_customers" in shop.design.conformed()


def test_oltp_only_tables_never_become_facts_or_bridges(shop: DesignResult) -> None:
    # cart_items is aggregated (o3: sum(quantity) of one cart) but only by point lookups and writes.
    assert shop.design.excluded["cart_items"].reason.startswith("only OLTP templates")
    assert shop.design.excluded["cart_items"].templates == ["o3_cart_total.sql", "o5_add_to_cart.sql"]
    assert "carts" in shop.design.excluded
    assert shop.design.dimension("dim_carts") is None
    assert {b.table for b in shop.design.bridges} == {"product_tags"}
    assert shop.design.oltp_templates == [
        "o1_customer_by_email.sql",
        "o2_customer_moves.sql",
        "o3_cart_total.sql",
        "o4_cart_touch.sql",
        "o5_add_to_cart.sql",
        "o6_order_status.sql",
        "o7_reprice.sql",
    ]


def test_dimensions_flatten_their_snowflakes(shop: DesignResult) -> None:
    customers = shop.design.dimension("dim_customers")
    products = shop.design.dimension("dim_products")
    assert customers is not None and products is not None
    assert [p for _, _, p, _ in customers.folded] == ["countries"]
    assert customers.column("countries_region") is not None and customers.natural_key == ("id",)
    assert [p for _, _, p, _ in products.folded] == ["categories"]
    assert products.hierarchies == [["categories_name", "name"]]


def test_scd_types_follow_what_the_workload_updates(shop: DesignResult) -> None:
    customers = shop.design.dimension("dim_customers")
    products = shop.design.dimension("dim_products")
    assert customers is not None and products is not None
    # o2 moves a customer; a5 groups revenue by city: history matters.
    assert customers.scd_type == 2 and "updates city" in customers.scd.reason
    assert customers.scd.templates == ["o2_customer_moves.sql"]
    # o7 reprices a product; no analytic query groups or filters by list_price.
    assert products.scd_type == 1 and "updates list_price" in products.scd.reason


def test_date_roles_junk_flags_and_measures(shop: DesignResult) -> None:
    fact = shop.design.facts[0]
    roles = {r.role: r for r in fact.dimensions}
    assert {"ordered_at", "delivered_at"} <= set(roles) and roles["ordered_at"].dimension == "dim_date"
    junk = shop.design.dimension("dim_order_items_flags")
    assert junk is not None and set(junk.natural_key) == {"status", "shipping_method", "is_gift"}
    measures = {m.name: m for m in fact.measures}
    assert measures["quantity"].additivity == "additive"
    assert measures["unit_price"].additivity == "non-additive" and measures["unit_price"].stored_as == ["sum", "count"]
    assert measures["discount"].additivity == "non-additive"


def test_the_tag_association_is_a_bridge(shop: DesignResult) -> None:
    (bridge,) = shop.design.bridges
    assert bridge.name == "bridge_product_tags"
    assert [(cols, parent) for cols, parent, _ in bridge.keys] == [(("product_id",), "products"), (("tag_id",), "tags")]
    assert shop.design.dimension("dim_tags") is not None


def test_coverage_counts_the_analytic_workload_and_sets_oltp_aside(shop: DesignResult) -> None:
    coverage = shop.coverage
    by_name = {q.template: q for q in coverage.queries}
    assert all(by_name[t].oltp for t in shop.design.oltp_templates)
    answered = sorted(q.template for q in coverage.answered)
    assert answered == [
        "a1_revenue_by_region_month.sql",
        "a2_units_by_department.sql",
        "a3_shipping_mix.sql",
        "a4_units_by_tag.sql",
        "a5_revenue_by_city.sql",
        "a6_orders_per_status.sql",
    ]
    assert "FROM fct_orders AS o JOIN dim_orders_flags AS o_flags" in (
        by_name["a6_orders_per_status.sql"].rewritten or ""
    )
    assert coverage.share == 1.0 and coverage.share_all == pytest.approx(6 / 13)
    assert (
        by_name["a1_revenue_by_region_month.sql"].joins_before,
        by_name["a1_revenue_by_region_month.sql"].joins_after,
    ) == (3, 2)
    a4 = by_name["a4_units_by_tag.sql"].rewritten or ""
    assert "fct_order_items AS i" in a4 and "bridge_product_tags AS pt" in a4 and "dim_tags AS t" in a4
