"""``sqltune dbt``: the step after ``dbt build``: the slowest models linted and explained, and the regressions
since the previous run, with the findings on the model files (see :mod:`sqltune.dbt`, docs/dbt.md).

Exit codes: 0 no regression at or above ``--fail-on``; 1 regressions (a model slower beyond the threshold,
failed, new or removed: the step's alert); 2 when the step could not do its work (artifacts missing or
unreadable, the database unreachable, a failure of sqltune's own), with one line on stderr. Lint and plan
findings are for reading; they never change the exit code.
"""

from __future__ import annotations

import os
import sys

import click

from sqltune import __version__
from sqltune.cli import main, user_errors
from sqltune.connectors.redact import find_secrets, redact_text
from sqltune.core.findings import Severity

__all__ = ["dbt"]

_FORMATS = ("text", "json", "sarif", "junit")


def _secrets(dsn: str | None) -> list[str]:
    """Passwords in play, kept out of everything printed (the connector scrubs its errors already)."""
    found = find_secrets(dsn) if dsn else []
    found += [os.environ[name] for name in ("PGPASSWORD", "PGSSLPASSWORD") if os.environ.get(name)]
    return [secret for secret in found if secret]


@main.command()
@click.argument("project_dir", metavar="PROJECT_DIR", default=".", type=click.Path(file_okay=False))
@click.option("--target-dir", default="target", show_default=True, help="dbt's target folder, in PROJECT_DIR.")
@click.option(
    "--previous",
    "previous_path",
    type=click.Path(exists=True),
    help="The previous run's run_results.json (or a folder holding it) to compare with.",
)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Slowest models to analyse.")
@click.option("--dsn", help="PostgreSQL DSN or URL: EXPLAIN the analysed models there (never ANALYZE).")
@click.option(
    "--time-factor",
    type=click.FloatRange(min=1.0),
    default=1.5,
    show_default=True,
    help="A model is slower when its time grew beyond this factor of the previous run's.",
)
@click.option(
    "--min-seconds",
    type=click.FloatRange(min=0.0),
    default=1.0,
    show_default=True,
    help="...and by at least this many seconds (small models' noise is not a regression).",
)
@click.option("--timeout", default="30s", show_default=True, help="Statement timeout for each EXPLAIN.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="info",
    show_default=True,
    help="Lowest regression severity that makes the exit code 1 (failed: error, slower: warning, new and "
    "removed: info).",
)
@click.option("--format", "output_format", type=click.Choice(_FORMATS), default="text", show_default=True)
@click.option("--output", "-o", "output_path", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
@user_errors
def dbt(
    project_dir: str,
    target_dir: str,
    previous_path: str | None,
    top: int,
    dsn: str | None,
    time_factor: float,
    min_seconds: float,
    timeout: str,
    fail_on: str,
    output_format: str,
    output_path: str | None,
    color: bool | None,
) -> None:
    """After ``dbt build``: the slowest models of PROJECT_DIR's target/run_results.json, each linted on the SQL
    dbt compiled and, with --dsn, explained; with --previous, the models that got slower, failed, appeared or
    went away. Findings point at the model files.

    \b
    Examples:
      sqltune dbt .
      sqltune dbt . --previous prod-artifacts/run_results.json --dsn "$DATABASE_URL"
      sqltune dbt analytics --previous yesterday/ --format sarif --output sqltune-dbt.sarif
    """
    from sqltune.api import check_dbt
    from sqltune.connectors.engines import require_engine
    from sqltune.reporters.base import ReportOptions
    from sqltune.reporters.dbt import render_dbt

    if dsn is not None:  # before anything is read, and before the driver is loaded
        require_engine(dsn, ("postgres",), "sqltune dbt")
    report = check_dbt(
        project_dir,
        previous=previous_path,
        connection=dsn,
        top=top,
        time_factor=time_factor,
        min_seconds=min_seconds,
        target_dir=target_dir,
        timeout=timeout,
    )
    to_terminal = output_path is None and sys.stdout.isatty()
    options = ReportOptions(
        color=to_terminal if color is None else color, tool_version=__version__, environ=dict(os.environ)
    )
    secrets = _secrets(dsn)
    rendered = redact_text(render_dbt(report, output_format, options), secrets)
    if output_path is None:
        click.echo(rendered, nl=False)
    else:
        with open(output_path, "w", encoding="utf-8") as handle:
            handle.write(rendered)
    if output_format != "text" or output_path is not None:  # the text report lists them itself
        for problem in report.report.problems:
            line = f"sqltune: {'error' if problem.fatal else 'notice'}: {problem}"
            click.echo(redact_text(line, secrets), err=True)
    if report.failed:
        sys.exit(2)
    if fail_on != "never" and report.regressed(Severity.parse(fail_on)):
        sys.exit(1)
