"""The operators of an EXPLAIN plan: :class:`PlanNode` (one per operator) with its :class:`Buffers` and the
plan-level :class:`JitTiming`; :class:`~sqltune.plans.model.PlanGraph` connects them.

Units are those of :mod:`sqltune.plans.model`: times in milliseconds, memory in kB, buffers in blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["KINDS", "Buffers", "JitTiming", "PlanNode"]

#: ``PlanNode.kind`` values.
KINDS = ("scan", "join", "aggregate", "sort", "modify", "other")


@dataclass(slots=True)
class Buffers:
    """Block counts of one node (PostgreSQL's BUFFERS), totals over all loops and including the children."""

    shared_hit: int = 0
    shared_read: int = 0
    shared_dirtied: int = 0
    shared_written: int = 0
    local_hit: int = 0
    local_read: int = 0
    local_dirtied: int = 0
    local_written: int = 0
    temp_read: int = 0
    temp_written: int = 0

    @property
    def hit_ratio(self) -> float | None:
        """Shared hits over shared hits + reads; ``None`` when the node touched no shared block.

        >>> Buffers(shared_hit=90, shared_read=10).hit_ratio
        0.9
        """
        touched = self.shared_hit + self.shared_read
        return self.shared_hit / touched if touched else None

    def minus(self, other: Buffers) -> Buffers:
        """``self - other`` per counter, floored at 0 (a node's own blocks = its total minus its children's)."""
        return Buffers(
            max(0, self.shared_hit - other.shared_hit),
            max(0, self.shared_read - other.shared_read),
            max(0, self.shared_dirtied - other.shared_dirtied),
            max(0, self.shared_written - other.shared_written),
            max(0, self.local_hit - other.local_hit),
            max(0, self.local_read - other.local_read),
            max(0, self.local_dirtied - other.local_dirtied),
            max(0, self.local_written - other.local_written),
            max(0, self.temp_read - other.temp_read),
            max(0, self.temp_written - other.temp_written),
        )

    def plus(self, other: Buffers) -> Buffers:
        return Buffers(
            self.shared_hit + other.shared_hit,
            self.shared_read + other.shared_read,
            self.shared_dirtied + other.shared_dirtied,
            self.shared_written + other.shared_written,
            self.local_hit + other.local_hit,
            self.local_read + other.local_read,
            self.local_dirtied + other.local_dirtied,
            self.local_written + other.local_written,
            self.temp_read + other.temp_read,
            self.temp_written + other.temp_written,
        )

    def to_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class JitTiming:
    """PostgreSQL's JIT footer: how many functions were compiled and where the compile time went (ms)."""

    functions: int = 0
    generation_ms: float = 0.0
    deform_ms: float | None = None  # PostgreSQL 17 splits tuple deforming out of generation
    inlining_ms: float = 0.0
    optimization_ms: float = 0.0
    emission_ms: float = 0.0
    total_ms: float = 0.0
    options: dict[str, bool] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True, eq=False)
