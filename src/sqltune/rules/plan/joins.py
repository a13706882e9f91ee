"""Plan rules about joins: nested loops over many outer rows, joins that multiply rows, Materialize nodes
rescanned by a loop, Memoize caches that do not pay off."""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.plans import PlanNode
from sqltune.rules.plan._util import memory_setting, parse_memory, pct, rows
from sqltune.rules.plan.base import PlanContext, PlanRule, PlanViolation, scaled

__all__ = ["RULES", "JoinFanOut", "MaterializeRescanned", "MemoizeMisses", "NestedLoopManyRows"]

#: A nested loop over at least this many outer rows is usually better as a hash or merge join.
NESTED_LOOP_OUTER_ROWS = 10_000
#: A join whose output exceeds its larger input this many times (and FAN_OUT_ROWS rows) multiplies rows.
FAN_OUT = 10.0
FAN_OUT_ROWS = 10_000


def _rows(node: PlanNode, analyzed: bool) -> float | None:
    """Rows over all loops: actual when the plan ran, else estimated (est_rows x estimated loops)."""
    if analyzed:
        return node.total_rows
    return node.est_rows * node.est_loops if node.est_rows is not None else None


class NestedLoopManyRows(PlanRule):
    """SQ304: a nested loop driven by many outer rows: the inner side runs once per row."""

    code = "SQ304"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        plan = ctx.plan
        for node in plan:
            if node.operator != "Nested Loop" or len(node.children) < 2:
                continue
            outer, inner = plan.children(node)[0], plan.children(node)[-1]
            outer_rows = _rows(outer, ctx.analyzed)
            if outer_rows is None or outer_rows < NESTED_LOOP_OUTER_ROWS:
                continue
            if inner.operator == "Memoize":
                hits = float(inner.details.get("cache_hits") or 0)
                misses = float(inner.details.get("cache_misses") or 0)
                if hits + misses and hits / (hits + misses) >= 0.9:
                    continue  # the cache answers almost every loop
            expected = ""
            if ctx.analyzed and outer.est_rows is not None and outer.est_direction == "under":
                planned = outer.est_rows * (outer.act_loops or 1.0)
                expected = f" (the planner expected {rows(planned)}: fix that estimate first, see SQ302)"
            saving = ctx.subtree_share(inner)
            if saving is not None:
                saving = scaled(saving + (ctx.share(node) or 0.0), 0.8)
            yield PlanViolation(
                node,
                f"{node.label} runs its inner side ({inner.label}) once for each of {rows(outer_rows)} outer "
                f"rows{expected}",
                "Give the planner an equality join condition it can hash or merge on and correct row estimates; "
                "to check the alternative, run the query with `SET enable_nestloop = off`",
                saving,
            )


class JoinFanOut(PlanRule):
    """SQ312: a join that returns many times more rows than its larger input (a many-to-many join)."""

    code = "SQ312"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        plan = ctx.plan
        for node in plan:
            if node.kind != "join" or len(node.children) < 2:
                continue
            out = _rows(node, ctx.analyzed)
            outer, inner = plan.children(node)[0], plan.children(node)[-1]
            outer_rows, inner_rows = _rows(outer, ctx.analyzed), _rows(inner, ctx.analyzed)
            if out is None or outer_rows is None or inner_rows is None:
                continue
            if node.operator == "Nested Loop":  # the inner side's rows per outer row
                loops = inner.act_loops if ctx.analyzed else inner.est_loops
                inner_rows = inner_rows / max(loops or 1.0, 1.0)
            biggest = max(outer_rows, inner_rows, 1.0)
            if out < FAN_OUT_ROWS or out < FAN_OUT * biggest:
                continue
            above = [node, *plan.ancestors(node)]
            share = sum(ctx.share(n) or 0.0 for n in above) if ctx.basis else None
            condition = next(
                (
                    node.conditions[k]
                    for k in ("Hash Cond", "Merge Cond", "Join Filter", "Join Cond")
                    if k in node.conditions
                ),
                None,
            )
            on = f" on `{condition}`" if condition else " without a join condition"
            yield PlanViolation(
                node,
                f"{node.label}{on} returns {rows(out)} rows from inputs of {rows(outer_rows)} and "
                f"{rows(inner_rows)} rows ({out / biggest:,.0f}x the larger)",
                "Check the join condition is complete (a missing key column joins many to many); aggregate one "
                "side before joining, or use EXISTS when the rows of one side are only tested",
                scaled(share, 1.0 - biggest / out),
            )


class MaterializeRescanned(PlanRule):
    """SQ314: a Materialize node rescanned by a nested loop many times over a large inner result."""

    code = "SQ314"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        plan = ctx.plan
        for node in plan:
            if node.operator != "Materialize":
                continue
            loops = node.act_loops if ctx.analyzed else node.est_loops
            per_loop = node.act_rows if ctx.analyzed else node.est_rows
            if loops is None or per_loop is None or loops < 100 or per_loop < 100 or loops * per_loop < 1_000_000:
                continue
            parent = plan.parent(node)
            share = ctx.share(node)
            if share is not None and parent is not None and parent.operator == "Nested Loop":
                share += ctx.share(parent) or 0.0
            condition = parent.conditions.get("Join Filter") if parent is not None else None
            tested = f" against `{condition}`" if condition else ""
            yield PlanViolation(
                node,
                f"{node.label} is rescanned {rows(loops)} times, {rows(per_loop)} rows each time: "
                f"{rows(loops * per_loop)} row comparisons{tested}",
                "Turn the join condition into an equality the planner can hash or merge on (or index it for a "
                "parameterised inner scan); a nested loop over a materialized inner side compares every pair",
                scaled(share, 0.9),
            )


class MemoizeMisses(PlanRule):
    """SQ315: a Memoize cache with a low hit ratio, or one that evicts entries for lack of memory."""

    code = "SQ315"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            if node.operator != "Memoize":
                continue
            hits = float(node.details.get("cache_hits") or 0)
            misses = float(node.details.get("cache_misses") or 0)
            evictions = float(node.details.get("cache_evictions") or 0)
            lookups = hits + misses
            if lookups < 1000:
                continue
            ratio = hits / lookups
            child = ctx.plan.children(node)[0] if node.children else None
            if evictions > 0.1 * misses and evictions >= 100:
                current = parse_memory(ctx.setting("work_mem"))
                needed = (node.peak_memory_kb or 64.0) * (1 + evictions / max(misses - evictions, 1.0))
                target = memory_setting(max(needed, (current or 0.0) * 2))
                saving = scaled(ctx.subtree_share(child) if child else None, evictions / misses)
                yield PlanViolation(
                    node,
                    f"{node.label} evicted {rows(evictions)} cache entries for lack of memory "
                    f"(hit ratio {pct(ratio)} over {rows(lookups)} lookups)",
                    f"Raise work_mem for this query (`SET LOCAL work_mem = '{target}'`) so the cache holds every key",
                    saving,
                )
            elif ratio < 0.5:
                yield PlanViolation(
                    node,
                    f"{node.label} answered only {pct(ratio)} of {rows(lookups)} lookups from its cache: the keys "
                    "are mostly distinct, so caching adds work",
                    "Refresh the statistics of the cache key's columns (`ANALYZE`), which made the planner expect "
                    "repeats; to compare, run the query with `SET enable_memoize = off`",
                    scaled(ctx.subtree_share(node), (1.0 - ratio) * 0.5),
                )


RULES: list[type[PlanRule]] = [NestedLoopManyRows, JoinFanOut, MaterializeRescanned, MemoizeMisses]
