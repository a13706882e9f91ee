"""Shared fixtures. Database tests run against a real PostgreSQL (and MariaDB) the suite starts for itself.

One throwaway server per test run (``sqltune.testing.postgres.start_server``: pg_stat_statements preloaded,
HypoPG where installed), shared by the xdist workers and stopped when the run ends
(``sqltune.testing.services``). ``SQLTUNE_TEST_DSN`` points the suite at a server of your choosing instead.
The suite never reconfigures, restarts or stops a server it did not start.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=5000, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def services_folder(config: pytest.Config) -> Path:
    """Where this run's servers are recorded: a folder the xdist controller and all its workers share (each
    worker's base temp folder is a child of the controller's)."""
    base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    return (base.parent if hasattr(config, "workerinput") else base) / "sqltune-services"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The process that owns the run (the controller, or the only process) stops the servers it recorded."""
    if not hasattr(session.config, "workerinput"):
        from sqltune.testing.services import stop_services

        stop_services(services_folder(session.config))


@pytest.fixture(scope="session")
def services(request: pytest.FixtureRequest) -> Path:
    """The folder where this run's servers are recorded (see :func:`services_folder`)."""
    return services_folder(request.config)


@pytest.fixture(scope="session")
def pg_server(services: Path) -> dict[str, Any]:
    """The run's PostgreSQL: ``dsn``, ``hypopg`` (installed and created in the database), ``bindir``."""
    configured = os.environ.get("SQLTUNE_TEST_DSN")
    if configured:
        import psycopg

        with psycopg.connect(configured, autocommit=True) as connection:
            row = connection.execute("SELECT count(*) FROM pg_extension WHERE extname = 'hypopg'").fetchone()
        return {"dsn": configured, "hypopg": bool(row and row[0]), "bindir": "SQLTUNE_TEST_DSN", "major": 0}
    from sqltune.testing.postgres import start_server
    from sqltune.testing.services import shared_service

    return shared_service(services, "postgres", start_server).address


@pytest.fixture(scope="session")
def mariadb(services: Path) -> dict[str, Any]:
    """The run's private MariaDB (``sqltune.testing.mariadb``; performance_schema on, slow log at
    long_query_time = 0): ``host``, ``port``, ``user``, ``password``, ``socket``, ``slow_log``, ``url``. The
    machine's own MariaDB (3306) is never used; CI installs the server binaries (.ci/setup-packages.sh)."""
    from sqltune.testing.mariadb import start_server
    from sqltune.testing.services import shared_service

    return shared_service(services, "mariadb", start_server).address


@pytest.fixture(scope="session")
def fakesnow_server(services: Path) -> dict[str, Any]:
    """``host``, ``port`` and ``protocol`` of the run's fakesnow server, for ``snowflake.connector.connect``."""
    from sqltune.testing.fakesnow import start_server
    from sqltune.testing.services import shared_service

    return shared_service(services, "fakesnow", start_server).address


@pytest.fixture(scope="session")
def pg_dsn(pg_server: dict[str, Any]) -> str:
    """DSN of the run's PostgreSQL (database ``test``, pg_stat_statements preloaded and created)."""
    return str(pg_server["dsn"])


@pytest.fixture(scope="session")
def hypopg(pg_server: dict[str, Any]) -> None:
    """Tests that need HypoPG fail, never skip, where it is missing, saying which package to install."""
    if not pg_server["hypopg"]:
        from sqltune.testing.postgres import HYPOPG_HINT

        pytest.fail(HYPOPG_HINT.format(bindir=pg_server["bindir"], major=pg_server["major"] or 15))


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
