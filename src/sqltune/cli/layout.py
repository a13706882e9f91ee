"""``sqltune layout``: clustering, partitioning and BRIN advice for a live database from a workload."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from sqltune.cli import main, user_errors

__all__ = ["layout"]


@main.command()
@click.option(
    "--dsn",
    required=True,
    help="Database to advise, read only: a PostgreSQL DSN or URL, snowflake://user@account/database[/schema]"
    "[?warehouse=WH&role=R], or bigquery://project[/dataset][?location=US].",
)
@click.option(
    "--workload",
    "workload_sources",
    multiple=True,
    required=True,
    help="Workload source: a log, export, saved workload or SQL files, or pg_stat_statements / query_history / "
    "jobs read from --dsn (repeatable).",
)
@click.option(
    "--table", "tables", multiple=True, help="Advise only this table (repeatable; default: every table read)."
)
@click.option(
    "--schema",
    "schemas",
    multiple=True,
    help="Schema to reflect (PostgreSQL; default public) or dataset (BigQuery; default: the URL's, else those "
    "the workload reads); repeatable. Snowflake reads every schema of the URL's database.",
)
@click.option(
    "--min-size", type=float, help="Smallest table in bytes to change the layout of (default: 1 GiB; 10 GB warehouses)."
)
@click.option(
    "--partition-min-size",
    type=float,
    help="Smallest table in bytes to partition (default: server memory; 100 GB warehouses).",
)
@click.option("--sample-rows", type=int, default=200_000, show_default=True, help="Rows sampled per table.")
@click.option(
    "--days",
    type=int,
    default=30,
    show_default=True,
    help="Window of the warehouse's history: the jobs workload, JOBS usage and savings, DML history.",
)
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
    days: int,
    validate: bool,
    output_format: str,
) -> None:
    """Recommend BRIN, partitioning or CLUSTER (PostgreSQL), CLUSTER BY or search optimization (Snowflake), or
    PARTITION BY and CLUSTER BY (BigQuery), per table, with the gates, the simulated pruning, the savings and
    the DDL.

    \b
      sqltune layout --dsn postgresql://me@db/shop --workload postgresql.log
      sqltune layout --dsn ... --workload workload.json --table events --validate --format json
      sqltune layout --dsn 'snowflake://SQLTUNE@myorg-myaccount/ANALYTICS?warehouse=WH' --workload query_history
      sqltune layout --dsn 'bigquery://acme-analytics/shop?location=US' --workload jobs --days 30
    """
    from sqltune.cli.workload import LIVE_ENGINES, LIVE_SOURCES
    from sqltune.connectors import connect
    from sqltune.connectors.engines import require_engine
    from sqltune.layout.advisor import advise_layout
    from sqltune.layout.model import LayoutConfig
    from sqltune.workload import Workload

    # Refused before anything is read or opened.
    engine = require_engine(dsn, ("postgres", "snowflake", "bigquery"), "sqltune layout")
    for source in (s for s in workload_sources if s in LIVE_SOURCES):
        require_engine(dsn, (LIVE_ENGINES[source],), f"sqltune layout --workload {source}")
    if validate and engine != "postgres":
        raise click.UsageError("--validate builds the layout on a copy: PostgreSQL only")
    if schemas and engine == "snowflake":
        raise click.UsageError("--schema does not apply to Snowflake: every schema of the URL's database is read")
    config = LayoutConfig(sample_rows=sample_rows, history_days=days)
    connection: Any = connect(dsn)
    with connection:
        dialect = connection.dialect
        if dialect == "postgres":
            config.pg_partition_min_bytes = partition_min_size
            if min_size is not None:
                config.brin_min_bytes = min_size
        else:
            if min_size is not None:
                config.cluster_min_bytes = min_size
            if partition_min_size is not None:
                config.partition_min_bytes = partition_min_size
        files = [source for source in workload_sources if source not in LIVE_SOURCES]
        workload = Workload.read(*files, dialect=dialect) if files else Workload(dialect)
        for source in (s for s in workload_sources if s in LIVE_SOURCES):
            windowed = {"days": days} if source in ("jobs", "query_history") else {}
            workload = workload.merge(Workload.from_connection(connection, dialect, source=source, **windowed))
        for problem in workload.problems:
            click.echo(f"{problem.path}:{problem.line}:{problem.column}: {problem.message}", err=True)
        plan = advise_layout(
            workload, connection, tables=tables or None, schemas=schemas or None, config=config, validate=validate
        )
    if output_format == "json":
        click.echo(json.dumps(plan.to_dict(), indent=1, default=str))
    else:
        click.echo(plan.to_text(), nl=False)
    sys.exit(1 if plan.recommended else 0)
