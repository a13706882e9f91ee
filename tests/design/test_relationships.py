"""Relationships: declared, inferred from the workload's joins and from names, and checked on live data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sqltune.connectors.postgres import connect
from sqltune.design.relationships import find_relationships
from sqltune.schema import Schema
from sqltune.workload import Execution, Workload

ROOT = Path(__file__).resolve().parents[2]
TPCH_DDL = (ROOT / "fixtures/schemas/tpch.sql").read_text()


def tpch_workload() -> Workload:
    return Workload.from_sql(ROOT / "fixtures/workloads/tpch", dialect="postgres")


def edges(found: object) -> set[str]:
    return {f"{r.child}({','.join(r.child_columns)})->{r.parent}" for r in found}  # type: ignore[attr-defined]


def test_declared_foreign_keys_are_certain_and_carry_the_workload_templates() -> None:
    found = find_relationships(Schema.from_ddl(TPCH_DDL, "postgres"), tpch_workload())
    orders = found.between("lineitem", "orders")
    assert orders is not None and orders.origin == "declared" and orders.confidence == 1.0
    assert "q03.sql" in orders.templates and len(orders.templates) == 9
    # Joined but not declared: lineitem.l_suppkey -> supplier (TPC-H declares only the partsupp pair).
    supplier = found.between("lineitem", "supplier")
    assert supplier is not None and supplier.origin == "workload" and supplier.child_columns == ("l_suppkey",)
    assert supplier.confidence > 0.6 and "supplier(s_suppkey) is a key" in supplier.evidence
    # The composite reference, spelled (l_suppkey, l_partkey) by q09, merges into the declared (partkey, suppkey).
    partsupp = found.between("lineitem", "partsupp")
    assert (
        partsupp is not None
        and partsupp.child_columns == ("l_partkey", "l_suppkey")
        and "q09.sql" in partsupp.templates
    )
    # c_nationkey = s_nationkey (q05) joins two references to nation: a shared dimension, not many-to-many.
    assert found.many_to_many == []


def test_without_declared_keys_the_workload_finds_every_tpch_relationship() -> None:
    ddl = re.sub(r"ALTER TABLE \w+ ADD CONSTRAINT \w+ FOREIGN KEY[^;]*;", "", TPCH_DDL)
    found = find_relationships(Schema.from_ddl(ddl, "postgres"), tpch_workload())
    assert edges(found) == {
        "customer(c_nationkey)->nation",
        "lineitem(l_orderkey)->orders",
        "lineitem(l_partkey)->part",
        "lineitem(l_partkey,l_suppkey)->partsupp",
        "lineitem(l_suppkey)->supplier",
        "nation(n_regionkey)->region",
        "orders(o_custkey)->customer",
        "partsupp(ps_partkey)->part",
        "partsupp(ps_suppkey)->supplier",
        "supplier(s_nationkey)->nation",
    }
    assert {r.origin for r in found} == {"workload"}


def test_names_and_types_infer_a_reference_no_query_joins() -> None:
    schema = Schema.from_ddl(
        "CREATE TABLE customers (id int PRIMARY KEY, name text);"
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, customer_code text);"
    )
    found = find_relationships(schema)
    assert [str(r) for r in found] == ["orders(customer_id) -> customers(id) [names 0.50]"]


def test_a_join_of_two_non_keys_is_many_to_many() -> None:
    # No film table both could reference: a shared dimension would make the join no many-to-many one.
    schema = Schema.from_ddl(
        "CREATE TABLE film_actor (film_id int NOT NULL, actor_id int NOT NULL);"
        "CREATE TABLE film_tag (film_id int NOT NULL, tag text NOT NULL);"
    )
    workload = Workload("postgres")
    workload.add(Execution("SELECT a.actor_id, t.tag FROM film_actor a JOIN film_tag t ON a.film_id = t.film_id"))
    found = find_relationships(schema, workload)
    assert [(r.child, r.parent) for r in found.many_to_many] == [("film_actor", "film_tag")]


@pytest.fixture
def shop(pg_schema: tuple[str, str]) -> Iterator[str]:
    dsn, schema = pg_schema
    options = f"{conninfo_to_dict(dsn).get('options', '')} -csearch_path={schema}".strip()
    local = make_conninfo(dsn, options=options)
    with psycopg.connect(local, autocommit=True) as admin:
        admin.execute(
            "CREATE TABLE customer (c_id int, c_name text);"
            "CREATE TABLE orders (o_id int, o_customer_id int, o_store_id int);"
            "CREATE TABLE store (st_id int, st_name text);"
            "INSERT INTO customer SELECT g, 'c' || g FROM generate_series(1, 50) g;"
            "INSERT INTO store SELECT g % 5, 's' FROM generate_series(1, 10) g;"  # st_id repeats: not a key
            "INSERT INTO orders SELECT g, 1 + g % 50, g % 5 FROM generate_series(1, 500) g;"
            "INSERT INTO orders VALUES (501, 999, 1);"  # one orphan of 501: within the 99% inclusion
        )
    yield local


def test_live_checks_keep_what_the_data_confirms_and_drop_what_it_refutes(shop: str) -> None:
    # No declared keys at all: the workload says which sides are keys only through the data.
    schema = Schema.from_ddl(
        "CREATE TABLE customer (c_id int NOT NULL UNIQUE, c_name text);"
        "CREATE TABLE orders (o_id int PRIMARY KEY, o_customer_id int, o_store_id int);"
        "CREATE TABLE store (st_id int NOT NULL UNIQUE, st_name text);"
    )
    workload = Workload("postgres")
    workload.add(Execution("SELECT c_name, count(*) FROM orders JOIN customer ON o_customer_id = c_id GROUP BY 1"))
    workload.add(Execution("SELECT st_name, count(*) FROM orders JOIN store ON o_store_id = st_id GROUP BY 1"))
    unchecked = find_relationships(schema, workload)
    assert edges(unchecked) == {"orders(o_customer_id)->customer", "orders(o_store_id)->store"}
    with connect(shop, statement_timeout="5s") as connection:
        checked = find_relationships(schema, workload, connection)
    assert edges(checked) == {"orders(o_customer_id)->customer"}
    customer = checked.between("orders", "customer")
    assert customer is not None and customer.checked == (
        "500/501 sampled values found in customer; 50/50 parent rows distinct"
    )
    assert customer.confidence > unchecked.between("orders", "customer").confidence  # type: ignore[union-attr]


def test_a_check_that_cannot_run_leaves_the_relationship_unchecked(shop: str) -> None:
    schema = Schema.from_ddl(
        "CREATE TABLE customer (c_id int PRIMARY KEY);CREATE TABLE gone (g_id int, g_customer_id int NOT NULL)"
    )
    with connect(shop, statement_timeout="5s") as connection:
        found = find_relationships(schema, None, connection)
    (relationship,) = found.many_to_one
    assert relationship.checked is not None and relationship.checked.startswith("not checked: ")
    assert "gone" in relationship.checked
