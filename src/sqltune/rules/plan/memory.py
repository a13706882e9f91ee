"""Plan rules about memory: sorts, hash tables and hash aggregates that spilled to disk.

The suggested ``work_mem`` is computed from what the node reported, rounded up to a power of two:

- external sort: ``Sort Space Used`` on disk x 3 (the in-memory form of a tuple carries a sort slot and
  allocation overhead the compact on-disk form does not);
- hash join in several batches: peak memory of one batch x batches, over ``hash_mem_multiplier``;
- hash aggregate: memory + disk usage, over ``hash_mem_multiplier``;
- otherwise the temp blocks the node wrote (8 kB each).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.plans import PlanNode
from sqltune.rules.plan._util import memory_setting, parse_memory
from sqltune.rules.plan.base import PlanContext, PlanRule, PlanViolation, scaled

__all__ = ["RULES", "Spill", "memory_needed_kb"]

#: Share of a spilling node's time that staying in memory removes (external merge vs in-memory sort,
#: multi-batch vs single-batch hash): a deliberately conservative half.
SPILL_FRACTION = 0.5
#: In-memory size of sorted tuples relative to their on-disk size.
SORT_MEMORY_FACTOR = 3.0


def _hash_multiplier(ctx: PlanContext) -> float:
    raw = ctx.setting("hash_mem_multiplier")
    try:
        return max(1.0, float(raw)) if raw else 2.0  # PostgreSQL 15's default
    except ValueError:
        return 2.0


def memory_needed_kb(ctx: PlanContext, node: PlanNode) -> float | None:
    """The work_mem (kB) this node would have needed to stay in memory, ``None`` when it cannot be told."""
    if node.sort_space_type == "Disk" and node.sort_space_kb:
        return node.sort_space_kb * SORT_MEMORY_FACTOR
    worker_disk = [float(w.get("Sort Space Used") or 0) for w in node.workers if w.get("Sort Space Type") == "Disk"]
    if worker_disk:
        return max(worker_disk) * SORT_MEMORY_FACTOR
    if node.kind == "aggregate" and (node.disk_usage_kb or (node.hash_batches or 0) > 1):
        return ((node.peak_memory_kb or 0.0) + (node.disk_usage_kb or 0.0)) / _hash_multiplier(ctx) * 1.5
    if node.hash_batches and node.hash_batches > 1 and node.peak_memory_kb:
        return node.peak_memory_kb * node.hash_batches / _hash_multiplier(ctx) * 1.5
    own = node.exclusive_buffers
    if own is not None and own.temp_written:
        return own.temp_written * 8.0 * 1.5
    return None


class Spill(PlanRule):
    """SQ303: a sort, hash join or hash aggregate that ran out of memory and went to disk."""

    code = "SQ303"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            if not node.spills:
                continue
            if node.kind == "join" and any(c.operator == "Hash" and c.spills for c in ctx.plan.children(node)):
                continue  # reported once, on the Hash that went to batches (its saving includes the join)
            parent = ctx.plan.parent(node)
            share = ctx.share(node)
            if share is not None and node.operator == "Hash" and parent is not None:
                share += ctx.share(parent) or 0.0  # the join reads its probe side in batches too
            saving = scaled(share, SPILL_FRACTION)
            yield PlanViolation(
                node, f"{node.label} spilled to disk: {'; '.join(node.spills)}", self._advice(ctx, node), saving
            )

    def _advice(self, ctx: PlanContext, node: PlanNode) -> str:
        if ctx.dialect == "snowflake":
            return (
                "Use a larger warehouse for this query, or cut the data before this operator (filter and "
                "aggregate earlier, join on fewer columns)"
            )
        if ctx.dialect == "mysql":
            return "Raise sort_buffer_size for this session, or add an index that returns the rows in order"
        if ctx.dialect == "duckdb":
            return "Raise DuckDB's memory_limit, or reduce the rows and columns reaching this operator"
        needed = memory_needed_kb(ctx, node)
        current = ctx.setting("work_mem")
        now = f" (now {current})" if current else ""
        if needed is None:
            return f"Raise work_mem for this query{now}, or reduce the rows reaching this operator"
        target = memory_setting(max(needed, (parse_memory(current) or 0.0) * 2))
        return (
            f"Run it with `SET LOCAL work_mem = '{target}'`{now} so this operator fits in memory; raise it per "
            "query or role rather than globally (every sort and hash of every connection may use that much)"
        )


RULES: list[type[PlanRule]] = [Spill]
