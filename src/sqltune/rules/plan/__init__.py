"""Plan rules: diagnose an EXPLAIN plan (any format :mod:`sqltune.plans` reads) with estimated savings.

``analyze_plan(plan, statement=None, schema=None, settings=None)`` runs every plan rule and returns a
:class:`PlanReport` whose findings are ranked by the share of runtime (or cost) fixing them could save.
See ``docs/plan-rules.md``.
"""

from __future__ import annotations

from sqltune.rules.plan.base import (
    PlanContext,
    PlanFinding,
    PlanReport,
    PlanRule,
    PlanViolation,
    error_severity,
    share_severity,
)
from sqltune.rules.plan.builtin import RULES
from sqltune.rules.plan.engine import analyze_plan, hot_path, plan_rules

__all__ = [
    "RULES",
    "PlanContext",
    "PlanFinding",
    "PlanReport",
    "PlanRule",
    "PlanViolation",
    "analyze_plan",
    "error_severity",
    "hot_path",
    "plan_rules",
    "share_severity",
]
