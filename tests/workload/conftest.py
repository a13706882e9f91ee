"""A PostgreSQL of the workload tests' own that logs every statement (the suite's server is never
reconfigured): started once per run like the main one (shared by the xdist workers), with the logging
collector writing stderr, csvlog and jsonlog, and a ``log_line_prefix`` using every escape sqltune reads.
Each test works in a database of its own and reads only its entries."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Every escape of log_line_prefix, so that the reader is tested on the server's own rendering of each.
PREFIX = "%m %t %n [%p] %c %l %s %v %x %e %b %i %q%u@%d %a %h %r %P %Q "
SETTINGS = {
    "logging_collector": "on",
    "log_destination": "'stderr,csvlog,jsonlog'",
    "log_filename": "'postgresql.log'",
    "log_rotation_age": "0",
    "log_rotation_size": "0",
    "log_min_duration_statement": "0",
    "compute_query_id": "on",
    "log_line_prefix": f"'{PREFIX}'",
    "log_min_messages": "warning",
}


@pytest.fixture(scope="session")
def logging_server(services: Path) -> dict[str, Any]:
    """``dsn`` and ``data`` of the run's logging PostgreSQL."""
    from sqltune.testing.postgres import start_server
    from sqltune.testing.services import shared_service

    return shared_service(services, "postgres-logging", lambda: start_server(settings=SETTINGS)).address


class LoggedDatabase:
    """A fresh database on the logging server, and its log files."""

    def __init__(self, server: dict[str, Any], name: str) -> None:
        from psycopg.conninfo import make_conninfo

        self.name = name
        self.dsn = make_conninfo(str(server["dsn"]), dbname=name)
        self.logs = {
            "stderr": Path(server["data"]) / "log" / "postgresql.log",
            "csvlog": Path(server["data"]) / "log" / "postgresql.csv",
            "jsonlog": Path(server["data"]) / "log" / "postgresql.json",
        }

    def flush(self) -> None:
        """Wait until the logging collector wrote everything run so far to all three files."""
        import psycopg

        sentinel = f"sentinel_{uuid.uuid4().hex}"
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            connection.execute(f"SELECT 1 AS {sentinel}")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all(path.exists() and sentinel in path.read_text(errors="replace") for path in self.logs.values()):
                return
            time.sleep(0.1)
        raise AssertionError("the logging collector did not write the sentinel within 20 s")


@pytest.fixture
def logged_database(logging_server: dict[str, Any]) -> Iterator[LoggedDatabase]:
    import psycopg

    name = f"logged_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(str(logging_server["dsn"]), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    database = LoggedDatabase(logging_server, name)
    with psycopg.connect(database.dsn, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION pg_stat_statements")
    try:
        yield database
    finally:
        with psycopg.connect(str(logging_server["dsn"]), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
