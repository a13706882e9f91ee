"""The built-in plan rules, in code order (registered with the query rules by :mod:`sqltune.rules.builtin`)."""

from __future__ import annotations

from sqltune.rules.plan import estimates, joins, memory, runtime, scans, shape
from sqltune.rules.plan.base import PlanRule

__all__ = ["RULES"]

RULES: list[type[PlanRule]] = sorted(
    [*scans.RULES, *estimates.RULES, *memory.RULES, *joins.RULES, *runtime.RULES, *shape.RULES],
    key=lambda rule: rule.code,
)
