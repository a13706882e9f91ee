"""A snapshot of a Snowflake database for pipeline checks (see :mod:`sqltune.regressions`).

What is read, all through :class:`~sqltune.connectors.snowflake.SnowflakeConnection` (read-only statements
only, under the session's statement timeout):

- the workload's hottest templates (``ACCOUNT_USAGE.QUERY_HISTORY`` of the last ``days`` by default), each
  compiled with ``EXPLAIN USING JSON`` (never run: Snowflake has no EXPLAIN ANALYZE, so ``analyze`` is noted
  and ignored);
- every base table's row count and bytes (``INFORMATION_SCHEMA.TABLES``), and for each table with a
  clustering key its ``SYSTEM$CLUSTERING_INFORMATION`` (depth, overlaps, partitions). A table whose
  clustering cannot be read is recorded with the error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqltune.connectors.errors import DatabaseError
from sqltune.connectors.snowflake.connection import SnowflakeConnection
from sqltune.regressions.capture import explained
from sqltune.regressions.model import ClusteringInfo, Snapshot, TableStatistics
from sqltune.regressions.select import hot_templates
from sqltune.workload import Workload

__all__ = ["clustering_record", "take_snapshot"]


def _explain(connection: SnowflakeConnection, sql: str) -> tuple[Any, bool]:
    return connection.explain(sql), False


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    return None if value is None else kind(value)


def clustering_record(table: str, info: dict[str, Any]) -> ClusteringInfo:
    """A parsed ``SYSTEM$CLUSTERING_INFORMATION`` payload as a snapshot record.

    >>> clustering_record("DB.S.T", {"cluster_by_keys": "LINEAR(D)", "average_depth": 3.5,
    ...                              "partition_depth_histogram": {"00001": 2}}).average_depth
    3.5
    """
    return ClusteringInfo(
        table=table,
        cluster_by_keys=str(info.get("cluster_by_keys") or ""),
        total_partition_count=_number(info.get("total_partition_count"), int),
        average_overlaps=_number(info.get("average_overlaps"), float),
        average_depth=_number(info.get("average_depth"), float),
        partition_depth_histogram={str(k): int(v) for k, v in (info.get("partition_depth_histogram") or {}).items()},
        notes=str(info.get("notes") or ""),
    )


def take_snapshot(
    connection: SnowflakeConnection,
    workload: Workload | None = None,
    *,
    top: int = 50,
    analyze: bool = False,
    days: int = 1,
) -> Snapshot:
    """A snapshot of the session's database: the ``top`` templates of ``workload`` (``None``: the query history
    of the last ``days``) with their compiled plans, table sizes, and the clustering of clustered tables."""
    notes: list[str] = []
    if analyze:
        notes.append("Snowflake plans are compiled, never run: analyze does not apply")
    if workload is None:
        workload = Workload.from_snowflake(connection, days=days)
    templates = hot_templates(workload, top)
    explain = partial(_explain, connection)
    records = [
        explained(template, rank, explain, plan_format="snowflake-json", errors=(DatabaseError, ValueError))
        for rank, template in enumerate(templates, 1)
    ]
    tables: list[TableStatistics] = []
    clustering: list[ClusteringInfo] = []
    for row in connection.table_statistics():
        name = f"{row['database']}.{row['schema']}.{row['name']}"
        tables.append(
            TableStatistics(
                f"{row['database']}.{row['schema']}", row["name"], live_rows=row["rows"], size_bytes=row["bytes"]
            )
        )
        if row["clustering_key"] is None:
            continue
        try:
            clustering.append(clustering_record(name, connection.clustering_information(name)))
        except DatabaseError as error:
            clustering.append(ClusteringInfo(name, cluster_by_keys=row["clustering_key"], error=str(error)))
    return Snapshot(
        taken_at=datetime.now(UTC),
        engine="snowflake",
        database=connection.address,
        templates=records,
        tables=tables,
        clustering=clustering,
        workload="; ".join(workload.sources) or "workload",
        top=top,
        analyze=False,
        notes=notes + list(workload.notes),
    )
