"""The workload of a Snowflake account: ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY``, most elapsed time first.

- :class:`SnowflakeStatement`: one statement (all successful runs with the same ``QUERY_PARAMETERIZED_HASH``)
  and what its runs cost: time, rows, bytes scanned, pruning, spilling;
- :func:`query_history`: the statements that took the most elapsed time in the last days, leaving out
  sqltune's own (tagged :data:`~sqltune.connectors.snowflake.safety.QUERY_TAG`);
- :func:`history_sql`: the one statement both read, grouped in the warehouse by the parameterized hash (and the
  hour), optionally joined with ``ACCESS_HISTORY`` (base objects and columns read);
- :func:`read_workload`: the workload as :class:`~sqltune.workload.model.Execution` records, one per template
  and hour, through :func:`execution` (the row mapping, also used on recorded rows);
- :func:`table_dml`: the rows added, removed and updated in one table (``ACCOUNT_USAGE.TABLE_DML_HISTORY``);
- :data:`ACCOUNT_USAGE_HINT`: the grant to ask for when ACCOUNT_USAGE cannot be read.

The public entry points are :meth:`SnowflakeConnection.query_history
<sqltune.connectors.snowflake.SnowflakeConnection.query_history>` and
:meth:`SnowflakeConnection.read_workload <sqltune.connectors.snowflake.SnowflakeConnection.read_workload>`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqltune.connectors.errors import QueryError, WorkloadUnavailable
from sqltune.connectors.rows import moment, records
from sqltune.connectors.snowflake.safety import QUERY_TAG, TIMEOUT_SQLSTATE, Run, not_authorised, stored, variant
from sqltune.core.source import InputProblem, ProblemKind
from sqltune.workload.model import Execution

__all__ = [
    "ACCOUNT_USAGE_HINT",
    "QUERY_TYPES",
    "SnowflakeStatement",
    "execution",
    "executions",
    "history_sql",
    "query_history",
    "read_workload",
    "table_dml",
]

#: How to get ACCOUNT_USAGE read, for the error raised when it cannot be.
ACCOUNT_USAGE_HINT = (
    "reading SNOWFLAKE.ACCOUNT_USAGE needs IMPORTED PRIVILEGES on the SNOWFLAKE database: "
    "GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE TO ROLE <role> (run by ACCOUNTADMIN), "
    "or a role granted the SNOWFLAKE.GOVERNANCE_VIEWER database role"
)


@dataclass(frozen=True, slots=True)
class SnowflakeStatement:
    """One statement of the workload: all successful runs with the same ``QUERY_PARAMETERIZED_HASH`` (the
    same text once literals are replaced), or one run when Snowflake gave it no hash.

    The first six fields mirror :class:`sqltune.connectors.postgres.workload.WorkloadStatement`, so code
    ranking a PostgreSQL workload ranks this one too; ``queryid`` is the parameterized hash. ``query`` and
    ``query_id`` are those of the latest run: pass ``query_id`` to
    :meth:`SnowflakeConnection.operator_stats`. Times are milliseconds, sizes bytes.
    """

    query: str
    calls: int
    total_time_ms: float
    mean_time_ms: float
    rows: int
    queryid: str | None
    query_id: str
    query_type: str | None
    warehouse: str | None
    warehouse_size: str | None
    database: str | None
    schema: str | None
    max_time_ms: float
    compilation_ms: float
    queued_ms: float
    bytes_scanned: int
    partitions_scanned: int
    partitions_total: int
    bytes_spilled_local: int
    bytes_spilled_remote: int
    last_run: datetime | None

    @property
    def scanned_fraction(self) -> float | None:
        """Micro-partitions scanned over those in the tables read: near 1.0 means pruning did nothing.

        >>> SnowflakeStatement("q", 1, 1.0, 1.0, 0, None, "id", None, None, None, None, None, 1.0, 0.0, 0.0, 0,
        ...     90, 100, 0, 0, None).scanned_fraction
        0.9
        """
        return self.partitions_scanned / self.partitions_total if self.partitions_total else None


#: The statement kinds that make a workload: queries, DML and loads (not SHOW, DESCRIBE, DDL).
QUERY_TYPES = (
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE_TABLE_AS_SELECT", "MULTI_TABLE_INSERT", "COPY",
)  # fmt: skip
#: Widths of the time buckets :func:`history_sql` can group by.
BUCKETS = ("hour", "day")

_RUNS = """WITH runs AS (
    SELECT COALESCE(query_parameterized_hash, query_id) AS template_key, *
    FROM snowflake.account_usage.query_history
    WHERE start_time >= DATEADD('day', -%(days)s, CURRENT_TIMESTAMP())
      AND execution_status = 'SUCCESS'
      AND query_type IN ({types})
      AND COALESCE(query_tag, '') <> %(tag)s{warehouse}
),
grouped AS (
    SELECT
        template_key,{bucket_column}
        MAX(query_parameterized_hash) AS query_parameterized_hash,
        MAX_BY(query_text, start_time) AS query_text,
        MAX_BY(query_id, start_time) AS query_id,
        MIN_BY(query_id, start_time) AS first_query_id,
        MAX_BY(query_type, start_time) AS query_type,
        MAX_BY(warehouse_name, start_time) AS warehouse_name,
        MAX_BY(warehouse_size, start_time) AS warehouse_size,
        MAX_BY(database_name, start_time) AS database_name,
        MAX_BY(schema_name, start_time) AS schema_name,
        MAX_BY(user_name, start_time) AS user_name,
        COUNT(*) AS calls,
        SUM(total_elapsed_time) AS total_elapsed_ms,
        MAX(total_elapsed_time) AS max_elapsed_ms,
        SUM(execution_time) AS execution_ms,
        MAX(execution_time) AS max_execution_ms,
        SUM(compilation_time) AS compilation_ms,
        SUM(queued_overload_time + queued_provisioning_time) AS queued_ms,
        SUM(rows_produced) AS rows_produced,
        SUM(bytes_scanned) AS bytes_scanned,
        SUM(partitions_scanned) AS partitions_scanned,
        SUM(partitions_total) AS partitions_total,
        SUM(bytes_spilled_to_local_storage) AS bytes_spilled_local,
        SUM(bytes_spilled_to_remote_storage) AS bytes_spilled_remote,
        MIN(start_time) AS first_run,
        MAX(start_time) AS last_run
    FROM runs
    GROUP BY {group_by}
)"""

_ACCESSED = """,
accessed AS (
    SELECT r.template_key, o.value:"objectName"::VARCHAR AS object_name, o.value:"columns" AS object_columns
    FROM runs AS r,
         snowflake.account_usage.access_history AS a,
         LATERAL FLATTEN(input => a.base_objects_accessed) AS o
    WHERE a.query_id = r.query_id
      AND a.query_start_time >= DATEADD('day', -%(days)s, CURRENT_TIMESTAMP())
),
objects AS (
    SELECT template_key, ARRAY_AGG(DISTINCT object_name) AS base_objects
    FROM accessed
    GROUP BY template_key
),
object_columns AS (
    SELECT x.template_key, ARRAY_AGG(DISTINCT x.object_name || '.' || c.value:"columnName"::VARCHAR) AS base_columns
    FROM accessed AS x,
         LATERAL FLATTEN(input => x.object_columns) AS c
    GROUP BY x.template_key
)
SELECT g.*, o.base_objects, c.base_columns
FROM grouped AS g
LEFT JOIN objects AS o ON o.template_key = g.template_key
LEFT JOIN object_columns AS c ON c.template_key = g.template_key
ORDER BY g.template_key{order_bucket}"""


def history_sql(
    *, bucket: str | None = "hour", access_history: bool = True, warehouse: bool = False, ranked: bool = False
) -> str:
    """The one statement that reads ``QUERY_HISTORY``, grouped in the warehouse by
    ``QUERY_PARAMETERIZED_HASH`` (a run without one stands alone) and, with ``bucket``, by the hour or day it
    started; ``access_history`` joins ``ACCESS_HISTORY`` for the base objects and columns each template read;
    ``warehouse`` keeps one warehouse's runs; ``ranked`` keeps the templates with the most elapsed time.

    Bound parameters: ``days`` and ``tag`` always, ``warehouse`` with ``warehouse``, ``min_elapsed_ms`` and
    ``limit`` with ``ranked``. The text is documented verbatim in ``docs/workload.md``.
    """
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)} or None; got {bucket!r}")
    trunc = f"DATE_TRUNC('{bucket}', start_time)" if bucket else ""
    sql = _RUNS.format(
        types=", ".join(f"'{kind}'" for kind in QUERY_TYPES),
        warehouse="\n      AND warehouse_name = %(warehouse)s" if warehouse else "",
        bucket_column=f"\n        {trunc} AS bucket_start," if bucket else "",
        group_by=f"1, {trunc}" if bucket else "1",
    )
    if access_history:
        sql += _ACCESSED.format(order_bucket=", g.bucket_start" if bucket else "")
    elif ranked:
        sql += """
