"""Fixtures for the live-PostgreSQL connector tests.

``admin`` is a plain psycopg connection for setting up data (sqltune's own connection refuses to write);
``pg`` is sqltune's connection to the same database with ``search_path`` set to the test's fresh schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sqltune.connectors.postgres import PostgresConnection, connect


def with_search_path(dsn: str, schema: str) -> str:
    """The DSN with ``options=-csearch_path=<schema>`` added (keeping options already there)."""
    params = conninfo_to_dict(dsn)
    options = f"{params.get('options', '')} -csearch_path={schema}".strip()
    return make_conninfo(dsn, options=options)


@pytest.fixture
def schema_dsn(pg_schema: tuple[str, str]) -> str:
    dsn, schema = pg_schema
    return with_search_path(dsn, schema)


@pytest.fixture
def admin(schema_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(schema_dsn, autocommit=True) as connection:
        yield connection


@pytest.fixture
def pg(schema_dsn: str) -> Iterator[PostgresConnection]:
    with connect(schema_dsn) as connection:
        yield connection
