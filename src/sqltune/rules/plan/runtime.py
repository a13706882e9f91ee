"""Plan rules about time spent outside the operators' own work: parallel workers that never started,
planning slower than running, JIT compilation dominating a short query."""

from __future__ import annotations

import math
from collections.abc import Iterator

from sqltune.rules.plan._util import pct
from sqltune.rules.plan.base import PlanContext, PlanRule, PlanViolation

__all__ = ["RULES", "JitDominates", "PlanningSlow", "WorkersNotLaunched"]

#: Planning below this is not worth a finding whatever the execution time.
MIN_PLANNING_MS = 5.0
#: JIT is reported when compiling took at least this share of the execution time.
JIT_SHARE = 0.25


class WorkersNotLaunched(PlanRule):
    """SQ309: a Gather that planned parallel workers the server could not start."""

    code = "SQ309"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            missing = node.workers_missing
            if not missing or node.workers_planned is None:
                continue
            planned, launched = node.workers_planned, node.workers_launched or 0
            subtree = ctx.subtree_share(node)
            # The leader plus the launched workers did the work planned for the leader plus all workers.
            saving = None if subtree is None else subtree * missing / (planned + 1)
            limits = [
                f"{name} = {ctx.setting(name)}"
                for name in ("max_parallel_workers", "max_worker_processes")
                if ctx.setting(name) is not None
            ]
            now = f" (now {', '.join(limits)})" if limits else ""
            yield PlanViolation(
                node,
                f"{node.label} planned {planned} parallel worker{'s' * (planned != 1)} and launched {launched}: "
                "the part below it ran with less parallelism than it was planned for",
                "Raise max_parallel_workers, and max_worker_processes (needs a restart) above the workers all "
                f"concurrent queries plan{now}; or lower max_parallel_workers_per_gather so plans expect what the "
                "server can give",
                saving,
            )


class PlanningSlow(PlanRule):
    """SQ310: the query took longer to plan than to run."""

    code = "SQ310"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        planning, execution = ctx.plan.planning_ms, ctx.plan.execution_ms
        if planning is None or execution is None or planning < MIN_PLANNING_MS or planning <= execution:
            return
        relations = len([n for n in ctx.plan.scans() if n.relation])
        if relations >= 8:
            advice = (
                f"The plan reads {relations} relations: drop joins the result does not need, or lower "
                "join_collapse_limit/from_collapse_limit so the planner searches fewer join orders"
            )
        else:
            advice = "Prepare the statement (or let the driver do it) so the plan is cached and reused"
        if ctx.plan.planning_buffers is not None and ctx.plan.planning_buffers.shared_read:
            advice += "; planning read catalog blocks from disk, so part of it was a cold cache"
        yield PlanViolation(
            ctx.plan.root,
            f"planning took {planning:,.1f} ms, more than the {execution:,.1f} ms the query ran",
            advice,
            planning / (planning + execution),
            whole_plan=True,
        )


def _above(cost: float) -> int:
    """A round cost threshold comfortably above ``cost``: the next power of ten above ten times it."""
    return int(10 ** math.ceil(math.log10(max(cost, 1.0) * 10)))


class JitDominates(PlanRule):
    """SQ311: JIT compilation took a large share of a short query's execution."""

    code = "SQ311"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        jit, execution = ctx.plan.jit, ctx.plan.execution_ms
        if jit is None or not jit.total_ms or not execution:
            return
        share = min(1.0, jit.total_ms / execution)
        if share < JIT_SHARE:
            return
        cost = ctx.plan.total_cost
        threshold = f"`SET jit_above_cost = {_above(cost)}`" if cost else "a higher jit_above_cost"
        heavy = jit.optimization_ms + jit.inlining_ms
        detail = ""
        if heavy > jit.total_ms / 2:
            detail = " (most of it optimising and inlining: raising jit_optimize_above_cost and jit_inline_above_cost"
            detail += " alone keeps cheap compilation)"
        current = ctx.setting("jit_above_cost")
        now = f" (now {current})" if current else ""
        yield PlanViolation(
            ctx.plan.root,
            f"JIT compiled {jit.functions} functions in {jit.total_ms:,.1f} ms, {pct(share)} of the "
            f"{execution:,.1f} ms execution",
            f"Raise the cost above which PostgreSQL compiles, {threshold}{now}, or `SET jit = off` for short "
            f"queries{detail}",
            share,
            whole_plan=True,
        )


RULES: list[type[PlanRule]] = [WorkersNotLaunched, PlanningSlow, JitDominates]
