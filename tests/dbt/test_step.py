"""The dbt step over recorded artifacts (no database): the slowest models, lint findings on the model files,
regressions against the previous run, the four output formats, exit codes, and no secret in any output."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner, Result
from dbt_support import VERSIONS, Recorded

import sqltune
from sqltune.cli import main
from sqltune.core.config import Config
from sqltune.dbt import check_project
from sqltune.linter.dbt import DbtError

FAN_OUT = "models/marts/order_fan_out.sql"
SLOWEST = [
    "model.shop.order_fan_out",
    "model.shop.stg_customers",
    "model.shop.customer_revenue",
    "model.shop.stg_orders",
]


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(main, ["dbt", *args], catch_exceptions=False)


def edit(path: Path, change: object) -> None:
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("version", VERSIONS)
def test_every_schema_version_gives_the_same_report(recorded: Recorded, version: str) -> None:
    project, previous = recorded(version)
    report = check_project(project, previous=previous)
    assert [model.unique_id for model in report.models] == SLOWEST
    fan_out = report.models[0]
    assert (fan_out.status, fan_out.materialized, fan_out.path) == ("success", "table", str(project / FAN_OUT))
    assert fan_out.seconds is not None and fan_out.previous_seconds is not None
    assert fan_out.seconds > 1.0 > fan_out.previous_seconds
    assert (fan_out.lint_findings, fan_out.plan_findings, fan_out.explained) == (1, 0, False)
    assert [(r.kind, r.unique_id) for r in report.regressions] == [("slower", "model.shop.order_fan_out")]
    found = [(f.code, os.path.relpath(f.path, project), f.span.line, f.span.column) for f in report.report]
    assert found == [("DBT001", FAN_OUT, 1, 1), ("SQ002", FAN_OUT, 12, 7)]
    # The finding points at the model file's own text (Jinja and all), not the compiled SQL.
    assert report.report.sources[str(project / FAN_OUT)].line_text(9).startswith("cross join generate_series(1, {{")
    assert report.report.problems == []
    assert (report.manifest.schema_version, report.run.schema_version) == tuple(
        int(part[1:]) for part in version.split("-")
    )


def test_text_report_lists_the_slowest_models_the_regressions_then_the_findings(
    recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, previous = recorded()
    monkeypatch.chdir(project)
    result = run_cli(".", "--previous", str(previous), "--top", "2")
    assert result.exit_code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("dbt project .: 4 models ran (run_results v6, dbt 1.10.23, 2026-")
    assert lines[1].startswith(f"Compared with {previous} (")
    assert lines[3] == "Slowest models (top 2 of 4)"
    assert lines[4].split() == ["#", "time", "before", "status", "findings", "plan", "cost", "model"]
    assert lines[5].split() == ["1", "2.1", "s", "49.1", "ms", "success", "1", "lint", "-", SLOWEST[0]]
    assert lines[6].split() == [FAN_OUT, "[table]"]
    assert lines[7].strip().startswith("2 ") and lines[7].endswith("model.shop.stg_customers")
    assert "model.shop.customer_revenue" not in result.stdout.split("Regressions")[0]  # beyond --top 2
    assert "Regressions against the previous run: 1" in lines
    assert f"{FAN_OUT}:12:7: SQ002 [warning] `LOWER(o.status)` applies the function LOWER" in result.stdout
    assert "   12 | where lower(o.status) = 'completed'" in result.stdout
    assert f"{FAN_OUT}:1:1: DBT001 [warning] model.shop.order_fan_out took" in result.stdout
    assert lines[-1] == "Found 2 findings (2 warnings) in 2 files, 2 statements."
    assert result.stderr == ""


def test_json_sarif_and_junit(recorded: Recorded, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    project, previous = recorded()
    monkeypatch.chdir(project)
    as_json = run_cli(".", "--previous", str(previous), "--format", "json")
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert [model["unique_id"] for model in data["slowest"]] == SLOWEST
    assert data["slowest"][0]["lint_findings"] == 1 and data["slowest"][0]["path"] == FAN_OUT
    assert data["manifest"]["schema_version"] == 12 and data["run_results"]["dbt_version"] == "1.10.23"
    assert [(r["code"], r["kind"], r["unique_id"]) for r in data["regressions"]] == [
        ("DBT001", "slower", "model.shop.order_fan_out")
    ]
    assert [(f["code"], f["line"], f["column"]) for f in data["findings"]] == [("DBT001", 1, 1), ("SQ002", 12, 7)]
    assert data["settings"] == {"top": 10, "time_factor": 1.5, "min_seconds": 1.0} and not data["explained"]

    sarif_path = tmp_path / "dbt.sarif"
    as_sarif = run_cli(".", "--previous", str(previous), "--format", "sarif", "--output", str(sarif_path))
    assert (as_sarif.exit_code, as_sarif.stdout, as_sarif.stderr) == (1, "", "")
    (sarif_run,) = json.loads(sarif_path.read_text())["runs"]
    rules = [rule["id"] for rule in sarif_run["tool"]["driver"]["rules"]]
    assert rules == ["DBT001", "DBT002", "DBT003", "DBT004", "SQ002"]
    located = [
        (
            result["ruleId"],
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for result in sarif_run["results"]
    ]
    assert located == [("DBT001", FAN_OUT, 1), ("SQ002", FAN_OUT, 12)]
    assert sarif_run["properties"]["dbt"]["regressions"][0]["ratio"] > 1.5

    as_junit = run_cli(".", "--previous", str(previous), "--format", "junit")
    assert as_junit.exit_code == 1
    suites = ET.fromstring(as_junit.stdout)
    failures = [case.get("name") for case in suites.iter("testcase") if case.find("failure") is not None]
    assert failures == ["DBT001 model-slower (1:1)", "SQ002 non-sargable-predicate (12:7)"]
    assert suites.get("failures") == "2"


def test_without_a_previous_run_there_is_nothing_to_regress(recorded: Recorded) -> None:
    project, _ = recorded()
    result = run_cli(str(project))
    assert result.exit_code == 0
    assert "Regressions" not in result.stdout and "No regressions" not in result.stdout
    assert "SQ002" in result.stdout and "DBT001" not in result.stdout


def test_within_the_threshold_there_is_no_regression(recorded: Recorded) -> None:
    project, previous = recorded()
    result = run_cli(str(project), "--previous", str(previous), "--time-factor", "100")
    assert result.exit_code == 0
    assert "\nNo regressions.\n" in result.stdout and "DBT001" not in result.stdout
    assert run_cli(str(project), "--previous", str(previous), "--min-seconds", "5").exit_code == 0


def test_new_removed_and_failed_models_and_fail_on(recorded: Recorded) -> None:
    project, previous = recorded()

    def renamed(data: dict) -> None:  # the previous run had stg_orders under another name
        for result in data["results"]:
            if result["unique_id"] == "model.shop.stg_orders":
                result["unique_id"] = "model.shop.stg_orders_old"
            if result["unique_id"] == "model.shop.order_fan_out":
                result["execution_time"] = 2.0  # not slower now

    edit(previous, renamed)
    result = run_cli(str(project), "--previous", str(previous))
    assert result.exit_code == 1
    assert "  DBT003 [info] model.shop.stg_orders ran (30.5 ms) but was not in the previous run" in result.stdout
    assert (
        "  DBT004 [info] model.shop.stg_orders_old ran in the previous run (49.3 ms) but not in this one; "
        "it is no longer in the project"
    ) in result.stdout
    assert run_cli(str(project), "--previous", str(previous), "--fail-on", "warning").exit_code == 0

    def failed(data: dict) -> None:
        for result in data["results"]:
            if result["unique_id"] == "model.shop.order_fan_out":
                result.update(status="error", execution_time=0.2, message="Database Error in model order_fan_out")

    edit(project / "target" / "run_results.json", failed)
    result = run_cli(str(project), "--previous", str(previous), "--fail-on", "error")
    assert result.exit_code == 1
    assert (
        "  DBT002 [error] model.shop.order_fan_out error (previous run: success): Database Error in model order_fan_out"
    ) in result.stdout
    assert "     Database Error in model order_fan_out" in result.stdout  # under the model in the slowest list
    assert run_cli(str(project), "--previous", str(previous), "--fail-on", "never").exit_code == 0


def test_a_model_beyond_top_is_analysed_when_it_regressed(recorded: Recorded) -> None:
    project, previous = recorded()

    def slower_view(data: dict) -> None:
        for result in data["results"]:
            if result["unique_id"] == "model.shop.stg_orders":
                result["execution_time"] = 1.9  # slower, yet below order_fan_out's 2.1 s
            if result["unique_id"] == "model.shop.order_fan_out":
                result["execution_time"] = 3.0

    edit(project / "target" / "run_results.json", slower_view)
    report = check_project(project, previous=previous, top=1, time_factor=2.0)
    assert [model.unique_id for model in report.slowest] == ["model.shop.order_fan_out"]
    assert [r.unique_id for r in report.regressions] == ["model.shop.stg_orders", "model.shop.order_fan_out"]
    paths = {os.path.relpath(path, project) for path in report.report.sources}
    assert paths == {FAN_OUT, "models/staging/stg_orders.sql"}  # stg_customers (2nd slowest) is not linted


def test_stale_and_missing_model_files(recorded: Recorded) -> None:
    project, _ = recorded()
    (project / FAN_OUT).write_text("select customer_id from {{ ref('stg_orders') }} where lower(status) = 'x'\n")
    (project / "models" / "staging" / "stg_customers.sql").unlink()
    report = check_project(project)
    notices = [(p.fatal, os.path.relpath(p.path, project), p.message) for p in report.report.problems]
    assert notices == [
        (False, FAN_OUT, "changed since the dbt manifest was written; linted the file with placeholders "
         "(run `dbt compile` to lint the compiled SQL)"),
    ]  # fmt: skip
    assert [(f.code, f.span.line) for f in report.report] == [("SQ002", 1)]  # the file as it is now
    missing = report.models[1]
    assert (missing.unique_id, missing.path, missing.notes) == (
        "model.shop.stg_customers",
        None,
        ["not linted: its model file is not in the project"],
    )
    text = run_cli(str(project)).stdout
    assert "(model file not found)" in text and "not linted: its model file is not in the project" in text


def test_errors_are_one_line_and_exit_2(recorded: Recorded, tmp_path: Path) -> None:
    project, _ = recorded()
    with pytest.raises(DbtError, match="a dbt manifest artifact; expected dbt run results"):
        check_project(project, previous=project / "target" / "manifest.json")
    result = run_cli(str(tmp_path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"sqltune: error: {tmp_path}: not a dbt project (no dbt_project.yml); " + (
        "expected the folder dbt builds\n"
    )
    (project / "target" / "run_results.json").unlink()
    result = run_cli(str(project))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"sqltune: error: {project / 'target'}: no run_results.json; run `dbt build`")
    result = run_cli(str(project), "--target-dir", "elsewhere")
    assert "elsewhere: no manifest.json" in result.stderr and result.exit_code == 2
    result = run_cli(str(project), "--dsn", "snowflake://me@acct/db")
    assert result.exit_code == 2 and "sqltune dbt: Snowflake connections are not supported" in result.stderr


def test_nothing_the_artifacts_record_about_the_environment_reaches_a_report(
    recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt records its invocation (flags, --vars) in run_results.json's args and DBT_ENV_CUSTOM_ENV_ variables
    in metadata.env: the step reads neither, so a secret there reaches no output."""
    project, previous = recorded()
    secret = "s3cr3t-Pa55word-in-the-artifacts"

    def leak(data: dict) -> None:
        data["args"] = {"vars": {"password": secret}, "profiles_dir": f"/home/{secret}"}
        data["metadata"]["env"] = {"DBT_ENV_CUSTOM_ENV_TOKEN": secret}

    for path in (project / "target" / "run_results.json", project / "target" / "manifest.json", previous):
        edit(path, leak)
    monkeypatch.chdir(project)
    for output_format in ("text", "json", "sarif", "junit"):
        result = run_cli(".", "--previous", str(previous), "--format", output_format)
        assert result.exit_code == 1
        assert secret not in result.stdout + result.stderr, output_format


def test_a_password_in_the_dsn_stays_out_of_errors(recorded: Recorded) -> None:
    project, _ = recorded()
    secret = "dsn-Pa55word-never-shown"
    result = run_cli(str(project), "--dsn", f"postgresql://postgres:{secret}@127.0.0.1:1/test?connect_timeout=3")
    assert result.exit_code == 2
    assert result.stderr.startswith("sqltune: error: cannot connect to 127.0.0.1:1/test")
    assert secret not in result.stdout + result.stderr


def test_the_python_api(recorded: Recorded) -> None:
    project, previous = recorded()
    report = sqltune.check_dbt(project, previous=previous, top=2, time_factor=100.0)
    assert report.regressions == [] and len(report.slowest) == 2
    ignoring = sqltune.check_dbt(project, config=Config(ignore=("SQ002",)))
    assert [f.code for f in ignoring.report] == []
    with pytest.raises(ValueError, match="top 0: expected at least 1"):
        check_project(project, top=0)
