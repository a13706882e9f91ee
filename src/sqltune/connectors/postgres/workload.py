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
  (:func:`plannable_text`);
- :func:`plannable_text`: a recorded text with the spellings pg_stat_statements makes invalid repaired;
- :func:`unavailable` and :data:`ENABLE_HINT`: the error naming the missing step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqltune.connectors.errors import WorkloadUnavailable
from sqltune.connectors.postgres.catalog import Cursor

__all__ = [
    "ENABLE_HINT",
    "WorkloadStatement",
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
    """One normalised statement and its cumulated cost since ``pg_stat_statements_reset()``."""

    query: str
    calls: int
    total_time_ms: float
    mean_time_ms: float
    rows: int
    queryid: int | None


def extension_schema(cursor: Cursor) -> str | None:
    """The schema the extension was created in, or ``None`` when it is not created in this database."""
    cursor.execute(
        "SELECT n.nspname FROM pg_catalog.pg_extension e"
        " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'"
    )
    rows = cursor.fetchall()
    return str(rows[0][0]) if rows else None


def read_statements(
    cursor: Cursor, *, server_version: int, schema: str, limit: int = 100, min_calls: int = 1
) -> list[WorkloadStatement]:
    """This database's statements, most total execution time first.

    ``schema`` is where the extension lives (:func:`extension_schema`); it is quoted as an identifier.
    The time columns were renamed in PostgreSQL 13 (``total_time`` became ``total_exec_time``).
    """
    if limit < 1 or min_calls < 0:
        raise ValueError(f"limit must be >= 1 and min_calls >= 0; got limit={limit}, min_calls={min_calls}")
    total, mean = ("total_exec_time", "mean_exec_time") if server_version >= 130000 else ("total_time", "mean_time")
    view = '"' + schema.replace('"', '""') + '".pg_stat_statements'
    cursor.execute(
        f"SELECT s.query, s.calls, s.{total}, s.{mean}, s.rows, s.queryid FROM {view} s"
        " WHERE s.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())"
        " AND s.calls >= %s AND s.query IS NOT NULL AND s.query <> %s"
        f" ORDER BY s.{total} DESC LIMIT %s",
        [min_calls, _HIDDEN_TEXT, limit],
    )
    return [
        WorkloadStatement(plannable_text(str(query)), int(calls), float(total_ms), float(mean_ms), int(rows), queryid)
        for query, calls, total_ms, mean_ms, rows, queryid in cursor.fetchall()
    ]


def unavailable(database: str, *, created: bool) -> WorkloadUnavailable:
    """The error for a database where the extension cannot be read, naming the missing step."""
    if not created:
        return WorkloadUnavailable(f"pg_stat_statements is not installed in database {database!r}: {ENABLE_HINT}")
    return WorkloadUnavailable(
        f"pg_stat_statements is created in database {database!r} but not loaded by the server: {ENABLE_HINT}"
    )
