"""Errors never disappear: a rule of ours (here a plugin installed through the ``sqltune.rules`` entry point)
that raises is a problem on every surface -- the CLI's exit code 2, JSON ``problems`` with their kind, SARIF
``toolExecutionNotifications``, the Python API -- whether the files are linted in this process or in worker
processes, and a run that had a problem is never cached. A reporter that raises is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from sqltune.cli import main
from sqltune.core.source import InputProblem, Problem, ProblemKind

SRC = Path(__file__).resolve().parent.parent / "src"
SARIF_SCHEMA = Path(__file__).resolve().parent / "fixtures" / "sarif-schema-2.1.0.json"

PLUGIN = '''
from sqltune.core.findings import Severity
from sqltune.core.sqlglot import exp
from sqltune.rules import Rule, RuleMeta


class Crashes(Rule):
    """Raises on every WHERE, as SQ006 did on a WHERE of 1,000 OR terms."""

    code = "XT001"
    node_types = (exp.Where,)
    meta = RuleMeta("XT001", "crashes-on-where", "query", Severity.WARNING, "A rule with a bug, for the tests.")

    def visit(self, node, ctx):
        raise RecursionError("maximum recursion depth exceeded")
        yield
'''


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a ``sqltune`` process with the crashing rule installed as an entry-point plugin."""
    site = tmp_path / "site"
    (site / "xt_crash-1.0.dist-info").mkdir(parents=True)
    (site / "xt_crash.py").write_text(PLUGIN, encoding="utf-8")
    (site / "xt_crash-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: xt-crash\nVersion: 1.0\n", encoding="utf-8"
    )
    (site / "xt_crash-1.0.dist-info" / "entry_points.txt").write_text(
        "[sqltune.rules]\nxt_crash = xt_crash:Crashes\n", encoding="utf-8"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(SRC)]), SQLTUNE_CACHE_DIR=str(tmp_path / "c"))
    yield env


def sqltune(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    code = "import sys; from sqltune.cli import main; sys.argv[0] = 'sqltune'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _queries(folder: Path, count: int) -> Path:
    folder.mkdir()
    for number in range(count):
        (folder / f"q{number:02}.sql").write_text(f"SELECT * FROM t{number} WHERE a = 1;\nSELECT 1;\n")
    return folder


@pytest.mark.parametrize("count", [1, 20], ids=["in-process", "workers"])
def test_a_crashing_plugin_rule_is_exit_2_with_the_other_findings(
    plugin: dict[str, str], tmp_path: Path, count: int
) -> None:
    folder = _queries(tmp_path / "q", count)
    for attempt in ("cold", "warm"):  # the warm run must meet the crash again: nothing was cached
        done = sqltune(plugin, "lint", str(folder), "--select", "SQ001,XT001", "--format", "json", "--jobs", "2")
        assert done.returncode == 2, (attempt, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        data = json.loads(done.stdout)
        assert [f["code"] for f in data["findings"]] == ["SQ001"] * count  # the other rule's findings survive
        assert len(data["problems"]) == count
        problem = data["problems"][0]
        assert problem["kind"] == "crash" and problem["code"] == "XT001" and problem["exception"] == "RecursionError"
        assert (problem["line"], problem["column"]) == (1, 1) and problem["path"].endswith("q00.sql")
        assert "rule XT001 failed on this statement (RecursionError" in problem["message"]


def test_text_report_of_a_crash_is_not_a_clean_bill(plugin: dict[str, str], tmp_path: Path) -> None:
    query = tmp_path / "q.sql"
    query.write_text("SELECT a FROM t WHERE a = 1 OR b = 2;\n")
    done = sqltune(plugin, "lint", str(query), "--select", "XT001")
    assert done.returncode == 2
    assert f"{query}:1:1: rule XT001 failed on this statement (RecursionError" in done.stdout
    assert "1 problem above: the run is incomplete" in done.stdout


def test_sarif_carries_the_crash_as_a_tool_notification(plugin: dict[str, str], tmp_path: Path) -> None:
    query = tmp_path / "q.sql"
    query.write_text("SELECT 1;\nSELECT a FROM t WHERE a = 1;\n")
    done = sqltune(plugin, "lint", str(query), "--select", "XT001", "--format", "sarif", cwd=tmp_path)
    assert done.returncode == 2
    log = json.loads(done.stdout)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["associatedRule"] == {"id": "XT001"}
    assert note["exception"]["kind"] == "RecursionError"
    location = note["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "q.sql" and location["region"]["startLine"] == 2


def test_baseline_create_refuses_a_run_with_a_crash(plugin: dict[str, str], tmp_path: Path) -> None:
    query = tmp_path / "q.sql"
    query.write_text("SELECT * FROM t WHERE a = 1;\n")
    done = sqltune(plugin, "baseline", "create", str(query), "-o", str(tmp_path / "b.json"), "--select", "SQ001,XT001")
    assert done.returncode == 2 and "rule XT001 failed" in done.stderr
    assert not (tmp_path / "b.json").exists()


def test_the_api_reports_the_crash(plugin: dict[str, str], tmp_path: Path) -> None:
    code = (
        "import json, sqltune; r = sqltune.lint('SELECT a FROM t WHERE a = 1', select=['XT001']);"
        "print(json.dumps([r.failed, [p.to_dict() for p in r.crashes()]]))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=plugin, capture_output=True, text=True, check=True)
    failed, [crash] = json.loads(done.stdout)
    assert failed and crash["code"] == "XT001" and crash["kind"] == "crash"


def test_problem_keeps_the_input_problem_name() -> None:
    import sqltune

    assert sqltune.InputProblem is InputProblem is Problem and sqltune.Problem is Problem
    problem = InputProblem("a.sql", "no such file or directory")
    assert problem.kind is ProblemKind.INPUT and problem.fatal
    assert problem.to_dict()["kind"] == "input"


def test_a_reporter_that_raises_is_one_line_and_exit_2(tmp_path: Path) -> None:
    from sqltune.reporters.base import FORMATS, register

    @register("broken-for-test")
    def broken(report: object, rules: object, options: object) -> str:
        raise KeyError("ruleIndex")

    query = tmp_path / "q.sql"
    query.write_text("SELECT * FROM t;\n")
    try:
        result = CliRunner().invoke(main, ["lint", str(query), "--no-cache", "--format", "broken-for-test"])
    finally:
        del FORMATS["broken-for-test"]
    assert result.exit_code == 2
    assert result.stderr == (
        "sqltune: error: reporter broken-for-test failed (KeyError: 'ruleIndex'); "
        "this is a sqltune bug, please report it\n"
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
