"""``sqltune plan`` and ``sqltune explain``: diagnose an EXPLAIN plan, ranked by estimated saving.

``plan`` reads a plan file (PostgreSQL JSON or text, MySQL/MariaDB, Snowflake, DuckDB); ``--sql`` links the
findings to the statement's lines. ``explain`` runs EXPLAIN on a live PostgreSQL for each statement of SQL
files, directories or globs (ANALYZE only with ``--analyze``; always in a transaction that is rolled back) and
diagnoses the plans, each named by its file and line; over several statements a progress bar on stderr (when
it is a terminal) names the one at work.

Exit codes: 0 when no finding is at or above ``--fail-on`` (default ``warning``: an info finding is worth
reading, not worth failing a build), 1 otherwise, 2 for unreadable input (a malformed or truncated plan, a
SQL file that does not parse, a database error) with one line on stderr. ``explain`` gives every statement
that can be explained its plan and each one that cannot (a syntax error, an error from the database) its
own line on stderr, then exits 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from sqltune import __version__
from sqltune.cli import main, user_errors
from sqltune.cli.progress import item_progress
from sqltune.core.findings import Severity
from sqltune.core.parsing import Statement, parse_source
from sqltune.core.source import Problem, Source, read_sources
from sqltune.plans import load_plan, parse_plan
from sqltune.reporters.base import ReportOptions, guarded
from sqltune.reporters.plan_json import render_plan_json
from sqltune.reporters.plan_text import render_plan_text
from sqltune.rules.plan import PlanReport, analyze_plan, plan_rules
from sqltune.rules.registry import RegisteredRule, resolve_selection
from sqltune.schema import Schema

__all__ = ["explain", "plan"]

F = TypeVar("F", bound=Callable[..., Any])

#: Statements EXPLAIN cannot explain (or that explain nothing useful).
_NOT_EXPLAINABLE = ("CREATE", "ALTER", "DROP", "SET", "BEGIN", "COMMIT", "ROLLBACK", "GRANT", "REVOKE", "COMMENT")


def _output_options(function: F) -> F:
    options = [
        click.option(
            "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["error", "warning", "info", "never"]),
            default="warning",
            show_default=True,
            help="Lowest finding severity that makes the exit code 1.",
        ),
        click.option("--select", multiple=True, help="Plan rules to run (codes, prefixes, names); repeatable."),
        click.option("--schema", "schema_path", type=click.Path(dir_okay=False), help="DDL file or JSON schema."),
        click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _selection(select: tuple[str, ...]) -> set[str] | None:
    """The plan rule codes ``--select`` names (codes, prefixes, names), or ``None`` for all of them."""
    items = [part.strip() for value in select for part in value.split(",") if part.strip()]
    if not items:
        return None
    rules = {code: RegisteredRule(rule, meta, "plan") for code, (rule, meta) in plan_rules().items()}
    return resolve_selection(items, rules)


def _emit(
    reports: Sequence[PlanReport],
    output_format: str,
    color: bool | None,
    fail_on: str,
    problems: Sequence[Problem] = (),
) -> None:
    """Print the reports; each problem (a statement without a plan) is one line on stderr and exit code 2."""
    options = ReportOptions(
        color=sys.stdout.isatty() if color is None else color, tool_version=__version__, environ=dict(os.environ)
    )
    if output_format == "json":
        click.echo(guarded("plan-json", render_plan_json, reports, options, problems), nl=False)
    elif reports:
        click.echo(guarded("plan-text", render_plan_text, reports, options), nl=False)
    for problem in problems:
        click.echo(f"sqltune: error: {problem}", err=True)
    if problems or any(report.problems for report in reports):
        sys.exit(2)
    if fail_on != "never":
        threshold = Severity.parse(fail_on)
        if any(finding.severity >= threshold for report in reports for finding in report):
            sys.exit(1)


def _statements(path: str, dialect: str) -> list[Statement]:
    """The statements of a SQL file that have a plan; a statement that does not parse is an input error."""
    chosen, problems = _explainable(path, dialect)
    if problems:
        raise ValueError(str(problems[0]))
    return chosen


def _explainable(path: str, dialect: str) -> tuple[list[Statement], list[Problem]]:
    """The statements of a SQL file that have a plan, and one problem per statement that does not parse."""
    source = Source.from_string(sys.stdin.read(), "<stdin>") if path == "-" else _read(path)
    chosen, problems = _split(source, dialect)
    if not chosen and not problems:
        raise ValueError(f"{path}: {_NOTHING}")
    return chosen, problems


_NOTHING = "expected a query to explain, found no SELECT, INSERT, UPDATE, DELETE or MERGE"


def _split(source: Source, dialect: str) -> tuple[list[Statement], list[Problem]]:
    statements = parse_source(source, dialect)
    problems = [
        Problem(source.path, s.error.message, s.error.span.line, s.error.span.column)
        for s in statements
        if s.error is not None
    ]
    return [s for s in statements if s.expression is not None and not _skipped(s)], problems


def _explainable_files(paths: tuple[str, ...], dialect: str) -> tuple[list[Statement], list[Problem]]:
    """The statements with a plan of every file (directories and globs read as ``lint`` reads them), and a
    problem per file that cannot be read and per statement that does not parse. A file of DDL only adds
    nothing; no statement to explain in any of them is an input error."""
    if paths == ("-",) or (len(paths) == 1 and os.path.isfile(paths[0])):
        return _explainable(paths[0], dialect)
    chosen: list[Statement] = []
    problems: list[Problem] = []
    for source in read_sources(paths):
        if isinstance(source, Problem):
            problems.append(source)
            continue
        statements, bad = _split(source, dialect)
        chosen += statements
        problems += bad
    if not chosen and not problems:
        raise ValueError(f"{', '.join(paths)}: {_NOTHING}")
    return chosen, problems


def _skipped(statement: Statement) -> bool:
    return statement.text.lstrip().upper().startswith(_NOT_EXPLAINABLE)


def _read(path: str) -> Source:
    try:
        with open(path, encoding="utf-8") as handle:
            return Source(path, handle.read())
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text; expected a SQL file") from None


@main.command()
@click.argument("plan_path", metavar="PLAN")
@click.option("--sql", "sql_path", type=click.Path(dir_okay=False), help="The SQL the plan is for (links findings).")
@click.option("--plan-format", help="Plan format when sniffing is not wanted (postgres-json, mysql, snowflake, ...).")
@click.option("--dialect", help="SQL dialect of --sql (default: the plan's engine).")
@_output_options
@user_errors
def plan(
    plan_path: str,
    sql_path: str | None,
    plan_format: str | None,
    dialect: str | None,
    output_format: str,
    fail_on: str,
    select: tuple[str, ...],
    schema_path: str | None,
    color: bool | None,
) -> None:
    """Diagnose an EXPLAIN plan file (``-`` reads standard input): the plan tree with its hot path, then the
    findings ranked by the share of runtime (or cost) fixing them could save.

    \b
    Examples:
      sqltune plan plan.json --sql query.sql
      psql -XAtc "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ..." | sqltune plan -
      sqltune plan profile.json --format json --fail-on error
    """
    if plan_path == "-":
        graph = parse_plan(sys.stdin.buffer.read(), plan_format, path="<stdin>")
    else:
        graph = load_plan(plan_path, plan_format)
    sql_dialect = dialect or graph.dialect
    statement = None
    if sql_path is not None:
        statements = _statements(sql_path, sql_dialect)
        if len(statements) > 1:
            click.echo(
                f"sqltune: note: {sql_path} has {len(statements)} statements; linking the plan to the first",
                err=True,
            )
        statement = statements[0]
    schema = Schema.load(schema_path, sql_dialect) if schema_path else None
    report = analyze_plan(graph, statement, schema, select=_selection(select))
    _emit([report], output_format, color, fail_on)


@main.command()
@click.argument("sql_paths", metavar="FILE.sql...", nargs=-1, required=True)
@click.option("--dsn", help="PostgreSQL DSN or URL (default: libpq's PGHOST, PGDATABASE... environment).")
@click.option("--analyze", is_flag=True, help="Run the statements (EXPLAIN ANALYZE, BUFFERS); always rolled back.")
@click.option("--timeout", default="30s", show_default=True, help="Statement timeout for each EXPLAIN.")
@_output_options
@user_errors
def explain(
    sql_paths: tuple[str, ...],
    dsn: str | None,
    analyze: bool,
    timeout: str,
    output_format: str,
    fail_on: str,
    select: tuple[str, ...],
    schema_path: str | None,
    color: bool | None,
) -> None:
    """EXPLAIN each statement of SQL files on PostgreSQL and diagnose the plans, linked to the SQL.

    Without --analyze nothing is executed and the diagnosis uses the planner's costs; with it each statement
    runs inside a transaction that is rolled back (writes are undone, but they did happen: locks were taken,
    triggers fired, sequences advanced). Each plan is named by its statement's file and line; over several
    statements a progress bar on stderr (when it is a terminal) names the one at work.

    \b
    Examples:
      sqltune explain query.sql --dsn postgresql://me@db/shop
      sqltune explain reports/*.sql --dsn "$DATABASE_URL" --analyze --timeout 2min
    """
    from sqltune.connectors.engines import require_engine
    from sqltune.connectors.errors import ConnectionError, DatabaseError

    if dsn is not None:  # before anything is read, and before the driver is loaded
        require_engine(dsn, ("postgres",), "sqltune explain")
    from sqltune.connectors.postgres import connect

    statements, problems = _explainable_files(sql_paths, "postgres")
    selected = _selection(select)
    given_schema = Schema.load(schema_path, "postgres") if schema_path else None  # a usage error before connecting
    if not statements:  # only unreadable files or statements that do not parse: nothing to connect for
        _emit([], output_format, color, fail_on, problems)
        return
    reports = []
    try:
        with connect(dsn, statement_timeout=timeout) as connection:
            settings = connection.settings()
            settings["server_version_num"] = str(connection.server_version)
            if given_schema is not None:
                schema = given_schema
            else:
                rows = connection.query("SELECT current_schemas(false)::text")
                names = str(rows[0][0]).strip("{}").split(",") if rows else ["public"]
                schema = connection.schema([name.strip('"') for name in names if name])
            with item_progress(len(statements), "explaining" if not analyze else "running") as start:
                for number, statement in enumerate(statements):
                    where = f"{statement.span.path}:{statement.span.line}"
                    start(where)
                    # One statement's failure is its own error; the others still get their plans.
                    try:
                        sql = statement.text.strip().rstrip(";")
                        result = connection.explain(sql, analyze=analyze, timeout=timeout)
                        graph = parse_plan(result.plan_json, "postgres-json", path=where)
                    except ConnectionError as error:
                        # The server went away mid-run: the plans made so far are still reported, and every
                        # statement left is named as not explained.
                        problems.append(_statement_problem(statement, error))
                        lost = ValueError("not explained: the connection to the database was lost")
                        problems.extend(_statement_problem(left, lost) for left in statements[number + 1 :])
                        break
                    except (DatabaseError, ValueError) as error:
                        problems.append(_statement_problem(statement, error))
                        continue
                    reports.append(analyze_plan(graph, statement, schema, settings, select=selected))
    except DatabaseError as error:
        raise ValueError(str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    order = {path: number for number, path in enumerate(dict.fromkeys(s.span.path for s in statements))}
    problems.sort(key=lambda problem: (order.get(problem.path, -1), problem.line, problem.column))
    _emit(reports, output_format, color, fail_on, problems)


def _statement_problem(statement: Statement, error: Exception) -> Problem:
    """A statement EXPLAIN refused: one line at the statement's position, with the database's first line."""
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    span = statement.span
    return Problem(span.path, f"statement {statement.index + 1}: {message}", span.line, span.column)
