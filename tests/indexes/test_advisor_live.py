"""The index advisor against the suite's own PostgreSQL: HypoPG, rolled-back real indexes, validation, --apply."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from click.testing import CliRunner

from sqltune.cli import main
from sqltune.connectors.postgres import PostgresConnection, connect
from sqltune.indexes.advisor import advise_indexes
from sqltune.indexes.model import IndexSpec

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
    first = next(q for q in plan.queries if q.query_id.endswith("#1"))
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
