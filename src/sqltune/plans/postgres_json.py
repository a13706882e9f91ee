"""PostgreSQL ``EXPLAIN (FORMAT JSON)`` -> :class:`~sqltune.plans.model.PlanGraph`.

Accepts what EXPLAIN returns (a one-element list holding ``Plan``, ``Planning Time``, ``Execution Time``,
``JIT``, ``Settings``, ``Triggers``, ...), that object alone, or a bare plan node, with or without ANALYZE,
BUFFERS, SETTINGS, WAL and VERBOSE. The text parser (:mod:`sqltune.plans.postgres_text`) produces the same
structure and is built by :func:`build` too, so both formats give identical graphs.

Time: PostgreSQL reports ``Actual Total Time`` per loop, in milliseconds. A node's inclusive time is that
times ``Actual Loops``; below a Gather, the loops are summed over the processes that ran the parallel
section (the workers launched, plus the leader unless ``parallel_leader_participation`` is off or the
Gather is ``Single Copy``), so the total is divided by that number to stay wall-clock.

>>> plan = parse_postgres_json([{"Plan": {"Node Type": "Seq Scan", "Relation Name": "t", "Alias": "t",
...     "Startup Cost": 0.0, "Total Cost": 35.5, "Plan Rows": 2550, "Plan Width": 4}}])
>>> plan.root.label, plan.total_cost, plan.has_actuals
('Seq Scan on t', 35.5, False)
"""

from __future__ import annotations

from typing import Any

from sqltune.plans.errors import PlanError
from sqltune.plans.model import PlanGraph
from sqltune.plans.nodes import Buffers, JitTiming, PlanNode
from sqltune.plans.vocabulary import postgres_label, postgres_operator

__all__ = ["build", "parse_postgres_json"]

CONDITIONS = (
    "Index Cond",
    "Recheck Cond",
    "TID Cond",
    "Merge Cond",
    "Hash Cond",
    "Join Filter",
    "Filter",
    "One-Time Filter",
    "Run Condition",
    "Order By",
    "Cache Key",
)
REMOVED = {
    "Rows Removed by Filter": "Filter",
    "Rows Removed by Join Filter": "Join Filter",
    "Rows Removed by Index Recheck": "Index Recheck",
}
BUFFER_KEYS = {
    "Shared Hit Blocks": "shared_hit",
    "Shared Read Blocks": "shared_read",
    "Shared Dirtied Blocks": "shared_dirtied",
    "Shared Written Blocks": "shared_written",
    "Local Hit Blocks": "local_hit",
    "Local Read Blocks": "local_read",
    "Local Dirtied Blocks": "local_dirtied",
    "Local Written Blocks": "local_written",
    "Temp Read Blocks": "temp_read",
    "Temp Written Blocks": "temp_written",
}
# Engine extras kept in PlanNode.details under a snake_case name.
DETAILS = {
    "Function Name": "function",
    "Scan Direction": "scan_direction",
    "Presorted Key": "presorted_key",
    "Planned Partitions": "planned_partitions",
    "Cache Hits": "cache_hits",
    "Cache Misses": "cache_misses",
    "Cache Evictions": "cache_evictions",
    "Cache Overflows": "cache_overflows",
    "WAL Records": "wal_records",
    "WAL FPI": "wal_fpi",
    "WAL Bytes": "wal_bytes",
    "I/O Read Time": "io_read_ms",
    "I/O Write Time": "io_write_ms",
    "Shared I/O Read Time": "io_read_ms",
    "Shared I/O Write Time": "io_write_ms",
    "Temp I/O Read Time": "temp_io_read_ms",
    "Temp I/O Write Time": "temp_io_write_ms",
    "Index Searches": "index_searches",
    "Storage": "storage",
    "Maximum Storage": "maximum_storage_kb",
    "Full-sort Groups": "full_sort_groups",
    "Pre-sorted Groups": "presorted_groups",
    "Single Copy": "single_copy",
    "Operation": "operation",
    "Command": "command",
}
_GATHERS = ("Gather", "Gather Merge")


class _Path:
    """A JSON path built only when an error needs it: formatting one per node of a deep plan is quadratic."""

    __slots__ = ("index", "parent", "root")

    def __init__(self, root: str, parent: _Path | None = None, index: int = 0) -> None:
        self.root = root
        self.parent = parent
        self.index = index

    def child(self, index: int) -> _Path:
        return _Path(self.root, self, index)

    def __str__(self) -> str:
        steps = []
        current: _Path | None = self
        while current is not None and current.parent is not None:
            steps.append(f".Plans[{current.index}]")
            current = current.parent
        return self.root + "".join(reversed(steps))


