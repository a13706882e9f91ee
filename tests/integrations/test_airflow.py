"""The Airflow provider, run by Airflow itself: the example DAG under ``airflow dags test`` against the suite's
PostgreSQL, through a connection whose password must not appear in any output.

Airflow runs from a virtual environment of its own (sqltune.testing.airflow; made once and cached, about a
minute), with sqltune built from this work tree into the session's folder. One Airflow home serves the
session: a SQLite metadata database, ``airflow db migrate`` run once, no scheduler.
"""

from __future__ import annotations

import ast
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from sqltune.integrations.airflow import get_provider_info
from sqltune.testing.airflow import AirflowHome, ensure_airflow, install_sqltune

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "sqltune_daily_check.py"
DAG_ID = "sqltune_daily_check"
OPERATORS = REPO / "src" / "sqltune" / "integrations" / "airflow" / "operators"


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> AirflowHome:
    """Airflow's environment, sqltune installed for it, and one home with the example DAG in its dags folder."""
    folder = tmp_path_factory.mktemp("airflow")
    environment = ensure_airflow(REPO)
    site = install_sqltune(environment, REPO, folder / "site")
    home = AirflowHome.create(environment, folder / "home", site)
    shutil.copy(EXAMPLE, home.dags / EXAMPLE.name)
    return home


# -- without Airflow ------------------------------------------------------------------------------------------
def test_provider_info_names_the_distribution_and_modules_that_exist() -> None:
    info = get_provider_info()
    assert info["package-name"] == "sqltune"
    modules = [m for group in ("operators", "hooks") for entry in info[group] for m in entry["python-modules"]]
    missing = [m for m in modules if not (REPO / "src" / (m.replace(".", "/") + ".py")).is_file()]
    assert modules and not missing


def test_every_operator_option_is_documented() -> None:
    """Each keyword of each operator's ``__init__`` is named in docs/airflow.md, and each operator too."""
    text = (REPO / "docs" / "airflow.md").read_text(encoding="utf-8")
    missing = []
    for module in OPERATORS.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Operator"):
                init = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
                names = [node.name, *(arg.arg for arg in init.args.kwonlyargs)]
                missing += [f"{node.name}.{name}" for name in names if f"`{name}`" not in text]
    assert not missing, f"document these in docs/airflow.md: {missing}"


# -- with Airflow ---------------------------------------------------------------------------------------------
def test_airflow_discovers_the_provider(airflow_home: AirflowHome) -> None:
    result = airflow_home.airflow("providers", "get", "sqltune", "--full", "-o", "json")
    assert result.returncode == 0, result.stderr[-3000:]
    [info] = json.loads(result.stdout[result.stdout.index("[") :])
    assert info["package-name"] == "sqltune"
    assert "sqltune.integrations.airflow.operators.regression" in info["operators"][0]["python-modules"]


@dataclass(frozen=True)
class Database:
    """A schema with an indexed table, and a login role with a password, on the suite's PostgreSQL."""

    schema: str
    role: str
    password: str
    connection_uri: str


@pytest.fixture
def database(pg_dsn: str) -> Iterator[Database]:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    suffix = uuid.uuid4().hex[:10]
    schema, role = f"af_{suffix}", f"sqltune_af_{suffix}"
    # Characters a URI must escape, so that the secret is also checked percent-encoded.
    password = f"Pw@{uuid.uuid4().hex}/:x"
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
        connection.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        connection.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        connection.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role}")
        connection.execute(f"GRANT pg_read_all_stats TO {role}")
        connection.execute(
            f"CREATE TABLE {schema}.orders AS SELECT g AS id, g % 5000 AS customer_id, g * 1.5 AS total "
            "FROM generate_series(1, 50000) AS g"
        )
        connection.execute(f"CREATE INDEX orders_customer_idx ON {schema}.orders (customer_id)")
        connection.execute(f"ANALYZE {schema}.orders")
    params = conninfo_to_dict(pg_dsn)
    uri = (
        f"postgresql://{role}:{quote(password, safe='')}@{params.get('host') or '127.0.0.1'}:"
        f"{params.get('port') or 5432}/{params.get('dbname') or 'postgres'}"
        # Query parameters become the connection's extras, which the hook passes to libpq: the workload's
        # unqualified table name resolves only through this search_path.
        f"?options={quote(f'-c search_path={schema}', safe='')}&connect_timeout=10"
    )
    try:
        yield Database(schema, role, password, uri)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
            connection.execute(f"DROP OWNED BY {role}")
            connection.execute(f"DROP ROLE {role}")


