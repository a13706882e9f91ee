"""Derived metrics of a :class:`~sqltune.plans.model.PlanGraph`, computed once when the graph is built.

Definitions (docs/plans.md has the long form):

- ``inclusive_ms``: wall-clock time of the node and its children over all loops. Parsers set it when the
  engine reports inclusive time (PostgreSQL: ``actual total time x loops``, divided by the processes of a
  parallel section), or set ``exclusive_ms`` when the engine reports self time (DuckDB, MariaDB tables);
  the other one is derived here. Structural nodes without a time of their own get their children's sum.
- ``exclusive_ms``: inclusive minus the children's inclusive, floored at 0. A CTE body (PostgreSQL's
  ``CTE x`` InitPlan) runs when a CTE Scan first pulls from it, so its time is taken off the CTE Scans that
  read it, not off the node it hangs from.
- ``time_share``: exclusive over the plan's summed exclusive time, so the shares add up to 1.
- ``exclusive_cost``: total cost minus the children's total cost, the inner side of a nested loop counted
  once per estimated outer row; floored at 0. ``est_loops``: estimated executions per plan execution.
- ``est_error`` / ``est_direction``: ``max(est, act) / min(est, act)`` with ``est = rows x loops`` and
  ``act = actual rows x loops`` (each floored at 1 row); ``under`` when the planner estimated too few.
- ``removed_share``: rows removed by filters (Filter, Join Filter, Index Recheck) over rows examined.
- ``exclusive_buffers``: the node's buffers minus its children's.
- ``spills``: one phrase per reason the node went to disk (external sort, hash batches > 1, hash aggregate
  disk usage, temp blocks written, engine-reported spilled bytes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqltune.plans.nodes import Buffers, PlanNode

if TYPE_CHECKING:
    from sqltune.plans.model import PlanGraph

__all__ = ["derive"]


def derive(plan: PlanGraph) -> None:
    nodes = plan.nodes
    _estimated_loops(nodes)
    _exclusive_cost(nodes)
    _times(nodes)
    _time_shares(nodes)
    for node in nodes:
        _estimate_error(node)
        _removed_share(node)
        _exclusive_buffers(nodes, node)
        _spills(node)


def _per_parent_loops(nodes: list[PlanNode], node: PlanNode) -> float:
    """How often ``node`` runs per execution of its parent: the inner side of a nested loop once per outer row."""
    if node.parent is None:
        return 1.0
    parent = nodes[node.parent]
    inner = parent.children and parent.children[0] != node.id and node.parent_relationship in (None, "Inner")
    if parent.operator == "Nested Loop" and inner:
        outer = nodes[parent.children[0]].est_rows
        return max(outer, 1.0) if outer is not None else 1.0
    return 1.0


def _estimated_loops(nodes: list[PlanNode]) -> None:
    for node in nodes:  # pre-order: parents first
        if node.parent is not None:
            node.est_loops = nodes[node.parent].est_loops * _per_parent_loops(nodes, node)


def _exclusive_cost(nodes: list[PlanNode]) -> None:
    for node in nodes:
        if node.est_total_cost is None:
            continue
        below = 0.0
        for child_id in node.children:
            child = nodes[child_id]
            if child.est_total_cost is not None:
                below += child.est_total_cost * _per_parent_loops(nodes, child)
        node.exclusive_cost = max(0.0, node.est_total_cost - below)


def _is_cte_body(node: PlanNode) -> bool:
    return bool(node.subplan_name and node.subplan_name.startswith("CTE "))


def _times(nodes: list[PlanNode]) -> None:
    for node in reversed(nodes):  # children before parents
        children = [nodes[i] for i in node.children]
        timed = [c for c in children if c.inclusive_ms is not None]
        below = sum(c.inclusive_ms or 0.0 for c in timed if not _is_cte_body(c))
        if node.exclusive_ms is not None and node.inclusive_ms is None:
            node.inclusive_ms = node.exclusive_ms + sum(c.inclusive_ms or 0.0 for c in timed)
        elif node.inclusive_ms is not None and node.exclusive_ms is None:
            node.exclusive_ms = max(0.0, node.inclusive_ms - below)
        elif node.inclusive_ms is None and timed:
            node.inclusive_ms = sum(c.inclusive_ms or 0.0 for c in timed)
            node.exclusive_ms = 0.0
    # A CTE body's time is spent inside the CTE Scans that pull from it (first reader first).
    for body in nodes:
        if not _is_cte_body(body) or body.inclusive_ms is None or body.subplan_name is None:
            continue
        name = body.subplan_name[4:].strip()
        remaining = body.inclusive_ms
        for scan in nodes:
            if remaining <= 0:
                break
            if scan.cte_name == name and scan.exclusive_ms is not None:
                taken = min(remaining, scan.exclusive_ms)
                scan.exclusive_ms -= taken
                remaining -= taken


def _time_shares(nodes: list[PlanNode]) -> None:
    total = sum(node.exclusive_ms for node in nodes if node.exclusive_ms is not None)
    if total <= 0:
        return
    for node in nodes:
        if node.exclusive_ms is not None:
            node.time_share = node.exclusive_ms / total


def _estimate_error(node: PlanNode) -> None:
    if node.est_rows is None or node.act_rows is None or node.never_executed:
        return
    loops = node.act_loops if node.act_loops else 1.0
    estimated = max(node.est_rows * loops, 1.0)
    actual = max(node.act_rows * loops, 1.0)
    node.est_error = max(estimated, actual) / min(estimated, actual)
    node.est_direction = "under" if estimated < actual else "over" if estimated > actual else "exact"


_FILTERS = ("Filter", "Join Filter", "Recheck Cond")


def _removed_share(node: PlanNode) -> None:
    if node.act_rows is None or node.never_executed:
        return
    if not node.rows_removed:
        if any(key in node.conditions for key in _FILTERS):
            node.removed_share = 0.0  # filtered, and nothing was removed
        return
    removed = sum(node.rows_removed.values())
    examined = removed + node.act_rows
    if examined > 0:
        node.removed_share = removed / examined


def _exclusive_buffers(nodes: list[PlanNode], node: PlanNode) -> None:
    if node.buffers is None:
        return
    below = Buffers()
    for child_id in node.children:
        child = nodes[child_id].buffers
        if child is not None:
            below = below.plus(child)
    node.exclusive_buffers = node.buffers.minus(below)


def _kb(value: float) -> str:
    return f"{value:,.0f}kB"


def _spills(node: PlanNode) -> None:
    reasons = node.spills
    method = (node.sort_method or "").lower()
    if node.sort_space_type == "Disk" or "external" in method:
        space = f" using {_kb(node.sort_space_kb)} of disk" if node.sort_space_kb is not None else ""
        reasons.append(f"{node.sort_method or 'sort'} sort{space}")
    else:
        for worker in node.workers:
            if worker.get("Sort Space Type") == "Disk":
                reasons.append(
                    f"worker {worker.get('Worker Number', '?')}: {worker.get('Sort Method', 'external')} sort"
                    f" using {_kb(float(worker.get('Sort Space Used') or 0))} of disk"
                )
    if node.hash_batches is not None and node.hash_batches > 1:
        if node.kind == "aggregate":
            reasons.append(f"hash aggregate in {node.hash_batches} batches")
        else:
            planned = node.original_hash_batches
            reasons.append(
                f"hash table in {node.hash_batches} batches"
                + (f" (planned {planned})" if planned is not None and planned != node.hash_batches else "")
            )
    if node.disk_usage_kb and not any(r.startswith("hash aggregate") for r in reasons):
        reasons.append(f"hash aggregate spilled {_kb(node.disk_usage_kb)} to disk")
    elif node.disk_usage_kb:
        reasons[-1] += f" spilling {_kb(node.disk_usage_kb)} to disk"
    spilled = node.details.get("bytes_spilled")
    if isinstance(spilled, int | float) and spilled > 0:
        reasons.append(f"spilled {spilled:,.0f} bytes to {node.details.get('spilled_to', 'storage')}")
    passes = node.details.get("sort_passes")
    if isinstance(passes, int | float) and passes > 0:
        reasons.append(f"filesort needed {passes:g} merge passes on disk")
    if not reasons and node.exclusive_buffers is not None and node.exclusive_buffers.temp_written > 0:
        reasons.append(f"wrote {node.exclusive_buffers.temp_written:,} temp blocks")
