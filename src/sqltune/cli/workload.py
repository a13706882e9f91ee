"""``sqltune workload``: load a workload from logs, history or files, and show where the time goes.

Exit codes: 0 loaded (entries that could not be read are listed, and counted, but do not fail the run: the
rest of the log is the answer); 2 when a source is missing, of an unknown format, or unreadable as a whole.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from sqltune.cli import main, user_errors
from sqltune.cli.progress import byte_progress
from sqltune.connectors.engines import require_engine

#: Sources read from a live database (``--dsn``) rather than from files.
LIVE_SOURCES = {
    "pg_stat_statements": "PostgreSQL's pg_stat_statements",
    "digest": "MySQL/MariaDB performance_schema digest table",
    "query_history": "Snowflake ACCOUNT_USAGE.QUERY_HISTORY",
    "jobs": "BigQuery INFORMATION_SCHEMA.JOBS",
}
#: The engine each live source is read from (see :mod:`sqltune.connectors.engines`).
LIVE_ENGINES = {"pg_stat_statements": "postgres", "digest": "mysql", "query_history": "snowflake", "jobs": "bigquery"}
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(value: str, now: datetime | None = None) -> datetime:
    """An ISO 8601 date or time, or a span back from now (``30min``, ``24h``, ``7d``, ``2w``).

    >>> parse_moment("7d", datetime(2026, 12, 8, tzinfo=UTC)).isoformat()
    '2026-12-01T00:00:00+00:00'
    >>> parse_moment("2026-12-01").isoformat()
    '2026-12-01T00:00:00+00:00'
    """
    relative = _RELATIVE.match(value)
    if relative:
        span = timedelta(**{_UNITS[relative.group(2).lower()]: float(relative.group(1))})
        return (now or datetime.now(UTC)) - span
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"invalid time {value!r}; expected an ISO date such as 2026-12-01, or 24h, 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--input-format", help="Format of the sources (default: sniffed): postgres-log, mysql-slow-log, csv, ...")
@click.option(
    "--dsn",
    help="Database to read pg_stat_statements (PostgreSQL DSN or URL), digest (mysql://), query_history "
    "(snowflake://user@account/database) or jobs (bigquery://project) from.",
)
@click.option("--dialect", help="SQL dialect of the statements (default: the source's).")
@click.option(
    "--schema", "schema_path", type=click.Path(dir_okay=False), help="DDL or JSON schema, to resolve columns."
)
@click.option("--since", help="Only calls from then on: ISO time, or a span back from now (24h, 7d).")
@click.option("--until", help="Only calls before then: ISO time, or a span back from now.")
@click.option("--min-calls", type=int, default=1, show_default=True, help="Drop templates called fewer times.")
@click.option("--top", type=int, default=20, show_default=True, help="Templates to show.")
@click.option("--log-line-prefix", help="PostgreSQL's log_line_prefix of a stderr log (default: detected).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Save the whole workload as JSON.")
@user_errors
def workload(
    sources: tuple[str, ...],
    input_format: str | None,
    dsn: str | None,
    dialect: str | None,
    schema_path: str | None,
    since: str | None,
    until: str | None,
    min_calls: int,
    top: int,
    log_line_prefix: str | None,
    output_format: str,
    out_path: str | None,
) -> None:
    """Load a workload (logs, pg_stat_statements, warehouse history, dbt runs, SQL) and show the hottest
    templates and columns.

    \b
    Examples:
      sqltune workload /var/log/postgresql/postgresql-15-main.log --since 24h
      sqltune workload pg_stat_statements --dsn postgresql://me@db/shop --top 50
      sqltune workload query_history --dsn 'snowflake://me@myorg-myaccount/ANALYTICS?warehouse=WH' --since 7d
      sqltune workload slow.log --format json --out workload.json
    """
    from sqltune.reporters.workload import render_workload_json, render_workload_text
    from sqltune.schema import Schema
    from sqltune.workload import Workload

    files = tuple(source for source in sources if source not in LIVE_SOURCES)
    live = [source for source in sources if source in LIVE_SOURCES]
    if live and dsn is None:
        raise click.UsageError(f"{live[0]} is read from a database: pass --dsn")
    for name in live:  # before anything is read or opened
        require_engine(dsn, (LIVE_ENGINES[name],), f"sqltune workload {name}")
    schema = Schema.load(schema_path, dialect) if schema_path else None
    start = parse_moment(since) if since else None
    end = parse_moment(until) if until else None
    options: dict[str, Any] = {key: value for key, value in (("since", start), ("until", end)) if value is not None}
    if log_line_prefix:
        options["log_line_prefix"] = log_line_prefix
    loaded = Workload(dialect)
    if files:
        with byte_progress(files) as progress:
            loaded = Workload.read(*files, format=input_format, dialect=dialect, progress=progress, **options)
    for name in live:
        loaded = loaded.merge(_live_workload(str(dsn), name, dialect, options))
    if start or end or min_calls > 1:
        loaded = loaded.filter(since=start, until=end, min_calls=min_calls)
    if out_path:
        loaded.save(out_path)
    usage = loaded.usage(schema)
    if output_format == "json":
        click.echo(render_workload_json(loaded, usage, top), nl=False)
    else:
        click.echo(render_workload_text(loaded, usage, top), nl=False)


def _live_workload(dsn: str, source: str, dialect: str | None, options: dict[str, Any]) -> Any:
    """The workload a live database reports (its connection implements sqltune.workload.ports)."""
    from sqltune.connectors import connect
    from sqltune.workload import Workload

    connection: Any = connect(dsn)
    with connection:
        return Workload.from_connection(connection, dialect, source=source, **options)
