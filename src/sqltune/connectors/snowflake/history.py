"""The workload of a Snowflake account: ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY``, most elapsed time first.

- :class:`SnowflakeStatement`: one statement (all successful runs with the same ``QUERY_PARAMETERIZED_HASH``)
  and what its runs cost: time, rows, bytes scanned, pruning, spilling;
- :func:`query_history`: the statements that took the most elapsed time in the last days, leaving out
  sqltune's own (tagged :data:`~sqltune.connectors.snowflake.safety.QUERY_TAG`);
- :data:`ACCOUNT_USAGE_HINT`: the grant to ask for when ACCOUNT_USAGE cannot be read.

The public entry point is :meth:`SnowflakeConnection.query_history
<sqltune.connectors.snowflake.SnowflakeConnection.query_history>`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqltune.connectors.errors import QueryError, WorkloadUnavailable
from sqltune.connectors.snowflake.safety import QUERY_TAG, TIMEOUT_SQLSTATE, Run, not_authorised, stored

__all__ = ["ACCOUNT_USAGE_HINT", "SnowflakeStatement", "query_history"]

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


_HISTORY_SQL = """
SELECT
    MAX_BY(query_text, start_time) AS query_text,
    MAX_BY(query_id, start_time) AS query_id,
    MAX(query_parameterized_hash) AS query_parameterized_hash,
    MAX_BY(query_type, start_time) AS query_type,
    MAX_BY(warehouse_name, start_time) AS warehouse_name,
    MAX_BY(warehouse_size, start_time) AS warehouse_size,
    MAX_BY(database_name, start_time) AS database_name,
    MAX_BY(schema_name, start_time) AS schema_name,
    COUNT(*) AS calls,
    SUM(total_elapsed_time) AS total_elapsed_ms,
    MAX(total_elapsed_time) AS max_elapsed_ms,
    SUM(compilation_time) AS compilation_ms,
    SUM(queued_overload_time + queued_provisioning_time) AS queued_ms,
    SUM(rows_produced) AS rows_produced,
    SUM(bytes_scanned) AS bytes_scanned,
    SUM(partitions_scanned) AS partitions_scanned,
    SUM(partitions_total) AS partitions_total,
    SUM(bytes_spilled_to_local_storage) AS bytes_spilled_local,
    SUM(bytes_spilled_to_remote_storage) AS bytes_spilled_remote,
    MAX(start_time) AS last_run
FROM snowflake.account_usage.query_history
WHERE start_time >= DATEADD('day', -%(days)s, CURRENT_TIMESTAMP())
  AND execution_status = 'SUCCESS'
  AND query_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CREATE_TABLE_AS_SELECT',
                     'MULTI_TABLE_INSERT', 'COPY')
  AND COALESCE(query_tag, '') <> %(tag)s{warehouse}
GROUP BY COALESCE(query_parameterized_hash, query_id)
HAVING SUM(total_elapsed_time) >= %(min_elapsed_ms)s
ORDER BY total_elapsed_ms DESC
LIMIT %(limit)s
"""


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
    clause = ""
    if warehouse is not None:
        params["warehouse"] = stored(warehouse)
        clause = "\n  AND warehouse_name = %(warehouse)s"
    try:
        rows = run(_HISTORY_SQL.format(warehouse=clause), params)
    except QueryError as error:
        if error.sqlstate == TIMEOUT_SQLSTATE or not not_authorised(str(error)):
            raise
        raise WorkloadUnavailable(
            f"cannot read SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY ({error}): {ACCOUNT_USAGE_HINT}"
        ) from None
    return [_statement(row) for row in rows]
