"""Index hygiene on a real PostgreSQL: duplicate, prefix-redundant, unused and INVALID indexes and an
unindexed foreign key, read back through sqltune's catalog loader; the advised statements are then run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sqltune.connectors.postgres import PostgresConnection, connect
from sqltune.indexes.hygiene import (
    DUPLICATE,
    INVALID,
    REDUNDANT,
    UNINDEXED_FOREIGN_KEY,
    UNUSED,
    HygieneAdvice,
    index_hygiene,
)
from sqltune.schema import Schema

pytestmark = pytest.mark.postgres

SETUP = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    code int NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL,
    note text
);
CREATE TABLE lines (order_id bigint REFERENCES orders (id), n int, PRIMARY KEY (order_id, n));
INSERT INTO customers SELECT i, 'user' || i || '@example.com' FROM generate_series(1, 500) i;
INSERT INTO orders (customer_id, code, status, created_at, note)
SELECT 1 + i % 500, i % 100, CASE WHEN i % 4 = 0 THEN 'open' ELSE 'done' END,
       TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 minute', 'note ' || i
  FROM generate_series(1, 4000) i;
CREATE INDEX orders_status_a ON orders (status);
CREATE INDEX orders_status_b ON orders (status);
CREATE INDEX orders_code ON orders (code);
CREATE INDEX orders_code_created ON orders (code, created_at);
CREATE INDEX orders_note ON orders (note);
CREATE INDEX orders_created ON orders (created_at);
ANALYZE;
"""


@pytest.fixture
def shop(pg_schema: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """``(dsn with search_path, schema)`` with the tables above, one index scanned and one left INVALID."""
    dsn, schema = pg_schema
    options = f"{conninfo_to_dict(dsn).get('options', '')} -csearch_path={schema}".strip()
    local = make_conninfo(dsn, options=options)
    with psycopg.connect(local, autocommit=True) as admin:
        admin.execute(SETUP)
        # A unique index over duplicate values cannot be built; CONCURRENTLY leaves it behind, INVALID.
        with pytest.raises(psycopg.errors.UniqueViolation):
            admin.execute("CREATE UNIQUE INDEX CONCURRENTLY orders_status_unique ON orders (status)")
        admin.execute("SET enable_seqscan = off")
        admin.execute("SELECT id FROM orders WHERE created_at > '2024-01-02'").fetchall()
        admin.execute("SELECT pg_stat_force_next_flush()")
    yield local, schema


def eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Activity counters reach the shared statistics asynchronously."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def load(connection: PostgresConnection, schema: str) -> Schema:
    loaded = connection.schema((schema,))
    assert {t.name for t in loaded} == {"customers", "orders", "lines"}
    return loaded


def scans(schema: Schema, name: str) -> float | None:
    orders = schema.table("orders")
    assert orders is not None
    (index,) = [i for i in orders.indexes if i.name == name]
    return index.scans


def advice_by_index(advice: list[HygieneAdvice]) -> dict[str | None, HygieneAdvice]:
    found = {a.index_name: a for a in advice}
    assert len(found) == len(advice), "one advice per index"
    return found


def test_hygiene_on_a_live_catalog(shop: tuple[str, str]) -> None:
    dsn, name = shop
    with connect(dsn) as connection:
        assert eventually(lambda: (scans(load(connection, name), "orders_created") or 0) >= 1)
        schema = load(connection, name)
        reset = connection.stats_reset()
    advice = index_hygiene(schema, reset)
    found = advice_by_index(advice)

    assert found["orders_status_unique"].kind == INVALID
    assert found["orders_status_unique"].statement == f"DROP INDEX CONCURRENTLY {name}.orders_status_unique"
    # Two equal, unscanned indexes: the first by name is kept (and is itself unused).
    assert found["orders_status_b"].kind == DUPLICATE
    assert "duplicates index orders_status_a (status)" in found["orders_status_b"].evidence
    assert found["orders_status_a"].kind == UNUSED
    assert found["orders_code"].kind == REDUNDANT
    assert "orders_code_created (code, created_at)" in found["orders_code"].evidence
    assert found["orders_note"].kind == UNUSED
    since = f"reset on {reset:%Y-%m-%d}" if isinstance(reset, datetime) else "never reset"
    assert since in found["orders_note"].evidence
    note_size = found["orders_note"].size_bytes
    assert note_size is not None and note_size >= 8192
    # Scanned, or enforcing a constraint: left alone.
    for kept in ("orders_created", "orders_pkey", "customers_pkey", "customers_email_key", "lines_pkey"):
        assert kept not in found
    # orders.customer_id has no index; lines.order_id is served by the primary key (order_id, n).
    unindexed = [a for a in advice if a.kind == UNINDEXED_FOREIGN_KEY]
    assert [(a.table, a.statement) for a in unindexed] == [
        (f"{name}.orders", f"CREATE INDEX CONCURRENTLY orders_customer_id_idx ON {name}.orders (customer_id)")
    ]
    assert "customers" in unindexed[0].evidence and "4,000 rows" in unindexed[0].evidence

    # The statements are real SQL: run them, and the schema has nothing left but unused indexes.
    with psycopg.connect(dsn, autocommit=True) as admin:
        for item in advice:
            admin.execute(item.statement)
        admin.execute("ANALYZE")
    with connect(dsn) as connection:
        after = index_hygiene(load(connection, name), reset)
    assert {a.kind for a in after} <= {UNUSED}
    assert "orders_customer_id_idx" not in {a.index_name for a in after}  # unused so far, but the foreign key needs it
