"""Every output format on the fixture project, against reviewed snapshots; SARIF against the OASIS schema."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from ci_support import run_cli, snapshot

from sqltune import __version__
from sqltune.core.findings import Finding, Report, Severity
from sqltune.core.source import InputProblem, Source
from sqltune.reporters import FORMATS, ReportOptions, render
from sqltune.reporters.github import ANNOTATION_LIMIT

SARIF_SCHEMA = Path(__file__).parent.parent / "fixtures" / "sarif-schema-2.1.0.json"
SUFFIX = {"text": "txt", "concise": "txt", "json": "json", "sarif": "sarif", "github": "txt", "rdjson": "json"}


def _lint(root: Path, *args: str) -> tuple[int, str, str]:
    result = run_cli("lint", ".", "--no-cache", "--jobs", "1", *args)
    out = result.stdout.replace(str(root), "<root>").replace(__version__, "<version>")
    return result.exit_code, out, result.stderr


@pytest.mark.parametrize("output_format", ["text", "concise", "json", "sarif", "github", "rdjson", "junit"])
def test_format_snapshot(project: Path, output_format: str) -> None:
    code, out, err = _lint(project, "--format", output_format)
    assert code == 1, err  # the fixture project has findings at every severity
    snapshot(f"lint.{output_format}.{SUFFIX.get(output_format, 'xml')}", out)


def test_every_registered_format_has_a_snapshot_test() -> None:
    assert set(FORMATS) == {"text", "concise", "json", "sarif", "github", "rdjson", "junit"}


def test_sarif_is_valid_and_complete(project: Path) -> None:
    _, out, _ = _lint(project, "--format", "sarif")
    log = json.loads(out)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["SQ000", "SQ001", "SQ019"]  # the rules this run selected
    star = rules[1]
    assert star["name"] == "select-star" and star["defaultConfiguration"]["level"] == "warning"
    assert "## Why is this bad?" in star["help"]["markdown"] and star["properties"]["precision"] == "high"
    by_rule = {result["ruleId"]: result for result in run["results"]}
    assert by_rule["SQ019"]["level"] == "note"  # severity overridden to info by the project's config
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not location["artifactLocation"]["uri"].startswith(("/", "."))
    assert run["invocations"][0]["executionSuccessful"] is True
    region = by_rule["SQ000"]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 23, "endLine": 3, "endColumn": 24}


def test_sarif_is_proportionate_to_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """TPC-H: 8 findings. Only the rules that ran are listed (no plan rule), the documentation once, as
    markdown, and only for the rules with results: about 36 KB (226 KB when every rule came with text and
    markdown help)."""
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    args = ["--dialect", "duckdb", "--schema", "fixtures/schemas/tpch.sql", "fixtures/workloads/tpch"]
    result = run_cli("lint", "--no-cache", "--format", "sarif", *args)
    log = json.loads(result.stdout)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 8 and len(result.stdout.encode()) < 50_000
    assert not [rule["id"] for rule in rules if rule["id"].startswith("SQ3")]  # plan rules never run on SQL files
    documented = {rule["id"] for rule in rules if "help" in rule}
    assert documented == {result["ruleId"] for result in run["results"]}
    for rule in rules:
        if "help" in rule:
            assert "## What it does" in rule["help"]["markdown"] and len(rule["help"]["text"]) < 300


def test_sarif_fingerprints_survive_moved_lines(project: Path) -> None:
    def prints() -> dict[tuple[str, str], str]:
        run = json.loads(_lint(project, "--format", "sarif")[1])["runs"][0]
        return {
            (r["ruleId"], r["message"]["text"]): r["partialFingerprints"]["sqltuneStatementHash/v1"]
            for r in run["results"]
        }

    before = prints()
    path = project / "queries" / "open_orders.sql"
    path.write_text("-- a new header line\n\n" + path.read_text().replace("SELECT *", "select   *"))
    after = prints()
    assert before == after
    assert len(set(before.values())) == len(before)


def test_sarif_reports_unreadable_input_as_notification(project: Path) -> None:
    (project / "queries" / "binary.sql").write_bytes(b"SELECT \x00\x01")
    result = run_cli("lint", ".", "--no-cache", "--format", "sarif")
    assert result.exit_code == 2
    log = json.loads(result.stdout)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error" and "binary" in notification["message"]["text"]
    assert "binary.sql" in result.stderr


def _many(count: int, severity: Severity) -> list[Finding]:
    source = Source("many.sql", "SELECT 1;\n" * count)
    return [
        Finding("SQ001", "select-star", severity, f"finding {n}", source.span(n * 10, n * 10 + 6)) for n in range(count)
    ]


def test_github_caps_annotations_and_writes_the_full_summary(tmp_path: Path) -> None:
    report = Report(findings=_many(13, Severity.WARNING) + _many(3, Severity.ERROR) + _many(10, Severity.INFO))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    environ = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path)}
    out = render(report, {}, "github", ReportOptions(environ=environ)).splitlines()
    assert sum(line.startswith("::warning ") for line in out) == ANNOTATION_LIMIT
    assert sum(line.startswith("::error ") for line in out) == 3
    # The tenth notice slot is the overflow notice: 3 warnings and 1 info finding were not annotated.
    notices = [line for line in out if line.startswith("::notice")]
    assert len(notices) == ANNOTATION_LIMIT
    assert notices[-1].startswith("::notice title=sqltune::4 more findings not annotated")
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, never overwritten
    assert text.count("| warning | SQ001 select-star |") == 13 and text.count("| info |") == 10


def test_github_without_overflow_has_no_notice_and_escapes(tmp_path: Path) -> None:
    source = Source("dir,x/a:b.sql", "SELECT *")
    finding = Finding("SQ001", "select-star", Severity.INFO, "100% of\nrows", source.span(7, 8))
    out = render(Report(findings=[finding]), {}, "github", ReportOptions(environ={"GITHUB_WORKSPACE": "."}))
    first = out.splitlines()[0]
    assert first == (
        "::notice file=dir%2Cx/a%3Ab.sql,line=1,col=8,endLine=1,endColumn=9,title=SQ001 select-star::100%25 of%0Arows"
    )
    assert "more finding" not in out


def test_junit_structure(project: Path) -> None:
    _, out, _ = _lint(project, "--format", "junit")
    root = ET.fromstring(out)
    assert root.tag == "testsuites" and root.get("failures") == "6" and root.get("errors") == "0"
    suites = {suite.get("name"): suite for suite in root}
    assert suites["queries/clean.sql"].find("testcase").get("name") == "lint"  # a clean file passes
    assert suites["queries/clean.sql"].find("testcase/failure") is None
    cases = suites["queries/open_orders.sql"].findall("testcase")
    assert [case.get("name") for case in cases] == ["SQ001 select-star (2:8)", "SQ001 select-star (7:8)"]


def test_rdjson_columns_are_utf8_bytes() -> None:
    source = Source("u.sql", "SELECT 'é', *")
    finding = Finding("SQ001", "select-star", Severity.WARNING, "star", source.span(12, 13))
    report = Report(findings=[finding], sources={"u.sql": source})
    diagnostic = json.loads(render(report, {}, "rdjson", ReportOptions()))["diagnostics"][0]
    assert diagnostic["location"]["range"] == {"start": {"line": 1, "column": 14}, "end": {"line": 1, "column": 15}}


def test_problems_go_to_stderr_in_machine_formats(project: Path) -> None:
    (project / "queries" / "empty.sql").write_text("")
    result = run_cli("lint", ".", "--no-cache", "--format", "concise")
    assert result.exit_code == 1  # an empty file is a notice, not an unreadable input
    assert "notice: ./queries/empty.sql: empty file; expected SQL statements" in result.stderr
    assert "empty.sql" not in result.stdout


def test_output_file(project: Path) -> None:
    result = run_cli("lint", ".", "--no-cache", "--format", "sarif", "--output", "out.sarif")
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads((project / "out.sarif").read_text())["version"] == "2.1.0"


def test_problem_objects_render_in_every_format() -> None:
    report = Report(problems=[InputProblem("x.sql", "invalid UTF-8 byte 0xff; expected UTF-8 encoded SQL", 2, 3)])
    for name in FORMATS:
        assert render(report, {}, name, ReportOptions()) is not None
    junit = ET.fromstring(render(report, {}, "junit", ReportOptions()))
    assert junit.get("errors") == "1"
