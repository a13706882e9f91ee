"""Exit codes and messages that mean what they say: an input without SQL files is a usage error naming it,
a missing or unreadable ``--schema`` file is ``schema file not found: PATH`` from every command taking one, a
connection a command cannot use is refused naming what it needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sqltune.cli import main
from sqltune.schema import Schema, SchemaError

ROOT = Path(__file__).resolve().parent.parent
QUERY = str(ROOT / "fixtures" / "workloads" / "tpch" / "q01.sql")
PLAN = str(ROOT / "fixtures" / "plans" / "snowflake" / "explain_q03.json")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ["lint", "baseline create"])
def test_an_empty_directory_is_a_usage_error_naming_it(tmp_path: Path, command: str) -> None:
    (tmp_path / "empty").mkdir()
    written = ["-o", str(tmp_path / "baseline.json")] if command.startswith("baseline") else []
    code, out, err = run(*command.split(), str(tmp_path / "empty"), "--no-cache", *written)
    assert (code, out) == (2, "")
    assert err == f"sqltune: error: {tmp_path / 'empty'}: no SQL files (*.sql) in this directory\n"


def test_a_glob_matching_only_other_files_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("SELECT 1\n")
    pattern = str(tmp_path / "*")
    code, out, err = run("lint", pattern, "--no-cache")
    assert (code, out) == (2, "")
    assert err == f"sqltune: error: {pattern}: no SQL file (*.sql) matches this pattern\n"


def test_an_empty_directory_beside_a_good_file_is_reported_and_the_file_linted(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, out, _ = run("lint", str(tmp_path / "empty"), QUERY, "--no-cache", "--dialect", "duckdb")
    assert code == 2
    assert "no SQL files (*.sql) in this directory" in out and "in 1 file, 1 statement" in out


@pytest.mark.parametrize(
    "args",
    [
        ["lint", QUERY, "--no-cache"],
        ["baseline", "create", QUERY, "--no-cache", "-o", "/nonexistent/never-written.json"],
        ["fix", QUERY],
        ["plan", PLAN],
        ["explain", QUERY, "--dsn", "postgresql://nobody@127.0.0.1:1/none"],
        ["indexes", "--workload", QUERY],
    ],
    ids=lambda args: args[0],
)
def test_a_missing_schema_file_is_one_line_from_every_command(tmp_path: Path, args: list[str]) -> None:
    missing = str(tmp_path / "nope.sql")
    code, _out, err = run(*args, "--schema", missing)
    assert (code, err) == (2, f"sqltune: error: schema file not found: {missing}\n")


def test_schema_load_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"^schema file not found: .*nope\.json$"):
        Schema.load(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text('{"tables": [}\n')
    with pytest.raises(SchemaError, match=r"bad\.json:1:13: invalid JSON .*; expected a schema snapshot"):
        Schema.load(tmp_path / "bad.json")
    (tmp_path / "latin1.sql").write_bytes(b"CREATE TABLE t (name text DEFAULT '\xe9');\n")
    with pytest.raises(SchemaError, match=r"^cannot read schema file .*latin1\.sql: "):
        Schema.load(tmp_path / "latin1.sql")


# -- a connection a command cannot use ----------------------------------------------------------------------
SCHEMA = str(ROOT / "fixtures" / "schemas" / "tpch.sql")
DSNS = {
    "BigQuery": "bigquery://acme/shop",
    "Snowflake": "snowflake://me:s3cret@acme/SHOP",
    "MySQL/MariaDB": "mysql://me:s3cret@127.0.0.1:1/shop",
    "PostgreSQL": "postgresql://me:s3cret@127.0.0.1:1/shop",
}
POSTGRES_ONLY = "it needs PostgreSQL (postgresql://…)"


@pytest.mark.parametrize(
    ("args", "given", "message"),
    [
        *(
            (command, name, f"sqltune {command[0]}: {name} connections are not supported; {POSTGRES_ONLY}")
            for command in (
                ["indexes", "--workload", QUERY],
                ["explain", QUERY],
                ["design", "--schema", SCHEMA, "--workload", QUERY],
            )
            for name in ("BigQuery", "Snowflake", "MySQL/MariaDB")
        ),
        (
            ["layout", "--workload", QUERY],
            "MySQL/MariaDB",
            "sqltune layout: MySQL/MariaDB connections are not supported; it needs PostgreSQL (postgresql://…), "
            "Snowflake (snowflake://…) or BigQuery (bigquery://…)",
        ),
        (
            ["layout", "--workload", "pg_stat_statements"],
            "BigQuery",
            f"sqltune layout --workload pg_stat_statements: BigQuery connections are not supported; {POSTGRES_ONLY}",
        ),
        (
            ["layout", "--workload", "jobs"],
            "Snowflake",
            "sqltune layout --workload jobs: Snowflake connections are not supported; it needs BigQuery (bigquery://…)",
        ),
        (
            ["workload", "pg_stat_statements"],
            "Snowflake",
            f"sqltune workload pg_stat_statements: Snowflake connections are not supported; {POSTGRES_ONLY}",
        ),
        (
            ["workload", "query_history"],
            "BigQuery",
            "sqltune workload query_history: BigQuery connections are not supported; it needs Snowflake (snowflake://…)",
        ),
        (
            ["workload", "digest"],
            "PostgreSQL",
            "sqltune workload digest: PostgreSQL connections are not supported; it needs MySQL/MariaDB (mysql://…)",
        ),
    ],
)
def test_a_connection_the_command_cannot_use_is_refused_in_one_line(args: list[str], given: str, message: str) -> None:
    """Refused before anything is read or opened: never a traceback, never a driver's error, never a password."""
    code, out, err = run(*args, "--dsn", DSNS[given])
    assert (code, out, err) == (2, "", f"sqltune: error: {message}\n")
