"""Fixtures for the snapshot tests: a fresh database of their own on the suite's PostgreSQL.

Each test gets a database (not a schema): ``pg_stat_statements`` counts per database, so a test's workload is
only its own statements, and snapshots read every user table of the database. The database is dropped after
the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

# customers and orders: 2,000 customers with 25 orders each, stored by customer; orders_customer_idx makes a
# lookup by customer an index scan. items: 100 rows per category of 500, indexed; loading many rows of one
# category and ANALYZE make a filter on it unselective.
SHOP = """
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, region text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id),
                     placed date NOT NULL, total numeric(12, 2) NOT NULL, note text);
CREATE INDEX orders_customer_idx ON orders (customer_id);
INSERT INTO customers SELECT g, 'customer ' || g, (ARRAY['north', 'south', 'east', 'west'])[1 + g % 4]
    FROM generate_series(1, 2000) g;
INSERT INTO orders SELECT g, 1 + (g - 1) / 25, date '2024-01-01' + g % 365, (g % 1000) + 0.5, repeat('x', 40)
    FROM generate_series(1, 50000) g;
CREATE TABLE items (id int PRIMARY KEY, category int NOT NULL, label text NOT NULL);
CREATE INDEX items_category_idx ON items (category);
INSERT INTO items SELECT g, g % 500, 'item ' || g FROM generate_series(1, 50000) g;
ANALYZE;
"""


@pytest.fixture
def shop(pg_dsn: str) -> Iterator[str]:
    """A fresh database with pg_stat_statements and the shop tables; its DSN."""
    name = f"sqltune_snap_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    dsn = make_conninfo(pg_dsn, dbname=name)
    try:
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute("CREATE EXTENSION pg_stat_statements")
            db.execute(SHOP)
            db.execute("SELECT pg_stat_statements_reset()")
        yield dsn
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def run_sql() -> Callable[..., None]:
    """``run_sql(dsn, statement, *params_each_run)``: run a statement once per parameter tuple (or once)."""

    def run(dsn: str, statement: str, *runs: tuple[Any, ...]) -> None:
        with psycopg.connect(dsn, autocommit=True) as db:
            for params in runs or ((),):
                cursor = db.execute(statement, params or None)
                if cursor.description:
                    cursor.fetchall()

    return run
