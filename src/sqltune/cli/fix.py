"""``sqltune fix``: apply the rewrites proven not to change results, in place (like ``ruff --fix``).

Exit codes: 0 nothing left to fix; 1 fixes remain -- with ``--diff`` every change it shows, otherwise the
advised changes left unapplied without ``--unsafe`` (keyset templates never count: they are advice to adopt
by hand); 2 a problem: bad input (unreadable file, statement that does not parse, unknown option value) or a
rewrite that failed on a statement (that statement is left as written; the others are still fixed).
Templated statements (dbt/Jinja) are left alone with a note and do not change the exit code.
"""

from __future__ import annotations

import sys

import click

from sqltune.cli import main, user_errors
from sqltune.cli.progress import item_progress
from sqltune.core.source import InputProblem, Source, read_sources
from sqltune.rewrites import Change, RewriteReport, rewrite_source, select_rewrites
from sqltune.schema import Schema


def _split(values: tuple[str, ...]) -> list[str] | None:
    items = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return items or None


def _announce(change: Change, heading: str) -> None:
    click.echo(f"{heading}: {change.describe()}", err=True)
    click.echo(change.diff(), nl=False, err=True)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--diff", "show_diff", is_flag=True, help="Show the changes as a unified diff; write nothing.")
@click.option("--unsafe", is_flag=True, help="Also apply ADVISED rewrites (each is printed with its conditions).")
@click.option("--dialect", help="SQL dialect (postgres, snowflake, bigquery, mysql, duckdb, tsql, spark, ...).")
@click.option("--schema", "schema_path", type=click.Path(dir_okay=False), help="DDL file or JSON schema snapshot.")
@click.option("--select", multiple=True, help="Rewrites to run (ids, id prefixes, names); repeatable.")
@click.option("--ignore", multiple=True, help="Rewrites to skip, same forms as --select; repeatable.")
@user_errors
def fix(
    paths: tuple[str, ...],
    show_diff: bool,
    unsafe: bool,
    dialect: str | None,
    schema_path: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
) -> None:
    """Rewrite SQL files in place with the rewrites proven safe (``-`` reads stdin, writes stdout).

    Every change is named by its file and line; over several files a progress bar on stderr (when it is a
    terminal) names the one at work.
    """
    rewrites = select_rewrites(_split(select), _split(ignore))
    schema = Schema.load(schema_path, dialect=dialect) if schema_path else None
    stdin = paths == ("-",)
    sources: list[Source | InputProblem] = [Source("<stdin>", sys.stdin.read())] if stdin else list(read_sources(paths))
    bad_input = remaining = False
    with item_progress(len(sources), "fixing") as start:
        for source in sources:
            start(source.path)
            if isinstance(source, InputProblem):
                click.echo(f"sqltune: error: {source}", err=True)
                bad_input = bad_input or source.fatal
                continue
            report = rewrite_source(source, dialect, schema, rewrites=rewrites, unsafe=unsafe)
            for problem in report.problems:
                click.echo(f"sqltune: error: {problem} (statement left unchanged)", err=True)
                bad_input = True
            for note in report.notes:
                click.echo(f"sqltune: note: {note}", err=True)
            remaining = _handle(report, show_diff, unsafe, stdin) or remaining
    if bad_input:
        sys.exit(2)
    if remaining:
        sys.exit(1)


def _handle(report: RewriteReport, show_diff: bool, unsafe: bool, stdin: bool) -> bool:
    """Show or write one file's changes; True when fixes remain."""
    left = [change for change in report.advised if not change.template]
    for change in report.changes:
        if change.applied and change.status.value == "advised":
            _announce(change, "unsafe")
        elif not change.applied:
            click.echo(f"advice: {change.describe()}", err=True)
    if show_diff:
        click.echo(report.diff(), nl=False)
        for change in report.applied:
            click.echo(f"would apply: {change.describe()}", err=True)
        return report.changed or bool(left)
    if stdin:
        click.echo(report.sql, nl=False)
    elif report.changed:
        with open(report.path, "w", encoding="utf-8", newline="") as handle:
            handle.write(report.sql)
        click.echo(f"fixed {report.path}: {len(report.applied)} rewrite(s) applied", err=True)
    if left and not unsafe:
        click.echo(
            f"{report.path}: {len(left)} advised rewrite(s) not applied (review them; --unsafe applies them)", err=True
        )
    return bool(left) and not unsafe
