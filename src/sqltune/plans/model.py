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
from typing import TYPE_CHECKING, Any

from sqltune.core.display import Displayable
from sqltune.plans.derive import derive
from sqltune.plans.nodes import Buffers, JitTiming, PlanNode

if TYPE_CHECKING:  # networkx loads on the first plan built, not when the rules that read plans are registered
    import networkx as nx

__all__ = ["PlanGraph"]


class PlanGraph(Displayable):
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
