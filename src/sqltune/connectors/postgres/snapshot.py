"""A snapshot of a PostgreSQL database for pipeline checks (see :mod:`sqltune.regressions`).

What is read, all through :class:`~sqltune.connectors.postgres.PostgresConnection` (every statement in a
read-only transaction that is rolled back, under a statement timeout):

- the workload's hottest templates (``pg_stat_statements`` by default), each explained: plain ``EXPLAIN``
  (a generic plan for ``$n`` texts); with ``analyze=True``, ``EXPLAIN ANALYZE`` for statements that only read
  (with representative values for their parameters), plain ``EXPLAIN`` for those that write: a snapshot
  never runs a write, not even one rolled back;
- index usage (``pg_stat_user_indexes``: scans, tuples read, size, definition);
- table statistics (``pg_stat_user_tables`` and ``pg_class``: live and dead rows, scans, the planner's row
  and page counts, the last ANALYZE);
- the planner settings, the server version and when the usage counters were last reset.

A template whose EXPLAIN fails (a dropped table, a timeout) is recorded with the error, which the
connection has already scrubbed of secrets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqltune.connectors.errors import DatabaseError
from sqltune.connectors.postgres.catalog import Cursor
from sqltune.connectors.postgres.connection import PostgresConnection
from sqltune.connectors.postgres.safety import check_statement
from sqltune.connectors.timeouts import Timeout, timeout_ms
from sqltune.regressions.capture import explained
from sqltune.regressions.model import IndexUsage, Snapshot, TableStatistics
from sqltune.regressions.select import hot_templates
from sqltune.workload import Workload

__all__ = ["read_indexes", "read_tables", "take_snapshot"]

_INDEXES_SQL = """
SELECT s.schemaname, s.relname, s.indexrelname, s.idx_scan, s.idx_tup_read,
       pg_catalog.pg_relation_size(s.indexrelid), i.indisunique, i.indisprimary,
       pg_catalog.pg_get_indexdef(s.indexrelid)
  FROM pg_catalog.pg_stat_user_indexes s
  JOIN pg_catalog.pg_index i ON i.indexrelid = s.indexrelid
 WHERE {where}
 ORDER BY s.schemaname, s.relname, s.indexrelname
"""

_TABLES_SQL = """
SELECT s.schemaname, s.relname, s.n_live_tup, s.n_dead_tup, s.seq_scan, s.idx_scan, c.reltuples, c.relpages,
       pg_catalog.pg_table_size(s.relid), s.n_mod_since_analyze,
       GREATEST(s.last_analyze, s.last_autoanalyze)
  FROM pg_catalog.pg_stat_user_tables s
  JOIN pg_catalog.pg_class c ON c.oid = s.relid
 WHERE {where}
 ORDER BY s.schemaname, s.relname
"""

#: Rows of pg_stat_statements read to find the ``top`` templates among: sqltune's and monitoring tools'
#: catalog reads, DDL and SET take places in the view without being workload.
_READ_FACTOR = 5


def _where(schemas: Iterable[str] | None) -> tuple[str, list[Any]]:
    if schemas is None:
        return "true", []
    return "s.schemaname = ANY(%s)", [[schemas] if isinstance(schemas, str) else list(schemas)]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def read_indexes(cursor: Cursor, schemas: Iterable[str] | None = None) -> list[IndexUsage]:
    """Every user index of ``schemas`` (all when ``None``) with its usage counters and size."""
    where, params = _where(schemas)
    cursor.execute(_INDEXES_SQL.format(where=where), params or None)
    return [
        IndexUsage(
            str(schema),
            str(table),
            str(name),
            _int(scans),
            _int(read),
            _int(size),
            bool(unique),
            bool(primary),
            str(definition or ""),
        )
        for schema, table, name, scans, read, size, unique, primary, definition in cursor.fetchall()
    ]


def read_tables(cursor: Cursor, schemas: Iterable[str] | None = None) -> list[TableStatistics]:
    """Every user table of ``schemas`` (all when ``None``) with its counters and the planner's sizes."""
    where, params = _where(schemas)
    cursor.execute(_TABLES_SQL.format(where=where), params or None)
    tables = []
    for schema, name, live, dead, seq, idx, reltuples, relpages, size, modified, analyzed in cursor.fetchall():
        tables.append(
            TableStatistics(
                str(schema),
                str(name),
                live_rows=_int(live),
                dead_rows=_int(dead),
                seq_scans=_int(seq),
                idx_scans=_int(idx),
                # -1 (PostgreSQL 14+) until the first VACUUM or ANALYZE: unknown.
                reltuples=None if reltuples is None or reltuples < 0 else float(reltuples),
                relpages=_int(relpages),
                size_bytes=_int(size),
                modified_since_analyze=_int(modified),
                last_analyze=analyzed.isoformat() if isinstance(analyzed, datetime) else None,
            )
        )
    return tables


def _explain(connection: PostgresConnection, sql: str, *, analyze: bool, timeout: int) -> tuple[Any, bool]:
    """The plan of one template (see the module's docstring for when ANALYZE runs) and whether it was run."""
    statement = check_statement(sql)
    run = analyze and not statement.writes
    params = connection.representative_params(statement.sql) if run else None
    result = connection.explain(statement.sql, analyze=run, params=params, timeout=timeout)
    return result.plan_json, result.analyzed


def take_snapshot(
    connection: PostgresConnection,
    workload: Workload | None = None,
    *,
    top: int = 50,
    analyze: bool = False,
    timeout_s: Timeout = 30.0,
    schemas: Iterable[str] | None = None,
) -> Snapshot:
    """A snapshot of the database ``connection`` reads: the ``top`` templates of ``workload`` (``None``: the
    database's ``pg_stat_statements``) with their plans, and index and table statistics of ``schemas``
    (``None``: every user schema). ``timeout_s`` limits each statement."""
    limit = timeout_ms(timeout_s)
    cumulative = workload is None
    if workload is None:
        workload = Workload.from_pg_stat_statements(connection, limit=max(top * _READ_FACTOR, 100))
    templates = hot_templates(workload, top)
    explain = partial(_explain, connection, analyze=analyze, timeout=limit)
    records = [
        explained(template, rank, explain, plan_format="postgres-json", errors=(DatabaseError, ValueError))
        for rank, template in enumerate(templates, 1)
    ]
    with connection.transaction(timeout=limit) as cursor:
        indexes = read_indexes(cursor, schemas)
        tables = read_tables(cursor, schemas)
    reset = connection.stats_reset()
    return Snapshot(
        taken_at=datetime.now(UTC),
        engine="postgres",
        database=connection.address,
        templates=records,
        indexes=indexes,
        tables=tables,
        server_version=str(connection.server_version),
        settings=connection.settings(),
        workload="; ".join(workload.sources) or "workload",
        cumulative=cumulative,
        stats_reset=reset.isoformat() if reset is not None else None,
        top=top,
        analyze=analyze,
        notes=list(workload.notes),
    )
