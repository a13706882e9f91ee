"""``sqltune fix``: apply the rewrites proven not to change results, in place (like ``ruff --fix``).

With ``--verify`` every candidate rewrite first runs on the database (``--dsn``): kept only when its results
match the original's and the statement is measurably faster (see :mod:`sqltune.rewrites.verifier`).

Exit codes: 0 nothing left to fix; 1 fixes remain -- with ``--diff`` every change it shows, otherwise the
advised changes left unapplied without ``--unsafe`` (keyset templates never count: they are advice to adopt
by hand; with ``--verify``, only advisories that hold on today's data count); 2 a problem: bad input
(unreadable file, statement that does not parse, unknown option value) or a rewrite that failed on a
statement (that statement is left as written; the others are still fixed). Templated statements
(dbt/Jinja) are left alone with a note and do not change the exit code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from sqltune.cli import main, user_errors
from sqltune.cli.progress import item_progress, phase_progress
from sqltune.connectors.timeouts import timeout_ms
from sqltune.core.source import InputProblem, Source, read_sources
from sqltune.rewrites import Change, RewriteReport, rewrite_source, select_rewrites
from sqltune.rewrites.verification import Verdict, VerifyOptions
from sqltune.schema import Schema

#: Plan lines shown per query in the text report (the JSON output has the whole plans).
PLAN_LINES = 6


def _split(values: tuple[str, ...]) -> list[str] | None:
    items = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return items or None


def _announce(change: Change, heading: str) -> None:
    click.echo(f"{heading}: {change.describe()}", err=True)
    click.echo(change.diff(), nl=False, err=True)


def _ratio(flag: str, default: float, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(flag, type=click.FloatRange(min=1.0), default=default, show_default=True, help=help)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--diff", "show_diff", is_flag=True, help="Show the changes as a unified diff; write nothing.")
@click.option("--unsafe", is_flag=True, help="Also apply ADVISED rewrites (each is printed with its conditions).")
@click.option("--dialect", help="SQL dialect (postgres, snowflake, bigquery, mysql, duckdb, tsql, spark, ...).")
@click.option("--schema", "schema_path", type=click.Path(dir_okay=False), help="DDL file or JSON schema snapshot.")
@click.option("--select", multiple=True, help="Rewrites to run (ids, id prefixes, names); repeatable.")
@click.option("--ignore", multiple=True, help="Rewrites to skip, same forms as --select; repeatable.")
@click.option(
    "--dsn",
    help="PostgreSQL DSN or URL: its schema proves rewrites, and --verify runs them there (default with --verify: "
    "libpq's PGHOST, PGDATABASE... environment).",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Run every candidate rewrite on the database first (read-only, rolled back): keep it only when its "
    "results match and it is measurably faster.",
)
@click.option("--runs", type=click.IntRange(min=1), default=3, show_default=True, help="Timed runs per query.")
@_ratio("--min-speedup", 1.2, "Rewrite a statement only when at least this many times faster (with --verify).")
@_ratio("--max-slowdown", 2.0, "Stop a rewritten query at this multiple of the time before it (with --verify).")
@click.option(
    "--timeout",
    default="60s",
    show_default=True,
    help="Time limit of an original query and of each condition check (with --verify).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one document on stdout with every change, its conditions and --verify's evidence (full plans).",
)
@user_errors
def fix(
    paths: tuple[str, ...],
    show_diff: bool,
    unsafe: bool,
    dialect: str | None,
    schema_path: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    dsn: str | None,
    verify: bool,
    runs: int,
    min_speedup: float,
    max_slowdown: float,
    timeout: str,
    output_format: str,
) -> None:
    """Rewrite SQL files in place with the rewrites proven safe (``-`` reads stdin, writes stdout).

    Every change is named by its file and line; over several files a progress bar on stderr (when it is a
    terminal) names the one at work, and with --verify the query and rewrite being measured.

    \b
    Examples:
      sqltune fix queries/
      sqltune fix --diff report.sql
      sqltune fix slow.sql --dsn postgresql://me@db/shop --verify --timeout 5min
    """
    rewrites = select_rewrites(_split(select), _split(ignore))
    live = verify or dsn is not None
    if live and dialect not in (None, "postgres"):
        raise click.UsageError("--dsn and --verify work on PostgreSQL: leave --dialect out or pass postgres")
    dialect = "postgres" if live else dialect
    options = VerifyOptions(runs, min_speedup, max_slowdown, timeout_ms(timeout), unsafe=unsafe)
    schema = Schema.load(schema_path, dialect=dialect) if schema_path else None
    stdin = paths == ("-",)
    sources: list[Source | InputProblem] = [Source("<stdin>", sys.stdin.read())] if stdin else list(read_sources(paths))
    bad_input = remaining = False
    documents: list[dict[str, Any]] = []
    with _database(live, dsn, timeout) as connection, _progress(len(sources), verify) as (start, bar):
        if connection is not None and schema is None:
            from sqltune.api import live_schema

            schema = live_schema(connection)
        judge = None
        if verify:
            from sqltune.rewrites.verifier import Verifier

            judge = Verifier(connection, options, bar)
        for source in sources:
            start(source.path)
            if isinstance(source, InputProblem):
                click.echo(f"sqltune: error: {source}", err=True)
                bad_input = bad_input or source.fatal
                continue
            report = rewrite_source(source, dialect, schema, rewrites=rewrites, unsafe=unsafe, judge=judge)
            for problem in report.problems:
                click.echo(f"sqltune: error: {problem} (statement left unchanged)", err=True)
                bad_input = True
            for note in report.notes:
                click.echo(f"sqltune: note: {note}", err=True)
            text = output_format == "text"
            remaining = _handle(report, show_diff, unsafe, stdin, verify, text) or remaining
            if not text:
                documents.append(_document(report, show_diff, stdin))
    if output_format == "json":
        verified = _options_dict(options) if verify else None
        click.echo(json.dumps({"files": documents, "verify": verified}, indent=2, default=str))
    if bad_input:
        sys.exit(2)
    if remaining:
        sys.exit(1)


@contextmanager
def _database(live: bool, dsn: str | None, timeout: str) -> Iterator[Any]:
    """The read-only connection ``--dsn``/``--verify`` need (``None`` when neither was given)."""
    if not live:
        yield None
        return
    from sqltune.connectors.engines import require_engine
    from sqltune.connectors.postgres import connect

    if dsn is not None:
        require_engine(dsn, ("postgres",), "sqltune fix --dsn")
    with connect(dsn, statement_timeout=timeout) as connection:
        yield connection


@contextmanager
def _progress(total: int, verify: bool) -> Iterator[tuple[Any, Any]]:
    """``(start, bar)``: a bar per file, or with ``--verify`` one per change measured (``bar`` is its port)."""
    if verify:
        with phase_progress() as bar:
            yield (lambda name: None), bar
        return
    with item_progress(total, "fixing") as start:
        yield start, None


def _options_dict(options: VerifyOptions) -> dict[str, object]:
    return {
        "runs": options.runs,
        "min_speedup": options.min_speedup,
        "max_slowdown": options.max_slowdown,
        "timeout_ms": options.timeout_ms,
        "float_digits": options.float_digits,
    }


def _document(report: RewriteReport, show_diff: bool, stdin: bool) -> dict[str, Any]:
    document = report.to_dict()
    if show_diff:
        document["diff"] = report.diff()
    if stdin:
        document["sql"] = report.sql
    return document


def _handle(report: RewriteReport, show_diff: bool, unsafe: bool, stdin: bool, verify: bool, text: bool) -> bool:
    """Show or write one file's changes; True when fixes remain."""
    left = [change for change in report.advised if not change.template]
    if verify:
        left = [c for c in left if c.verification is not None and c.verification.verdict is Verdict.HOLDS_ON_DATA]
    if text:
        for change in report.changes:
            if change.verification is not None:
                _verified(change)
            elif change.applied and change.status.value == "advised":
                _announce(change, "unsafe")
            elif not change.applied:
                click.echo(f"advice: {change.describe()}", err=True)
        for statement in report.verified:
            click.echo(f"verified: {statement.describe()}", err=True)
    if show_diff:
        if text:
            click.echo(report.diff(), nl=False)
            for change in report.applied:
                click.echo(f"would apply: {change.describe()}", err=True)
        return report.changed or bool(left)
    if stdin and text:
        click.echo(report.sql, nl=False)
    elif report.changed and not stdin:
        with open(report.path, "w", encoding="utf-8", newline="") as handle:
            handle.write(report.sql)
        if text:
            what = "verified" if verify else "unverified: --dsn URL --verify checks results and speed first"
            click.echo(f"fixed {report.path}: {len(report.applied)} rewrite(s) applied ({what})", err=True)
    if text and not verify:
        for change in report.applied:
            if change.data_dependent:
                click.echo(
                    f"unverified: {change.span}: {change.rewrite} {change.name}: whether it is faster depends on "
                    "the data (--verify measures it)",
                    err=True,
                )
    if text and left and not unsafe:
        what = "holding on today's data" if verify else "advised"
        click.echo(
            f"{report.path}: {len(left)} {what} rewrite(s) not applied (review them; --unsafe applies them)", err=True
        )
    return bool(left) and not unsafe


def _verified(change: Change) -> None:
    """A verified change: what was decided and why, both times and both plans (summarized)."""
    verification = change.verification
    assert verification is not None
    if change.applied:
        heading = "unsafe (holds on today's data)" if _holds(change) else "kept"
    else:
        heading = "holds on today's data" if _holds(change) else "refused"
    evidence = verification.describe(verdict=heading == "refused")
    click.echo(f"{heading}: {change.span}: {change.rewrite} {change.name}: {evidence}", err=True)
    for ddl in verification.proving_ddl if _holds(change) else ():
        click.echo(f"  a proof: {ddl}", err=True)
    for label, timing in (("before", verification.before), ("after", verification.after)):
        if timing is not None and timing.plan is not None:
            summary = timing.to_dict()["plan_summary"]
            assert isinstance(summary, list)
            click.echo(f"  plan {label} ({timing.describe()}):", err=True)
            for line in summary[:PLAN_LINES]:
                click.echo(f"    {line}", err=True)
    if change.applied:
        click.echo(change.diff(), nl=False, err=True)


def _holds(change: Change) -> bool:
    return change.verification is not None and change.verification.verdict is Verdict.HOLDS_ON_DATA
