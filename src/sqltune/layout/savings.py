"""What a layout saves per month on a warehouse that bills by bytes scanned (BigQuery): each template's bytes
processed and slot time, scaled by the drop in the share of the table it scans.

For a template ``t`` that reads the table, with ``bytes_t`` and ``slot_t`` its bytes processed and slot time over
the window of ``days`` days (``INFORMATION_SCHEMA.JOBS``, per normalized-literals hash), ``part_t`` the table's
part of what the template reads (the table's logical bytes over those of every table the template reads, so
a join's bytes are split by size), and ``before_t`` / ``after_t`` the simulated shares of the table's rows in
the partitions and blocks it scans in the current and the recommended layout::

    saved_t = (bytes_t, slot_t) * part_t * (1 - after_t / before_t) * 30 / days

Slot time is scaled as bytes are: the scan is what pruning removes; joins, sorts and shuffles of the rows that
remain are not (an estimate, stated as one). Without JOBS (no grant, or a workload from files), the template's
own bytes scanned over the span the workload covers stand in, and slot time is unknown.

>>> usage = TemplateUsage(calls=300, bytes=3e12, slot_ms=6e6)
>>> saved(usage, part=0.5, before=1.0, after=0.1, days=15)
(2700000000000.0, 5400000.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqltune.graph import QueryGraph
from sqltune.schema import Schema, Table, fold_path
from sqltune.workload.model import Template

__all__ = ["TemplateUsage", "from_jobs", "from_workload", "part_of", "saved"]


@dataclass(frozen=True, slots=True)
class TemplateUsage:
    calls: int
    bytes: float  # processed, over the window
    slot_ms: float | None  # None: unknown


def from_jobs(rows: Iterable[Mapping[str, Any]], templates: Sequence[Template]) -> dict[str, TemplateUsage]:
    """JOBS rows per template key (``table_jobs``) matched to the workload's templates by their
    ``query_parameterized_hash`` id, or a ``job_id`` id for a job without one; by fingerprint."""
    by_key = {str(row["template_key"]): row for row in rows if row.get("template_key")}
    found: dict[str, TemplateUsage] = {}
    for template in templates:
        keys = [*template.ids.get("query_parameterized_hash", []), *template.ids.get("job_id", [])]
        row = next((by_key[k] for k in keys if k in by_key), None)
        if row is not None:
            slot = row.get("total_slot_ms")
            found[template.fingerprint] = TemplateUsage(
                int(row.get("calls") or 0), float(row.get("total_bytes_processed") or 0.0), _float(slot)
            )
    return found


def from_workload(templates: Sequence[Template]) -> tuple[dict[str, TemplateUsage], float | None]:
    """Each template's own bytes scanned, and the days the workload spans (``None`` without timestamps)."""
    found = {
        t.fingerprint: TemplateUsage(t.calls, float(t.bytes_scanned), None)
        for t in templates
        if t.bytes_scanned is not None
    }
    moments = [m for t in templates for m in (t.first_seen, t.last_seen) if isinstance(m, datetime)]
    days = (max(moments) - min(moments)).total_seconds() / 86400 if len(moments) > 1 else None
    return found, (days if days and days > 0 else None)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def part_of(graph: QueryGraph | None, table: Table, schema: Schema) -> float:
    """The table's part of what a template reads: its logical bytes over those of every base table the
    template reads (each once); 1 when the template reads no other table, or a size is unknown (then the
    tables are counted alike)."""
    if graph is None:
        return 1.0
    names = {
        fold_path(r.table.qualified_name if r.table is not None else r.name)
        for r in graph.base_tables()
        if r.join_kind != "target"  # the table a DML statement writes is not read
    }
    names.add(fold_path(table.qualified_name))
    if len(names) == 1:
        return 1.0
    sizes = []
    for name in names:
        found = schema.table(name)
        sizes.append(found.stats.size_bytes if found is not None and found.stats is not None else None)
    own = table.stats.size_bytes if table.stats is not None else None
    if own is None or any(size is None for size in sizes):
        return 1.0 / len(names)
    total = sum(size or 0.0 for size in sizes)
    return own / total if total > 0 else 1.0 / len(names)


def saved(usage: TemplateUsage, part: float, before: float, after: float, days: float) -> tuple[float, float | None]:
    """Bytes and slot time saved per 30 days (see the module)."""
    if before <= 0 or days <= 0:
        return 0.0, (0.0 if usage.slot_ms is not None else None)
    factor = part * max(0.0, 1.0 - after / before) * 30.0 / days
    return usage.bytes * factor, (usage.slot_ms * factor if usage.slot_ms is not None else None)
