"""``sqltune lint``: find performance and design anti-patterns in SQL files.

The pipeline: read the files (dbt models swapped for their compiled SQL when a manifest is found), lint them on
every CPU with the cache (:mod:`sqltune.linter.parallel`), map dbt findings back to the model files, hide findings the
baseline knows and, with ``--diff``, findings on unchanged lines; then report in the chosen format.

Exit codes: 0 clean, 1 findings at or above ``--fail-on`` (unless ``--exit-zero``), 2 a usage error, an
input that yields no SQL (a missing path, a directory or glob without ``*.sql`` files), an unreadable input, or
a problem of our own (a rule or reporter that crashed): the report is then incomplete.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from sqltune import __version__
from sqltune.cli import main, user_errors
from sqltune.core.config import Config, load_config
from sqltune.core.findings import Report, Severity
from sqltune.core.source import Problem, Source, read_sources
from sqltune.linter.baseline import Baseline
from sqltune.linter.cache import default_cache_dir
from sqltune.linter.changes import changed_lines
from sqltune.linter.dbt import CompiledSources, find_manifest, load_manifest
from sqltune.linter.engine import fails
from sqltune.linter.parallel import LintStats, lint_sources
from sqltune.reporters import FORMATS, ReportOptions, render
from sqltune.rules.base import RuleMeta
from sqltune.rules.registry import resolve_selection, rule_metas

__all__ = ["LintInputs", "collect_report", "input_options"]

F = TypeVar("F", bound=Callable[..., Any])


def _split(values: tuple[str, ...]) -> tuple[str, ...] | None:
    items = tuple(part.strip() for value in values for part in value.split(",") if part.strip())
    return items or None


def input_options(function: F) -> F:
    """The options that decide *what* is linted and how; shared by ``lint`` and ``baseline create``."""
    options = [
        click.argument("paths", nargs=-1),
        click.option("--dialect", help="SQL dialect (postgres, snowflake, bigquery, mysql, duckdb, tsql, spark, ...)."),
        click.option(
            "--schema", "schema_path", type=click.Path(dir_okay=False), help="DDL file or JSON schema snapshot."
        ),
        click.option("--select", multiple=True, help="Rules to run (codes, prefixes, names, categories); repeatable."),
        click.option("--ignore", multiple=True, help="Rules to skip, same forms as --select; repeatable."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file to use."),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=0),
            default=0,
            help="Worker processes (default 0: every CPU; 1 lints in this process).",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the cache (.sqltune_cache/)."),
        click.option(
            "--dbt-manifest",
            type=click.Path(dir_okay=False),
            help="dbt manifest whose compiled SQL is linted (default: target/manifest.json of the dbt project).",
        ),
        click.option("--no-dbt", is_flag=True, help="Do not look for a dbt manifest; lint models with placeholders."),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0),
            help="Seconds each statement's parse and checks may take (default 5; 0: no limit).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@dataclass(slots=True)
class LintInputs:
    paths: tuple[str, ...]
    dialect: str | None = None
    schema_path: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    config_path: str | None = None
    jobs: int = 0
    no_cache: bool = False
    dbt_manifest: str | None = None
    no_dbt: bool = False
    timeout: float | None = None
    fail_on: str | None = None
    stats: LintStats = field(default_factory=LintStats)

    def config(self) -> Config:
        return load_config(self.config_path).with_overrides(
            dialect=self.dialect,
            schema=self.schema_path,
            select=_split(self.select),
            ignore=_split(self.ignore),
            fail_on=Severity.parse(self.fail_on) if self.fail_on else None,
            timeout=self.timeout,
        )


def collect_report(inputs: LintInputs, config: Config) -> Report:
    """Lint what ``inputs`` name: the report before baseline and ``--diff`` filtering."""
    manifest_path = inputs.dbt_manifest
    if manifest_path is None and not inputs.no_dbt and inputs.paths != ("-",):
        manifest_path = find_manifest(inputs.paths)
    compiled = CompiledSources(load_manifest(manifest_path)) if manifest_path else None
    paths = inputs.paths
    if not paths:
        if compiled is None:
            raise click.UsageError("expected at least one PATH to lint (a file, directory or glob; - for stdin)")
        paths = tuple(os.path.relpath(path) for path in compiled.manifest.model_paths())
    sources: Any
    if paths == ("-",):
        sources = [Source("<stdin>", sys.stdin.read())]
    else:
        sources = read_sources(paths)
        if compiled is not None:
            sources = compiled.swap(sources)
    items = list(sources)
    if items and not any(isinstance(item, Source) for item in items):
        # Nothing to lint at all: a usage error naming the inputs, not a summary of 0 files.
        raise ValueError("; ".join(str(item) for item in items))
    cache_dir = None if inputs.no_cache else default_cache_dir(config.path)
    report = lint_sources(items, config, jobs=inputs.jobs, cache_dir=cache_dir, stats=inputs.stats)
    if compiled is not None:
        compiled.restore(report)
    return report


def _note(message: str) -> None:
    click.echo(f"sqltune: {message}", err=True)


@main.command()
@input_options
@click.option(
    "--format", "output_format", default="text", show_default=True, help=f"Output format: {', '.join(sorted(FORMATS))}."
)
@click.option("--output", "-o", "output_path", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--diff", "diff_ref", metavar="REF", help="Report only findings on lines changed since git REF.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), help="Hide findings this baseline knows.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), help="Lowest severity that fails.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
@click.option("--verbose", "-v", is_flag=True, help="Say on stderr how many files were linted and cached.")
@user_errors
def lint(
    output_format: str,
    output_path: str | None,
    diff_ref: str | None,
    baseline_path: str | None,
    exit_zero: bool,
    color: bool | None,
    verbose: bool,
    **kwargs: Any,
) -> None:
    """Lint SQL files, directories and globs (``-`` reads standard input).

    \b
    Examples:
      sqltune lint models/ --dialect snowflake
      sqltune lint . --format sarif --output sqltune.sarif
      sqltune lint . --diff origin/main --format github
      sqltune lint . --baseline .sqltune-baseline.json
    """
    if output_format not in FORMATS:
        raise click.BadParameter(f"expected one of: {', '.join(sorted(FORMATS))}", param_hint="--format")
    inputs = LintInputs(**kwargs)
    config = inputs.config()
    baseline = Baseline.load(baseline_path) if baseline_path else None
    changed = changed_lines(diff_ref) if diff_ref else None
    report = collect_report(inputs, config)
    if baseline is not None:
        hidden = baseline.filter(report)
        if hidden:
            _note(f"{hidden} known finding{'s' * (hidden != 1)} hidden by the baseline {baseline_path}")
    if changed is not None:
        dropped = changed.filter(report)
        if dropped and verbose:
            _note(f"{dropped} finding{'s' * (dropped != 1)} on lines unchanged since {diff_ref} not shown")
    if verbose:
        stats = inputs.stats
        _note(
            f"{stats.files} files: {stats.linted} linted, {stats.cached} from the cache, "
            f"{stats.ddl_files} with DDL; {stats.jobs} job{'s' * (stats.jobs != 1)}"
        )
    rules = _rules_run(config, report)
    to_terminal = output_path is None and sys.stdout.isatty()
    options = ReportOptions(
        color=to_terminal if color is None else color, tool_version=__version__, environ=dict(os.environ)
    )
    rendered = render(report, rules, output_format, options)
    if output_path is None:
        click.echo(rendered, nl=False)
    else:
        with open(output_path, "w", encoding="utf-8") as handle:
            handle.write(rendered)
    _report_problems(report.problems, shown=output_format == "text" and output_path is None)
    if report.failed:
        sys.exit(2)
    if not exit_zero and fails(report, config.fail_on):
        sys.exit(1)


def _rules_run(config: Config, report: Report) -> dict[str, RuleMeta]:
    """Metadata of the rules this run selected (SARIF lists them as the tool's rules), plus any that fired.
    Plan rules are in the catalogue but never run on SQL files, so they are not listed."""
    metas = {code: meta for code, meta in rule_metas().items() if meta.category != "plan"}
    codes = resolve_selection(config.select, metas) - resolve_selection(config.ignore, metas)
    codes |= {finding.code for finding in report.findings if finding.code in metas}
    return {code: metas[code] for code in sorted(codes)}


def _report_problems(problems: list[Problem], shown: bool) -> None:
    """Problems (unreadable inputs, crashes of ours) on stderr, unless the text report on stdout lists them."""
    if shown:
        return
    for problem in problems:
        _note(f"{'error' if problem.fatal else 'notice'}: {problem}")
