"""HTML views of sqltune's results, for notebooks: self-contained (inline style, no script, no network) and
escaped everywhere. Importing this package registers each view with :mod:`sqltune.core.display`, by the
qualified name of the class it shows, so that registering loads none of those classes' modules; the result
objects (:class:`~sqltune.core.display.Displayable`) import it on their first display.

==========================================  =============================================================
class                                       view
==========================================  =============================================================
Report, Finding (``sqltune.lint``)          findings table linked to the SQL, spans highlighted
PlanReport, PlanGraph                       collapsible plan tree: self-time bars, estimate errors, buffers,
                                            hot path, findings beside their nodes
RewriteReport, Change                       side-by-side diffs, status, conditions, verification
QueryGraph                                  SVG diagram of scopes, relations and joins, column roles
Schema                                      ER diagram
StarDesign, DesignResult                    ER diagram of the star, bus matrix, choices, coverage
IndexPlan                                   costs before/after, indexes, hygiene, queries, runtimes
Workload, UsageStats                        hottest templates with bars; hottest columns per role
LayoutPlan, Recommendation                  a card per table: gates, evidence, statements
==========================================  =============================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqltune.core.display import register
from sqltune.reporters.html import design, er, findings, graph, indexes, layout, plan, rewrite, workload

__all__ = ["VIEWS"]

#: Qualified class name -> the function that renders it.
VIEWS: dict[str, Callable[[Any], str]] = {
    "sqltune.core.findings.Report": findings.render_report,
    "sqltune.core.findings.Finding": findings.render_finding,
    "sqltune.plans.model.PlanGraph": plan.render_plan,
    "sqltune.rules.plan.base.PlanReport": plan.render_plan,
    "sqltune.rewrites.engine.RewriteReport": rewrite.render_rewrite_report,
    "sqltune.rewrites.engine.Change": rewrite.render_change,
    "sqltune.graph.query_graph.QueryGraph": graph.render_query_graph,
    "sqltune.schema.catalog.Schema": er.render_schema,
    "sqltune.design.model.StarDesign": design.render_design,
    "sqltune.design.DesignResult": design.render_design,
    "sqltune.indexes.plan.IndexPlan": indexes.render_index_plan,
    "sqltune.workload.workload.Workload": workload.render_workload,
    "sqltune.workload.usage.UsageStats": workload.render_usage,
    "sqltune.layout.model.LayoutPlan": layout.render_layout_plan,
    "sqltune.layout.model.Recommendation": layout.render_recommendation,
}


def _plan_report_json(report: Any) -> Any:
    from sqltune.reporters.plan_json import plan_report_dict

    return plan_report_dict(report)


for _name, _renderer in VIEWS.items():
    register(_name, _renderer)
register("sqltune.rules.plan.base.PlanReport", plan.render_plan, _plan_report_json)
