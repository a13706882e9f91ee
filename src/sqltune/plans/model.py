"""EXPLAIN plans as graphs: :class:`PlanNode` per operator, :class:`PlanGraph` per plan.

Every parser (PostgreSQL JSON and text, MySQL/MariaDB, Snowflake, DuckDB) produces the same model, so that
plan rules and the index advisor read one shape whatever the engine. Engine names are kept in
``PlanNode.original``; ``PlanNode.operator`` is a normalised name from a small shared vocabulary (``Seq
Scan``, ``Index Scan``, ``Hash Join``, ``Nested Loop``, ``Sort``, ``Aggregate``, ...) and ``PlanNode.kind``
groups operators (``scan``, ``join``, ``aggregate``, ``sort``, ``modify``, ``other``).

Units: times in milliseconds, memory and sort space in kB, costs in the engine's own units, buffers in
blocks. Per-loop figures are kept exactly as the engine reported them (PostgreSQL's ``actual time`` and
``rows`` are per loop); the derived fields (``inclusive_ms``, ``exclusive_ms``, ``time_share``,
``est_error``, ``removed_share``, ``spills``, ...) are totals over all loops, computed once by
:mod:`sqltune.plans.derive` when the graph is built.

>>> plan = PlanGraph.build(
...     [PlanNode(0, "Sort", "Sort", "sort"), PlanNode(1, "Seq Scan", "Seq Scan", "scan", parent=0, relation="t")],
...     format="example", dialect="postgres")
>>> [n.operator for n in plan], plan.children(0)[0].relation, plan.parent(1).operator
(['Sort', 'Seq Scan'], 't', 'Sort')
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # networkx loads on the first plan built, not when the rules that read plans are registered
    import networkx as nx

__all__ = ["Buffers", "JitTiming", "PlanGraph", "PlanNode"]

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


class PlanGraph:
    """A plan as a :class:`networkx.DiGraph` of node ids (parent -> child), ids in pre-order from the root 0.

    ``nodes[i]`` is the :class:`PlanNode` with id ``i``; ``graph.nodes[i]["node"]`` is the same object.
    Build with :meth:`build`, which also computes the derived metrics.
    """

    def __init__(self, nodes: list[PlanNode], *, format: str, dialect: str) -> None:
        self.nodes = nodes
        self.format = format  # e.g. "postgres-json", "postgres-text", "mysql-json", "duckdb-profile"
        self.dialect = dialect  # sqlglot dialect name: "postgres", "mysql", "snowflake", "duckdb"
        import networkx

        self.graph: nx.DiGraph = networkx.DiGraph()
        self.planning_ms: float | None = None
        self.execution_ms: float | None = None
        self.jit: JitTiming | None = None
        self.settings: dict[str, str] = {}
        self.triggers: list[dict[str, Any]] = []
        self.planning_buffers: Buffers | None = None
        self.time_basis: str = "inclusive"  # how the engine reports time; see sqltune.plans.derive
        self.details: dict[str, Any] = {}  # plan-level extras (Snowflake GlobalStats, DuckDB io, ...)
        self.raw: Any = None

    @classmethod
    def build(
        cls,
        nodes: list[PlanNode],
        *,
        format: str,
        dialect: str,
        time_basis: str = "inclusive",
        **attributes: Any,
    ) -> PlanGraph:
        """A graph over ``nodes`` (ids 0..n-1 in pre-order, ``parent`` set), with the derived metrics."""
        from sqltune.plans.derive import derive

        plan = cls(nodes, format=format, dialect=dialect)
        plan.time_basis = time_basis
        for name, value in attributes.items():
            if not hasattr(plan, name):
                raise TypeError(f"PlanGraph has no attribute {name!r}")
            setattr(plan, name, value)
        graph = plan.graph
        for node in nodes:
            node.children = []
        for node in nodes:
            graph.add_node(node.id, node=node)
            if node.parent is not None:
                parent = nodes[node.parent]
                parent.children.append(node.id)
                node.depth = parent.depth + 1
                graph.add_edge(node.parent, node.id)
        derive(plan)
        return plan

    # -- navigation --------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[PlanNode]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, node_id: int) -> PlanNode:
        return self.nodes[node_id]

    @property
    def root(self) -> PlanNode:
        return self.nodes[0]

    def children(self, node: PlanNode | int) -> list[PlanNode]:
        return [self.nodes[i] for i in self.nodes[_id(node)].children]

    def parent(self, node: PlanNode | int) -> PlanNode | None:
        parent = self.nodes[_id(node)].parent
        return self.nodes[parent] if parent is not None else None

    def ancestors(self, node: PlanNode | int) -> Iterator[PlanNode]:
        """From the parent up to the root."""
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def subtree(self, node: PlanNode | int) -> Iterator[PlanNode]:
        """The node and everything below it, in pre-order."""
        stack = [_id(node)]
        while stack:
            current = self.nodes[stack.pop()]
            yield current
            stack.extend(reversed(current.children))

    def scans(self) -> list[PlanNode]:
        return [node for node in self.nodes if node.kind == "scan"]

    def joins(self) -> list[PlanNode]:
        return [node for node in self.nodes if node.kind == "join"]

    def nodes_reading(self, table: str) -> list[PlanNode]:
        """Nodes that read ``table`` (compared case-insensitively; ``schema.table`` or the bare name)."""
        wanted = table.strip().strip('"`').lower()
        bare = wanted.rsplit(".", 1)[-1]
        found = []
        for node in self.nodes:
            if node.relation is None:
                continue
            name = node.relation.lower()
            qualified = f"{node.schema.lower()}.{name}" if node.schema else name
            if wanted in (name, qualified) or (bare == wanted and name == bare):
                found.append(node)
        return found

    def hottest(self, count: int = 5) -> list[PlanNode]:
        """The nodes with the largest exclusive time (by share when the engine gives shares only)."""
        timed = [node for node in self.nodes if node.time_share is not None]
        return sorted(timed, key=lambda node: node.time_share or 0.0, reverse=True)[:count]

    # -- plan-level figures ----------------------------------------------------------------------------
    @property
    def has_actuals(self) -> bool:
        """Whether the plan was executed (EXPLAIN ANALYZE, a profile, operator statistics)."""
        return any(
            node.act_rows is not None or node.exclusive_ms is not None or node.time_share is not None
            for node in self.nodes
        )

    @property
    def total_cost(self) -> float | None:
        """The planner's cost of the whole plan (the root's total cost), ``None`` when not reported."""
        cost = self.details.get("query_cost")
        if isinstance(cost, int | float):
            return float(cost)
        return self.root.est_total_cost if self.nodes else None

    @property
    def total_ms(self) -> float | None:
        """Execution time when reported, else the root's inclusive time."""
        if self.execution_ms is not None:
            return self.execution_ms
        return self.root.inclusive_ms if self.nodes else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dialect": self.dialect,
            "planning_ms": self.planning_ms,
            "execution_ms": self.execution_ms,
            "total_cost": self.total_cost,
            "has_actuals": self.has_actuals,
            "jit": self.jit.to_dict() if self.jit else None,
            "settings": self.settings,
            "nodes": [node.to_dict() for node in self.nodes],
        }

    def to_text(self) -> str:
        """An indented outline with the derived figures, for debugging and docs."""
        lines = []
        for node in self.nodes:
            parts = [node.label]
            if node.exclusive_ms is not None:
                parts.append(f"self={node.exclusive_ms:.3f}ms")
            if node.time_share is not None:
                parts.append(f"share={node.time_share:.1%}")
            if node.est_error is not None and node.est_direction != "exact":
                parts.append(f"rows {node.est_direction} x{node.est_error:.1f}")
            if node.spills:
                parts.append("spill: " + "; ".join(node.spills))
            lines.append("  " * node.depth + " ".join(parts))
        return "\n".join(lines)


def _id(node: PlanNode | int) -> int:
    return node if isinstance(node, int) else node.id
