"""The dbt step on two real `dbt build`s (dbt-core and dbt-postgres, in their own environment) against the
suite's PostgreSQL: order_fan_out is made slower between them through a dbt var, and `sqltune dbt` reports
it as regressed, lints and explains the slowest models with the findings on the model files, writes nothing,
and never shows the profile's password (set in profiles.yml and in --dsn; trust authentication ignores it)."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result
from dbt_support import OVERLAY, PROJECT

import sqltune
from sqltune.cli import main

pytestmark = pytest.mark.postgres

FAN_OUT_MODEL = "models/marts/order_fan_out.sql"
#: order_fan_out's fan_out in the second build: seconds of work where the first build took milliseconds.
FAN_OUT = 1_500_000


@dataclass(frozen=True)
class Built:
    project: Path  # the second build's project, its target/ holding the artifacts
    previous: Path  # the first build's run_results.json
    dsn: str  # with the profile's password
    password: str
    schema: str


@pytest.fixture(scope="module")
def built(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from sqltune.testing.dbt import build, ensure_dbt, project_with

    ensure_dbt()  # made once and cached (the first run installs dbt: minutes, not counted here)
    token = uuid.uuid4().hex[:12]
    schema, password = f"dbt_step_{token}", f"Pr0file-Pa55-{token}"
    dsn = f"{pg_dsn} password={password}"
    work = tmp_path_factory.mktemp("dbt_step")
    source = project_with(PROJECT, OVERLAY, work / "source")
    try:
        for name, fan_out in (("first", 1), ("second", FAN_OUT)):
            done = build(source, dsn, schema, work / name, variables={"fan_out": fan_out})
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert password in (work / "second" / "profiles" / "profiles.yml").read_text()  # the secret is in play
        yield Built(work / "second" / "project", work / "first" / "project" / "target" / "run_results.json", dsn,
                    password, schema)  # fmt: skip
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            connection.execute(f"DROP SCHEMA IF EXISTS {schema}_dbt_test__audit CASCADE")


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(main, ["dbt", *args], catch_exceptions=False)


def relations(dsn: str, schema: str) -> list[tuple[str, int]]:
    """Every relation of the schema with its estimated row count (its statistics move when rows are written)."""
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT c.relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables s "
            "JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = %s ORDER BY 1",
            [schema],
        ).fetchall()
    return [(name, int(changes)) for name, changes in rows]


def test_the_slower_model_is_a_regression_linted_and_explained_on_its_file(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(built.project)
    before = relations(built.dsn, built.schema)
    result = run_cli(".", "--previous", str(built.previous), "--dsn", built.dsn, "--min-seconds", "0.5")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert relations(built.dsn, built.schema) == before  # EXPLAIN only: nothing written
    lines = result.stdout.splitlines()
    first = lines[lines.index("Slowest models (top 4 of 4)") + 2].split()
    assert first[-1] == "model.shop.order_fan_out" and first[-6:-2] == ["1", "lint,", "1", "plan"]
    assert int(first[-2].replace(",", "")) > 100_000  # the plan's cost: the 1.5M-row fan-out
    regression = next(line for line in lines if line.startswith("  DBT001 [warning] model.shop.order_fan_out took"))
    assert "in the previous run" in regression
    assert f"{FAN_OUT_MODEL}:12:7: SQ002 [warning]" in result.stdout  # lint, on the compiled SQL
    assert f"{FAN_OUT_MODEL}:9:12: SQ304 [warning] Nested Loop runs its inner side" in result.stdout  # the plan
    assert "    9 | cross join generate_series(1, {{ var('fan_out', 1) }}) as copies (n)" in result.stdout
    assert built.password not in result.stdout + result.stderr


@pytest.mark.parametrize("output_format", ["json", "sarif", "junit"])
def test_no_output_shows_the_password(built: Built, output_format: str, tmp_path: Path) -> None:
    out = tmp_path / f"report.{output_format}"
    result = run_cli(
        str(built.project), "--previous", str(built.previous), "--dsn", built.dsn, "--min-seconds", "0.5",
        "--format", output_format, "--output", str(out),
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    text = out.read_text()
    assert "order_fan_out" in text and "DBT001" in text and "SQ304" in text
    assert built.password not in text + result.stdout + result.stderr
    if output_format == "json":
        data = json.loads(text)
        assert data["explained"] and all(model["plan_cost"] is not None for model in data["slowest"])


def test_the_api_with_an_open_connection_and_a_model_the_database_cannot_explain(built: Built, tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(built.project, project)
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    node = manifest["nodes"]["model.shop.customer_revenue"]
    # The model file is unchanged (so it is not stale); only its compiled SQL names a relation that is not there.
    node["compiled_code"] = node["compiled_code"].replace('"stg_customers"', '"stg_customers_gone"')
    (project / "target" / "manifest.json").write_text(json.dumps(manifest))
    with sqltune.connect(built.dsn) as connection:
        report = sqltune.check_dbt(project, previous=built.previous, connection=connection, min_seconds=0.5)
    by_id = {model.unique_id: model for model in report.models}
    assert by_id["model.shop.order_fan_out"].explained and by_id["model.shop.stg_orders"].explained
    assert not by_id["model.shop.customer_revenue"].explained
    (notice,) = report.report.problems
    assert not notice.fatal and notice.path == str(project / "models/marts/customer_revenue.sql")
    assert notice.message.startswith('model.shop.customer_revenue not explained: relation "')
    assert "stg_customers_gone" in notice.message
    assert [r.unique_id for r in report.regressions] == ["model.shop.order_fan_out"]


def test_a_project_built_elsewhere_is_not_explained_on_postgresql(built: Built, tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(built.project, project)
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    manifest["metadata"]["adapter_type"] = "snowflake"
    (project / "target" / "manifest.json").write_text(json.dumps(manifest))
    result = run_cli(str(project), "--dsn", built.dsn)
    assert result.exit_code == 2
    assert "the project builds on snowflake; models are explained on PostgreSQL only" in result.stderr
    assert built.password not in result.stdout + result.stderr
