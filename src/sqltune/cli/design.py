"""``sqltune design``: propose a star schema from a schema and its workload, with the evidence, the coverage,
and the outputs (DDL, dbt project, rewritten queries, diagrams, JSON).

Exit codes: 0 designed; 2 when the schema or workload is missing or unreadable, or the database cannot be
reached.
"""

from __future__ import annotations

from typing import Any

import click

from sqltune.cli import main, user_errors


@main.command()
@click.option(
    "--schema",
    "schema_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The normalised schema: DDL (.sql) or sqltune's schema JSON, with keys.",
)
@click.option(
    "--workload",
    "workload_sources",
    required=True,
    multiple=True,
    help="The workload: SQL files or folders, logs, exports or a saved workload (repeatable).",
)
@click.option("--dialect", default="postgres", show_default=True, help="SQL dialect of the schema and workload.")
@click.option(
    "--dsn",
    help="PostgreSQL database holding the data: inferred relationships are checked on samples (read-only).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Write DDL, the dbt project, queries, diagrams, JSON here.",
)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@user_errors
def design(
    schema_path: str,
    workload_sources: tuple[str, ...],
    dialect: str,
    dsn: str | None,
    out_dir: str | None,
    output_format: str,
) -> None:
    """Propose a star schema (facts, dimensions, bridges) from how the workload queries the schema.

    \b
    Examples:
      sqltune design --schema schema.sql --workload queries/
      sqltune design --schema schema.sql --workload postgresql.log --dsn postgresql://me@db/shop --out star/
    """
    from sqltune.connectors.engines import require_engine
    from sqltune.design import design_star_schema
    from sqltune.design.emit import write_outputs
    from sqltune.reporters.design import render_design_json, render_design_text
    from sqltune.schema import Schema
    from sqltune.workload import Workload

    if dsn:  # the designer's samples are PostgreSQL queries; refused before anything is read
        require_engine(dsn, ("postgres",), "sqltune design")
    schema = Schema.load(schema_path, dialect)
    workload = Workload.read(*workload_sources, dialect=dialect)
    if dsn:
        from sqltune.connectors import connect

        connection: Any = connect(dsn)
        with connection:
            result = design_star_schema(schema, workload, connection)
    else:
        result = design_star_schema(schema, workload)
    if out_dir:
        written = write_outputs(result.design, schema, out_dir, result.coverage)
        click.echo(f"wrote {len(written)} files to {out_dir}", err=True)
    if output_format == "json":
        click.echo(render_design_json(result), nl=False)
    else:
        click.echo(render_design_text(result), nl=False)
