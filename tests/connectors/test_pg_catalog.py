"""Schema and statistics read from a real PostgreSQL's catalog after ANALYZE on generated data."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg
import pytest

from sqltune.connectors.postgres import PostgresConnection
from sqltune.schema import Schema, Table

pytestmark = pytest.mark.postgres

SETUP = """
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    email text NOT NULL UNIQUE,
    country text,
    signed_up date NOT NULL
);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) DEFERRABLE INITIALLY IMMEDIATE,
    status text NOT NULL,
    amount numeric(10, 2),
    note varchar(20),
    code int GENERATED ALWAYS AS IDENTITY
);
INSERT INTO customers
SELECT i, 'user' || i || '@example.com', 'country_' || (i % 5), DATE '2020-01-01' + i
  FROM generate_series(1, 1000) i;
INSERT INTO orders (customer_id, status, amount, note)
SELECT 1 + (i * 7919) % 1000, CASE WHEN i % 5 = 0 THEN 'open' ELSE 'done' END, i / 100.0,
       CASE WHEN i % 2 = 0 THEN 'note' END
  FROM generate_series(1, 5000) i;
CREATE INDEX orders_open ON orders (customer_id) WHERE status = 'open';
CREATE INDEX customers_lower_email ON customers (lower(email));
CREATE INDEX orders_customer_incl ON orders (customer_id) INCLUDE (amount, status);
CREATE INDEX customers_signed_up_brin ON customers USING brin (signed_up);
CREATE TABLE elsewhere_marker (id int);
ANALYZE customers;
ANALYZE orders;
"""


@pytest.fixture
def shop(admin: psycopg.Connection[Any], pg_schema: tuple[str, str]) -> str:
    admin.execute(SETUP)
    # A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind (statuses repeat: not unique).
    with pytest.raises(psycopg.errors.UniqueViolation):
        admin.execute("CREATE UNIQUE INDEX CONCURRENTLY orders_status_broken ON orders (status)")
    return pg_schema[1]


def _eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Activity statistics reach the shared counters asynchronously (at most ~1 s after a transaction)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def _table(schema: Schema, name: str) -> Table:
    table = schema.table(name)
    assert table is not None, f"{name} not loaded: {[t.qualified_name for t in schema]}"
    return table


def test_tables_columns_and_keys(pg: PostgresConnection, shop: str) -> None:
    schema = pg.schema((shop,))
    customers, orders = _table(schema, "customers"), _table(schema, "orders")
    assert customers.namespace == shop and customers.qualified_name == f"{shop}.customers"
    assert list(orders.columns) == ["id", "customer_id", "status", "amount", "note", "code"]
    assert [orders.columns[c].type for c in orders.columns] == [
        "BIGINT", "BIGINT", "TEXT", "DECIMAL(10, 2)", "VARCHAR(20)", "INT",
    ]  # fmt: skip
    assert not orders.columns["status"].nullable and orders.columns["note"].nullable
    assert orders.columns["id"].default == "nextval('orders_id_seq'::regclass)"
    assert orders.columns["code"].identity and not orders.columns["id"].identity
    assert customers.primary_key == ("id",) and customers.unique_keys == [("email",)]
    (fk,) = orders.foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (("customer_id",), f"{shop}.customers", ("id",))
    assert fk.deferrable  # DEFERRABLE proves committed rows only (RW009 advises then)
    assert schema.table(fk.ref_table) is customers
    assert customers.is_unique(["email"]) and orders.is_not_null("customer_id")


def test_index_metadata(pg: PostgresConnection, shop: str) -> None:
    schema = pg.schema((shop,))
    indexes = {i.name: i for t in schema for i in t.indexes}
    assert indexes["orders_open"].where == "status = 'open'::text"
    assert indexes["orders_open"].columns == ("customer_id",)
    assert indexes["customers_lower_email"].columns == ("lower(email)",)
    assert indexes["orders_customer_incl"].include == ("amount", "status")
    assert indexes["orders_customer_incl"].columns == ("customer_id",)
    assert indexes["customers_signed_up_brin"].method == "brin"
    assert indexes["customers_pkey"].primary and indexes["customers_pkey"].unique
    assert indexes["customers_email_key"].unique and not indexes["customers_email_key"].primary
    assert indexes["orders_status_broken"].valid is False
    assert all(i.valid for name, i in indexes.items() if name != "orders_status_broken")
    assert all(i.size_bytes and i.size_bytes > 0 for name, i in indexes.items() if name != "orders_status_broken")
    assert indexes["orders_open"].table == f"{shop}.orders"


def test_table_statistics(pg: PostgresConnection, shop: str, admin: psycopg.Connection[Any]) -> None:
    admin.execute("SELECT pg_stat_force_next_flush()" if pg.server_version >= 150000 else "SELECT 1")

    def loaded() -> bool:
        stats = _table(pg.schema((shop,)), "customers").stats
        return stats is not None and stats.inserts == 1000

    assert _eventually(loaded), "n_tup_ins never reached pg_stat_user_tables"
    orders = _table(pg.schema((shop,)), "orders")
    assert orders.stats is not None
    assert orders.stats.rows == 5000
    assert orders.stats.pages is not None and orders.stats.pages > 10
    assert orders.stats.size_bytes is not None and orders.stats.size_bytes >= orders.stats.pages * 8192
    assert orders.stats.inserts == 5000 and orders.stats.updates == 0 and orders.stats.deletes == 0
    assert orders.stats.seq_scans is not None and orders.stats.seq_scans >= 1  # CREATE INDEX read it


def test_index_scans_are_counted(pg: PostgresConnection, shop: str, admin: psycopg.Connection[Any]) -> None:
    admin.execute("SET enable_seqscan = off")
    admin.execute("SELECT * FROM customers WHERE lower(email) = 'user7@example.com'").fetchall()
    admin.execute("SELECT pg_stat_force_next_flush()" if pg.server_version >= 150000 else "SELECT 1")

    def scans() -> float | None:
        (index,) = [i for i in _table(pg.schema((shop,)), "customers").indexes if i.name == "customers_lower_email"]
        return index.scans

    assert _eventually(lambda: (scans() or 0) >= 1)
    unused = [i for i in _table(pg.schema((shop,)), "orders").indexes if i.name == "orders_open"]
    assert unused[0].scans == 0
    reset = pg.stats_reset()
    assert reset is None or isinstance(reset, datetime)


def test_column_statistics(pg: PostgresConnection, shop: str) -> None:
    schema = pg.schema((shop,))
    customers, orders = _table(schema, "customers"), _table(schema, "orders")

    def stats(table: Table, column: str) -> Any:
        found = table.columns[column].stats
        assert found is not None, f"no pg_stats row for {table.name}.{column}"
        return found

    # n_distinct = -1 (unique) becomes the row count; a small positive count stays as it is.
    assert stats(customers, "id").distinct == 1000
    assert stats(customers, "email").distinct == 1000
    assert stats(customers, "country").distinct == 5
    assert stats(orders, "customer_id").distinct == 1000
    # Physical order follows id exactly, and customer_id is scattered.
    assert stats(orders, "id").correlation == pytest.approx(1.0)
    assert abs(stats(orders, "customer_id").correlation) < 0.2
    status = stats(orders, "status")
    assert status.most_common == ["done", "open"]
    assert status.most_common_freqs == pytest.approx([0.8, 0.2])
    assert stats(orders, "note").null_fraction == pytest.approx(0.5)
    assert stats(orders, "note").avg_width == 5
    assert stats(customers, "id").null_fraction == 0


def test_schema_filter_and_snapshot_round_trip(
    pg: PostgresConnection, shop: str, admin: psycopg.Connection[Any]
) -> None:
    other = f"{shop}_other"
    admin.execute(f"CREATE SCHEMA {other}; CREATE TABLE {other}.stray (id int)")
    try:
        only_shop = pg.schema(shop)  # a lone name is one schema, not a sequence of letters
        assert {t.name for t in only_shop} == {"customers", "orders", "elsewhere_marker"}
        everything = pg.schema(None)
        names = {t.qualified_name for t in everything}
        assert {f"{shop}.orders", f"{other}.stray"} <= names
        assert not any(t.namespace in {"pg_catalog", "information_schema"} for t in everything)
    finally:
        admin.execute(f"DROP SCHEMA {other} CASCADE")
    restored = Schema.from_dict(only_shop.to_dict())
    assert restored.to_dict() == only_shop.to_dict()
    orders = _table(restored, "orders")
    assert orders.columns["status"].stats is not None and orders.columns["status"].stats.most_common == ["done", "open"]
