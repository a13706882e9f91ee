"""``%sqltune`` and ``%%sqltune`` in an in-process IPython shell, without a database: loading, lint, --dialect,
--schema, --fix, --indexes, -o, {var}, %config, [tool.sqltune] and errors as one short paragraph."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sqltune.core.findings import Report
from sqltune.indexes.plan import IndexPlan
from sqltune.notebook import actions
from sqltune.notebook.errors import CellError
from sqltune.rewrites import RewriteReport

Run = Callable[[str], Any]
Failure = Callable[[str], str]


def test_load_ext_registers_the_sqltune_magics_and_unload_removes_them(ip: Any) -> None:
    magics = ip.magics_manager.magics
    assert "sqltune" in magics["line"] and "sqltune" in magics["cell"]
    assert "sql" not in magics["line"] and "sql" not in magics["cell"]  # %sql is jupysql's
    assert any(type(item).__name__ == "SqlTune" for item in ip.configurables)
    ip.run_line_magic("unload_ext", "sqltune")
    assert "sqltune" not in magics["line"] and "sqltune" not in magics["cell"]
    assert not any(type(item).__name__ == "SqlTune" for item in ip.configurables)
    ip.run_line_magic("load_ext", "sqltune")
    assert "sqltune" in magics["line"]


def test_import_sqltune_does_not_import_ipython() -> None:
    code = (
        "import sys, sqltune; sqltune.lint('SELECT 1'); sqltune.load_ipython_extension; print('IPython' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_line_magic_lints_by_default(run: Run) -> None:
    report = run("%sqltune SELECT * FROM orders WHERE lower(email) = 'a@b.c'")
    assert isinstance(report, Report)
    assert sorted(report.codes()) == ["SQ001", "SQ002"]
    finding = next(iter(report))
    assert (finding.span.path, finding.span.line, finding.span.column) == ("<cell>", 1, 8)


def test_cell_magic_lints_every_statement_and_output_stores_the_report(ip: Any, run: Run) -> None:
    report = run("%%sqltune -o found\nSELECT id FROM orders ORDER BY random() LIMIT 5;\n\nSELECT * FROM customers")
    assert ip.user_ns["found"] is report
    assert {(finding.code, finding.span.line) for finding in report} == {("SQ007", 1), ("SQ001", 3)}
    run("%sqltune --output other SELECT 1")
    assert isinstance(ip.user_ns["other"], Report)


def test_dialect_option(run: Run, failure: Failure) -> None:
    assert not run("%sqltune --dialect duckdb SELECT a // 2 FROM t").codes()  # DuckDB's integer division
    message = failure("%sqltune --dialect postgres SELECT a // 2 FROM t")
    assert message.startswith("sqltune: error: <cell>:1:")
    assert "syntax error" in message
    assert "unknown dialect" in failure("%sqltune --dialect postgress SELECT 1").lower()


def test_schema_option_informs_the_rules(run: Run, failure: Failure, shop: str) -> None:
    sql = "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM carts)"
    assert "SQ004" in run(f"%sqltune --dialect postgres {sql}").codes()  # nullable, as far as it knows
    assert "SQ004" not in run(f"%sqltune --dialect postgres --schema {shop} {sql}").codes()  # NOT NULL
    typed = run(f"%%sqltune --dialect postgres --schema '{shop}'\nSELECT id FROM orders WHERE status = 1")
    assert "SQ017" in typed.codes()  # a text column compared with a number: the schema knows its type
    assert "no-such-schema.sql" in failure("%sqltune --schema no-such-schema.sql SELECT 1")


def test_fix_option_shows_the_rewrite(ip: Any, run: Run, shop: str) -> None:
    result = run(
        f"%%sqltune --fix --dialect postgres --schema {shop} -o fixed\n"
        "SELECT o.id FROM orders o WHERE o.customer_id NOT IN (SELECT c.id FROM customers c);\n"
        "SELECT status, count(*) FROM orders GROUP BY status HAVING status <> 'cancelled'\n"
    )
    assert isinstance(result, RewriteReport) and ip.user_ns["fixed"] is result
    assert [change.rewrite for change in result.applied] == ["RW001", "RW011"]
    assert "NOT EXISTS" in result.sql and "WHERE status <> 'cancelled' GROUP BY status" in result.sql


def test_indexes_option_advises_offline_from_the_schema(run: Run, shop: str) -> None:
    plan = run(
        f"%%sqltune --indexes --schema {shop}\n"
        "SELECT id, status FROM orders WHERE customer_id = 42 ORDER BY ordered_at DESC LIMIT 20;\n"
        "SELECT count(*) FROM order_items WHERE product_id = 7\n"
    )
    assert isinstance(plan, IndexPlan)
    assert {(index.spec.table, index.spec.columns[0]) for index in plan.create} == {
        ("orders", "customer_id"),
        ("order_items", "product_id"),
    }


def test_variables_are_substituted_in_sql_and_option_values(ip: Any, run: Run, shop: str) -> None:
    ip.user_ns.update(table="orders", settings=type("S", (), {"dialect": "duckdb"}), ddl=shop)
    report = run("%%sqltune --dialect {settings.dialect} --schema {ddl}\nSELECT * FROM {table} WHERE a // 2 = 1")
    assert report.sources["<cell>"].text == "SELECT * FROM orders WHERE a // 2 = 1\n"
    literal = run("%sqltune SELECT '{{not a variable}}', '{1,2}' AS array_literal")
    assert literal.sources["<cell>"].text == "SELECT '{not a variable}', '{1,2}' AS array_literal"


def test_a_missing_variable_is_an_error_naming_it_and_its_place(failure: Failure) -> None:
    message = failure("%%sqltune\nSELECT *\nFROM orders WHERE region = '{region}'")
    assert message == (
        "sqltune: error: <cell>:2:29: {region}: no variable named 'region' in the notebook "
        "(write {{ and }} for literal braces)"
    )
    assert "{dsn}: no variable named 'dsn'" in failure("%sqltune --dsn {dsn} SELECT 1")


def test_ipython_dollar_expansion_is_off_so_parameters_stay(ip: Any, run: Run) -> None:
    ip.user_ns["1"] = "not this"
    report = run("%sqltune --dialect postgres SELECT id FROM orders WHERE id = $1")
    assert report.sources["<cell>"].text == "SELECT id FROM orders WHERE id = $1"


def test_config_settings(ip: Any, run: Run) -> None:
    ip.run_line_magic("config", "SqlTune.dialect = 'duckdb'")
    assert not run("%sqltune SELECT a // 2 FROM t").codes()
    ip.run_line_magic("config", "SqlTune.ignore = ['SQ001']")
    assert run("%sqltune SELECT * FROM t ORDER BY random()").codes() == {"SQ007": 1}
    ip.run_line_magic("config", "SqlTune.select = ['SQ001']")
    ip.run_line_magic("config", "SqlTune.ignore = []")
    assert run("%sqltune SELECT * FROM t ORDER BY random()").codes() == {"SQ001": 1}
    ip.user_ns["my_dialect"] = "postgres"
    ip.run_line_magic("config", "SqlTune.dialect = my_dialect")  # %config evaluates in the notebook
    assert run("%sqltune SELECT 1").sources["<cell>"].text == "SELECT 1"


def test_pyproject_settings_apply_below_options_and_config(ip: Any, run: Run, failure: Failure, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sqltune]\ndialect = "duckdb"\nignore = ["SQ001"]\n', encoding="utf-8"
    )
    assert run("%sqltune SELECT *, a // 2 FROM t").codes() == {}  # duckdb, SQ001 ignored
    assert "syntax error" in failure("%sqltune --dialect postgres SELECT a // 2 FROM t")
    ip.run_line_magic("config", "SqlTune.dialect = 'postgres'")
    assert "syntax error" in failure("%sqltune SELECT a // 2 FROM t")
    (tmp_path / "pyproject.toml").write_text("[tool.sqltune]\ndialect = 3\n", encoding="utf-8")
    assert "pyproject.toml:2:1: 'dialect' must be a dialect name" in failure("%sqltune SELECT 1")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            "%sqltune SELECT * FROM WHERE",
            "sqltune: error: <cell>:1:15: syntax error: expected table name but got 'WHERE'",
        ),
        ("%%sqltune\nSELECT 1;\nSELECT (2", "sqltune: error: <cell>:2:"),
        ("%sqltune --explain --fix SELECT 1", "choose one of --explain, --fix and --indexes"),
        ("%sqltune --analyze --indexes SELECT 1", "choose one of --explain, --fix and --indexes"),
        ("%sqltune --bogus SELECT 1", "unrecognized arguments: --bogus"),
        ("%sqltune --dialect", "argument --dialect: expected one argument"),
        ("%sqltune --dsn 'unclosed SELECT 1", "unclosed quote"),
        ("%sqltune -o 2x SELECT 1", "-o needs a Python variable name"),
        ("%sqltune --dsn a --connection b SELECT 1", "give --dsn or --connection, not both"),
        ("%sqltune --fix", "no SQL"),
        ("%%sqltune --fix SELECT 1\nSELECT 2", "%%sqltune takes options on its first line"),
        ("%%sqltune\n-- only a comment\n", "no SQL statement"),
        ("%sqltune --connection nowhere SELECT 1", "no jupysql connection has that alias and no notebook variable"),
        ("%sqltune --fix SELECT 1 -- {x}", "no variable named 'x'"),
    ],
)
def test_errors_are_one_short_paragraph(failure: Failure, cell: str, expected: str) -> None:
    message = failure(cell)
    assert message.startswith("sqltune: error: ")
    assert expected in message
    assert "\n" not in message


def test_an_internal_error_is_short_with_a_hint_and_the_traceback_on_request(
    ip: Any, failure: Failure, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(run: actions.Run) -> Any:
        return {}["missing key"]  # a bug in sqltune's own code

    monkeypatch.setitem(actions.ACTIONS, "lint", broken)
    message = failure("%sqltune SELECT 1")
    assert message.startswith("sqltune: internal error (KeyError: 'missing key'); this is a sqltune bug")
    assert "SqlTune.show_traceback" in message
    ip.run_line_magic("config", "SqlTune.show_traceback = True")
    result = ip.run_cell("%sqltune SELECT 1")
    assert isinstance(result.error_in_exec, KeyError) and not isinstance(result.error_in_exec, CellError)


def test_help_lists_every_option(ip: Any) -> None:
    from sqltune.notebook.options import OPTIONS

    doc = ip.magics_manager.magics["line"]["sqltune"].__doc__
    assert all(flag in doc for option in OPTIONS for flag in option.flags)
