"""Shared fixtures. Database tests run against a real PostgreSQL: the local server, or an embedded one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=5000, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """DSN of a real PostgreSQL; in CI a missing server is a failure, never a skip."""
    from sqltune.testing.postgres import postgres_dsn

    return postgres_dsn()


@pytest.fixture
def pg_schema(pg_dsn: str) -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL schema for one test, dropped afterwards: ``(dsn, schema_name)``.

    Connections made with ``options=-csearch_path=<schema>`` see only this test's tables.
    """
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {name}")
    try:
        yield pg_dsn, name
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {name} CASCADE")
