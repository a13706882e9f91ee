"""Every way of pointing sqltune at a server reaches the same database, read-only and time-limited."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy
from psycopg.conninfo import conninfo_to_dict

import sqltune.connectors
from sqltune.connectors.postgres import PostgresConnection, connect, resolve_target

pytestmark = pytest.mark.postgres

SECRET = "Engine-s3cret"


def _url(dsn: str, scheme: str = "postgresql", password: str | None = None) -> str:
    params = {key: str(value) for key, value in conninfo_to_dict(dsn).items() if value is not None}
    auth = quote(params.get("user", ""), safe="") + (f":{quote(password, safe='')}" if password else "")
    port = f":{params['port']}" if params.get("port") else ""
    host, dbname = params.get("host", "localhost"), params.get("dbname", "")
    if host.startswith("/"):  # a socket directory goes in the query string
        return f"{scheme}://{auth}@{port}/{dbname}?host={quote(host, safe='')}"
    return f"{scheme}://{auth}@{host}{port}/{dbname}"


def _check(connection: PostgresConnection, dsn: str) -> None:
    expected = conninfo_to_dict(dsn)
    assert connection.database == expected.get("dbname", connection.database)
    assert connection.query("SELECT current_setting('application_name')") == [("sqltune",)]
    assert connection.query("SHOW transaction_read_only") == [("on",)]
    assert connection.query("SHOW statement_timeout") == [("30s",)]
    text = repr(connection)
    assert text.startswith("<PostgresConnection ") and f"/{connection.database} server " in text
    assert SECRET not in text and "password" not in text


def test_libpq_dsn(pg_dsn: str) -> None:
    with connect(pg_dsn) as connection:
        _check(connection, pg_dsn)
    assert connection.closed


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"])
def test_urls(pg_dsn: str, scheme: str) -> None:
    with connect(_url(pg_dsn, scheme, password=SECRET)) as connection:
        _check(connection, pg_dsn)


def test_mapping_of_libpq_keywords(pg_dsn: str) -> None:
    with connect(conninfo_to_dict(pg_dsn)) as connection:
        _check(connection, pg_dsn)


def test_sqlalchemy_engine_url_and_connection(pg_dsn: str) -> None:
    engine = sqlalchemy.create_engine(_url(pg_dsn, "postgresql+psycopg", password=SECRET))
    try:
        params, secrets = resolve_target(engine)
        assert params["password"] == SECRET and secrets == [SECRET]
        with connect(engine) as connection:
            _check(connection, pg_dsn)
        with connect(engine.url) as connection:
            _check(connection, pg_dsn)
        with engine.connect() as sa_connection, connect(sa_connection) as connection:
            _check(connection, pg_dsn)
    finally:
        engine.dispose()


def test_sqlalchemy_engine_of_another_database_is_refused() -> None:
    engine = sqlalchemy.create_engine("sqlite://")
    with pytest.raises(sqltune.connectors.ConnectionError, match="not a PostgreSQL engine: its dialect is 'sqlite'"):
        connect(engine)


def test_package_level_connect_and_options(pg_dsn: str) -> None:
    options: dict[str, Any] = {"statement_timeout": "2min", "application_name": "sqltune-ci"}
    with sqltune.connectors.connect(pg_dsn, **options) as connection:
        assert connection.query("SHOW statement_timeout") == [("2min",)]
        assert connection.query("SELECT current_setting('application_name')") == [("sqltune-ci",)]
        assert connection.server_version == int(connection.query("SHOW server_version_num")[0][0])


def test_nothing_can_be_written_through_query(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    with connect(dsn) as connection, pytest.raises(sqltune.connectors.QueryError, match="read-only transaction"):
        connection.query(f"CREATE TABLE {schema}.should_not_exist (id int)")
    with connect(dsn) as connection:
        assert connection.query("SELECT count(*) FROM pg_tables WHERE schemaname = $1", [schema]) == [(0,)]


def test_transaction_is_always_rolled_back(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    with connect(dsn) as connection:
        with connection.transaction(read_only=False, timeout="5s") as cursor:
            cursor.execute(f"CREATE TABLE {schema}.scratch (id int)")
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchall() == [("5s",)]
        assert connection.query("SELECT count(*) FROM pg_tables WHERE schemaname = $1", [schema]) == [(0,)]
        with pytest.raises(sqltune.connectors.QueryError, match="read-only"), connection.transaction() as cursor:
            cursor.execute(f"CREATE TABLE {schema}.scratch (id int)")