class PlanNode:
    """One operator of a plan. Parsers fill the reported fields; :mod:`~sqltune.plans.derive` the rest."""

    id: int
    operator: str  # normalised: "Seq Scan", "Index Scan", "Hash Join", "Nested Loop", "Aggregate", ...
    original: str  # as the engine named it: "Parallel Seq Scan", "HashAggregate", "TABLE_SCAN", "ALL", ...
    kind: str = "other"  # one of KINDS
    parent: int | None = None
    children: list[int] = field(default_factory=list)
    depth: int = 0
    # What it reads.
    relation: str | None = None  # table name (unqualified as reported)
    schema: str | None = None
    alias: str | None = None
    index: str | None = None
    cte_name: str | None = None  # the CTE a CTE Scan reads
    subplan_name: str | None = None  # "SubPlan 1", "InitPlan 2 (returns $1)", "CTE big": heads a subplan
    parent_relationship: str | None = None  # "Outer", "Inner", "SubPlan", "InitPlan", "Member"
    join_type: str | None = None  # "Inner", "Left", "Semi", "Anti", ...
    strategy: str | None = None  # aggregates: "Plain", "Sorted", "Hashed", "Mixed"
    partial_mode: str | None = None  # "Partial", "Finalize" (parallel aggregates)
    parallel_aware: bool = False
    # Estimates (per loop).
    est_rows: float | None = None
    est_startup_cost: float | None = None
    est_total_cost: float | None = None
    est_width: float | None = None
    # Actuals as reported (PostgreSQL: per loop).
    act_rows: float | None = None
    act_loops: float | None = None
    act_startup_ms: float | None = None
    act_total_ms: float | None = None
    never_executed: bool = False
    # Conditions as text, keyed by the engine's label: "Filter", "Index Cond", "Hash Cond", "Join Filter", ...
    conditions: dict[str, str] = field(default_factory=dict)
    # Rows removed per loop, keyed "Filter", "Join Filter", "Index Recheck".
    rows_removed: dict[str, float] = field(default_factory=dict)
    buffers: Buffers | None = None
    sort_method: str | None = None
    sort_space_kb: float | None = None
    sort_space_type: str | None = None  # "Memory" or "Disk"
    sort_keys: list[str] = field(default_factory=list)
    group_keys: list[str] = field(default_factory=list)
    hash_buckets: int | None = None
    hash_batches: int | None = None
    original_hash_batches: int | None = None
    peak_memory_kb: float | None = None
    disk_usage_kb: float | None = None  # HashAggregate spill (PostgreSQL 13+)
    workers_planned: int | None = None
    workers_launched: int | None = None
    workers: list[dict[str, Any]] = field(default_factory=list)  # per-worker details as reported
    heap_fetches: float | None = None
    exact_heap_blocks: float | None = None
    lossy_heap_blocks: float | None = None
    output: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # engine-specific extras (MySQL access_type, ...)
    raw: dict[str, Any] = field(default_factory=dict)
    # Derived (see sqltune.plans.derive).
    est_loops: float = 1.0  # estimated executions of this node per execution of the plan
    inclusive_ms: float | None = None  # wall-clock time in this node and below, all loops
    exclusive_ms: float | None = None  # inclusive minus the children's
    time_share: float | None = None  # exclusive_ms over the plan's summed exclusive time (0..1)
    exclusive_cost: float | None = None
    est_error: float | None = None  # max(est, act) / min(est, act) over all loops, >= 1
    est_direction: str | None = None  # "under" (estimated too few), "over", or "exact"
    removed_share: float | None = None  # rows removed by filters over rows examined (0..1)
    exclusive_buffers: Buffers | None = None
    spills: list[str] = field(default_factory=list)  # why the node went to disk, one phrase each

    # -- convenience --------------------------------------------------------------------------------------
    @property
    def is_scan(self) -> bool:
        return self.kind == "scan"

    @property
    def is_join(self) -> bool:
        return self.kind == "join"

    @property
    def spilled(self) -> bool:
        return bool(self.spills)

    @property
    def total_rows(self) -> float | None:
        """Actual rows over all loops (PostgreSQL reports a per-loop average)."""
        if self.act_rows is None:
            return None
        return self.act_rows * (self.act_loops if self.act_loops is not None else 1.0)

    @property
    def hit_ratio(self) -> float | None:
        return self.buffers.hit_ratio if self.buffers is not None else None

    @property
    def workers_missing(self) -> int:
        """Workers planned but not launched (the server ran out of background workers)."""
        if self.workers_planned is None or self.workers_launched is None:
            return 0
        return max(0, self.workers_planned - self.workers_launched)

    @property
    def label(self) -> str:
        """A short human name: ``Seq Scan on orders o``, ``Index Scan using idx on t``, ``Hash Join``."""
        text = self.original
        if self.index and self.kind == "scan":
            text += f" using {self.index}"
        target = self.relation or self.cte_name
        if target:
            text += f" on {target}"
            if self.alias and self.alias != target:
                text += f" {self.alias}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for item in fields(self):
            if item.name == "raw":
                continue
            value = getattr(self, item.name)
            if isinstance(value, Buffers):
                value = value.to_dict()
            data[item.name] = value
        return data
