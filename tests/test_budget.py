"""Every statement's parse and checks run under a time budget on a thread with room for deep nesting; the
supported sqlglot window excludes the versions that hang."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pytest

from sqltune.core.budget import Overrun, run_each
from sqltune.core.config import Config, ConfigError, config_from_mapping
from sqltune.core.findings import Severity
from sqltune.core.sqlglot import SUPPORTED_SQLGLOT, sqlglot_compiled
from sqltune.linter import engine
from sqltune.linter.engine import lint_text
from sqltune.rules.base import Rule, RuleMeta, StatementContext, Violation
from sqltune.rules.registry import RegisteredRule, all_rules

ROOT = Path(__file__).resolve().parent.parent


def test_sqlglot_window_excludes_the_hanging_versions_and_agrees_with_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (low, high) = SUPPORTED_SQLGLOT
    window = f">={low[0]}.{low[1]},<{high[0]}.{high[1]}"
    assert f"sqlglot{window}" in project["dependencies"]
    assert project["optional-dependencies"]["fast"] == [f"sqlglotc{window}"]
    assert low >= (30, 30), "sqlglot before 30.30 loops forever on COPY ... FORCE NOT NULL"
    assert not any(dep.startswith("fakesnow") for dep in project["optional-dependencies"]["dev"])


def test_copy_force_not_null_finishes() -> None:
    """sqlglot 30.22's error highlighter looped forever here; in a child process so a hang cannot stall us."""
    code = textwrap.dedent(
        """
        from sqltune.core.config import Config
        from sqltune.linter.engine import lint_text
        sql = "COPY t FROM STDIN WITH CSV FORCE NOT NULL col1;\\nSELECT * FROM t;"
        report = lint_text(sql, Config(dialect="postgres"))
        print(sorted(f.code for f in report.findings), len(report.problems))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "['SQ001'] 0"


def _long_sum(terms: int) -> str:
    return "SELECT " + " + ".join(["1"] * terms) + " AS total"


def test_a_slow_parse_is_a_problem_naming_its_line_and_the_run_goes_on() -> None:
    # Long enough to take more than 0.2 s to parse with either parser (compiled sqlglot is ~10x faster).
    sql = f"SELECT * FROM a;\n{_long_sum(600_000 if sqlglot_compiled() else 60_000)};\nSELECT * FROM b;\n"
    started = time.monotonic()
    report = lint_text(sql, Config(timeout=0.2), path="slow.sql")
    assert time.monotonic() - started < 10
    [problem] = report.problems
    assert (problem.path, problem.line, problem.fatal) == ("slow.sql", 2, True)
    assert problem.message == (
        "statement took longer than 0.2 s to analyse; skipped (raise `timeout` in [tool.sqltune], or --timeout)"
    )
    assert [(f.code, f.span.line) for f in report.findings] == [("SQ001", 1), ("SQ001", 3)]


class _Spin(Rule):
    """A rule whose check never ends (pure Python): the budget must stop it."""

    code = "XY900"
    meta = RuleMeta("XY900", "spin", "query", Severity.WARNING, "Never finishes.")

    def check(self, ctx: StatementContext) -> Iterable[Violation]:
        if "spin" in ctx.statement.text:
            while True:
                pass
        return ()


class _Sleep(Rule):
    """A rule stuck in C code (a sleep) that never sees the interruption: the worker is abandoned."""

    code = "XY901"
    meta = RuleMeta("XY901", "sleep", "query", Severity.WARNING, "Sleeps.")

    def check(self, ctx: StatementContext) -> Iterable[Violation]:
        if "nap" in ctx.statement.text:
            time.sleep(4)
        return ()


@pytest.mark.parametrize("rule", [_Spin, _Sleep])
def test_a_check_that_overruns_is_a_problem_and_the_other_statements_are_checked(
    rule: type[Rule], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert rule.meta is not None
    rules = {**all_rules(), rule.code: RegisteredRule(rule, rule.meta, "test")}
    monkeypatch.setattr(engine, "all_rules", lambda: rules)
    sql = "SELECT * FROM t;\nSELECT 1 AS spin, 2 AS nap;\nSELECT * FROM u;\n"
    started = time.monotonic()
    report = lint_text(sql, Config(timeout=0.3), path="rules.sql")
    assert time.monotonic() - started < 3.5  # the budget, the grace second, never the 4 s sleep
    assert [(p.line, p.message.split(";")[0]) for p in report.problems] == [
        (2, "statement took longer than 0.3 s to analyse")
    ]
    assert [(f.code, f.span.line) for f in report.findings] == [("SQ001", 1), ("SQ001", 3)]


def _parens(depth: int) -> str:
    return "SELECT " + "(" * depth + "1" + ")" * depth + " AS x FROM t"


def _subqueries(depth: int) -> str:
    sql = "SELECT id FROM t"
    for level in range(depth):
        sql = f"SELECT id FROM ({sql}) AS s{level}"
    return sql


def _cases(depth: int) -> str:
    expression = "x"
    for level in range(depth):
        expression = f"CASE WHEN x = {level} THEN {expression} ELSE 0 END"
    return f"SELECT {expression} AS y FROM t"


def _in_subqueries(depth: int) -> str:
    condition = "x = 1"
    for _ in range(depth):
        condition = f"x IN (SELECT x FROM t WHERE {condition})"
    return f"SELECT x FROM t WHERE {condition}"


@pytest.mark.parametrize("make", [_parens, _subqueries, _cases, _in_subqueries])
@pytest.mark.parametrize("depth", [48, 100, 500])
def test_nesting_postgresql_accepts_is_linted(make: object, depth: int) -> None:
    """48 levels of parentheses used to be SQ000 "syntax error ... expected valid SQL" (a RecursionError)."""
    assert callable(make)
    report = lint_text(make(depth) + ";\nSELECT * FROM t;", Config(dialect="postgres"), path="deep.sql")
    assert report.problems == []
    assert "SQ000" not in {f.code for f in report.findings}
    assert ("SQ001", 2) in [(f.code, f.span.line) for f in report.findings]


def test_nesting_beyond_the_limit_is_reported_as_too_deep_not_a_syntax_error() -> None:
    # 30,000 levels: beyond what either parser takes (compiled sqlglot parses 10,000 levels, pure Python 2,000).
    report = lint_text(_parens(30_000) + ";\nSELECT * FROM t;", Config(dialect="postgres"), path="deep.sql")
    assert [(p.line, p.message) for p in report.problems] == [
        (1, "statement nested deeper than 500 levels (30000); skipped")
    ]
    assert [(f.code, f.span.line) for f in report.findings] == [("SQ001", 2)]


def test_run_each_keeps_order_and_contains_overruns() -> None:
    def work(item: object) -> object:
        if item == "loop":
            while True:
                pass
        if item == "recurse":
            return work("recurse")
        return item

    # The budget is generous: recursing 25,000 frames deep must finish inside it on a loaded machine.
    assert run_each(work, [1, "loop", 2, "recurse", 3], 3.0) == [
        1,
        Overrun("timeout", 3.0),
        2,
        Overrun("too-deep", 3.0),
        3,
    ]


def test_run_each_propagates_other_errors_and_nests() -> None:
    with pytest.raises(ZeroDivisionError):
        run_each(lambda item: 1 / item, [1, 0, 2], 5)
    assert run_each(lambda item: run_each(lambda inner: inner * 2, [item]), [1, 2], 5) == [[2], [4]]


def test_timeout_option() -> None:
    assert config_from_mapping({"timeout": 2.5}).timeout == 2.5
    assert config_from_mapping({}).timeout == 5.0
    with pytest.raises(ConfigError, match="'timeout' must be a number of seconds"):
        config_from_mapping({"timeout": "soon"})


def test_the_cli_timeout_overrides_the_configuration(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sqltune.cli import main

    path = tmp_path / "slow.sql"
    path.write_text("SELECT a FROM t WHERE " + " OR ".join(f"a = {i} OR b = {i}" for i in range(5000)) + ";\n")
    result = CliRunner().invoke(main, ["lint", "--no-cache", "--timeout", "0.01", str(path)])
    assert result.exit_code == 2
    assert "statement took longer than 0.01 s to analyse; skipped" in result.stdout
