"""EXPLAIN on a real PostgreSQL: read-only by construction, ANALYZE opt-in and rolled back, time-limited."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from sqltune.connectors import QueryError, QueryTimeout
from sqltune.connectors.postgres import PostgresConnection, connect
from sqltune.connectors.postgres.explain import explain_prepared, run_explain
from sqltune.connectors.postgres.safety import check_statement

pytestmark = pytest.mark.postgres


@pytest.fixture
def accounts(admin: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    admin.execute(
        "CREATE TABLE accounts (id serial PRIMARY KEY, owner text NOT NULL, balance int NOT NULL);"
        "INSERT INTO accounts (owner, balance) SELECT 'owner ' || i, 100 FROM generate_series(1, 2000) i;"
        "ANALYZE accounts"
    )
    return admin


def _scalar(connection: psycopg.Connection[Any], sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row[0]


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def test_plain_explain_returns_json_and_text_without_running(pg: PostgresConnection, accounts: Any) -> None:
    result = pg.explain("SELECT * FROM accounts WHERE id = 7;  -- trailing comment")
    root = result.plan_json[0]
    assert root["Plan"]["Node Type"] == "Index Scan"
    assert "Execution Time" not in root and "Actual Rows" not in root["Plan"]
    assert result.text is not None and "Index Cond: (id = 7)" in result.text
    assert result.analyzed is False and result.method == "plain"
    assert result.server_version == pg.server_version >= 100000


def test_analyze_reports_actual_rows_and_buffers_by_default(pg: PostgresConnection, accounts: Any) -> None:
    result = pg.explain("SELECT count(*) FROM accounts WHERE balance = 100", analyze=True)
    root = result.plan_json[0]
    assert result.analyzed and "Execution Time" in root and result.text is None
    scan = next(node for node in _nodes(root["Plan"]) if node["Node Type"] == "Seq Scan")
    assert scan["Actual Rows"] == 2000
    assert "Shared Hit Blocks" in scan  # BUFFERS is on by default with ANALYZE


def test_analyze_of_update_is_rolled_back(pg: PostgresConnection, accounts: psycopg.Connection[Any]) -> None:
    result = pg.explain("UPDATE accounts SET balance = balance - 30 WHERE id = 3", analyze=True)
    modify = result.plan_json[0]["Plan"]
    assert modify["Node Type"] == "ModifyTable" and modify["Operation"] == "Update"
    assert modify["Plans"][0]["Actual Rows"] == 1  # the update really ran inside the transaction...
    assert _scalar(accounts, "SELECT balance FROM accounts WHERE id = 3") == 100  # ...and was rolled back
    assert _scalar(accounts, "SELECT count(*) FROM pg_locks WHERE relation = 'accounts'::regclass") == 0


def test_analyze_of_delete_in_a_cte_is_rolled_back(pg: PostgresConnection, accounts: Any) -> None:
    pg.explain("WITH gone AS (DELETE FROM accounts RETURNING id) SELECT count(*) FROM gone", analyze=True)
    assert _scalar(accounts, "SELECT count(*) FROM accounts") == 2000


def test_insert_without_analyze_is_never_executed(pg: PostgresConnection, accounts: Any) -> None:
    result = pg.explain("INSERT INTO accounts (owner, balance) VALUES ('mallory', 1000000)")
    assert result.plan_json[0]["Plan"]["Operation"] == "Insert"
    assert _scalar(accounts, "SELECT count(*) FROM accounts") == 2000
    # Not even the serial's sequence moved: the statement was planned, not run.
    assert _scalar(accounts, "SELECT last_value FROM accounts_id_seq") == 2000


def test_a_read_only_analyze_cannot_write(pg: PostgresConnection, accounts: Any) -> None:
    # A SELECT is analysed in a READ ONLY transaction, so a writing function inside it is refused.
    with pytest.raises(QueryError, match="read-only transaction"):
        pg.explain("SELECT nextval('accounts_id_seq')", analyze=True)
    assert _scalar(accounts, "SELECT last_value FROM accounts_id_seq") == 2000


def test_only_one_statement_is_accepted(pg: PostgresConnection, accounts: Any) -> None:
    with pytest.raises(ValueError, match="expected one SQL statement; got 2"):
        pg.explain("SELECT 1; DELETE FROM accounts")
    # Below the client-side check, the server refuses too: EXPLAIN goes through the extended protocol.
    with pg._transaction(), pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
        run_explain(psycopg.RawCursor(pg._connection), "EXPLAIN SELECT 1; DELETE FROM accounts", None)
    assert _scalar(accounts, "SELECT count(*) FROM accounts") == 2000


def test_statement_timeout_per_call(pg: PostgresConnection) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="statement timeout"):
        pg.explain("SELECT pg_sleep(5)", analyze=True, timeout="200ms")
    assert time.monotonic() - started < 3
    assert pg.explain("SELECT 1").plan_json  # the connection is still usable afterwards


def test_statement_timeout_of_the_connection(schema_dsn: str) -> None:
    with connect(schema_dsn, statement_timeout=0.2) as connection:
        with pytest.raises(QueryTimeout) as caught:
            connection.query("SELECT pg_sleep(5)")
        assert caught.value.sqlstate == "57014"
        assert connection.query("SHOW statement_timeout") == [("200ms",)]
        assert connection.query("SHOW transaction_read_only") == [("on",)]


def test_parameters_without_values_get_a_generic_plan(pg: PostgresConnection, accounts: Any) -> None:
    result = pg.explain("SELECT owner FROM accounts WHERE id = $1 AND balance > $2")
    assert result.method == ("generic_plan" if pg.server_version >= 160000 else "prepared")
    assert result.plan_json[0]["Plan"]["Node Type"] == "Index Scan"
    assert result.text is not None and "(id = $1)" in result.text
    assert pg.query("SELECT count(*) FROM pg_prepared_statements") == [(0,)]  # nothing left behind


def test_prepare_fallback_gives_the_generic_plan_on_any_server(pg: PostgresConnection, accounts: Any) -> None:
    # The path servers before 16 take, exercised on whatever server runs the suite.
    with pg._transaction():
        result = explain_prepared(
            psycopg.RawCursor(pg._connection), check_statement("SELECT owner FROM accounts WHERE id = $1"),
            ["FORMAT JSON", "SETTINGS"], pg.server_version,
        )  # fmt: skip
    assert result.method == "prepared" and result.plan_json[0]["Plan"]["Node Type"] == "Index Scan"
    assert result.plan_json[0]["Settings"]["plan_cache_mode"] == "force_generic_plan"
    assert result.text is not None and "(id = $1)" in result.text
    assert pg.query("SELECT count(*) FROM pg_prepared_statements") == [(0,)]


def test_failed_generic_plan_leaves_no_prepared_statement(pg: PostgresConnection, accounts: Any) -> None:
    with pytest.raises(QueryError, match="no_such_column"):
        pg.explain("SELECT no_such_column FROM accounts WHERE id = $1")
    assert pg.query("SELECT count(*) FROM pg_prepared_statements") == [(0,)]


def test_parameters_with_values_are_bound(pg: PostgresConnection, accounts: Any) -> None:
    result = pg.explain("SELECT owner FROM accounts WHERE id = $1", params=[7], analyze=True)
    assert result.method == "bound"
    assert result.plan_json[0]["Plan"]["Actual Rows"] == 1
    with pytest.raises(ValueError, match=r"needs values for \$1..\$1: pass params="):
        pg.explain("SELECT owner FROM accounts WHERE id = $1", analyze=True)


def test_options(pg: PostgresConnection, accounts: Any) -> None:
    verbose = pg.explain("SELECT owner FROM accounts", verbose=True).plan_json[0]["Plan"]
    assert verbose["Output"] == ["owner"]
    with pytest.raises(ValueError, match="wal=True needs analyze=True"):
        pg.explain("SELECT 1", wal=True)
    if pg.server_version >= 130000:
        plan = pg.explain("UPDATE accounts SET balance = 0", analyze=True, wal=True).plan_json[0]["Plan"]
        assert plan["WAL Records"] > 0
        assert _scalar(accounts, "SELECT sum(balance) FROM accounts") == 200000


def test_settings_show_non_default_planner_settings(schema_dsn: str, accounts: Any) -> None:
    params = conninfo_to_dict(schema_dsn)
    params["options"] = f"{params['options']} -cwork_mem=64MB"
    with connect(params) as connection:
        assert connection.settings()["work_mem"] == "64MB"
        assert connection.explain("SELECT 1").plan_json[0]["Settings"]["work_mem"] == "64MB"
        assert "Settings" not in connection.explain("SELECT 1", settings=False).plan_json[0]


def test_settings_lists_planner_gucs(pg: PostgresConnection) -> None:
    settings = pg.settings()
    for name in ("work_mem", "random_page_cost", "effective_cache_size", "jit", "enable_seqscan"):
        assert name in settings
    assert settings["max_parallel_workers_per_gather"].isdigit()


def test_sql_errors_are_query_errors_and_the_connection_survives(pg: PostgresConnection) -> None:
    with pytest.raises(QueryError, match="syntax error") as caught:
        pg.explain("SELEC 1")
    assert caught.value.sqlstate == "42601"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert pg.query("SELECT $1::int + 1", [41]) == [(42,)]
