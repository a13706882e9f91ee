"""The layout advisor's port on BigQuery (:class:`sqltune.layout.ports.JobUsageConnection`): what the datasets
hold, a block sample of a table, and what the jobs that read a table cost.

- :func:`catalog_sql` and :func:`storage_sql`: a dataset's ``INFORMATION_SCHEMA.COLUMNS`` joined with its
  ``TABLES`` (types, ``is_partitioning_column``, ``clustering_ordinal_position``, the ``PARTITION BY`` clause of
  the table's DDL) and the region's ``TABLE_STORAGE`` (rows and logical bytes);
- :func:`load_schema`: both as a :class:`~sqltune.schema.Schema`; tables are named ``project.dataset.table``
  (namespace ``project.dataset``), the clustering columns become an index of method ``clustering`` and the
  partitioning expression (``DATE(order_ts)``) one of method ``partition``, as BigQuery has no indexes;
- :func:`sample_sql`: ``TABLESAMPLE SYSTEM``, which reads (and bills) only the sampled blocks;
- :func:`table_jobs_sql`: ``INFORMATION_SCHEMA.JOBS`` of the last ``@days`` days that read one table, per
  template: calls, bytes processed and billed, slot time.

Every statement is a ``SELECT``; names are checked and quoted, values are query parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqltune.connectors.bigquery.jobs import check_jobs_view, job_filter
from sqltune.schema import Column, Index, Schema, Table, TableStats

__all__ = ["catalog_sql", "load_schema", "quoted", "sample_sql", "storage_sql", "table_jobs_sql"]

Run = Callable[[str, Mapping[str, tuple[str, Any]]], list[dict[str, Any]]]

_PROJECT = re.compile(r"^(?:[a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,29}$")
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")


def quoted(*parts: str) -> str:
    """``project.dataset.table`` as one quoted path (a backtick inside a name is escaped)."""
    return "`" + ".".join(part.replace("\\", "\\\\").replace("`", "\\`") for part in parts) + "`"


def _project(project: str) -> str:
    if not _PROJECT.match(project):
        raise ValueError(f"not a BigQuery project id: {project!r}")
    return quoted(project)


def _dataset(project: str, dataset: str) -> str:
    _project(project)
    if not _DATASET.match(dataset):
        raise ValueError(f"not a BigQuery dataset name: {dataset!r} (letters, digits and underscores)")
    return f"{quoted(project)}.{dataset}"


def catalog_sql(project: str, dataset: str) -> str:
    """The base tables of ``dataset``: one row per column, in table and column order."""
    scope = _dataset(project, dataset)
    return f"""SELECT
    c.table_name,
    c.column_name,
    c.ordinal_position,
    c.data_type,
    c.is_nullable,
    c.is_partitioning_column,
    c.clustering_ordinal_position,
    REGEXP_EXTRACT(t.ddl, r'(?m)^PARTITION BY (.+)$') AS partition_by
FROM {scope}.INFORMATION_SCHEMA.COLUMNS AS c
JOIN {scope}.INFORMATION_SCHEMA.TABLES AS t ON t.table_name = c.table_name
WHERE t.table_type = 'BASE TABLE'
ORDER BY c.table_name, c.ordinal_position"""


def storage_sql(project: str, region: str) -> str:
    """Rows and logical bytes (what on-demand queries bill by) of the tables of ``@datasets``."""
    check_jobs_view(region, "JOBS")
    return f"""SELECT table_schema, table_name, total_rows, total_logical_bytes
FROM {_project(project)}.{quoted(region)}.INFORMATION_SCHEMA.TABLE_STORAGE
WHERE table_schema IN UNNEST(@datasets) AND NOT deleted"""


def load_schema(run: Run, project: str, datasets: Iterable[str], region: str) -> Schema:
    """The base tables of ``datasets`` with their columns, sizes, partitioning and clustering (see the module)."""
    names = sorted(set(datasets))
    if not names:
        raise ValueError("name the BigQuery datasets to read (schemas=['shop'], or --schema shop)")
    tables: dict[tuple[str, str], Table] = {}
    clustering: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for dataset in names:
        for row in run(catalog_sql(project, dataset), {}):
            key = (dataset, str(row["table_name"]))
            table = tables.get(key)
            if table is None:
                table = tables[key] = Table(key[1], f"{project}.{dataset}")
                if row.get("partition_by"):
                    _partitioned(table, str(row["partition_by"]).strip())
            table.add_column(
                Column(
                    str(row["column_name"]),
                    str(row.get("data_type") or ""),
                    nullable=str(row.get("is_nullable") or "YES").upper() == "YES",
                )
            )
            partitioning = str(row.get("is_partitioning_column") or "NO").upper() == "YES"
            if partitioning and not any(index.method == "partition" for index in table.indexes):
                _partitioned(table, str(row["column_name"]))  # no PARTITION BY in the DDL: by the column's day
            if row.get("clustering_ordinal_position") is not None:
                position = int(row["clustering_ordinal_position"])
                clustering.setdefault(key, []).append((position, str(row["column_name"])))
    for key, columns in clustering.items():
        table = tables[key]
        ordered = tuple(name for _, name in sorted(columns))
        table.indexes.append(Index(f"{table.name}_clustering", table.qualified_name, ordered, method="clustering"))
    for row in run(storage_sql(project, region), {"datasets": ("STRING", names)}):
        found = tables.get((str(row["table_schema"]), str(row["table_name"])))
        if found is not None:
            found.stats = TableStats(
                rows=_number(row.get("total_rows")), size_bytes=_number(row.get("total_logical_bytes"))
            )
    return Schema(tables.values())


def _partitioned(table: Table, expression: str) -> None:
    table.indexes.append(Index(f"{table.name}_partitioning", table.qualified_name, (expression,), method="partition"))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def sample_sql(table: str, columns: Sequence[str], percent: float, limit: int) -> str:
    """About ``percent`` % of ``table``'s storage blocks (at most ``limit`` rows) of ``columns``."""
    listed = ", ".join(quoted(column) for column in columns)
    if percent >= 100:
        return f"SELECT {listed} FROM {quoted(table)} LIMIT {int(limit)}"
    return (
        f"SELECT {listed} FROM {quoted(table)} TABLESAMPLE SYSTEM ({max(percent, 1e-6):.6f} PERCENT) LIMIT {int(limit)}"
    )


def table_jobs_sql(region: str = "region-us", view: str = "JOBS") -> str:
    """The jobs of the last ``@days`` days that read ``@project.@dataset.@table``, per template (the
    normalized-literals hash, as in the workload), never sqltune's own (``@label``)."""
    check_jobs_view(region, view)
    return f"""SELECT
    COALESCE(query_info.query_hashes.normalized_literals, job_id) AS template_key,
    COUNT(*) AS calls,
    SUM(total_bytes_processed) AS total_bytes_processed,
    SUM(total_bytes_billed) AS total_bytes_billed,
    SUM(total_slot_ms) AS total_slot_ms,
    MIN(start_time) AS first_run,
    MAX(start_time) AS last_run
FROM `{region}`.INFORMATION_SCHEMA.{view.upper()}
WHERE {job_filter()}
  AND EXISTS (
      SELECT 1 FROM UNNEST(referenced_tables) AS t
      WHERE t.project_id = @project AND t.dataset_id = @dataset AND t.table_id = @table
  )
GROUP BY template_key
ORDER BY template_key"""
