"""``sqltune fix``: in place, --diff, --unsafe, selection, exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import sqltune.cli.fix  # noqa: F401  (registers the command until the CLI package imports it)
from sqltune.cli import main

DDL = "CREATE TABLE t (id int PRIMARY KEY, x int);\nCREATE TABLE u (t_id int NOT NULL, y int);\n"
SAFE = "SELECT id FROM t WHERE id NOT IN (SELECT t_id FROM u);\n"
FIXED = "SELECT id FROM t WHERE NOT EXISTS(SELECT 1 FROM u WHERE u.t_id = t.id);\n"
ADVISED = "SELECT id FROM t WHERE x NOT IN (SELECT y FROM u);\n"


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["fix", *args], input=stdin)


@pytest.fixture
def query(tmp_path: Path) -> Path:
    path = tmp_path / "q.sql"
    path.write_text(DDL + "-- keep\n" + SAFE, encoding="utf-8")
    return path


def test_fix_rewrites_in_place_and_exits_zero(query: Path) -> None:
    result = run(str(query))
    assert result.exit_code == 0, result.output
    assert query.read_text(encoding="utf-8") == DDL + "-- keep\n" + FIXED
    assert "1 rewrite(s) applied" in result.stderr
    assert run(str(query)).exit_code == 0  # nothing left to fix


def test_diff_shows_and_does_not_write(query: Path) -> None:
    result = run("--diff", str(query))
    assert result.exit_code == 1
    assert f"-{SAFE}" in result.stdout and f"+{FIXED}" in result.stdout
    assert query.read_text(encoding="utf-8") == DDL + "-- keep\n" + SAFE
    assert "would apply:" in result.stderr and "RW001" in result.stderr


def test_advised_needs_unsafe_and_is_printed(tmp_path: Path) -> None:
    path = tmp_path / "a.sql"
    path.write_text(DDL + ADVISED, encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 1  # a fix remains: the advice
    assert path.read_text(encoding="utf-8") == DDL + ADVISED
    assert "advice:" in result.stderr and "t.x is never NULL" in result.stderr
    unsafe = run("--unsafe", str(path))
    assert unsafe.exit_code == 0, unsafe.output
    assert "unsafe:" in unsafe.stderr and "+SELECT id FROM t WHERE NOT EXISTS" in unsafe.stderr
    assert "NOT EXISTS(SELECT 1 FROM u WHERE u.y = t.x)" in path.read_text(encoding="utf-8")


def test_select_ignore_and_schema_file(tmp_path: Path) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text(DDL, encoding="utf-8")
    path = tmp_path / "q.sql"
    path.write_text(SAFE, encoding="utf-8")
    assert run("--diff", "--ignore", "RW001", "--schema", str(schema), str(path)).exit_code == 0
    result = run("--diff", "--select", "not-in-to-not-exists", "--schema", str(schema), str(path))
    assert result.exit_code == 1 and f"+{FIXED}" in result.stdout
    assert run("--diff", str(path)).exit_code == 1  # without the schema the change is only advice


def test_stdin_writes_stdout() -> None:
    result = run("-", stdin=DDL + SAFE)
    assert result.exit_code == 0
    assert result.stdout == DDL + FIXED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "RW999"], "sqltune: error: unknown rewrite 'RW999'"),
        (["--dialect", "nosuchsql"], "sqltune: error: unknown dialect 'nosuchsql'"),
        (["--schema", "missing.sql"], "sqltune: error:"),
    ],
)
def test_bad_options_are_one_line_errors(query: Path, args: list[str], message: str) -> None:
    result = run(*args, str(query))
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_bad_input_exits_two_and_fixes_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "broken.sql"
    path.write_text(DDL + "SELECT FROM WHERE;\n" + SAFE, encoding="utf-8")
    result = run(str(path), str(tmp_path / "missing.sql"))
    assert result.exit_code == 2
    assert f"{path}:3:" in result.stderr and "syntax error" in result.stderr
    assert "missing.sql: no such file or directory" in result.stderr
    assert path.read_text(encoding="utf-8") == DDL + "SELECT FROM WHERE;\n" + FIXED
