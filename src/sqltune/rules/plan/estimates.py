"""Plan rules about the planner's row estimates: where a misestimate starts, and hash joins built on the
wrong (or an unexpectedly big) side because of one."""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.plans import PlanGraph, PlanNode
from sqltune.rules.plan._util import predicates, rows
from sqltune.rules.plan.base import PlanContext, PlanRule, PlanViolation, error_severity, scaled
from sqltune.rules.plan.scans import own

__all__ = ["RULES", "HashBuildSide", "RowEstimateError", "consumer_saving"]

#: Misestimates on fewer rows than this (the larger of estimate and actual, over all loops) do not matter.
MIN_ROWS = 1000
#: A misestimate whose consumer took less than this share of the runtime (or cost) is not reported.
MIN_SAVING = 0.05
#: Where a child is already off by at least 1/INHERITED of the node's error, the node only inherits it.
INHERITED = 3.0


#: Operators that read their whole input before returning a row: a Limit above them does not cut it short.
_BLOCKING = frozenset({"Sort", "Hash", "Hash Aggregate", "Aggregate", "Mixed Aggregate"})


def _stopped_early(plan: PlanGraph, node: PlanNode) -> bool:
    """Whether the node may legitimately return fewer rows than estimated: a Limit above it with no blocking
    operator in between, a semi/anti or merge join that stops reading, a hash join whose hash table came out
    empty (it never reads its probe side to the end), or a subplan that stops at the first row."""
    parent = plan.parent(node)
    if parent is not None and (parent.operator == "Merge Join" or parent.join_type in ("Semi", "Anti")):
        return True
    if parent is not None and parent.operator == "Hash Join" and parent.children and parent.children[0] == node.id:
        build = plan.children(parent)[-1]
        if build.act_rows == 0:
            return True
    for ancestor in plan.ancestors(node):
        if ancestor.subplan_name or ancestor.operator in ("Limit", "Top N"):
            return True
        if ancestor.operator in _BLOCKING:
            return False
    return False


def _inherited(plan: PlanGraph, node: PlanNode) -> bool:
    error = node.est_error or 1.0
    return any(
        child.est_error is not None
        and child.est_direction == node.est_direction
        and child.est_error >= error / INHERITED
        for child in plan.children(node)
    )


def consumer_saving(ctx: PlanContext, node: PlanNode) -> float | None:
    """What a misestimate at ``node`` can cost: the work of the operator that planned with the wrong number
    (the nearest join, aggregate or sort above it) beyond the node's own subtree."""
    consumer = next((a for a in ctx.plan.ancestors(node) if a.kind in ("join", "aggregate", "sort")), None)
    if consumer is None:
        consumer = ctx.plan.parent(node)
    if consumer is None:
        return scaled(ctx.share(node), 1.0)
    whole, own = ctx.subtree_share(consumer), ctx.subtree_share(node)
    if whole is None or own is None:
        return None
    return max(0.0, whole - own)


def _own_columns(ctx: PlanContext, node: PlanNode) -> list[str]:
    names: list[str] = []
    for label in ("Filter", "Index Cond", "Recheck Cond"):
        text = node.conditions.get(label)
        if not text:
            continue
        for predicate in predicates(text, ctx.dialect):
            if not own(node, predicate.table):
                continue  # a parameter from the outer side of a join
            if predicate.column not in names:
                names.append(predicate.column)
    return names


