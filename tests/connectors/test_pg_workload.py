"""pg_stat_statements: the workload's most expensive statements, and a clear error where it is missing.

The server the suite starts preloads the library; a server named by ``SQLTUNE_TEST_DSN`` that does not is a
failure saying so, never a skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from sqltune.connectors import WorkloadUnavailable
from sqltune.connectors.postgres import PostgresConnection, connect

pytestmark = pytest.mark.postgres


@pytest.fixture
def workload(admin: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """The admin connection, on a server where pg_stat_statements is preloaded and created."""
    row = admin.execute("SHOW shared_preload_libraries").fetchone()
    if row is None or "pg_stat_statements" not in row[0]:
        pytest.fail("pg_stat_statements is not in shared_preload_libraries of the server SQLTUNE_TEST_DSN names")
    return admin


def test_statements_most_expensive_first(pg: PostgresConnection, workload: psycopg.Connection[Any]) -> None:
    marker = f"marker_{uuid.uuid4().hex[:10]}"
    workload.execute(f"CREATE TABLE {marker} AS SELECT i AS id, i % 10 AS bucket FROM generate_series(1, 20000) i")
    for bucket in range(4):
        workload.execute(f"SELECT count(*) FROM {marker} WHERE bucket = %s", [bucket]).fetchall()
    workload.execute(f"SELECT id FROM {marker} WHERE id = 1").fetchall()

    statements = pg.statements(limit=10_000, min_calls=1)
    ours = [s for s in statements if marker in s.query]
    counting = [s for s in ours if s.query.startswith("SELECT count(*)")]
    assert len(counting) == 1, ours
    (stmt,) = counting
    assert stmt.query == f"SELECT count(*) FROM {marker} WHERE bucket = $1"  # constants normalised away
    assert stmt.calls == 4 and stmt.rows == 4
    assert stmt.total_time_ms > 0 and stmt.mean_time_ms == pytest.approx(stmt.total_time_ms / 4)
    assert isinstance(stmt.queryid, int)
    totals = [s.total_time_ms for s in statements]
    assert totals == sorted(totals, reverse=True)

    frequent = pg.statements(limit=10_000, min_calls=4)
    assert stmt in [s for s in frequent if marker in s.query]
    assert not [s for s in frequent if marker in s.query and "id = $1" in s.query]  # called once only
    assert len(pg.statements(limit=1)) == 1

    # The normalised text explains as it is: a generic plan for $1.
    plan = pg.explain(stmt.query)
    assert plan.method in {"prepared", "generic_plan"} and plan.text is not None and "$1" in plan.text


def test_statements_limit_is_validated(pg: PostgresConnection, workload: Any) -> None:
    with pytest.raises(ValueError, match="limit must be >= 1"):
        pg.statements(limit=0)


@pytest.fixture
def database_without_extension(pg_dsn: str) -> Iterator[str]:
    name = f"sqltune_noext_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield psycopg.conninfo.make_conninfo(pg_dsn, dbname=name)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name}")


def test_missing_extension_says_how_to_enable_it(database_without_extension: str) -> None:
    with connect(database_without_extension) as connection, pytest.raises(WorkloadUnavailable) as caught:
        connection.statements()
    message = str(caught.value)
    assert "pg_stat_statements is not installed in database 'sqltune_noext_" in message
    assert "shared_preload_libraries" in message and "CREATE EXTENSION pg_stat_statements" in message


def test_workload_from_pg_stat_statements(pg: PostgresConnection, workload: psycopg.Connection[Any]) -> None:
    """The view read as a Workload: one record per row with its calls, total and max time, rows, queryid,
    database and user; the texts repaired to plan; sqltune's own read of the view never listed."""
    from sqltune.workload import Workload

    marker = f"marker_{uuid.uuid4().hex[:10]}"
    workload.execute(
        f"CREATE TABLE {marker} AS SELECT i AS id, date '2024-01-01' + i AS day FROM generate_series(1, 5000) i"
    )
    for low in (10, 20, 30):
        workload.execute(f"SELECT count(*) FROM {marker} WHERE id > {low} AND day >= date '2024-02-01'").fetchall()
    assert pg.dialect == "postgres"
    assert pg.describe_workload() == f"pg_stat_statements:{pg._display}"
    loaded = Workload.from_pg_stat_statements(pg)
    assert loaded.dialect == "postgres" and loaded.sources == [pg.describe_workload()]
    (template,) = [t for t in loaded if marker in t.text and t.kind == "select"]
    assert template.example == f"SELECT count(*) FROM {marker} WHERE id > $1 AND day >= $2::date"
    assert template.calls == 3 and template.rows == 3 and template.timed_calls == 3
    assert template.max_ms is not None and 0 < template.max_ms <= template.total_ms
    (queryid,) = template.ids["queryid"]
    assert int(queryid) != 0
    records = [r for r in pg.read_workload(min_calls=3) if marker in r.sql]
    assert [(r.calls, r.database, r.user, r.ids) for r in records] == [
        (3, pg.database, "postgres", (("queryid", queryid),))
    ]
    assert not any("sqltune_workload_read" in t.text for t in Workload.from_pg_stat_statements(pg))
    assert len(list(pg.read_workload(limit=2))) == 2
    with pytest.raises(ValueError, match="unknown PostgreSQL workload source 'digest'"):
        pg.read_workload(source="digest")


def test_statement_columns_of_every_version() -> None:
    from sqltune.connectors.postgres.workload import columns

    assert columns(120005) == ("total_time", "mean_time", "max_time", "blk_read_time", "NULL")
    assert (
        columns(130000)[:4]
        == columns(160004)[:4]
        == ("total_exec_time", "mean_exec_time", "max_exec_time", "blk_read_time")
    )
    assert columns(170002) == (
        "total_exec_time",
        "mean_exec_time",
        "max_exec_time",
        "shared_blk_read_time",
        "stats_since",
    )
