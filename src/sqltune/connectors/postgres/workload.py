"""The statements a PostgreSQL database actually runs, from ``pg_stat_statements``.

Linting files finds what *could* be slow; the workload says what *is* expensive: the statements with the
largest total execution time are where an index or a rewrite pays. ``pg_stat_statements`` normalises
constants to ``$1``-style parameters, so the texts can be explained with a generic plan
(:meth:`PostgresConnection.explain <sqltune.connectors.postgres.PostgresConnection.explain>` handles that).

The extension must be preloaded (``shared_preload_libraries``, which needs a restart) *and* created in the
database; :class:`WorkloadUnavailable` says which of the two is missing.

- :class:`WorkloadStatement`: one normalised statement and its cumulated cost;
- :func:`extension_schema`: where the extension was created, if it was;
- :func:`read_statements`: the statements, most total execution time first, as valid SQL
  (:func:`plannable_text`), with the column names of PostgreSQL 12, 13 to 16 and 17+ (:func:`columns`);
- :func:`executions`: the same statements as workload records
  (:class:`~sqltune.workload.model.Execution`, one per row, its ``calls`` and totals kept);
- :func:`plannable_text`: a recorded text with the spellings pg_stat_statements makes invalid repaired;
- :func:`unavailable` and :data:`ENABLE_HINT`: the error naming the missing step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqltune.connectors.errors import WorkloadUnavailable
from sqltune.connectors.postgres.catalog import Cursor
from sqltune.workload.model import Execution

__all__ = [
    "ENABLE_HINT",
    "WorkloadStatement",
    "columns",
    "executions",
    "extension_schema",
    "plannable_text",
    "read_statements",
    "unavailable",
]

ENABLE_HINT = (
    "enable it with shared_preload_libraries = 'pg_stat_statements' in postgresql.conf "
    "(or ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'), restart the server, "
    "then run CREATE EXTENSION pg_stat_statements in this database"
)

# ``date '1995-09-01'`` is recorded as ``date $6``, which is not SQL: the typed-literal syntax takes a string
# constant only. A cast says the same with a parameter.
_TYPED_LITERAL = re.compile(
    r"\b(date|time(?:stamp)?(?:tz)?(?: with(?:out)? time zone)?|interval)\s+\$(\d+)\b", re.IGNORECASE
)
# ``extract(year FROM d)`` is recorded as ``extract($1 FROM d)``: the field is lost; any field plans alike.
_EXTRACT_FIELD = re.compile(r"\b(extract\s*\(\s*)\$\d+(\s+FROM\b)", re.IGNORECASE)


def plannable_text(query: str) -> str:
    """``query`` as pg_stat_statements recorded it, with the spellings its normalisation makes invalid
    repaired (the parameters keep their numbers).

    >>> plannable_text("SELECT extract($1 FROM d) FROM t WHERE d >= date $2 AND w < interval $3")
    'SELECT extract(year FROM d) FROM t WHERE d >= $2::date AND w < $3::interval'
    """
    return _EXTRACT_FIELD.sub(r"\1year\2", _TYPED_LITERAL.sub(r"$\2::\1", query))


# Texts another role ran are hidden from roles without pg_read_all_stats; they are useless to sqltune.
_HIDDEN_TEXT = "<insufficient privilege>"


@dataclass(frozen=True, slots=True)
class WorkloadStatement:
    """One normalised statement and its cumulated cost since ``pg_stat_statements_reset()`` (or, on
    PostgreSQL 17+, since ``stats_since``). ``read_time_ms`` is the time spent reading blocks (shared blocks
    from 17 on), zero unless ``track_io_timing`` is on."""

    query: str
    calls: int
    total_time_ms: float
    mean_time_ms: float
    rows: int
    queryid: int | None
    max_time_ms: float | None = None
    database: str | None = None
    user: str | None = None
    read_time_ms: float | None = None
    stats_since: datetime | None = None


def extension_schema(cursor: Cursor) -> str | None:
    """The schema the extension was created in, or ``None`` when it is not created in this database."""
    cursor.execute(
        "SELECT n.nspname FROM pg_catalog.pg_extension e"
        " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'"
    )
    rows = cursor.fetchall()
    return str(rows[0][0]) if rows else None


def columns(server_version: int) -> tuple[str, str, str, str, str]:
    """The view's columns for total, mean and max execution time, block read time and since-when, by version:
    PostgreSQL 13 renamed ``total_time`` to ``total_exec_time`` (planning time got its own columns), and 17
    split ``blk_read_time`` into ``shared_blk_read_time`` and ``local_blk_read_time`` and added
    ``stats_since`` (before 17 the counters run since the last reset, which the view does not say: ``NULL``).

    >>> columns(120000)[:3], columns(160000)[3:], columns(170000)[3:]
    (('total_time', 'mean_time', 'max_time'), ('blk_read_time', 'NULL'), ('shared_blk_read_time', 'stats_since'))
    """
    if server_version >= 170000:
        return "total_exec_time", "mean_exec_time", "max_exec_time", "shared_blk_read_time", "stats_since"
    if server_version >= 130000:
        return "total_exec_time", "mean_exec_time", "max_exec_time", "blk_read_time", "NULL"
    return "total_time", "mean_time", "max_time", "blk_read_time", "NULL"


# sqltune's own read of the view names this column; the text pg_stat_statements records for it keeps the
# name (constants are normalised, names are not), so the read never lists itself.
_OWN_READ = "sqltune_workload_read"


def read_statements(
    cursor: Cursor, *, server_version: int, schema: str, limit: int | None = 100, min_calls: int = 1
) -> list[WorkloadStatement]:
    """This database's statements, most total execution time first (all of them with ``limit=None``).

    ``schema`` is where the extension lives (:func:`extension_schema`); it is quoted as an identifier.
    The columns differ by server version (:func:`columns`).
    """
    if (limit is not None and limit < 1) or min_calls < 0:
        raise ValueError(f"limit must be >= 1 and min_calls >= 0; got limit={limit}, min_calls={min_calls}")
    total, mean, slowest, read_time, since = columns(server_version)
    view = '"' + schema.replace('"', '""') + '".pg_stat_statements'
    parameters: list[object] = [min_calls, _HIDDEN_TEXT, f"%{_OWN_READ}%"]
    if limit is not None:
        parameters.append(limit)
    cursor.execute(
        f"SELECT s.query, s.calls, s.{total}, s.{mean}, s.rows, s.queryid, s.{slowest}, d.datname, r.rolname,"
        f" s.{read_time}, {'s.' if since != 'NULL' else ''}{since} AS {_OWN_READ} FROM {view} s"
        " JOIN pg_catalog.pg_database d ON d.oid = s.dbid LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.userid"
        " WHERE d.datname = current_database()"
        " AND s.calls >= %s AND s.query IS NOT NULL AND s.query <> %s AND s.query NOT LIKE %s"
        f" ORDER BY s.{total} DESC{' LIMIT %s' if limit is not None else ''}",
        parameters,
    )
    return [_statement(row) for row in cursor.fetchall()]


def _statement(row: Sequence[Any]) -> WorkloadStatement:
    query, calls, total_ms, mean_ms, rows, queryid, slowest, database, user, read_ms, since = row
    return WorkloadStatement(
        plannable_text(str(query)),
        int(calls),
        float(total_ms),
        float(mean_ms),
        int(rows),
        queryid,
        max_time_ms=None if slowest is None else float(slowest),
        database=None if database is None else str(database),
        user=None if user is None else str(user),
        read_time_ms=None if read_ms is None else float(read_ms),
        stats_since=since,
    )


def executions(statements: Sequence[WorkloadStatement]) -> Iterator[Execution]:
    """The statements as workload records: one :class:`Execution` per row, standing for its ``calls``
    (``duration_ms`` the total execution time, ``max_ms`` the slowest call), with the ``queryid``."""
    for number, statement in enumerate(statements, 1):
        yield Execution(
            statement.query,
            duration_ms=statement.total_time_ms,
            calls=statement.calls,
            rows=statement.rows,
            max_ms=statement.max_time_ms,
            ids=(("queryid", str(statement.queryid)),) if statement.queryid is not None else (),
            location=f"pg_stat_statements#{number}",
            database=statement.database,
            user=statement.user,
        )


def unavailable(database: str, *, created: bool) -> WorkloadUnavailable:
    """The error for a database where the extension cannot be read, naming the missing step."""
    if not created:
        return WorkloadUnavailable(f"pg_stat_statements is not installed in database {database!r}: {ENABLE_HINT}")
    return WorkloadUnavailable(
        f"pg_stat_statements is created in database {database!r} but not loaded by the server: {ENABLE_HINT}"
    )
