"""The index advisor's output for people, offline: queries named as the user names them, speed-ups as people
read them, and progress on a terminal's stderr (never on a pipe). The live counterparts (HypoPG, measured
validation) are in test_advisor_live.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqltune.indexes.advisor import advise_indexes, load_workload
from sqltune.indexes.plan import IndexPlan
from sqltune.indexes.runtime import RuntimeCheck, format_speedup
from sqltune.schema import Schema
from sqltune.testing.terminal import run_cli, visible_text
from sqltune.workload import Execution, Workload

ROOT = Path(__file__).resolve().parents[2]
TPCH = ROOT / "fixtures/workloads/tpch"
SCHEMA = ROOT / "fixtures/schemas/tpch.sql"

#: Two statements in one file, the second on line 4 (after a comment and a blank line).
REPORT = """SELECT l_orderkey, sum(l_extendedprice) FROM lineitem WHERE l_shipdate >= date '1995-01-01' GROUP BY 1;
-- the same customers, by segment

SELECT c_custkey FROM customer WHERE c_mktsegment = 'BUILDING';
"""


@pytest.fixture
def queries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``queries/report.sql`` (two statements) and ``queries/q06.sql`` in the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries/report.sql").write_text(REPORT, encoding="utf-8")
    (tmp_path / "queries/q06.sql").write_text((TPCH / "q06.sql").read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_statements_of_files_are_named_by_the_path_as_given_and_their_line(queries: Path) -> None:
    names = [query.id for query in load_workload("queries", schema=Schema.load(SCHEMA, "postgres"))]
    assert names == ["queries/q06.sql:1", "queries/report.sql:1", "queries/report.sql:4"]


def test_sql_text_goes_by_its_first_words_and_a_repeated_name_gets_a_number() -> None:
    text = "".join(f"SELECT c_custkey FROM customer WHERE c_mktsegment = '{segment}';\n" for segment in "AB")
    names = [query.id for query in load_workload(text, schema=Schema.load(SCHEMA, "postgres"))]
    assert names == ["SELECT c_custkey FROM customer WHERE…", "SELECT c_custkey FROM customer WHERE… (2)"]


def test_a_template_is_named_where_it_was_first_seen_else_by_its_first_words() -> None:
    workload = Workload("postgres")
    workload.add(Execution("SELECT o_orderkey FROM orders WHERE o_custkey = 7", duration_ms=50.0, location="app.log:9"))
    workload.add(Execution("SELECT c_name FROM customer WHERE c_custkey = 3", duration_ms=10.0))
    names = [query.id for query in load_workload(workload, schema=Schema.load(SCHEMA, "postgres"))]
    assert names == ["app.log:9", "SELECT c_name FROM customer WHERE…"]


def test_the_text_and_json_reports_name_every_query_by_file_and_line(queries: Path) -> None:
    plan = advise_indexes("queries", schema=Schema.load(SCHEMA, "postgres"), backend="estimate")
    named = {"queries/q06.sql:1", "queries/report.sql:1", "queries/report.sql:4"}
    data = plan.to_dict()
    assert {query["id"] for query in data["queries"]} == named
    assert {name for index in data["create"] for name in index["queries"]} <= named
    assert data["create"], "the plan has indexes whose users are named"
    text = plan.to_text()
    assert "queries/report.sql:4" in text and "#" not in text.replace("# ", "")


@pytest.mark.parametrize(
    ("before", "after", "bound", "said"),
    [
        (320.0, 100.0, 5_000.0, "3.2× faster"),
        (None, 21_000.0, 300_000.0, "≥ 14× faster"),  # 14.28...: a lower bound is rounded down
        (None, 101.0, 1_000.0, "≥ 9.9× faster"),  # 9.90...
        (None, 0.4, 250.0, "≥ 625× faster"),
        (99.6, 10.0, 500.0, "10× faster"),  # 9.96 measured rounds to 10
        (12_345.0, 1.0, 50_000.0, "12,345× faster"),
        (100.0, 180.0, 9_000.0, "1.8× slower"),
        (101.0, 100.0, 5_000.0, "as fast"),
        (12.0, None, 60_000.0, "≥ 5,000× slower"),  # the new plan ran past the time limit
        (None, None, 30_000.0, "stopped at 30.0 s with and without the indexes"),
        (None, 30.0, 10.0, "before ≥ 10.0 ms"),  # a bound below the new time says nothing of a speed-up
    ],
)
def test_speedups_are_measured_or_an_honest_lower_bound(
    before: float | None, after: float | None, bound: float, said: str
) -> None:
    assert format_speedup(before, after, bound) == said


def test_a_stopped_old_plan_gives_a_lower_bound_in_the_text_and_the_json() -> None:
    checks = [
        RuntimeCheck("queries/q07.sql:1", 21_000.0, None, 300_000.0, False),
        RuntimeCheck("queries/q03.sql:12", 40.0, 128.0, 2_000.0, False),
    ]
    plan = IndexPlan([], [], 10.0, 5.0, "hypopg", False, 12, "sqltune", runtime=checks)
    text = plan.to_text()
    assert "  queries/q07.sql:1  ≥ 5 min 00 s ->       21.0 s  ≥ 14× faster\n" in text
    assert "  queries/q03.sql:12     128.0 ms ->      40.0 ms  3.2× faster\n" in text
    assert "> bound" not in text
    runtime = json.loads(json.dumps(plan.to_dict()))["runtime"]
    assert runtime[0]["speedup"] == pytest.approx(300_000 / 21_000) and runtime[0]["speedup_at_least"]
    assert runtime[1]["speedup"] == pytest.approx(3.2) and not runtime[1]["speedup_at_least"]


OFFLINE = ["indexes", "--workload", "queries", "--schema", str(SCHEMA), "--backend", "estimate"]


def test_the_advisor_shows_its_phases_on_a_terminal(queries: Path) -> None:
    run = run_cli(OFFLINE)
    assert run.returncode == 0, run.stderr
    shown = visible_text(run.stderr)
    for phase in ("reading the workload", "planning the queries", "generating candidates", "what-if calls"):
        assert phase in shown
    assert "queries/report.sql:4" in run.stdout and "\x1b[" not in run.stdout  # the report stays plain


def test_the_advisor_draws_nothing_on_a_pipe(queries: Path) -> None:
    run = run_cli([*OFFLINE, "--format", "json"], terminal=False)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert "queries/report.sql:4" in {query["id"] for query in json.loads(run.stdout)["queries"]}


def test_fix_over_many_files_shows_the_file_at_work_on_a_terminal_only(queries: Path) -> None:
    shown = visible_text(run_cli(["fix", "--diff", "queries"]).stderr)
    assert "fixing queries/" in shown and "/2" in shown
    piped = run_cli(["fix", "--diff", "queries"], terminal=False).stderr
    assert "fixing" not in piped