def _number(value: Any, key: str, where: str | _Path, path: str | None) -> float | None:
    kind = type(value)
    if kind is float or kind is int:  # the common case first: this runs ~30 times per node
        return float(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlanError(f"expected a number for {key!r}, got {value!r}", path=path, where=str(where))
    return float(value)


def _int(value: Any, key: str, where: str | _Path, path: str | None) -> int | None:
    number = _number(value, key, where, path)
    return int(number) if number is not None else None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _buffers(data: dict[str, Any], where: str | _Path, path: str | None) -> Buffers | None:
    """The node's buffers; ``None`` when not reported or all zero (text EXPLAIN omits such a line)."""
    values = [data.get(key) for key in BUFFER_KEYS]
    if not any(values):
        return None
    counts = []
    for key, value in zip(BUFFER_KEYS, values, strict=True):
        if type(value) is not int:
            value = _int(value, key, where, path) or 0
        counts.append(value)
    return Buffers(*counts)


def _top(data: Any, path: str | None) -> tuple[dict[str, Any], str]:
    """The object holding ``Plan`` and the plan-level keys, and its JSON path."""
    where = "$"
    while isinstance(data, list):
        if not data:
            raise PlanError("not an EXPLAIN plan: the JSON list is empty", path=path, where=where)
        data = data[0]
        where += "[0]"
    if not isinstance(data, dict):
        raise PlanError(
            f"not an EXPLAIN plan: expected a JSON object with a 'Plan' key, got {type(data).__name__}",
            path=path,
            where=where,
        )
    if "Plan" not in data:
        if "Node Type" in data:  # a bare plan node
            return {"Plan": data}, where
        keys = ", ".join(repr(k) for k in list(data)[:5]) or "none"
        raise PlanError(
            f"not an EXPLAIN plan: expected a 'Plan' key (found {keys})",
            path=path,
            where=where,
        )
    return data, where


def _jit(data: Any, where: str, path: str | None) -> JitTiming | None:
    if not isinstance(data, dict):
        return None
    timing = data.get("Timing") or {}
    if not isinstance(timing, dict):
        raise PlanError("expected an object for JIT 'Timing'", path=path, where=f"{where}.JIT")
    jit = JitTiming(functions=int(data.get("Functions") or 0))
    options = data.get("Options") or {}
    if isinstance(options, dict):
        jit.options = {str(k): bool(v) for k, v in options.items()}
    generation = timing.get("Generation")
    if isinstance(generation, dict):  # PostgreSQL 17: {"Deform": .., "Total": ..}
        jit.deform_ms = _number(generation.get("Deform"), "Deform", f"{where}.JIT", path)
        generation = generation.get("Total")
    jit.generation_ms = _number(generation, "Generation", f"{where}.JIT", path) or 0.0
    jit.inlining_ms = _number(timing.get("Inlining"), "Inlining", f"{where}.JIT", path) or 0.0
    jit.optimization_ms = _number(timing.get("Optimization"), "Optimization", f"{where}.JIT", path) or 0.0
    jit.emission_ms = _number(timing.get("Emission"), "Emission", f"{where}.JIT", path) or 0.0
    jit.total_ms = _number(timing.get("Total"), "Total", f"{where}.JIT", path) or 0.0
    return jit


_TEXT = {
    "Relation Name": "relation",
    "Schema": "schema",
    "Alias": "alias",
    "Index Name": "index",
    "CTE Name": "cte_name",
    "Subplan Name": "subplan_name",
    "Parent Relationship": "parent_relationship",
    "Join Type": "join_type",
    "Strategy": "strategy",
    "Sort Method": "sort_method",
    "Sort Space Type": "sort_space_type",
}
_FLOAT = {
    "Startup Cost": "est_startup_cost",
    "Total Cost": "est_total_cost",
    "Plan Rows": "est_rows",
    "Plan Width": "est_width",
    "Actual Startup Time": "act_startup_ms",
    "Actual Total Time": "act_total_ms",
    "Actual Rows": "act_rows",
    "Actual Loops": "act_loops",
    "Sort Space Used": "sort_space_kb",
    "Peak Memory Usage": "peak_memory_kb",
    "Disk Usage": "disk_usage_kb",
    "Heap Fetches": "heap_fetches",
    "Exact Heap Blocks": "exact_heap_blocks",
    "Lossy Heap Blocks": "lossy_heap_blocks",
}
_INT = {
    "Hash Buckets": "hash_buckets",
    "Hash Batches": "hash_batches",
    "HashAgg Batches": "hash_batches",
    "Original Hash Batches": "original_hash_batches",
    "Workers Planned": "workers_planned",
    "Workers Launched": "workers_launched",
}
_LISTS = {"Sort Key": "sort_keys", "Group Key": "group_keys", "Output": "output"}
# One dispatch table, so that building a node is one pass over the keys it has.
_FIELDS: dict[str, tuple[str, str]] = {
    **{key: ("text", attr) for key, attr in _TEXT.items()},
    **{key: ("float", attr) for key, attr in _FLOAT.items()},
    **{key: ("int", attr) for key, attr in _INT.items()},
    **{key: ("list", attr) for key, attr in _LISTS.items()},
    **{key: ("condition", key) for key in CONDITIONS},
    **{key: ("removed", label) for key, label in REMOVED.items()},
    **{key: ("detail", name) for key, name in DETAILS.items()},
}


def _node(node_id: int, data: dict[str, Any], parent: int | None, where: _Path, path: str | None) -> PlanNode:
    operator, kind = postgres_operator(data)
    values: dict[str, Any] = {}
    conditions: dict[str, str] = {}
    removed: dict[str, float] = {}
    details: dict[str, Any] = {}
    for key, value in data.items():
        spec = _FIELDS.get(key)
        if spec is None:
            continue
        what, attr = spec
        if what == "float":
            values[attr] = (
                float(value) if type(value) is float or type(value) is int else _number(value, key, where, path)
            )
        elif what == "text":
            values[attr] = value
        elif what == "int":
            values[attr] = _int(value, key, where, path)
        elif what == "list":
            values[attr] = _strings(value)
        elif what == "condition":
            conditions[key] = ", ".join(_strings(value)) if isinstance(value, list) else str(value)
        elif what == "removed":
            count = _number(value, key, where, path)
            if count:  # text EXPLAIN omits zero counts; so does the model, for one shape from both
                removed[attr] = count
        else:
            details[attr] = value
    node = PlanNode(node_id, operator, postgres_label(data), kind, parent=parent, raw=data, **values)
    node.conditions = conditions
    node.rows_removed = removed
    node.details = details
    node.partial_mode = data.get("Partial Mode") if data.get("Partial Mode") != "Simple" else None
    node.parallel_aware = bool(data.get("Parallel Aware"))
    node.never_executed = node.act_loops == 0
    if node.never_executed:  # JSON reports 0.0 ms, text "(never executed)": nothing was timed either way
        node.act_startup_ms = node.act_total_ms = None
    if not node.disk_usage_kb:
        node.disk_usage_kb = None  # 0 kB: no spill, and text EXPLAIN omits it
    node.buffers = _buffers(data, where, path)
    workers = data.get("Workers")
    if isinstance(workers, list):
        node.workers = [w for w in workers if isinstance(w, dict)]
    return node


def build(data: Any, *, path: str | None = None, format: str = "postgres-json") -> PlanGraph:
    """A :class:`PlanGraph` from the JSON structure (already loaded) of ``EXPLAIN (FORMAT JSON)``."""
    top, where = _top(data, path)
    root = top["Plan"]
    settings = top.get("Settings") if isinstance(top.get("Settings"), dict) else {}
    leader_runs = str((settings or {}).get("parallel_leader_participation", "on")).lower() not in ("off", "false")
    nodes: list[PlanNode] = []
    # (node object, parent id, processes running it, JSON path); a stack keeps deep plans off the C stack.
    stack: list[tuple[Any, int | None, int, _Path]] = [(root, None, 1, _Path(f"{where}.Plan"))]
    while stack:
        data, parent, processes, node_where = stack.pop()
        if not isinstance(data, dict):
            raise PlanError(f"expected a plan node object, got {type(data).__name__}", path=path, where=str(node_where))
        if "Node Type" not in data:
            raise PlanError("not an EXPLAIN plan node: expected a 'Node Type' key", path=path, where=str(node_where))
        node = _node(len(nodes), data, parent, node_where, path)
        nodes.append(node)
        if node.act_total_ms is not None and node.act_loops is not None:
            loops = node.act_loops
            divisor = min(processes, loops) if loops >= 1 else 1.0
            node.inclusive_ms = node.act_total_ms * loops / divisor
        elif node.never_executed:
            node.inclusive_ms = 0.0
        below = processes
        if node.operator in _GATHERS and node.workers_launched is not None:
            leader = leader_runs and not data.get("Single Copy")
            below = max(1, node.workers_launched + (1 if leader else 0))
        children = data.get("Plans", [])
        children = [] if children is None else children
        if not isinstance(children, list):
            raise PlanError("expected a list for 'Plans'", path=path, where=str(node_where))
        for index in range(len(children) - 1, -1, -1):
            stack.append((children[index], node.id, below, node_where.child(index)))
    details: dict[str, Any] = {}
    if "Query Identifier" in top:
        details["query_identifier"] = top["Query Identifier"]
    triggers = top.get("Triggers")
    planning = top.get("Planning")
    return PlanGraph.build(
        nodes,
        format=format,
        dialect="postgres",
        planning_ms=_number(top.get("Planning Time"), "Planning Time", where, path),
        execution_ms=_number(top.get("Execution Time"), "Execution Time", where, path),
        jit=_jit(top.get("JIT"), where, path),
        settings={str(k): str(v) for k, v in (settings or {}).items()},
        triggers=[t for t in triggers if isinstance(t, dict)] if isinstance(triggers, list) else [],
        planning_buffers=_buffers(planning, f"{where}.Planning", path) if isinstance(planning, dict) else None,
        details=details,
        raw=top,
    )


def parse_postgres_json(data: Any, *, path: str | None = None) -> PlanGraph:
    """Alias of :func:`build` for callers holding the JSON value (from psycopg, say)."""
    return build(data, path=path, format="postgres-json")
