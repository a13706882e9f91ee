"""Machine output for plan diagnoses: one JSON document with, per plan, its figures, the nodes (with their
share of the runtime or cost), the hot path and the findings ranked by estimated saving.

>>> import json
>>> from sqltune.plans import parse_plan
>>> from sqltune.rules.plan import analyze_plan
>>> report = analyze_plan(parse_plan("Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)"))
>>> data = json.loads(render_plan_json([report]))
>>> data["reports"][0]["plan"]["basis"], data["reports"][0]["hot_path"], data["summary"]["findings"]
('cost', [0], 0)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqltune.core.source import Problem
from sqltune.plans import PlanNode
from sqltune.reporters.base import ReportOptions
from sqltune.rules.plan import PlanReport
from sqltune.rules.plan.base import PlanContext

__all__ = ["plan_report_dict", "render_plan_json"]


def _node(node: PlanNode, ctx: PlanContext, hot: set[int]) -> dict[str, Any]:
    share = ctx.share(node)
    return {
        "id": node.id,
        "parent": node.parent,
        "label": node.label,
        "operator": node.operator,
        "kind": node.kind,
        "relation": node.relation,
        "hot": node.id in hot,
        "share": None if share is None else round(share, 6),
        "exclusive_ms": node.exclusive_ms,
        "exclusive_cost": node.exclusive_cost,
        "est_rows": node.est_rows,
        "act_rows": node.act_rows,
        "loops": node.act_loops,
        "est_error": node.est_error,
        "spills": node.spills,
    }


def plan_report_dict(report: PlanReport) -> dict[str, Any]:
    plan = report.plan
    ctx = PlanContext(plan)
    hot = set(report.hot_path)
    data: dict[str, Any] = {
        "plan": {
            "format": plan.format,
            "dialect": plan.dialect,
            "executed": plan.has_actuals,
            "planning_ms": plan.planning_ms,
            "execution_ms": plan.execution_ms,
            "total_cost": plan.total_cost,
            "basis": report.basis,
        },
        "hot_path": report.hot_path,
        "nodes": [_node(node, ctx, hot) for node in plan],
        "findings": [finding.to_dict() for finding in report.findings],
        "problems": report.problems,
    }
    if report.statement is not None:
        data["statement"] = {**report.statement.span.to_dict(), "index": report.statement.index}
    return data


def render_plan_json(
    reports: Sequence[PlanReport], options: ReportOptions | None = None, problems: Sequence[Problem] = ()
) -> str:
    """The reports as one JSON document; ``problems`` are the statements that got no plan (``explain``)."""
    options = options or ReportOptions()
    findings = [finding for report in reports for finding in report.findings]
    by_code: dict[str, int] = {}
    for finding in findings:
        by_code[finding.code] = by_code.get(finding.code, 0) + 1
    document = {
        "tool": {"name": "sqltune", "version": options.tool_version},
        "reports": [plan_report_dict(report) for report in reports],
        "summary": {"plans": len(reports), "findings": len(findings), "by_code": dict(sorted(by_code.items()))},
    }
    if problems:
        document["problems"] = [problem.to_dict() for problem in problems]
    return json.dumps(document, indent=2, default=str) + "\n"
