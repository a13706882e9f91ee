"""BigQuery layouts: ``PARTITION BY`` and ``CLUSTER BY``, the statements and commands that apply them, and the
current layout read back from the table's DDL.

- :func:`choose_partitioning`: a DATE, TIMESTAMP or DATETIME column by DAY, MONTH or YEAR -- the finest unit
  whose partitions stay within BigQuery's limit (4,000 partitions per job, so per copy) and hold at least
  ``bq_min_partition_bytes`` on average (Google's guidance: under about 10 GB per partition, cluster instead);
  or ``RANGE_BUCKET`` of an INT64 column in buckets of that size;
- :func:`clusterable`: the column types ``CLUSTER BY`` takes (top-level, not repeated);
- :func:`copy_and_swap`: partitioning cannot be changed in place: ``CREATE TABLE ... PARTITION BY ... CLUSTER BY
  ... AS SELECT * FROM`` the table, then two renames swap the copy in (the old table is kept for checking);
- :func:`cluster_command`: clustering can: ``bq update --clustering_fields`` (the ``tables.update`` API) sets
  the columns; BigQuery clusters the data written from then on, and existing rows when they are rewritten
  (the copy-and-swap with ``CLUSTER BY`` alone does it at once);
- :func:`parse_partitioning`: the ``PARTITION BY`` clause of a table's DDL as the simulator's key part;
- :func:`datasets_of`: the datasets of a project that a workload's queries read.

>>> parse_partitioning("DATE_TRUNC(order_date, MONTH)")
('order_date', ('trunc_date', 'month'))
>>> cluster_command("acme-analytics.shop.orders", ["status", "customer_id"])
'bq update --clustering_fields=status,customer_id acme-analytics:shop.orders'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sqltune.core.sqlglot import exp
from sqltune.layout.gates import bytes_text
from sqltune.layout.model import LayoutConfig
from sqltune.layout.simulate import KeyPart, Sample
from sqltune.workload.workload import Workload

__all__ = [
    "CLUSTERABLE",
    "Partitioning",
    "base_type",
    "choose_partitioning",
    "cluster_command",
    "clusterable",
    "copy_and_swap",
    "datasets_of",
    "parse_partitioning",
]

#: Types ``CLUSTER BY`` takes that the simulator can order (GEOGRAPHY and RANGE cluster too, but not by min/max).
CLUSTERABLE = frozenset({"STRING", "INT64", "NUMERIC", "BIGNUMERIC", "DATE", "DATETIME", "TIMESTAMP", "BOOL"})
TIME_TYPES = ("DATE", "TIMESTAMP", "DATETIME")
_UNITS = ("DAY", "MONTH", "YEAR")


def base_type(declared: str) -> str:
    """``NUMERIC(10, 2)`` -> ``NUMERIC``; the aliases INTEGER and BOOLEAN as BigQuery reports them."""
    name = declared.split("(", 1)[0].split("<", 1)[0].strip().upper()
    return {"INTEGER": "INT64", "BOOLEAN": "BOOL", "FLOAT": "FLOAT64", "DECIMAL": "NUMERIC"}.get(name, name)


def clusterable(declared: str) -> bool:
    return base_type(declared) in CLUSTERABLE


@dataclass(frozen=True, slots=True)
class Partitioning:
    column: str
    unit: str  # "DAY", "MONTH", "YEAR", or "RANGE"
    expression: str  # as written in PARTITION BY
    part: KeyPart  # the simulator's key part
    count: int  # partitions over the sample's span


def _expression(column: str, declared: str, unit: str) -> str:
    kind = base_type(declared)
    if unit == "DAY":
        return column if kind == "DATE" else f"DATE({column})"
    return f"{kind}_TRUNC({column}, {unit})"


def _span(sample: Sample, column: str, unit: str) -> int:
    data = sample.columns[column]
    finite = data.values[~np.isnan(data.values)]
    if not finite.size:
        return 0
    scale = 86400.0 if data.kind == "timestamp" else 1.0
    epoch = date(1970, 1, 1)
    low = epoch + timedelta(days=int(np.floor(finite.min() / scale)))
    high = epoch + timedelta(days=int(np.floor(finite.max() / scale)))
    if unit == "DAY":
        return (high - low).days + 1
    if unit == "MONTH":
        return (high.year - low.year) * 12 + high.month - low.month + 1
    return high.year - low.year + 1


def choose_partitioning(
    sample: Sample, column: str, declared: str, size_bytes: float | None, config: LayoutConfig
) -> tuple[Partitioning | None, list[str]]:
    """The partitioning of ``column`` (see the module), and why finer units were passed over."""
    kind = base_type(declared)
    size = size_bytes or 0.0
    why: list[str] = []
    if kind in TIME_TYPES:
        for unit in _UNITS:
            count = _span(sample, column, unit)
            if count > config.bq_max_partitions:
                why.append(
                    f"{unit} would make {count:,} partitions over the sampled span; BigQuery writes at most "
                    f"{config.bq_max_partitions:,} in one job (the copy), so not {unit}"
                )
                continue
            if count and size / count < config.bq_min_partition_bytes:
                why.append(
                    f"{unit} partitions would hold {bytes_text(size / count)} on average (fewer than "
                    f"{bytes_text(config.bq_min_partition_bytes)}: cluster on {column} instead of partitioning finer)"
                )
                continue
            if count:
                part = (column, ("trunc_date", unit.lower()))
                return Partitioning(column, unit, _expression(column, declared, unit), part, count), why
        return None, why
    if kind == "INT64":
        values = sample.columns[column].values
        finite = values[~np.isnan(values)]
        if not finite.size:
            return None, why
        low, high = int(finite.min()), int(finite.max())
        buckets = int(min(config.bq_max_partitions, size // max(config.bq_min_partition_bytes, 1.0)))
        if buckets < 2:
            why.append(
                f"{bytes_text(size)} makes fewer than two range partitions of "
                f"{bytes_text(config.bq_min_partition_bytes)}"
            )
            return None, why
        interval = max(1, -(-(high - low + 1) // buckets))
        count = -(-(high - low + 1) // interval)
        end = low + interval * count
        expression = f"RANGE_BUCKET({column}, GENERATE_ARRAY({low}, {end}, {interval}))"
        return Partitioning(column, "RANGE", expression, (column, ("bucket", f"{low}:{interval}")), count), why
    why.append(f"{column} is {kind}: BigQuery partitions by a DATE, TIMESTAMP, DATETIME or INT64 column")
    return None, why


_TRUNC = re.compile(r"^(?:DATE|TIMESTAMP|DATETIME)_TRUNC\(\s*`?(\w+)`?\s*,\s*(\w+)\s*\)$", re.IGNORECASE)
_DAY = re.compile(r"^(?:DATE\(\s*`?(\w+)`?\s*\)|`?(\w+)`?)$", re.IGNORECASE)
_RANGE = re.compile(
    r"^RANGE_BUCKET\(\s*`?(\w+)`?\s*,\s*GENERATE_ARRAY\(\s*(-?\d+)\s*,\s*(-?\d+)\s*,\s*(\d+)\s*\)\s*\)$", re.IGNORECASE
)


def parse_partitioning(expression: str) -> KeyPart | None:
    """The simulator's key part of a ``PARTITION BY`` expression; ``None`` for ingestion-time partitioning
    (``_PARTITIONDATE``, ``_PARTITIONTIME``), which no column filter prunes, or an expression not understood."""
    text = expression.strip()
    if "_PARTITION" in text.upper():
        return None
    found = _TRUNC.match(text)
    if found:
        return found[1].lower(), ("trunc_date", found[2].lower())
    found = _RANGE.match(text)
    if found:
        return found[1].lower(), ("bucket", f"{found[2]}:{found[4]}")
    found = _DAY.match(text)
    if found:
        return (found[1] or found[2]).lower(), ("trunc_date", "day")
    return None


def _bq_table(table: str) -> str:
    """``project.dataset.table`` as the bq tool names it: ``project:dataset.table``."""
    head, _, name = table.rpartition(".")
    project, _, dataset = head.rpartition(".")
    return f"{project}:{dataset}.{name}" if project else table


def _quoted(table: str) -> str:
    return f"`{table}`"


def copy_and_swap(
    table: str, partition_by: str | None, cluster_by: Sequence[str], suffix: str = "sqltune"
) -> list[str]:
    """The copy laid out anew, then the swap; the old table stays as ``<name>_<suffix>_old`` until dropped."""
    name = table.rpartition(".")[2]
    new, old = f"{table}_{suffix}_new", f"{name}_{suffix}_old"
    clauses = [f"CREATE TABLE {_quoted(new)}"]
    if partition_by:
        clauses.append(f"PARTITION BY {partition_by}")
    if cluster_by:
        clauses.append(f"CLUSTER BY {', '.join(cluster_by)}")
    clauses.append(f"AS SELECT * FROM {_quoted(table)}")
    return [
        "\n".join(clauses),
        f"ALTER TABLE {_quoted(table)} RENAME TO {old}",
        f"ALTER TABLE {_quoted(new)} RENAME TO {name}",
    ]


def cluster_command(table: str, cluster_by: Sequence[str]) -> str:
    """Set a table's clustering columns in place (``tables.update``)."""
    return f"bq update --clustering_fields={','.join(cluster_by)} {_bq_table(table)}"


def datasets_of(workload: Workload, project: str) -> tuple[str, ...]:
    """The datasets of ``project`` the workload reads: from the ``referenced_table`` ids of a workload read from
    ``INFORMATION_SCHEMA.JOBS``, else from the queries (a table named ``dataset.table`` is in ``project``)."""
    found: set[str] = set()
    for template in workload.templates:
        for name in template.ids.get("referenced_table", []):
            head, _, _ = name.rpartition(".")
            owner, _, dataset = head.rpartition(".")
            if owner == project and dataset:
                found.add(dataset)
    if found:
        return tuple(sorted(found))
    for graph in workload.usage().graphs.values():
        for relation in graph.base_tables():
            node = relation.node
            if isinstance(node, exp.Table) and node.db and node.catalog in ("", project):
                found.add(node.db)
    return tuple(sorted(found))