SELECT *
FROM grouped
WHERE total_elapsed_ms >= %(min_elapsed_ms)s
ORDER BY total_elapsed_ms DESC
LIMIT %(limit)s"""
    else:
        sql += "\nSELECT *\nFROM grouped\nORDER BY template_key" + (", bucket_start" if bucket else "")
    if access_history and ranked:
        raise ValueError("a ranked history does not join ACCESS_HISTORY")
    return sql + "\n"


def _statement(row: Mapping[str, Any]) -> SnowflakeStatement:
    def number(key: str) -> float:
        value = row.get(key)
        return float(value) if value is not None else 0.0

    def text(key: str) -> str | None:
        value = row.get(key)
        return str(value) if value is not None else None

    calls = int(row["calls"])
    total = number("total_elapsed_ms")
    last = row.get("last_run")
    return SnowflakeStatement(
        query=str(row.get("query_text") or ""),
        calls=calls,
        total_time_ms=total,
        mean_time_ms=total / calls if calls else 0.0,
        rows=int(number("rows_produced")),
        queryid=text("query_parameterized_hash"),
        query_id=str(row.get("query_id") or ""),
        query_type=text("query_type"),
        warehouse=text("warehouse_name"),
        warehouse_size=text("warehouse_size"),
        database=text("database_name"),
        schema=text("schema_name"),
        max_time_ms=number("max_elapsed_ms"),
        compilation_ms=number("compilation_ms"),
        queued_ms=number("queued_ms"),
        bytes_scanned=int(number("bytes_scanned")),
        partitions_scanned=int(number("partitions_scanned")),
        partitions_total=int(number("partitions_total")),
        bytes_spilled_local=int(number("bytes_spilled_local")),
        bytes_spilled_remote=int(number("bytes_spilled_remote")),
        last_run=last if isinstance(last, datetime) else None,
    )


def query_history(
    run: Run, *, days: int = 7, limit: int = 50, warehouse: str | None = None, min_elapsed_ms: float = 0
) -> list[SnowflakeStatement]:
    """The statements that took the most elapsed time in the last ``days`` days, most first, read with
    ``run``; see :meth:`sqltune.connectors.snowflake.SnowflakeConnection.query_history`."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ValueError(f"days must be a whole number from 1 to 365 (ACCOUNT_USAGE keeps a year); got {days!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a whole number >= 1; got {limit!r}")
    if not isinstance(min_elapsed_ms, int | float) or min_elapsed_ms < 0 or math.isnan(min_elapsed_ms):
        raise ValueError(f"min_elapsed_ms must be a number >= 0; got {min_elapsed_ms!r}")
    params: dict[str, Any] = {"days": days, "tag": QUERY_TAG, "min_elapsed_ms": min_elapsed_ms, "limit": limit}
    if warehouse is not None:
        params["warehouse"] = stored(warehouse)
    sql = history_sql(bucket=None, access_history=False, warehouse=warehouse is not None, ranked=True)
    try:
        rows = run(sql, params)
    except QueryError as error:
        if error.sqlstate == TIMEOUT_SQLSTATE or not not_authorised(str(error)):
            raise
        raise WorkloadUnavailable(
            f"cannot read SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY ({error}): {ACCOUNT_USAGE_HINT}"
        ) from None
    return [_statement(row) for row in rows]


# -- the workload, for sqltune.workload -------------------------------------------------------------------------
#: What the workload's problems name as the place a bad row came from.
HISTORY_VIEW = "SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY"
#: Which time a template is weighted by: the wait people see, or the warehouse's execution alone.
TIMES = {"elapsed": ("total_elapsed_ms", "max_elapsed_ms"), "execution": ("execution_ms", "max_execution_ms")}


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _names(value: Any) -> list[str]:
    names = variant(value)
    return [str(name) for name in names if name] if isinstance(names, list) else []


def execution(row: Mapping[str, Any], time: str = "elapsed") -> Execution:
    """One row of :func:`history_sql` (lower-case keys, as the connection returns them or as recorded) as a
    workload :class:`~sqltune.workload.model.Execution`; ``ValueError`` says what the row lacks."""
    text = row.get("query_text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"template {row.get('template_key')!r} has no query text")
    total_key, max_key = TIMES[time]
    total, slowest = row.get(total_key), row.get(max_key)
    ids: list[tuple[str, str]] = []
    if row.get("query_parameterized_hash"):
        ids.append(("query_parameterized_hash", str(row["query_parameterized_hash"])))
    for key in ("query_id", "first_query_id"):
        if row.get(key) and ("query_id", str(row[key])) not in ids:
            ids.append(("query_id", str(row[key])))
    ids.extend(("base_object", name) for name in _names(row.get("base_objects")))
    ids.extend(("base_column", name) for name in _names(row.get("base_columns")))
    return Execution(
        text.strip(),
        duration_ms=None if total is None else float(total),
        at=moment(row.get("last_run")),
        first_at=moment(row.get("first_run")),
        calls=int(row["calls"]),
        rows=_count(row.get("rows_produced")),
        bytes_scanned=_count(row.get("bytes_scanned")),
        partitions_scanned=_count(row.get("partitions_scanned")),
        partitions_total=_count(row.get("partitions_total")),
        max_ms=None if slowest is None else float(slowest),
        ids=tuple(ids),
        location=f"query_history:{row.get('query_id') or row.get('template_key')}",
        database=str(row["database_name"]) if row.get("database_name") else None,
        user=str(row["user_name"]) if row.get("user_name") else None,
    )


def executions(rows: Iterable[Mapping[str, Any]], time: str = "elapsed") -> Iterator[Execution | InputProblem]:
    """The rows of :func:`history_sql` as executions; a row that cannot be read is a problem, the rest load."""
    return records(rows, lambda row: execution(row, time), HISTORY_VIEW)


def read_workload(
    run: Run,
    *,
    days: int = 30,
    bucket: str | None = "hour",
    access_history: bool = True,
    warehouse: str | None = None,
    time: str = "elapsed",
) -> Iterator[Execution | InputProblem]:
    """The workload of the last ``days`` days, grouped in the warehouse (see :func:`history_sql`), read with
    ``run``; see :meth:`SnowflakeConnection.read_workload
    <sqltune.connectors.snowflake.SnowflakeConnection.read_workload>`."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ValueError(f"days must be a whole number from 1 to 365 (ACCOUNT_USAGE keeps a year); got {days!r}")
    if time not in TIMES:
        raise ValueError(f"time must be one of {', '.join(TIMES)}; got {time!r}")
    params: dict[str, Any] = {"days": days, "tag": QUERY_TAG}
    if warehouse is not None:
        params["warehouse"] = stored(warehouse)

    def rows(access: bool) -> list[dict[str, Any]]:
        return run(history_sql(bucket=bucket, access_history=access, warehouse=warehouse is not None), params)

    try:
        found = rows(access_history)
    except QueryError as error:
        if error.sqlstate == TIMEOUT_SQLSTATE or not not_authorised(str(error)):
            raise
        if not access_history or "access_history" not in str(error).lower():
            raise WorkloadUnavailable(f"cannot read {HISTORY_VIEW} ({error}): {ACCOUNT_USAGE_HINT}") from None
        # ACCESS_HISTORY needs Enterprise Edition: the workload still loads, without base objects.
        found = rows(False)
        yield InputProblem(
            "SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY",
            f"cannot read it ({error}); templates carry no base objects or columns (Enterprise Edition has it)",
            fatal=False,
            kind=ProblemKind.SKIPPED,
        )
    yield from executions(found, time)


TABLE_DML_VIEW = "SNOWFLAKE.ACCOUNT_USAGE.TABLE_DML_HISTORY"


def table_dml(run: Run, table: str, days: int = 30) -> dict[str, float]:
    """Rows ``added``, ``removed`` and ``updated`` in ``table`` (``database.schema.table``) by the DML of the
    last ``days`` days, and the ``hours`` that had any, from ``TABLE_DML_HISTORY`` (hourly, up to 6 hours
    late; Snowpipe's loads count, automatic clustering's and other background services' do not). Without the
    grant: :class:`~sqltune.connectors.WorkloadUnavailable` naming it."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ValueError(f"days must be a whole number from 1 to 365 (ACCOUNT_USAGE keeps a year); got {days!r}")
    parts = [stored(part) for part in table.split(".")]
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"expected a table as database.schema.table; got {table!r}")
    sql = (
        "SELECT COALESCE(SUM(rows_added), 0) AS added, COALESCE(SUM(rows_removed), 0) AS removed,"
        " COALESCE(SUM(rows_updated), 0) AS updated, COUNT(*) AS hours"
        f" FROM {TABLE_DML_VIEW}"
        " WHERE database_name = %(database)s AND schema_name = %(schema)s AND table_name = %(table)s"
        " AND start_time >= DATEADD('day', -%(days)s, CURRENT_TIMESTAMP())"
    )
    params = {"database": parts[0], "schema": parts[1], "table": parts[2], "days": days}
    try:
        rows = run(sql, params)
    except QueryError as error:
        if error.sqlstate == TIMEOUT_SQLSTATE or not not_authorised(str(error)):
            raise
        raise WorkloadUnavailable(f"cannot read {TABLE_DML_VIEW} ({error}): {ACCOUNT_USAGE_HINT}") from None
    row = rows[0] if rows else {}
    return {key: float(row.get(key) or 0) for key in ("added", "removed", "updated", "hours")}
