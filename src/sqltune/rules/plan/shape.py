"""Plan rules about the shape the query forced on the plan: filters that could not be pushed into a
materialized CTE or subquery, and sorts of a whole table to return a few rows."""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.plans import PlanNode
from sqltune.rules.plan._util import pct, predicates, rows
from sqltune.rules.plan.base import PlanContext, PlanRule, PlanViolation, scaled
from sqltune.rules.plan.scans import create_index

__all__ = ["RULES", "FilterAfterCte", "SortForLimit"]

#: Bodies or sort inputs smaller than this are cheap whatever happens to them.
MIN_ROWS = 1000
SORT_INPUT_ROWS = 10_000


def _rows(node: PlanNode, analyzed: bool) -> float | None:
    if analyzed:
        return node.total_rows
    return node.est_rows * node.est_loops if node.est_rows is not None else None


def _server_version(ctx: PlanContext) -> int | None:
    raw = ctx.setting("server_version_num")
    return int(raw) if raw and raw.isdigit() else None


class FilterAfterCte(PlanRule):
    """SQ308: a filter applied on top of a materialized CTE that the planner could not push into it, so the
    whole body is computed and then mostly thrown away."""

    code = "SQ308"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        plan = ctx.plan
        for node in plan:
            condition = node.conditions.get("Filter")
            if node.operator != "CTE Scan" or not condition:
                continue
            body = next((n for n in plan if n.subplan_name == f"CTE {node.cte_name}"), None)
            if body is None:
                continue
            produced = _rows(body, ctx.analyzed)
            if produced is None or produced < MIN_ROWS:
                continue
            if ctx.analyzed and node.removed_share is not None:
                removed = node.removed_share
            elif not ctx.analyzed and node.est_rows is not None and body.est_rows:
                removed = max(0.0, 1.0 - node.est_rows / body.est_rows)
            else:
                continue
            if removed < 0.5:
                continue
            readers = [n for n in plan if n.operator == "CTE Scan" and n.cte_name == node.cte_name]
            version = _server_version(ctx)
            if len(readers) == 1 and (version is None or version >= 120000):
                fix = (
                    f"Write `WITH {node.cte_name} AS NOT MATERIALIZED (...)` (PostgreSQL 12+) so the filter is "
                    "pushed into the CTE, or move the filter inside it"
                )
            else:
                fix = f"Move the filter into the CTE's body (it is read {len(readers)} times), or split the CTE"
            saving = scaled(ctx.subtree_share(body), removed / max(1, len(readers)))
            yield PlanViolation(
                node,
                f"{node.label}: the materialized CTE {node.cte_name} produced {rows(produced)} rows and the "
                f"filter `{condition}` on top of it discards {pct(removed)}: the filter could not be pushed down",
                fix,
                saving,
            )


class SortForLimit(PlanRule):
    """SQ317: a LIMIT served by sorting a whole table, where an index on the sort keys would read a few rows."""

    code = "SQ317"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        plan = ctx.plan
        for node in plan:
            parent = plan.parent(node)
            if node.operator not in ("Sort", "Incremental Sort") or parent is None or parent.operator != "Limit":
                continue
            subtree = list(plan.subtree(node))[1:]
            tables = {n.relation for n in subtree if n.kind == "scan" and n.relation}
            if len(tables) != 1 or any(n.kind in ("join", "aggregate") for n in subtree):
                continue  # an index cannot return a join's or an aggregate's rows in order
            child = plan.children(node)[0]
            sorted_rows, limit = _rows(child, ctx.analyzed), _rows(parent, ctx.analyzed)
            if sorted_rows is None or limit is None or sorted_rows < SORT_INPUT_ROWS:
                continue
            table = tables.pop()
            keys = [key.split(".")[-1] for key in node.sort_keys]
            scan = next(n for n in subtree if n.relation == table)
            # Equality-filtered columns may lead the index; a range column there would break the order.
            filter_columns = [
                p.column
                for p in predicates(scan.conditions.get("Filter") or "", ctx.dialect)
                if p.kind == "eq" and p.column not in keys
            ]
            columns = [*filter_columns, *keys]
            yield PlanViolation(
                node,
                f"{node.label} orders all {rows(sorted_rows)} rows of {table} to return {rows(limit)}",
                f"Add {create_index(ctx, table, columns)} so the rows are read in order and the scan stops after "
                f"{rows(limit)}",
                scaled(ctx.subtree_share(node), 1.0 - limit / sorted_rows),
            )


RULES: list[type[PlanRule]] = [FilterAfterCte, SortForLimit]
