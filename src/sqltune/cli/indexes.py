"""``sqltune indexes``: a workload-level index plan, evaluated what-if, optionally applied."""

from __future__ import annotations

import json
import sys

import click

from sqltune.cli import main, user_errors
from sqltune.cli.progress import phase_progress


@main.command()
@click.option("--dsn", help="PostgreSQL DSN or URL (or set PGHOST/PGDATABASE...); omit to work offline.")
@click.option(
    "--workload",
    "workload",
    multiple=True,
    required=True,
    help="SQL files, directories or globs; server logs, history exports (CSV, JSON lines), dbt targets and "
    "saved workloads (weighted by their time); or 'pg_stat_statements' (repeatable).",
)
@click.option("--budget", help="Storage budget for new indexes, e.g. 500MB, 2GB.")
@click.option("--max-indexes", type=int, help="At most this many new indexes.")
@click.option("--max-width", type=int, default=2, show_default=True, help="Key columns per index at most.")
@click.option(
    "--backend",
    type=click.Choice(["auto", "hypopg", "real", "estimate"]),
    default="auto",
    show_default=True,
    help="What-if costs: HypoPG, real indexes in a rolled-back transaction, or the offline cost model.",
)
@click.option("--schema", "schema_path", type=click.Path(dir_okay=False), help="DDL/JSON schema for offline use.")
@click.option("--dialect", default="postgres", show_default=True, help="Dialect of the workload files.")
@click.option("--validate", is_flag=True, help="Time changed queries with real indexes (rolled back) first.")
@click.option("--timeout", "timeout", default="60s", show_default=True, help="Statement timeout for every call.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--evidence", is_flag=True, help="Include the plans before and after in JSON output.")
@click.option("--apply", "apply_plan", is_flag=True, help="Run the plan's statements (asks for confirmation).")
@click.option("--yes", is_flag=True, help="Do not ask before --apply.")
@user_errors
def indexes(
    dsn: str | None,
    workload: tuple[str, ...],
    budget: str | None,
    max_indexes: int | None,
    max_width: int,
    backend: str,
    schema_path: str | None,
    dialect: str,
    validate: bool,
    timeout: str,
    output_format: str,
    evidence: bool,
    apply_plan: bool,
    yes: bool,
) -> None:
    """Advise indexes for a workload, with the estimated cost before and after for every query.

    Queries are named by file and line (a log's or export's where each was first seen, else their first
    words); --validate prints each changed query's measured speed-up. While it works, a progress bar on
    stderr (when it is a terminal) shows the phase: planning, candidates, what-if calls, validation.
    """
    from sqltune.connectors.engines import require_engine
    from sqltune.indexes.advisor import advise_indexes
    from sqltune.schema import Schema

    if dsn is not None:  # before anything is read or opened
        require_engine(dsn, ("postgres",), "sqltune indexes")
    schema = Schema.load(schema_path, dialect) if schema_path else None
    source: object = workload[0] if workload == ("pg_stat_statements",) else list(workload)
    connection = None
    if dsn is not None:
        from sqltune.connectors.postgres import connect

        connection = connect(dsn, statement_timeout=timeout)
    elif backend in ("hypopg", "real") or validate or apply_plan or source == "pg_stat_statements":
        raise click.UsageError("this needs a database: pass --dsn")
    try:
        with phase_progress() as progress:
            plan = advise_indexes(
                source,  # type: ignore[arg-type]
                connection,
                schema=schema,
                budget=budget,
                max_indexes=max_indexes,
                max_width=max_width,
                backend=backend,
                validate=validate,
                dialect=dialect,
                progress=progress,
            )
    finally:
        if connection is not None:
            connection.close()
    if output_format == "json":
        click.echo(json.dumps(plan.to_dict(evidence=evidence), indent=2, default=str))
    else:
        click.echo(plan.to_text(), nl=False)
    if apply_plan:
        statements = plan.statements()
        if not statements:
            return
        if not yes and not click.confirm(f"Run these {len(statements)} statements on the database?", err=True):
            sys.exit(1)
        from sqltune.connectors.postgres.apply import apply_statements

        apply_statements(dsn, statements, progress=lambda s: click.echo(f"running: {s}", err=True))
