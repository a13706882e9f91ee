"""PostgreSQL layouts: BRIN, declarative range partitioning, CLUSTER -- which one fits a table, and its DDL.

- **partition** (``PARTITION BY RANGE``): the best key starts with a date or timestamp column, the table is
  larger than the server's memory (``effective_cache_size``, or ``pg_partition_min_bytes``), and append-mostly
  (the churn gate). Monthly partitions (yearly when months would exceed the warning count); the warning above
  ``max_partitions_warning``; the unique-key caveat (every unique key must include the partition column);
- **brin**: a filtered column whose ``pg_stats.correlation`` is near ±1 (the rows already lie in its order),
  with ``pages_per_range`` chosen by simulating each size in the current order;
- **cluster**: otherwise, on a read-mostly table, a one-time reorder by the best key (``CLUSTER``, then a BRIN
  on its first column, which the order makes effective). ``CLUSTER`` does not keep new rows in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from sqltune.layout import gates
from sqltune.layout.candidates import KeyColumn
from sqltune.layout.model import Gate, LayoutConfig
from sqltune.layout.probes import scanned_fraction
from sqltune.layout.simulate import Layout, Probe, Sample
from sqltune.schema import Table

__all__ = ["PAGES_PER_RANGE", "brin_ddl", "choose_pages_per_range", "cluster_ddl", "partition_ddl"]

PAGES_PER_RANGE = (8, 16, 32, 64, 128, 256)
_MIN_SAMPLE_ROWS = 16  # fewer sample rows per range understate its min/max spread


def rows_per_page(table: Table) -> float:
    stats = table.stats
    if stats is None or not stats.rows or not stats.pages:
        return 50.0
    return max(1.0, stats.rows / stats.pages)


def choose_pages_per_range(sample: Sample, probes: Sequence[Probe], table: Table) -> tuple[int, float, int]:
    """``(pages_per_range, scanned fraction, sample rows per range)`` minimising pages read: the heap pages
    of the ranges scanned plus the BRIN index itself (about 100 range summaries per page)."""
    pages = table.stats.pages if table.stats is not None and table.stats.pages else sample.rows / 50.0
    fraction_sampled = sample.rows / table.stats.rows if table.stats is not None and table.stats.rows else 1.0
    best: tuple[float, int, float, int] | None = None
    for size in PAGES_PER_RANGE:
        partition_rows = round(size * rows_per_page(table) * min(1.0, fraction_sampled))
        if partition_rows < _MIN_SAMPLE_ROWS and size != PAGES_PER_RANGE[-1]:
            continue
        fraction = scanned_fraction(Layout(sample, (), partition_rows), probes)[0]
        cost = fraction * pages + pages / size / 100
        if best is None or cost < best[0]:
            best = (cost, size, fraction, partition_rows)
    assert best is not None
    return best[1], best[2], best[3]


def brin_ddl(table: str, columns: Sequence[str], pages_per_range: int) -> str:
    """A BRIN index; with several columns each is summarised on its own, so every key column prunes.

    >>> brin_ddl("ev", ["kind", "day"], 32)
    'CREATE INDEX ev_kind_day_brin ON ev USING brin (kind, day) WITH (pages_per_range = 32)'
    """
    name = f"{table}_{'_'.join(columns)}_brin"
    listed = ", ".join(columns)
    return f"CREATE INDEX {name} ON {table} USING brin ({listed}) WITH (pages_per_range = {pages_per_range})"


def cluster_ddl(table: str, key: Sequence[KeyColumn], pages_per_range: int) -> list[str]:
    """CLUSTER by ``key`` through a B-tree (expressions in parentheses), then BRIN on the key's columns."""
    name = f"{table}_{'_'.join(c.column for c in key)}_idx"
    parts = ", ".join(c.text if c.function is None else f"({c.text})" for c in key)
    columns = list(dict.fromkeys(c.column for c in key))
    return [
        f"CREATE INDEX {name} ON {table} ({parts})",
        f"CLUSTER {table} USING {name}",
        f"ANALYZE {table}",
        brin_ddl(table, columns, pages_per_range),
    ]


def partition_ddl(
    table: Table, column: str, low: date, high: date, config: LayoutConfig
) -> tuple[list[str], list[str]]:
    """The DDL of a monthly (or yearly) range-partitioned copy, and its warnings."""
    months = (high.year - low.year) * 12 + high.month - low.month + 1
    step = 1 if months <= config.max_partitions_warning else 12
    start = date(low.year, low.month if step == 1 else 1, 1)
    bounds = []
    while start <= high:
        year, month = divmod(start.month - 1 + step, 12)
        end = date(start.year + year, month + 1, 1)
        bounds.append((start, end))
        start = end
    name, warnings = table.name, []
    if len(bounds) > config.max_partitions_warning:
        warnings.append(f"{len(bounds)} partitions: planning slows above {config.max_partitions_warning}")
    for key in ([table.primary_key] if table.primary_key else []) + list(table.unique_keys):
        if column not in [c.lower() for c in key]:
            warnings.append(
                f"unique key ({', '.join(key)}) does not include {column}: a partitioned table's unique keys must"
                " include the partition key (widen the key or keep it unique by other means)"
            )
    ddl = [f"CREATE TABLE {name}_partitioned (LIKE {name} INCLUDING DEFAULTS) PARTITION BY RANGE ({column})"]
    for start, end in bounds:
        label = start.strftime("%Y_%m" if step == 1 else "%Y")
        ddl.append(
            f"CREATE TABLE {name}_p{label} PARTITION OF {name}_partitioned FOR VALUES FROM ('{start}') TO ('{end}')"
        )
    ddl.append(f"CREATE TABLE {name}_pdefault PARTITION OF {name}_partitioned DEFAULT")
    ddl.append(f"INSERT INTO {name}_partitioned SELECT * FROM {name}")
    return ddl, warnings


def date_range(sample: Sample, column: str) -> tuple[date, date] | None:
    data = sample.columns.get(column)
    if data is None or data.kind not in ("date", "timestamp"):
        return None
    finite = data.values[~np.isnan(data.values)]
    if not finite.size:
        return None
    scale = 86400.0 if data.kind == "timestamp" else 1.0
    epoch = date(1970, 1, 1)
    return (
        epoch + timedelta(days=int(np.floor(finite.min() / scale))),
        epoch + timedelta(days=int(np.floor(finite.max() / scale))),
    )


def correlation_gate(table: Table, column: str, minimum: float) -> Gate:
    stats = table.columns[column].stats if column in table.columns else None
    value = stats.correlation if stats is not None else None
    if value is None:
        return Gate("correlation", False, f"no pg_stats.correlation for {column}; run ANALYZE")
    passed = abs(value) >= minimum
    why = "rows lie in its order" if passed else "each block range would span most values: BRIN would skip little"
    return Gate("correlation", passed, f"correlation of {column} is {value:.3f} (needs |c| >= {minimum:g}): {why}")


def memory_gate(size_bytes: float | None, threshold: float | None) -> Gate:
    if threshold is None:
        return Gate("partition_size", False, "server memory unknown (effective_cache_size)")
    gate = gates.size(size_bytes, threshold, "partitioning (larger than memory)")
    gate.name = "partition_size"
    return gate
