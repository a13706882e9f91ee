"""``sqltune baseline create``: record today's findings so that ``lint --baseline`` reports only new ones.

Adopting a linter on a large project should not mean fixing hundreds of old findings first: write a baseline,
commit it, and lint pull requests with ``--baseline``. Entries are keyed on rule, file and normalised statement
text (not line numbers) with counts, see :mod:`sqltune.linter.baseline`.
"""

from __future__ import annotations

import os
from typing import Any

import click

from sqltune.cli import main, user_errors
from sqltune.cli.lint import LintInputs, collect_report, input_options
from sqltune.linter.baseline import Baseline

__all__ = ["baseline", "create"]

DEFAULT_BASELINE = ".sqltune-baseline.json"


@main.group()
def baseline() -> None:
    """Accept the findings a project has today; report only new ones."""


@baseline.command()
@input_options
@click.option(
    "--output",
    "-o",
    "output_path",
    default=DEFAULT_BASELINE,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Baseline file to write (paths in it are relative to its folder).",
)
@user_errors
def create(output_path: str, **kwargs: Any) -> None:
    """Lint PATHS and write every finding to the baseline file.

    \b
    Example:
      sqltune baseline create models/ --output .sqltune-baseline.json
      sqltune lint models/ --baseline .sqltune-baseline.json
    """
    inputs = LintInputs(**kwargs)
    report = collect_report(inputs, inputs.config())
    fatal = [problem for problem in report.problems if problem.fatal]
    if fatal:
        for problem in fatal:
            click.echo(f"sqltune: error: {problem}", err=True)
        raise SystemExit(2)
    known = Baseline.from_findings(report.findings, os.path.dirname(os.path.abspath(output_path)))
    known.save(output_path)
    click.echo(f"Wrote {len(known)} finding{'s' * (len(known) != 1)} ({len(known.counts)} distinct) to {output_path}.")
