"""``sqltune layout``: clustering, partitioning and BRIN advice for a live database from a workload."""

from __future__ import annotations

import json
import sys

import click

from sqltune.cli import main, user_errors

__all__ = ["layout"]


@main.command()
@click.option("--dsn", required=True, help="Database to advise (PostgreSQL): read only, copies only with --validate.")
@click.option(
    "--workload",
    "workload_sources",
    multiple=True,
    required=True,
    help="Workload source (a log, export, saved workload or SQL files; repeatable).",
)
@click.option(
    "--table", "tables", multiple=True, help="Advise only this table (repeatable; default: every table read)."
)
@click.option("--schema", "schemas", multiple=True, help="Database schema to reflect (repeatable; default: public).")
@click.option("--min-size", type=float, help="Smallest table in bytes to change the layout of (default: 1 GiB).")
@click.option("--partition-min-size", type=float, help="Smallest table in bytes to partition (default: server memory).")
@click.option("--sample-rows", type=int, default=200_000, show_default=True, help="Rows sampled per table.")
@click.option("--validate", is_flag=True, help="Build the layout on a rolled-back copy and time the templates.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@user_errors
def layout(
    dsn: str,
    workload_sources: tuple[str, ...],
    tables: tuple[str, ...],
    schemas: tuple[str, ...],
    min_size: float | None,
    partition_min_size: float | None,
    sample_rows: int,
    validate: bool,
    output_format: str,
) -> None:
    """Recommend BRIN, partitioning or CLUSTER per table, with the gates, the simulated pruning and the DDL.

    \b
      sqltune layout --dsn postgresql://me@db/shop --workload postgresql.log
      sqltune layout --dsn ... --workload workload.json --table events --validate --format json
    """
    from sqltune.connectors.postgres import connect
    from sqltune.layout.advisor import advise_layout
    from sqltune.layout.model import LayoutConfig
    from sqltune.workload import Workload

    config = LayoutConfig(sample_rows=sample_rows, pg_partition_min_bytes=partition_min_size)
    if min_size is not None:
        config.brin_min_bytes = min_size
    workload = Workload.read(*workload_sources, dialect="postgres")
    for problem in workload.problems:
        click.echo(f"{problem.path}:{problem.line}:{problem.column}: {problem.message}", err=True)
    with connect(dsn) as connection:
        plan = advise_layout(
            workload,
            connection,
            tables=tables or None,
            schemas=schemas or ("public",),
            config=config,
            validate=validate,
        )
    if output_format == "json":
        click.echo(json.dumps(plan.to_dict(), indent=1, default=str))
    else:
        click.echo(plan.to_text(), nl=False)
    sys.exit(1 if plan.recommended else 0)
