"""``sqltune plan``: the tree with the hot path, findings ranked by saving and linked to the SQL, JSON output,
exit codes, and one-line errors for malformed or truncated plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqltune.cli import main
from sqltune.cli import plan as _plan  # noqa: F401  (registers plan and explain until the CLI imports it)

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "fixtures" / "plans"
RULE_PLANS = ROOT / "fixtures" / "plan_rules"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_text_output_marks_the_hot_path_and_links_findings_to_sql(tmp_path: Path) -> None:
    sql = tmp_path / "q18.sql"
    sql.write_text((PLANS.parent / "workloads" / "tpch" / "q18.sql").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run("plan", str(PLANS / "postgres" / "tpch_q18.analyze.txt"), "--sql", str(sql))
    assert err == ""
    hot = [line for line in out.splitlines() if line.startswith("* ")]
    assert hot[0].startswith("* Limit") and "HashAggregate" in hot[-2]  # the chain down to the spilling aggregate
    assert "<SQ303>" in out and "1. SQ303 [info] saves ~" in out
    assert f"--> {sql}:19:13" in out  # the GROUP BY of the subquery the HashAggregate computes
    assert "SET LOCAL work_mem = '16MB'" in out
    assert code == 0  # info only: below the default --fail-on warning


def test_findings_are_ranked_by_saving_and_fail_on_decides_the_exit_code() -> None:
    plan = str(RULE_PLANS / "postgres" / "hash-bigger-side.txt")
    code, out, _ = run("plan", plan, "--format", "json")
    data = json.loads(out)
    findings = data["reports"][0]["findings"]
    assert [f["code"] for f in findings] == ["SQ302", "SQ316"]
    assert findings[0]["saving"] >= findings[1]["saving"]
    assert findings[0]["severity"] == "error" and code == 1
    assert run("plan", plan, "--fail-on", "never")[0] == 0
    assert run("plan", plan, "--select", "SQ316")[0] == 0  # SQ316 alone is info
    assert run("plan", plan, "--select", "SQ316", "--fail-on", "info")[0] == 1


def test_json_output_has_nodes_shares_and_hot_path() -> None:
    _, out, _ = run("plan", str(PLANS / "postgres" / "sort_spill.analyze_buffers.json"), "--format", "json")
    report = json.loads(out)["reports"][0]
    assert report["plan"] == {
        "format": "postgres-json",
        "dialect": "postgres",
        "executed": True,
        "planning_ms": report["plan"]["planning_ms"],
        "execution_ms": report["plan"]["execution_ms"],
        "total_cost": 4004.9,
        "basis": "time",
    }
    assert report["hot_path"] == [0, 1] or report["hot_path"] == [0]
    assert sum(node["share"] for node in report["nodes"]) == pytest.approx(1.0)
    assert [f["code"] for f in report["findings"]] == ["SQ303"]
    assert "line" not in report["findings"][0]  # no --sql: nothing to link to


def test_other_engines_and_standard_input() -> None:
    code, out, _ = run("plan", str(PLANS / "mysql" / "mariadb_full_scan.analyze.json"), "--format", "json")
    assert [f["code"] for f in json.loads(out)["reports"][0]["findings"]] == ["SQ301"]
    text = (RULE_PLANS / "snowflake" / "no-pruning.operator_stats.json").read_text(encoding="utf-8")
    code, out, _ = run("plan", "-", stdin=text)
    assert "SQ319 [warning]" in out and "CLUSTER BY (L_COMMITDATE)" in out and code == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("truncated.json", "truncated"),
        ("truncated_cost.txt", "malformed or truncated cost block"),
        ("not_a_plan.json", "not a recognised EXPLAIN plan"),
        ("empty.txt", "empty input"),
    ],
)
def test_malformed_plans_are_one_line_and_exit_2(name: str, expected: str) -> None:
    code, out, err = run("plan", str(PLANS / "malformed" / name))
    assert code == 2 and out == ""
    assert err.startswith("sqltune: error: ") and err.count("\n") == 1 and expected in err, err
    assert name in err


def test_missing_file_and_bad_sql_are_one_line(tmp_path: Path) -> None:
    code, _, err = run("plan", str(tmp_path / "nope.json"))
    assert code == 2 and "cannot read the plan file" in err and err.count("\n") == 1
    bad = tmp_path / "bad.sql"
    bad.write_text("SELECT FROM WHERE (;\n", encoding="utf-8")
    code, _, err = run("plan", str(PLANS / "postgres" / "seq_filter.analyze.txt"), "--sql", str(bad))
    assert code == 2 and err.startswith(f"sqltune: error: {bad}:1:") and err.count("\n") == 1


def test_unknown_rule_selection_is_a_usage_error() -> None:
    code, _, err = run("plan", str(PLANS / "postgres" / "seq_filter.analyze.txt"), "--select", "SQ999")
    assert code == 2 and "unknown rule 'SQ999'" in err