def statistics_advice(ctx: PlanContext, node: PlanNode) -> str:
    """What would give the planner a better number for this node, in the plan's dialect."""
    table = node.relation
    columns = _own_columns(ctx, node) if table else []
    if ctx.dialect == "mysql":
        if table and columns:
            return f"Run `ANALYZE TABLE {table} UPDATE HISTOGRAM ON {', '.join(columns)}`"
        return f"Run `ANALYZE TABLE {table or '<table>'}`"
    if ctx.dialect != "postgres":
        return "Refresh the table statistics; if the columns are correlated, rewrite the predicate"
    if table and len(columns) >= 2:
        name = f"{table}_{'_'.join(columns[:3])}_stats"
        return (
            f"The filter's columns {', '.join(columns)} look correlated: `CREATE STATISTICS {name} "
            f"(dependencies, ndistinct, mcv) ON {', '.join(columns)} FROM {table}; ANALYZE {table}`"
        )
    if table and columns:
        return (
            f"Run `ANALYZE {table}`; if it persists, raise the column's statistics target "
            f"(`ALTER TABLE {table} ALTER COLUMN {columns[0]} SET STATISTICS 1000; ANALYZE {table}`)"
        )
    if table:
        return f"Run `ANALYZE {table}`: its statistics look stale"
    if node.kind == "aggregate" and node.conditions.get("Filter"):
        return (
            f"The HAVING condition `{node.conditions['Filter']}` is estimated with a fixed guess (no statistics "
            "describe aggregated values); if the plan above it suffers, compute the aggregate first in a "
            "MATERIALIZED CTE or a temporary table that is ANALYZEd"
        )
    tables = sorted({n.relation for n in ctx.plan.subtree(node) if n.relation})
    if node.kind == "aggregate" and node.group_keys:
        keys = ", ".join(key.rsplit(".", 1)[-1] for key in node.group_keys)
        if len(tables) == 1 and len(node.group_keys) > 1:
            return f"Give the planner the number of groups: `CREATE STATISTICS (ndistinct) ON {keys} FROM {tables[0]}`"
        return f"Run `ANALYZE {' '.join(tables) or '<tables>'}` so the planner knows the distinct values of {keys}"
    return f"Run `ANALYZE {' '.join(tables) or '<tables>'}`; correlated join keys need extended statistics"


class RowEstimateError(PlanRule):
    """SQ302: where the planner's row estimate goes wrong by 10x or more (graded by the size of the error)."""

    code = "SQ302"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        plan = ctx.plan
        for node in plan:
            if node.est_error is None or node.est_error < 10 or node.est_rows is None or node.act_rows is None:
                continue
            loops = node.act_loops or 1.0
            estimated, actual = node.est_rows * loops, node.act_rows * loops
            if max(estimated, actual) < MIN_ROWS or _inherited(plan, node):
                continue
            if node.parent is None or (node.est_direction == "over" and _stopped_early(plan, node)):
                continue  # nothing was planned with the root's estimate; a stopped node reads less
            severity = error_severity(node.est_error)
            saving = consumer_saving(ctx, node)
            if severity is None or (saving is not None and saving < MIN_SAVING):
                continue  # a misestimate nothing downstream paid for
            too = "few" if node.est_direction == "under" else "many"
            yield PlanViolation(
                node,
                f"{node.label}: the planner expected {rows(estimated)} rows and got {rows(actual)} "
                f"({node.est_error:,.0f}x too {too}); the plan above it was chosen for the wrong size",
                statistics_advice(ctx, node),
                saving,
                severity,
            )


class HashBuildSide(PlanRule):
    """SQ316: a hash join whose build (hashed) side is far bigger than planned, or bigger than the probe side."""

    code = "SQ316"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        plan = ctx.plan
        for join in plan:
            if join.operator != "Hash Join" or len(join.children) != 2:
                continue
            probe, build = plan.children(join)
            built, probed = build.total_rows, probe.total_rows
            if built is None or probed is None or built < 10_000:
                continue
            saving = scaled((ctx.share(join) or 0.0) + (ctx.subtree_share(build) or 0.0), 0.5)
            if ctx.basis is None:
                saving = None
            batches = ""
            if build.hash_batches and build.original_hash_batches and build.hash_batches > build.original_hash_batches:
                batches = f"; the hash table grew from {build.original_hash_batches} to {build.hash_batches} batches"
            if build.est_direction == "under" and build.est_error is not None and build.est_error >= 10:
                yield PlanViolation(
                    build,
                    f"{join.label} hashes {rows(built)} rows but the planner sized it for "
                    f"{rows((build.est_rows or 0) * (build.act_loops or 1))} ({build.est_error:,.0f}x more){batches}",
                    "Fix the estimate of the build side (see SQ302 on the node below); with the right number the "
                    "planner hashes the smaller input or sizes the table to fit",
                    saving,
                    error_severity(build.est_error),
                )
            elif built > 2 * probed and probed > 0:
                yield PlanViolation(
                    build,
                    f"{join.label} hashes the bigger input ({rows(built)} rows) and probes with the smaller "
                    f"({rows(probed)} rows){batches}",
                    "Refresh statistics on both inputs (`ANALYZE`) so the planner builds on the smaller side",
                    saving,
                )


RULES: list[type[PlanRule]] = [RowEstimateError, HashBuildSide]
