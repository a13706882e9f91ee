"""``sqltune fix``: in place, --diff, --unsafe, selection, exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import sqltune.cli.fix  # noqa: F401  (registers the command until the CLI package imports it)
from sqltune.cli import main
from sqltune.core.sqlglot import exp
from sqltune.rewrites import Rewrite, RewriteOutcome, select_rewrites
from sqltune.rewrites.registry import register
from sqltune.schema import Schema

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


DBT = Path(__file__).resolve().parents[2] / "fixtures" / "dbt" / "models" / "orders_enriched.sql"


def test_dbt_model_templated_statement_is_a_note_not_an_error(tmp_path: Path) -> None:
    """``{{ ref() }}`` and ``{% if %}``: left alone with a note; exit 0 (nothing to fix), the file untouched."""
    model = tmp_path / "orders_enriched.sql"
    model.write_text(DBT.read_text(encoding="utf-8"), encoding="utf-8")
    text = model.read_text(encoding="utf-8")
    assert "{{ ref(" in text and "{% if" in text
    result = run(str(model))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"sqltune: note: left alone: templated statement at {model}:10\n"
    assert model.read_text(encoding="utf-8") == text
    # A fix still counts next to the templated statement: it is applied and the exit code is 0.
    model.write_text(text + ";\nSELECT a FROM t GROUP BY a HAVING a > 1;\n", encoding="utf-8")
    result = run(str(model))
    assert result.exit_code == 0 and "1 rewrite(s) applied" in result.stderr
    assert model.read_text(encoding="utf-8").endswith("SELECT a FROM t WHERE a > 1 GROUP BY a;\n")


def _explode(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    if expression.find(exp.Or) is not None:
        raise RecursionError("maximum recursion depth exceeded")
    return None


def test_a_failing_rewrite_is_a_problem_and_the_rest_still_runs(query: Path) -> None:
    """A rewrite that raises on one statement: one stderr line naming it, that statement as written, the other
    statements still fixed (and the other rewrites still run on it), exit 2."""
    text = query.read_text(encoding="utf-8") + "SELECT id FROM t WHERE id NOT IN (SELECT t_id FROM u) OR x = 1;\n"
    query.write_text(text, encoding="utf-8")
    unregister = register(Rewrite("RW900", "test-explodes", "raises on OR", _explode))
    try:
        result = run(str(query))
    finally:
        unregister()
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [line] = [line for line in result.stderr.splitlines() if "RW900" in line]
    assert line == (
        f"sqltune: error: {query}:5:1: RW900 test-explodes failed: RecursionError: maximum recursion depth "
        "exceeded (statement left unchanged)"
    )
    fixed = query.read_text(encoding="utf-8")
    assert fixed == DDL + "-- keep\n" + FIXED + "SELECT id FROM t WHERE id NOT IN (SELECT t_id FROM u) OR x = 1;\n"
    assert "RW900" not in {entry.id for entry in select_rewrites()}  # unregistered again


def test_a_long_or_chain_does_not_kill_fix(tmp_path: Path) -> None:
    """1,000 OR terms: whatever a rewrite makes of it, no traceback, and the exit code is 0, 1 or 2."""
    path = tmp_path / "or.sql"
    terms = " OR ".join(f"{'ab'[i % 2]} = {i}" for i in range(1000))
    path.write_text(f"SELECT * FROM t WHERE {terms};\nSELECT 1;\n", encoding="utf-8")
    result = run(str(path))
    assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output
    assert all(line.startswith(("sqltune: ", "advice: ", "fixed ")) for line in result.stderr.splitlines())
