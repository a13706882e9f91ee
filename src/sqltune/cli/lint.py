"""``sqltune lint``: find performance and design anti-patterns in SQL files."""

from __future__ import annotations

import os
import sys

import click

from sqltune import __version__
from sqltune.cli import main, user_errors
from sqltune.config import load_config
from sqltune.engine import Linter, fails
from sqltune.findings import Severity
from sqltune.reporters import FORMATS, ReportOptions, render
from sqltune.rules.registry import all_rules
from sqltune.source import Source, read_sources


def _split(values: tuple[str, ...]) -> tuple[str, ...] | None:
    items = tuple(part.strip() for value in values for part in value.split(",") if part.strip())
    return items or None


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--dialect", help="SQL dialect (postgres, snowflake, bigquery, mysql, duckdb, tsql, spark, ...).")
@click.option("--schema", "schema_path", type=click.Path(dir_okay=False), help="DDL file or JSON schema snapshot.")
@click.option("--select", multiple=True, help="Rules to run (codes, prefixes, names, categories); repeatable.")
@click.option("--ignore", multiple=True, help="Rules to skip, same forms as --select; repeatable.")
@click.option("--format", "output_format", default="text", show_default=True, help="Output format.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), help="Lowest severity that fails.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file to use.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
@user_errors
def lint(
    paths: tuple[str, ...],
    dialect: str | None,
    schema_path: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    output_format: str,
    fail_on: str | None,
    exit_zero: bool,
    config_path: str | None,
    color: bool | None,
) -> None:
    """Lint SQL files, directories and globs (``-`` reads standard input)."""
    if output_format not in FORMATS:
        raise click.BadParameter(f"expected one of: {', '.join(sorted(FORMATS))}", param_hint="--format")
    config = load_config(config_path).with_overrides(
        dialect=dialect,
        schema=schema_path,
        select=_split(select),
        ignore=_split(ignore),
        fail_on=Severity.parse(fail_on) if fail_on else None,
    )
    linter = Linter(config)
    sources = [Source("<stdin>", sys.stdin.read())] if paths == ("-",) else read_sources(paths)
    report = linter.lint_sources(sources)
    rules = {code: registered.meta for code, registered in all_rules().items()}
    options = ReportOptions(
        color=sys.stdout.isatty() if color is None else color, tool_version=__version__, environ=dict(os.environ)
    )
    click.echo(render(report, rules, output_format, options), nl=False)
    for problem in report.problems:
        if output_format != "text":
            click.echo(f"sqltune: {'error' if problem.fatal else 'notice'}: {problem}", err=True)
    if any(problem.fatal for problem in report.problems):
        sys.exit(2)
    if not exit_zero and fails(report, config.fail_on):
        sys.exit(1)
