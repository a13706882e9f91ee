"""Turning what a connector read into snapshot records (the parts every engine shares).

>>> from sqltune.workload import Execution, Workload
>>> template = Workload("postgres").extend([Execution("SELECT * FROM t WHERE id = 1", duration_ms=4.0)]).top(1)[0]
>>> plan = [{"Plan": {"Node Type": "Index Scan", "Relation Name": "t", "Index Name": "t_pkey",
...                   "Total Cost": 8.3, "Plan Rows": 1}}]
>>> record = record_template(template, 1, plan, plan_format="postgres-json")
>>> record.cost, record.shape, record.relations, record.mean_ms
(8.3, ['Index Scan using t_pkey on t'], ['t'], 4.0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqltune.plans import PlanError, PlanGraph, parse_plan
from sqltune.plans.shape import plan_shape, shape_fingerprint
from sqltune.regressions.model import TemplateSnapshot
from sqltune.workload import Template

__all__ = ["explained", "plan_of", "record_template"]


def plan_of(record: TemplateSnapshot) -> PlanGraph | None:
    """The recorded plan as a :class:`~sqltune.plans.PlanGraph`, ``None`` when there is none or it does not
    parse (a snapshot written by another version)."""
    if record.plan is None or record.plan_format is None:
        return None
    try:
        return parse_plan(record.plan, record.plan_format)
    except PlanError:
        return None


def record_template(
    template: Template,
    rank: int,
    plan: Any = None,
    *,
    plan_format: str | None = None,
    analyzed: bool = False,
    error: str | None = None,
) -> TemplateSnapshot:
    """A template's record: its workload figures, and its plan with cost, shape and relations when given."""
    record = TemplateSnapshot(
        fingerprint=template.fingerprint,
        sql=template.example,
        rank=rank,
        calls=template.calls,
        total_ms=template.total_ms,
        mean_ms=template.mean_ms,
        plan=plan,
        plan_format=plan_format if plan is not None else None,
        analyzed=analyzed,
        error=error,
    )
    graph = plan_of(record)
    if plan is not None and graph is None:
        record.error = record.error or f"the {plan_format} plan could not be read"
    if graph is not None:
        record.cost = graph.total_cost
        assigned = graph.details.get("bytes_assigned")
        if record.cost is None and isinstance(assigned, int | float):
            record.cost, record.cost_unit = float(assigned), "bytes"
        record.shape = plan_shape(graph)
        record.shape_fingerprint = shape_fingerprint(record.shape)
        record.relations = sorted({node.relation for node in graph.nodes if node.relation})
    return record


def explained(
    template: Template,
    rank: int,
    explain: Callable[[str], tuple[Any, bool]],
    *,
    plan_format: str,
    errors: tuple[type[Exception], ...],
) -> TemplateSnapshot:
    """The record of a template with the plan ``explain(sql)`` returns (the plan and whether it was run); an
    error of the kinds in ``errors`` (the connector's, already scrubbed of secrets) is recorded instead, its
    first line."""
    try:
        plan, analyzed = explain(template.example)
    except errors as error:
        message = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
        return record_template(template, rank, error=message)
    return record_template(template, rank, plan, plan_format=plan_format, analyzed=analyzed)
