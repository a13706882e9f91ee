"""jupysql (``%load_ext sql``) loaded beside sqltune, for real: its active connection and dialect are reused,
its aliases are named connections, and ``%config SqlTune.reuse_jupysql = False`` turns the reuse off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sqltune.notebook.actions import PlanReports

Run = Callable[[str], Any]
Failure = Callable[[str], str]

SEARCH = "SELECT id FROM events WHERE kind = 7"


@pytest.fixture
def jupysql(ip: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The shell with jupysql loaded; its connections closed and its magics removed afterwards."""
    monkeypatch.setenv("PLOOMBER_STATS_ENABLED", "false")  # jupysql's dependency ploomber-core: no telemetry
    ip.run_line_magic("load_ext", "sql")
    from sql.connection import ConnectionManager

    try:
        yield ip
    finally:
        ConnectionManager.close_all()
        ConnectionManager.current = None
        for kind in ("line", "cell"):
            ip.magics_manager.magics[kind].pop("sql", None)
        ip.extension_manager.loaded.discard("sql")


@pytest.fixture
def engine(pg_schema: tuple[str, str]) -> Iterator[Any]:
    """A SQLAlchemy engine on a fresh schema holding ``events`` (20,000 rows, no index on ``kind``)."""
    import sqlalchemy

    base, schema = pg_schema
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(
            f"CREATE TABLE {schema}.events AS SELECT i AS id, i % 100 AS kind FROM generate_series(1, 20000) i;"
            f"ANALYZE {schema}.events"
        )
    params = conninfo_to_dict(make_conninfo(base, options=f"-csearch_path={schema}"))
    url = sqlalchemy.engine.URL.create(
        "postgresql+psycopg",
        username=params.get("user"),
        host=params.get("host"),
        port=int(params["port"]) if "port" in params else None,
        database=params.get("dbname"),
        query={"options": str(params["options"])},
    )
    engine = sqlalchemy.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_active_jupysql_connection_is_explained_on(jupysql: Any, run: Run, engine: Any) -> None:
    jupysql.user_ns["engine"] = engine
    jupysql.run_cell("%sql engine --alias shop").raise_error()
    assert run("%sql SELECT count(*) AS n FROM events").dict()["n"] == (20000,)  # jupysql works on it
    reports = run(f"%sqltune --explain {SEARCH}")
    assert isinstance(reports, PlanReports)
    assert reports[0].plan.nodes_reading("events")[0].operator == "Seq Scan"
    assert "SQ301" in reports[0].codes()


@pytest.mark.postgres
def test_a_jupysql_alias_is_a_named_connection(jupysql: Any, run: Run, failure: Failure, engine: Any) -> None:
    import duckdb

    jupysql.user_ns.update(engine=engine, duck=duckdb.connect())
    jupysql.run_cell("%sql engine --alias shop").raise_error()
    jupysql.run_cell("%sql duck --alias local").raise_error()  # now the active one
    assert "SQ301" in run(f"%sqltune --explain --connection shop {SEARCH}")[0].codes()
    message = failure(f"%sqltune --explain {SEARCH}")
    assert (
        message == "sqltune: error: --explain needs PostgreSQL (postgresql://…); jupysql's active connection is duckdb"
    )
    assert "jupysql connection 'local' is duckdb" in failure(f"%sqltune --explain --connection local {SEARCH}")


def test_the_active_jupysql_connection_gives_its_dialect(jupysql: Any, run: Run, failure: Failure) -> None:
    import duckdb

    jupysql.user_ns["duck"] = duckdb.connect()
    jupysql.run_cell("%sql duck").raise_error()
    jupysql.run_cell("%sql CREATE TABLE t AS SELECT 1 AS a").raise_error()
    assert not run("%sqltune SELECT a // 2 AS half FROM t").codes()  # DuckDB's integer division parses
    assert "syntax error" in failure("%sqltune --dialect postgres SELECT a // 2 FROM t")
    jupysql.run_line_magic("config", "SqlTune.dialect = 'postgres'")  # %config wins over the connection
    assert "syntax error" in failure("%sqltune SELECT a // 2 FROM t")
    jupysql.run_line_magic("config", "SqlTune.dialect = None")
    jupysql.run_line_magic("config", "SqlTune.reuse_jupysql = False")  # the generic dialect again
    assert "syntax error" in failure("%sqltune SELECT a // 2 FROM t")
