"""``sqltune lint`` on good and bad input: one clear line per problem, never a traceback, the right exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sqltune.cli import main

BAD = Path(__file__).parent.parent / "fixtures" / "bad_input"
GOOD = str(BAD / "good.sql")
FOUNDATION = ["--select", "SQ000,SQ001,SQ019"]


def lint(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(main, ["lint", "--no-color", *args], input=stdin, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_findings_exit_1_and_name_file_line_column() -> None:
    result = lint(*FOUNDATION, GOOD)
    assert result.exit_code == 1
    assert f"{GOOD}:2:8: SQ001" in result.stdout


def test_clean_file_exits_0(tmp_path: Path) -> None:
    clean = tmp_path / "clean.sql"
    clean.write_text("SELECT id FROM orders WHERE id = 1;\n")
    result = lint(*FOUNDATION, str(clean))
    assert result.exit_code == 0, result.output
    assert "No findings" in result.stdout


def test_exit_zero_and_fail_on() -> None:
    assert lint(*FOUNDATION, "--exit-zero", GOOD).exit_code == 0
    assert lint(*FOUNDATION, "--fail-on", "error", GOOD).exit_code == 0  # SQ001 is a warning


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("binary.sql", "binary.sql: binary file (contains NUL bytes); expected SQL text"),
        ("latin1.sql", "latin1.sql:2:41: invalid UTF-8 byte 0xe3; expected UTF-8 encoded SQL"),
    ],
)
def test_unreadable_file_exits_2_with_one_line_and_keeps_the_good_files_output(name: str, expected: str) -> None:
    result = lint(*FOUNDATION, str(BAD / name), GOOD)
    assert result.exit_code == 2
    matching = [line for line in result.output.splitlines() if expected in line]
    assert len(matching) == 1, result.output
    assert f"{GOOD}:2:8: SQ001" in result.stdout  # the good file's findings are not lost


@pytest.mark.parametrize(
    ("name", "notice"),
    [("empty.sql", "empty file; expected SQL statements"), ("comments_only.sql", "only comments")],
)
def test_empty_and_comment_only_files_are_notices_that_keep_exit_0(name: str, notice: str) -> None:
    result = lint(*FOUNDATION, str(BAD / name))
    assert result.exit_code == 0, result.output
    assert len([line for line in result.output.splitlines() if notice in line]) == 1


@pytest.mark.parametrize(
    ("name", "where", "message"),
    [
        ("unterminated_string.sql", ":1:38: SQ000", "unterminated string literal; expected a closing '"),
        ("unterminated_comment.sql", ":2:1: SQ000", "unterminated comment; expected a closing */"),
    ],
)
def test_unterminated_literals_are_parse_findings_and_other_statements_are_linted(
    name: str, where: str, message: str
) -> None:
    result = lint(*FOUNDATION, str(BAD / name))
    assert result.exit_code == 1
    [line] = [line for line in result.stdout.splitlines() if where in line]
    assert message in line
    assert result.stdout.count(": SQ001 ") == 1


def test_every_bad_input_at_once_exits_2_and_reports_each_once() -> None:
    result = lint(*FOUNDATION, str(BAD))
    assert result.exit_code == 2
    for name in ("binary.sql", "latin1.sql", "empty.sql", "comments_only.sql"):
        assert len([line for line in result.output.splitlines() if f"{name}:" in line]) == 1, name
    assert "good.sql:2:8: SQ001" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--dialect", "nosuchdb", GOOD], "unknown dialect 'nosuchdb'; expected one of: "),
        (["--select", "SQ999", GOOD], "unknown rule 'SQ999'; expected a code such as"),
        (["--ignore", "not-a-rule", GOOD], "unknown rule 'not-a-rule'; expected a code such as"),
        (["--format", "yaml", GOOD], "expected one of:"),
        (["--fail-on", "fatal", GOOD], "'fatal' is not one of"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], expected: str) -> None:
    result = lint(*args)
    assert result.exit_code == 2
    assert expected in result.output
    assert result.stdout == ""


def test_unknown_dialect_error_is_exactly_one_line() -> None:
    result = lint("--dialect", "nosuchdb", GOOD)
    assert len(error_lines(result)) == 1
    assert error_lines(result)[0].startswith("sqltune: error: unknown dialect 'nosuchdb'")
    assert "postgres" in error_lines(result)[0]


def test_missing_file_exits_2() -> None:
    result = lint(*FOUNDATION, "does/not/exist.sql", GOOD)
    assert result.exit_code == 2
    assert "does/not/exist.sql: no such file or directory" in result.output
    assert "good.sql:2:8: SQ001" in result.stdout


def test_json_format_keeps_stdout_parseable_when_input_is_bad() -> None:
    result = lint(*FOUNDATION, "--format", "json", str(BAD / "binary.sql"), GOOD)
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert [f["code"] for f in data["findings"]] == ["SQ001"]
    assert len([line for line in error_lines(result) if "binary.sql" in line]) == 1


def test_standard_input() -> None:
    result = lint(*FOUNDATION, "-", stdin="SELECT *\nFROM t;\nSELEC x FROM t")
    assert result.exit_code == 1
    assert "<stdin>:1:8: SQ001" in result.stdout
    assert "<stdin>:3:9: SQ000" in result.stdout


def test_config_with_unknown_key_exits_2_naming_the_file(tmp_path: Path) -> None:
    config = tmp_path / "sqltune.toml"
    config.write_text('dialect = "postgres"\nselekt = ["SQ001"]\n')
    result = lint("--config", str(config), GOOD)
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert str(config) in line and "selekt" in line and "expected one of" in line


def test_real_process_never_prints_a_traceback() -> None:
    """The installed entry point, end to end: bad bytes, an unknown dialect and a good file."""
    command = [sys.executable, "-c", "from sqltune.cli import main; main()", "lint", "--no-color", *FOUNDATION]
    run = subprocess.run([*command, str(BAD / "latin1.sql"), GOOD], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Traceback" not in run.stdout + run.stderr
    assert "good.sql:2:8: SQ001" in run.stdout
    unknown = subprocess.run([*command, "--dialect", "klingon", GOOD], capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 2
    assert unknown.stderr.count("\n") == 1 and "unknown dialect 'klingon'" in unknown.stderr
