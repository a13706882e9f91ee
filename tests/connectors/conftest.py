"""Fixtures for the connector tests.

``admin`` is a plain psycopg connection for setting up data (sqltune's own connection refuses to write);
``pg`` is sqltune's connection to the same database with ``search_path`` set to the test's fresh schema.
``fake`` and ``raw`` are the fakesnow server's settings and a plain connection to it; the scripted Snowflake
connection of the Snowflake tests is in ``snowflake_support``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import snowflake.connector
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sqltune.connectors.postgres import PostgresConnection, connect

# The suite runs with --import-mode=importlib, which puts no test folder on sys.path; the Snowflake tests share
# their scripted connection through snowflake_support, so its folder is added once, before they are imported.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from snowflake_support import ISOLATED


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


@pytest.fixture
def fake(fakesnow_server: dict[str, Any]) -> dict[str, Any]:
    """Connection settings for the fakesnow server: where it listens, an account, credentials it ignores."""
    return {**fakesnow_server, "session_parameters": ISOLATED}


@pytest.fixture
def raw(fake: dict[str, Any]) -> Iterator[Any]:
    """A plain connection to fakesnow (sqltune's own refuses to write) for setting up data."""
    connection = snowflake.connector.connect(
        account="fakesnow", user="fake", password="fake", database="ANALYTICS", schema="PUBLIC", **fake
    )
    yield connection
    connection.close()
