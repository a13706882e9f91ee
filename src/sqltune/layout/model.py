"""What the layout advisor returns: a :class:`LayoutPlan` with one :class:`Recommendation` per table, each with
its :class:`Gate` s (passed or not, and why), its :class:`Evidence` (templates, weights, simulated partitions
scanned before and after) and its DDL; and :class:`LayoutConfig`, every threshold the advisor uses.

A table that fails a gate has a recommendation with ``kind`` ``"none"``, no DDL, and the failed gate first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqltune.core.display import Displayable

__all__ = ["Evidence", "Gate", "LayoutConfig", "LayoutPlan", "Measured", "Recommendation", "bytes_text"]

GB = 1024**3


def bytes_text(value: float) -> str:
    """``1.5 GB``, ``300 B``: binary units, as the gates show sizes."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


@dataclass(slots=True)
class LayoutConfig:
    """Thresholds of the advisor (all configurable; see docs/layout.md)."""

    cluster_min_bytes: float = 10 * GB  # warehouses: clustering pays from here
    partition_min_bytes: float = 100 * GB  # warehouses: partitioning pays from here
    brin_min_bytes: float = 1 * GB  # PostgreSQL: BRIN on smaller tables saves little a seq scan would not
    pg_partition_min_bytes: float | None = None  # PostgreSQL partitioning: None = larger than effective_cache_size
    min_reads: int = 1  # reads of the table in the window
    min_read_write_ratio: float = 10.0  # reads per write (templates' calls); below, the table is write-heavy
    max_churn: float = 0.2  # (updates + deletes) / inserts from the database; above, not append-mostly
    min_saving: float = 0.2  # the simulated scanned fraction must drop by at least this much (weighted)
    brin_min_correlation: float = 0.9  # |pg_stats.correlation| of the key column for BRIN
    max_key_columns: int = 3
    candidate_columns: int = 6  # keys are drawn from this many of the best-ranked columns
    low_cardinality: int = 10  # a column with at most this many values never forms a key alone
    near_unique: float = 0.5  # distinct/rows above which a column's filtered expression replaces it
    sample_rows: int = 200_000
    partitions: int = 1000  # simulated partitions in which candidate keys are compared
    max_partitions_warning: int = 1000
    history_days: int = 30  # window of the warehouse's history read (JOBS, TABLE_DML_HISTORY); savings per 30 days
    bq_max_partitions: int = 4000  # BigQuery: partitions one job (the copy) may write
    bq_min_partition_bytes: float = 10 * GB  # BigQuery: smaller partitions on average -> a coarser unit, or cluster
    bq_cluster_columns: int = 4  # BigQuery: CLUSTER BY takes at most four columns


@dataclass(slots=True)
class Gate:
    name: str  # "size", "reads", "read_write", "churn", "current_layout", "saving", "correlation", ...
    passed: bool
    detail: str


@dataclass(slots=True)
class Evidence:
    """One template's simulated partitions scanned, in the current order and in the recommended one."""

    fingerprint: str
    location: str
    text: str
    weight: float
    partitions: int
    before: float
    after: float
    bytes_saved: float | None = None  # per 30 days, where the warehouse bills by bytes (BigQuery)
    slot_ms_saved: float | None = None  # per 30 days, estimated (see sqltune.layout.savings)

    @property
    def saving(self) -> float:
        """The drop in the scanned fraction times the template's weight."""
        return (self.before - self.after) / self.partitions * self.weight if self.partitions else 0.0


@dataclass(slots=True)
class Measured:
    """A template run on a copy of the table before and after the layout was built (milliseconds)."""

    fingerprint: str
    before_ms: float | None
    after_ms: float | None


@dataclass(slots=True)
class Recommendation(Displayable):
    table: str
    engine: str  # "postgres", "snowflake", "bigquery"
    kind: str  # "brin", "partition", "cluster", "cluster_by", "search_optimization", "none"
    key: tuple[str, ...] = ()
    ddl: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # shell commands where SQL cannot do it (bq update ...)
    gates: list[Gate] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    candidates: list[tuple[tuple[str, ...], float]] = field(default_factory=list)  # key -> weighted fraction
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    measured: list[Measured] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # engine evidence: SYSTEM$CLUSTERING_INFORMATION, ...

    @property
    def failed(self) -> list[Gate]:
        return [gate for gate in self.gates if not gate.passed]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["key"] = list(self.key)
        data["candidates"] = [{"key": list(k), "scanned_fraction": f} for k, f in self.candidates]
        for item, evidence in zip(data["evidence"], self.evidence, strict=True):
            item["saving"] = evidence.saving
        return data


@dataclass(slots=True)
class LayoutPlan(Displayable):
    recommendations: list[Recommendation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def recommended(self) -> list[Recommendation]:
        return [r for r in self.recommendations if r.kind != "none"]

    def to_dict(self) -> dict[str, Any]:
        return {"recommendations": [r.to_dict() for r in self.recommendations], "notes": self.notes}

    def to_text(self) -> str:
        lines: list[str] = []
        for rec in self.recommendations:
            head = f"{rec.table}: {rec.kind}" + (f" on ({', '.join(rec.key)})" if rec.key else "")
            lines.append(head)
            for gate in rec.gates:
                lines.append(f"  [{'pass' if gate.passed else 'FAIL'}] {gate.name}: {gate.detail}")
            for evidence in sorted(rec.evidence, key=lambda e: -e.saving):
                lines.append(
                    f"  {evidence.location or evidence.fingerprint}: {evidence.before:g} -> {evidence.after:g} of "
                    f"{evidence.partitions} partitions (weight {evidence.weight:g})"
                )
            for measured in rec.measured:
                before = "-" if measured.before_ms is None else f"{measured.before_ms:.1f} ms"
                after = "-" if measured.after_ms is None else f"{measured.after_ms:.1f} ms"
                lines.append(f"  measured {measured.fingerprint}: {before} -> {after}")
            savings = rec.details.get("savings")
            if savings:
                lines.append(f"  saving per 30 days: {_savings(savings)}")
            lines.extend(f"  warning: {w}" for w in rec.warnings)
            lines.extend(f"  note: {n}" for n in rec.notes)
            lines.extend(f"  {statement};".replace("\n", "\n  ") for statement in rec.ddl)
            lines.extend(f"  $ {command}" for command in rec.commands)
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines) + ("\n" if lines else "")


def _savings(savings: dict[str, Any]) -> str:
    shown = f"{bytes_text(savings['bytes_saved'])} processed"
    slot = savings.get("slot_ms_saved")
    if slot is not None:
        shown += f", {slot / 3_600_000:,.1f} slot-hours"
    return shown + f" (of {bytes_text(savings['bytes'])}; {savings['source']})"
