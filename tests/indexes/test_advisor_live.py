"""The index advisor against the suite's own PostgreSQL: HypoPG, rolled-back real indexes, validation, --apply."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from sqltune.cli import main
from sqltune.connectors.postgres import PostgresConnection, connect
from sqltune.connectors.postgres.validate import measure_regressions
from sqltune.indexes.advisor import advise_indexes, load_workload
from sqltune.indexes.model import IndexSpec
from sqltune.indexes.runtime import format_speedup
from sqltune.testing.terminal import run_cli, visible_text

WORKLOAD = """
SELECT id, total FROM orders WHERE customer_id = 42;
SELECT count(*) FROM orders WHERE status = 'open' AND created_at > now() - interval '3 days';
SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.region = 'north';
"""


@pytest.fixture
def shop(pg_schema: tuple[str, str], hypopg: None) -> Iterator[tuple[str, str]]:
    dsn, schema = pg_schema
    scoped = f"{dsn} options='-csearch_path={schema},public'"
    with psycopg.connect(scoped, autocommit=True) as db:
        db.execute("CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, region text NOT NULL)")
        db.execute(
            "INSERT INTO customers SELECT g, 'c' || g, (ARRAY['north','south','east','west'])[1 + g % 4]"
            " FROM generate_series(1, 20000) g"
        )
        db.execute(
            "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,"
            " status text NOT NULL, created_at timestamptz NOT NULL, total numeric NOT NULL)"
        )
        db.execute(
            "INSERT INTO orders SELECT g, 1 + g % 20000, CASE WHEN g % 50 = 0 THEN 'open' ELSE 'done' END,"
            " now() - (g % 1000) * interval '1 hour', g % 100 FROM generate_series(1, 200000) g"
        )
        db.execute("ANALYZE")
    yield scoped, schema


def _hypothetical(connection: PostgresConnection) -> int:
    return int(connection.query("SELECT count(*) FROM hypopg_list_indexes")[0][0])


def test_hypopg_plan_indexes_the_filtered_and_joined_columns(shop: tuple[str, str]) -> None:
    dsn, schema = shop
    with connect(dsn) as connection:
        plan = advise_indexes(WORKLOAD, connection, schema=connection.schema((schema,)), budget="50MB")
        assert _hypothetical(connection) == 0, "hypothetical indexes must not outlive the advice"
    keys = {index.spec.columns[0] for index in plan.create}
    assert "customer_id" in keys
    assert plan.backend == "hypopg" and not plan.estimated
    assert plan.cost_after < plan.cost_before
    assert plan.size_bytes <= 50e6
    assert all(s.startswith("CREATE INDEX CONCURRENTLY") for s in plan.statements())
    first = next(q for q in plan.queries if q.query_id == "SELECT id, total FROM orders WHERE…")  # its first words
    assert first.cost_after < first.cost_before / 10 and first.uses
    assert first.plan_before is not None and first.plan_after is not None
    assert plan.what_if_calls > 0


def test_budget_and_max_indexes_are_respected(shop: tuple[str, str]) -> None:
    dsn, schema = shop
    with connect(dsn) as connection:
        tiny = advise_indexes(WORKLOAD, connection, schema=connection.schema((schema,)), budget="1kB")
        one = advise_indexes(WORKLOAD, connection, schema=connection.schema((schema,)), max_indexes=1)
    assert tiny.create == []
    assert len(one.create) == 1


def test_real_index_backend_rolls_everything_back(shop: tuple[str, str]) -> None:
    dsn, schema = shop
    with connect(dsn) as connection:
        plan = advise_indexes(WORKLOAD, connection, schema=connection.schema((schema,)), backend="real")
        remaining = connection.query(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'sqltune%'", [schema]
        )[0][0]
    assert plan.backend == "real-index"
    assert any(index.spec.columns[0] == "customer_id" for index in plan.create)
    assert remaining == 0


def test_validation_measures_runtime_and_leaves_nothing(shop: tuple[str, str]) -> None:
    dsn, schema = shop
    with connect(dsn) as connection:
        plan = advise_indexes(
            WORKLOAD, connection, schema=connection.schema((schema,)), validate=True, validate_timeout_s=30
        )
        leftovers = connection.query("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'sqltune_validate%'")
    assert plan.runtime, "queries whose plans change are timed"
    assert not any(check.regressed for check in plan.runtime)
    assert all(check.after_ms is not None for check in plan.runtime)
    assert leftovers[0][0] == 0


def test_validation_prints_a_lower_bound_when_the_old_plan_is_stopped(shop: tuple[str, str]) -> None:
    """The old plan (a scan of 200,000 orders) is given 2x the new time, at least 1 ms: it is stopped there,
    so the speed-up is only known to be at least bound / new time, and is said so."""
    dsn, schema = shop
    with connect(dsn) as connection:
        queries = load_workload(WORKLOAD, schema=connection.schema((schema,)))[:1]
        index = IndexSpec("orders", ("customer_id",))
        [check] = measure_regressions(connection, queries, [index], speedup_cap=2, min_bound_ms=1)
    assert check.after_ms is not None and check.before_ms is None and check.speedup_at_least
    assert check.speedup == pytest.approx(check.bound_ms / check.after_ms)
    assert check.describe() == format_speedup(None, check.after_ms, check.bound_ms)
    assert check.describe().startswith(("≥ ", "before ≥ "))


QUERIES = {
    "queries/orders.sql": "SELECT id, total FROM orders WHERE customer_id = 42;\n\n"
    "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.region = 'north';\n",
    "queries/open.sql": "SELECT count(*) FROM orders\n"
    "WHERE status = 'open' AND created_at > now() - interval '3 days';\n",
}
SPEEDUP = re.compile(r"(?:≥ )?[\d,.]+× faster")


@pytest.fixture
def queries(shop: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """:data:`QUERIES` written in the working directory; the shop's DSN."""
    monkeypatch.chdir(tmp_path)
    for path, sql in QUERIES.items():
        Path(path).parent.mkdir(exist_ok=True)
        Path(path).write_text(sql, encoding="utf-8")
    return shop[0]


