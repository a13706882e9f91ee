"""The statements a MySQL or MariaDB server runs, from ``performance_schema.events_statements_summary_by_digest``.

The server normalises each statement to a *digest* (literals as ``?``, names in backticks) and keeps per
digest and default database: ``COUNT_STAR`` calls, ``SUM_TIMER_WAIT`` and ``MAX_TIMER_WAIT`` in picoseconds,
``SUM_ROWS_SENT``, ``FIRST_SEEN`` and ``LAST_SEEN``, and on MySQL 8.0.3+ ``QUERY_SAMPLE_TEXT``, one real
statement of the digest (MariaDB 10.x has no such column). Each row becomes one aggregated
:class:`~sqltune.workload.model.Execution`: its SQL the sample text where there is one (real literals, so
it plans like a real run), else ``DIGEST_TEXT``; ``ids`` the digest.

It needs ``performance_schema = ON`` at server start and the ``statements_digest`` consumer enabled (the
default); :class:`~sqltune.connectors.errors.WorkloadUnavailable` says which is missing. The statements
sqltune itself sends are left out by their digest texts (:data:`OWN_STATEMENTS`).

- :data:`DIGEST_TABLE`, :data:`OWN_STATEMENTS`;
- :func:`digest_query`: the ``SELECT`` that reads the table, for the columns this server has;
- :func:`to_execution`: one row as an execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqltune.workload.model import Execution

__all__ = ["DIGEST_TABLE", "ENABLE_HINT", "OWN_STATEMENTS", "digest_query", "to_execution"]

DIGEST_TABLE = "performance_schema.events_statements_summary_by_digest"

ENABLE_HINT = (
    "start the server with performance_schema = ON (my.cnf [mysqld] section, then restart); the "
    "statements_digest consumer must be enabled too (it is by default: "
    "performance_schema.setup_consumers)"
)

#: LIKE patterns of the digest texts of the statements sqltune sends (session settings, reading this table).
OWN_STATEMENTS = (
    "SET SESSION TRANSACTION READ ONLY%",
    "SET SESSION `max\\_statement\\_time` = ?%",
    "SET SESSION MAX\\_STATEMENT\\_TIME = ?%",
    "SET SESSION `max\\_execution\\_time` = ?%",
    "SET SESSION `time\\_zone` = ?%",
    "%`sqltune\\_%",
)

_COLUMNS = (
    "SCHEMA_NAME, DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, MAX_TIMER_WAIT, SUM_ROWS_SENT, FIRST_SEEN, LAST_SEEN"
)
_PICOSECONDS_PER_MS = 1e9


def digest_query(*, sample_text: bool, schema: str | None, limit: int | None, min_calls: int) -> tuple[str, list[Any]]:
    """The ``SELECT`` of the digest table and its parameters, most total time first. Its alias
    ``sqltune_sample`` keeps its own digest out of the result (see :data:`OWN_STATEMENTS`)."""
    sample = ", QUERY_SAMPLE_TEXT" if sample_text else ", NULL"
    sql = (
        f"SELECT {_COLUMNS}{sample} AS sqltune_sample FROM {DIGEST_TABLE}"
        " WHERE DIGEST_TEXT IS NOT NULL AND COUNT_STAR >= %s"
        + "".join(" AND DIGEST_TEXT NOT LIKE %s" for _ in OWN_STATEMENTS)
    )
    params: list[Any] = [min_calls, *OWN_STATEMENTS]
    if schema is not None:
        sql += " AND SCHEMA_NAME = %s"
        params.append(schema)
    sql += " ORDER BY SUM_TIMER_WAIT DESC"
    if limit is not None:
        sql += " LIMIT %s"
        params.append(int(limit))
    return sql, params


def to_execution(row: Mapping[str, Any], where: str) -> Execution:
    """One digest row as an aggregated execution (``FIRST_SEEN``/``LAST_SEEN`` read in UTC, the session's time
    zone). The table keeps no times per call: every call counts in ``LAST_SEEN``'s time bucket."""
    sample = row.get("sqltune_sample")
    text = str(sample).strip() if sample else str(row["DIGEST_TEXT"]).strip()
    last = row.get("LAST_SEEN")
    at = last.replace(tzinfo=UTC) if isinstance(last, datetime) else None
    first = row.get("FIRST_SEEN")
    first_at = first.replace(tzinfo=UTC) if isinstance(first, datetime) else None
    total, slowest, rows = row.get("SUM_TIMER_WAIT"), row.get("MAX_TIMER_WAIT"), row.get("SUM_ROWS_SENT")
    return Execution(
        text,
        duration_ms=int(total) / _PICOSECONDS_PER_MS if total is not None else None,
        at=at,
        first_at=first_at,
        calls=int(row["COUNT_STAR"]),
        rows=int(rows) if rows is not None else None,
        max_ms=int(slowest) / _PICOSECONDS_PER_MS if slowest is not None else None,
        ids=(("digest", str(row["DIGEST"])),),
        location=where,
        database=str(row["SCHEMA_NAME"]) if row.get("SCHEMA_NAME") else None,
    )
