"""The magics against the suite's real PostgreSQL: --explain with --dsn, --connection, %config SqlTune.dsn or
libpq's environment; --analyze rolled back; --indexes with what-if costs; connection errors without passwords."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sqltune.indexes.plan import IndexPlan
from sqltune.notebook.actions import PlanReports
from sqltune.rules.plan import PlanReport

pytestmark = pytest.mark.postgres

Run = Callable[[str], Any]
Failure = Callable[[str], str]

SHOP = """
CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL, country text NOT NULL);
CREATE TABLE orders (
    id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers (id), status text NOT NULL,
    ordered_at date NOT NULL, total numeric(10, 2) NOT NULL
);
INSERT INTO customers SELECT i, 'c' || i || '@example.com', (ARRAY['DE', 'FR', 'NL', 'US'])[1 + i % 4]
FROM generate_series(1, 2000) i;
INSERT INTO orders SELECT i, 1 + i % 2000, (ARRAY['new', 'paid', 'shipped', 'delivered'])[1 + i % 4],
    date '2024-01-01' + i % 365, i % 500 + 0.99
FROM generate_series(1, 50000) i;
ANALYZE customers;
ANALYZE orders;
"""

SEARCH = "SELECT id, total FROM orders WHERE customer_id = 42 ORDER BY ordered_at DESC LIMIT 10"


@pytest.fixture
def dsn(pg_schema: tuple[str, str]) -> str:
    """A DSN whose search_path is a fresh schema holding a small shop (then public, where HypoPG lives)."""
    base, schema = pg_schema
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"SET search_path = {schema}")
        admin.execute(SHOP)
    return make_conninfo(base, options=f"-csearch_path={schema},public")


@pytest.fixture
def admin(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(dsn, autocommit=True) as connection:
        yield connection


def _count(admin: psycopg.Connection[Any], sql: str) -> int:
    row = admin.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_explain_with_dsn_diagnoses_each_statements_plan(ip: Any, run: Run, dsn: str) -> None:
    ip.user_ns["dsn"] = dsn
    result = run(f"%%sqltune --explain --dsn {{dsn}} -o plans\n{SEARCH};\n\nSELECT count(*) FROM customers")
    assert isinstance(result, PlanReports) and ip.user_ns["plans"] is result
    first, second = result
    assert isinstance(first, PlanReport) and first.basis == "cost" and not first.plan.has_actuals
    assert "SQ301" in first.codes()  # the sequential scan of orders keeps 25 of 50,000 rows
    assert first.plan.nodes_reading("orders")[0].operator == "Seq Scan"
    assert first.statement is not None and (first.statement.span.path, first.statement.span.line) == ("<cell>", 1)
    assert second.statement is not None and second.statement.span.line == 3


def test_explain_shows_each_report_with_its_own_display(ip: Any, dsn: str) -> None:
    from IPython.utils.capture import capture_output

    ip.user_ns["dsn"] = dsn
    with capture_output() as captured:
        ip.run_cell(f"%%sqltune --explain --dsn {{dsn}}\n{SEARCH};\nSELECT 1").raise_error()
    assert len(captured.outputs) == 2  # one display per plan, no list repr
    assert all("PlanReport" in output.data["text/plain"] for output in captured.outputs)


def test_analyze_runs_the_statements_and_leaves_no_trace(
    ip: Any, run: Run, dsn: str, admin: psycopg.Connection[Any]
) -> None:
    ip.user_ns["dsn"] = dsn
    before = _count(admin, "SELECT count(*) FROM orders WHERE status = 'paid'")
    reports = run(
        "%%sqltune --analyze --dsn {dsn}\n"
        "UPDATE orders SET status = 'cancelled' WHERE status = 'paid';\n"
        "DELETE FROM orders WHERE customer_id < 100;\n"
        "INSERT INTO customers VALUES (9999, 'new@example.com', 'DE');\n"
        f"{SEARCH}"
    )
    assert len(reports) == 4 and all(report.plan.has_actuals for report in reports)
    assert reports[0].plan.root.original == "Update"
    assert _count(admin, "SELECT count(*) FROM orders WHERE status = 'paid'") == before
    assert _count(admin, "SELECT count(*) FROM orders WHERE status = 'cancelled'") == 0
    assert _count(admin, "SELECT count(*) FROM orders") == 50000
    assert _count(admin, "SELECT count(*) FROM customers WHERE id = 9999") == 0


def test_a_statement_the_database_refuses_is_an_error_at_its_place(ip: Any, failure: Failure, dsn: str) -> None:
    ip.user_ns["dsn"] = dsn
    message = failure("%%sqltune --explain --dsn {dsn}\nSELECT 1;\n  SELECT * FROM no_such_table")
    assert message == 'sqltune: error: <cell>:2:3: relation "no_such_table" does not exist'


def test_explain_only_explains_statements_with_a_plan(ip: Any, run: Run, failure: Failure, dsn: str) -> None:
    ip.user_ns["dsn"] = dsn
    reports = run("%%sqltune --explain --dsn {dsn}\nCREATE TABLE ignored (id int);\nSELECT 1")
    assert len(reports) == 1
    assert "no SELECT, INSERT, UPDATE, DELETE or MERGE" in failure(
        "%%sqltune --explain --dsn {dsn}\nCREATE TABLE t (id int)"
    )


def test_the_database_comes_from_config_a_named_connection_or_the_environment(
    ip: Any, run: Run, dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ip.user_ns["dsn"] = dsn
    ip.run_line_magic("config", "SqlTune.dsn = dsn")
    assert "SQ301" in run(f"%sqltune --explain {SEARCH}")[0].codes()
    ip.run_line_magic("config", "SqlTune.dsn = None")
    ip.user_ns["shop"] = conninfo_to_dict(dsn)  # a mapping of libpq keywords
    assert "SQ301" in run(f"%sqltune --explain --connection shop {SEARCH}")[0].codes()
    params = conninfo_to_dict(dsn)
    for key, variable in [("host", "PGHOST"), ("port", "PGPORT"), ("dbname", "PGDATABASE"), ("user", "PGUSER")]:
        if key in params:
            monkeypatch.setenv(variable, str(params[key]))
    monkeypatch.setenv("PGOPTIONS", str(params["options"]))
    assert "SQ301" in run(f"%sqltune --explain {SEARCH}")[0].codes()  # libpq's environment, as the CLI


def test_indexes_with_a_connection_use_the_planner(ip: Any, run: Run, dsn: str, hypopg: None) -> None:
    ip.user_ns["dsn"] = dsn
    plan = run(f"%%sqltune --indexes --dsn {{dsn}}\n{SEARCH}")
    assert isinstance(plan, IndexPlan)
    assert [index.spec.columns[0] for index in plan.create] == ["customer_id"]
    assert "planner costs via hypopg" in plan.to_text()


@pytest.mark.parametrize(
    "bad",
    [
        "postgresql://postgres:Sup3rSecret@127.0.0.1:1/shop",
        "host=127.0.0.1 port=1 user=postgres password=Sup3rSecret connect_timeout=3",
    ],
)
def test_a_bad_dsn_is_a_short_message_without_the_password(ip: Any, failure: Failure, bad: str) -> None:
    ip.user_ns["bad"] = bad
    message = failure("%sqltune --explain --dsn {bad} SELECT 1")
    assert message.startswith("sqltune: error: cannot connect to 127.0.0.1:1/")
    assert "Sup3rSecret" not in message


def test_explain_refuses_other_engines_before_connecting(failure: Failure) -> None:
    message = failure("%sqltune --explain --dsn mysql://me:Sup3rSecret@db.invalid/shop SELECT 1")
    assert message == "sqltune: error: --explain needs PostgreSQL (postgresql://…); --dsn is MySQL/MariaDB"