def test_cli_names_queries_by_file_and_line_prints_speedups_and_progress_on_a_terminal(queries: str) -> None:
    dsn = queries
    command = ["indexes", "--dsn", dsn, "--workload", "queries", "--validate"]
    shown = run_cli(command)
    assert shown.returncode == 0, shown.stderr
    progress = visible_text(shown.stderr)
    for phase in ("planning the queries", "generating candidates", "what-if calls", "validating: timing"):
        assert phase in progress
    runtime = shown.stdout.split("Measured runtime")[1]
    assert re.search(r"queries/orders\.sql:1 .*" + SPEEDUP.pattern, runtime), shown.stdout
    assert "queries/orders.sql:3" in shown.stdout and "workload#" not in shown.stdout

    piped = run_cli([*command, "--format", "json"], terminal=False)
    assert piped.returncode == 0 and piped.stderr == ""
    data = json.loads(piped.stdout)
    assert {q["id"] for q in data["queries"]} == {"queries/open.sql:1", "queries/orders.sql:1", "queries/orders.sql:3"}
    measured = {check["query"]: check for check in data["runtime"]}
    assert measured["queries/orders.sql:1"]["speedup"] > 1


def test_explain_over_many_files_names_statements_by_file_and_line(queries: str) -> None:
    dsn = queries
    command = ["explain", "queries/orders.sql", "queries/open.sql", "--dsn", dsn, "--fail-on", "never"]
    shown = run_cli(command)
    assert shown.returncode == 0, shown.stderr
    for where in ("queries/orders.sql:1:", "queries/orders.sql:3:", "queries/open.sql:1:"):
        assert where in shown.stdout
    assert "explaining queries/orders.sql:3" in visible_text(shown.stderr)
    piped = run_cli([*command, "--format", "json"], terminal=False)
    assert piped.returncode == 0 and piped.stderr == ""
    statements = [(r["statement"]["path"], r["statement"]["line"]) for r in json.loads(piped.stdout)["reports"]]
    assert statements == [("queries/orders.sql", 1), ("queries/orders.sql", 3), ("queries/open.sql", 1)]


def test_cli_json_and_apply(shop: tuple[str, str]) -> None:
    dsn, schema = shop
    runner = CliRunner()
    with runner.isolated_filesystem():
        with open("workload.sql", "w") as handle:
            handle.write(WORKLOAD)
        result = runner.invoke(main, ["indexes", "--dsn", dsn, "--workload", "workload.sql", "--format", "json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["create"] and data["relative_cost"] < 1
        applied = runner.invoke(main, ["indexes", "--dsn", dsn, "--workload", "workload.sql", "--apply", "--yes"])
        assert applied.exit_code == 0, applied.output
    with psycopg.connect(dsn) as db:
        names = {row[0] for row in db.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", [schema])}
    assert {IndexSpec("orders", tuple(data["create"][0]["columns"])).name()} & names or any(
        created["name"] in names for created in data["create"]
    )


def test_cli_needs_a_database_for_live_options() -> None:
    result = CliRunner().invoke(main, ["indexes", "--workload", "x.sql", "--validate"])
    assert result.exit_code == 2
    assert "--dsn" in result.output
