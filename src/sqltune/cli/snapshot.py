"""``sqltune snapshot`` and ``sqltune regressions``: the pipeline checks.

``snapshot`` records a database's hottest templates with their plans, index usage, table statistics and (on
Snowflake) clustering into a directory; ``regressions`` compares two of them. Exit codes: 0 no regression,
1 regressions at or above ``--fail-on`` (for alerting), 2 a usage error, an unreachable database or an
unreadable snapshot.
"""

from __future__ import annotations

import os
import sys

import click

from sqltune import __version__
from sqltune.cli import main, user_errors

__all__ = ["regressions", "snapshot"]


@main.command()
@click.option(
    "--dsn",
    required=True,
    help="Database to snapshot, read only: a PostgreSQL DSN or URL (the password best in PGPASSWORD or "
    "~/.pgpass), or snowflake://user@account/database[/schema][?warehouse=WH] (SNOWFLAKE_PASSWORD).",
)
@click.option(
    "--workload",
    "workload",
    multiple=True,
    help="Where the templates come from: logs, exports, SQL files or a saved workload (repeatable); default "
    "pg_stat_statements (PostgreSQL) or the query history of the last --days (Snowflake).",
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory to write to.")
@click.option("--top", type=int, default=50, show_default=True, help="Templates to record, most total time first.")
@click.option("--analyze", is_flag=True, help="EXPLAIN ANALYZE the templates that only read (PostgreSQL).")
@click.option("--timeout", default="30s", show_default=True, help="Statement timeout for every statement.")
@click.option(
    "--schema", "schemas", multiple=True, help="Record index and table statistics of this schema only (repeatable)."
)
@click.option("--days", type=int, default=1, show_default=True, help="Snowflake: days of query history.")
@user_errors
def snapshot(
    dsn: str,
    workload: tuple[str, ...],
    out_dir: str,
    top: int,
    analyze: bool,
    timeout: str,
    schemas: tuple[str, ...],
    days: int,
) -> None:
    """Record a snapshot of a database for `sqltune regressions`: the hottest templates with their plans
    (cost and shape), index usage, table statistics, and the clustering of clustered Snowflake tables.

    \b
    Examples:
      sqltune snapshot --dsn postgresql://monitor@db/shop --out snapshots/$(date +%F)
      sqltune snapshot --dsn postgresql://monitor@db/shop --workload postgresql.log --top 20 --out today
      sqltune snapshot --dsn 'snowflake://monitor@myorg-acct/ANALYTICS?warehouse=WH' --out today
    """
    from sqltune.api import take_snapshot
    from sqltune.connectors.engines import require_engine
    from sqltune.connectors.timeouts import timeout_ms

    require_engine(dsn, ("postgres", "snowflake"), "sqltune snapshot")  # before anything is read or opened
    seconds = timeout_ms(timeout) / 1000
    taken = take_snapshot(
        dsn,
        list(workload) or None,
        top=top,
        analyze=analyze,
        timeout_s=seconds,
        schemas=list(schemas) or None,
        days=days,
    )
    path = taken.save(out_dir)
    unplanned = sum(template.error is not None for template in taken.templates)
    click.echo(
        f"snapshot of {taken.database}: {len(taken.templates)} templates"
        + (f" ({unplanned} without a plan)" if unplanned else "")
        + f", {len(taken.indexes)} indexes, {len(taken.tables)} tables"
        + (f", {len(taken.clustering)} clustered tables" if taken.engine == "snowflake" else "")
        + f" -> {path}"
    )
    for note in taken.notes:
        click.echo(f"sqltune: note: {note}", err=True)


@main.command()
@click.argument("old", type=click.Path(exists=True))
@click.argument("new", type=click.Path(exists=True))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif", "junit", "github"]),
    default="text",
    show_default=True,
)
@click.option("--output", "-o", "output_path", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option(
    "--time-factor", type=float, default=1.5, show_default=True, help="Mean time growth that is a regression."
)
@click.option(
    "--min-mean-ms", type=float, default=1.0, show_default=True, help="Ignore templates faster than this on average."
)
@click.option(
    "--cost-factor", type=float, default=1.5, show_default=True, help="Cost growth that makes a plan change a warning."
)
@click.option(
    "--depth-factor", type=float, default=1.5, show_default=True, help="Clustering depth growth that is a regression."
)
@click.option("--top", type=int, default=10, show_default=True, help="Report templates new in this top N.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default="warning",
    show_default=True,
    help="Lowest severity that fails (exit 1).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are regressions.")
@user_errors
def regressions(
    old: str,
    new: str,
    output_format: str,
    output_path: str | None,
    time_factor: float,
    min_mean_ms: float,
    cost_factor: float,
    depth_factor: float,
    top: int,
    fail_on: str,
    exit_zero: bool,
) -> None:
    """Compare two snapshot directories (OLD, then NEW): plan changes with the plan rules' diagnosis,
    slower templates, indexes unused or gone, clustering depth grown, templates new in the top N.

    \b
    Examples:
      sqltune regressions snapshots/2026-01-01 snapshots/2026-01-02
      sqltune regressions yesterday today --format sarif --output regressions.sarif
      sqltune regressions yesterday today --format junit --time-factor 2 --fail-on error
    """
    from sqltune.api import compare_snapshots
    from sqltune.reporters import ReportOptions
    from sqltune.reporters.regressions import render_regressions

    report = compare_snapshots(
        old,
        new,
        time_factor=time_factor,
        min_mean_ms=min_mean_ms,
        top=top,
        cost_factor=cost_factor,
        depth_factor=depth_factor,
        fail_on=fail_on,
    )
    options = ReportOptions(tool_version=__version__, environ=dict(os.environ))
    rendered = render_regressions(report, output_format, options)
    if output_path is None:
        click.echo(rendered, nl=False)
    else:
        with open(output_path, "w", encoding="utf-8") as handle:
            handle.write(rendered)
    if report.failed and not exit_zero:
        sys.exit(1)