def test_example_dag_passes_then_fails_on_a_dropped_index(
    airflow_home: AirflowHome, database: Database, pg_dsn: str, tmp_path: Path
) -> None:
    import psycopg

    workload = tmp_path / "workload.sql"
    workload.write_text("SELECT id, total FROM orders WHERE customer_id = 42;\n")
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "report.sql").write_text(f"SELECT id, total FROM {database.schema}.orders WHERE customer_id = 7;\n")
    snapshots = tmp_path / "snapshots"
    env = {
        "AIRFLOW_CONN_SQLTUNE_TEST": database.connection_uri,
        "AIRFLOW_VAR_SQLTUNE_CONN_ID": "sqltune_test",
        "AIRFLOW_VAR_SQLTUNE_SNAPSHOT_DIR": str(snapshots),
        "AIRFLOW_VAR_SQLTUNE_WORKLOAD": str(workload),
        "AIRFLOW_VAR_SQLTUNE_SQL_DIR": str(sql),
        # Only this test's schema: other tests of the run create and drop tables on the same server.
        "AIRFLOW_VAR_SQLTUNE_SCHEMAS": database.schema,
    }

    first = airflow_home.dags_test(DAG_ID, "2024-01-01", env=env)
    assert first.returncode == 0, (first.stdout + first.stderr)[-6000:]
    second = airflow_home.dags_test(DAG_ID, "2024-01-02", env=env)
    assert second.returncode == 0, (second.stdout + second.stderr)[-6000:]
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        connection.execute(f"DROP INDEX {database.schema}.orders_customer_idx")
    third = airflow_home.dags_test(DAG_ID, "2024-01-03", env=env)
    log = third.stdout + third.stderr
    assert third.returncode != 0, log[-6000:]

    states = {task: state for (day, task), state in airflow_home.task_states(DAG_ID).items() if day == "2024-01-03"}
    assert states == {"snapshot": "success", "regressions": "failed", "lint": "upstream_failed"}, states
    # The readable report in the task log: the changed plan and the dropped index, with the template's SQL.
    assert "RG001" in log and "RG004" in log and "orders_customer_idx" in log, log[-6000:]
    assert "sql: SELECT id, total FROM orders WHERE customer_id = 42" in log and "FAILED: regressions found" in log

    by_day: dict[str, dict[str, Any]] = {}
    for xcom in airflow_home.xcoms(DAG_ID):
        by_day.setdefault(xcom["day"][5:], {})[xcom["task_id"]] = xcom["value"]
    assert by_day["01-01"]["regressions"]["compared"] is False  # a first run has nothing to compare with
    assert by_day["01-02"]["regressions"] | {"report": None} == by_day["01-02"]["regressions"] | {
        "report": None,
        "compared": True,
        "failed": False,
        "regressions": 0,
    }
    failed = by_day["01-03"]["regressions"]
    assert failed["failed"] is True and failed["regressions"] >= 2 and {"RG001", "RG004"} <= set(failed["codes"])
    assert failed["old"].endswith("20240102") and failed["new"].endswith("20240103")
    report = json.loads(Path(failed["report"]).read_text())
    assert report["failed"] is True
    assert by_day["01-02"]["lint"]["failed"] is False and by_day["01-02"]["snapshot"]["templates"] == 1

    # The hook logged in as the connection's role (pg_stat_statements keeps the user of the EXPLAINs).
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = %s",
            (database.role,),
        ).fetchone()
    assert row and row[0] > 0

    # The password appears nowhere: task logs, the metadata database (XCom, rendered fields), snapshots, reports.
    outputs = [first.stdout, first.stderr, second.stdout, second.stderr, log, airflow_home.dump()]
    outputs += [p.read_text(errors="replace") for p in snapshots.rglob("*") if p.is_file()]
    outputs += [p.read_text(errors="replace") for p in (airflow_home.home / "logs").rglob("*") if p.is_file()]
    for secret in (database.password, quote(database.password, safe="")):
        assert not [i for i, text in enumerate(outputs) if secret in text]


LINT_DAG = """
import pendulum
from airflow.sdk import DAG
from sqltune.integrations.airflow import SqlTuneLintOperator

with DAG("sqltune_lint_gate", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    SqlTuneLintOperator(
        task_id="lint", paths="{{ var.value.sqltune_sql_dir }}", dialect="postgres", fail_on="warning",
        report_path="{{ var.value.sqltune_sql_dir }}/../lint.json",
    )
"""


def test_lint_operator_fails_the_task_on_findings(airflow_home: AirflowHome, tmp_path: Path) -> None:
    (airflow_home.dags / "sqltune_lint_gate.py").write_text(LINT_DAG)
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "orders.sql").write_text("SELECT * FROM orders WHERE lower(email) = 'a@b.c';\n")
    result = airflow_home.dags_test("sqltune_lint_gate", "2024-01-01", env={"AIRFLOW_VAR_SQLTUNE_SQL_DIR": str(sql)})
    log = result.stdout + result.stderr
    assert result.returncode != 0, log[-6000:]
    assert "SQ001" in log and "orders.sql" in log, log[-6000:]
    [summary] = [x["value"] for x in airflow_home.xcoms("sqltune_lint_gate") if x["task_id"] == "lint"]
    assert summary["failed"] is True and summary["codes"]["SQ001"] == 1
    assert json.loads(Path(summary["report"]).read_text())["summary"]["findings"] == summary["findings"]
