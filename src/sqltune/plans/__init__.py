"""EXPLAIN plans as graphs: parse any supported format into a :class:`PlanGraph`, link it to the SQL.

>>> plan = parse_plan("Seq Scan on orders  (cost=0.00..35.50 rows=2550 width=4)")
>>> plan.format, plan.dialect, plan.root.operator, plan.root.relation, plan.total_cost
('postgres-text', 'postgres', 'Seq Scan', 'orders', 35.5)

See ``docs/plans.md`` for the formats, the derived metrics and their definitions.
"""

from sqltune.plans.detect import FORMATS, detect_format, load_plan, parse_plan
from sqltune.plans.errors import PlanError
from sqltune.plans.link import link_plan, link_spans
from sqltune.plans.model import PlanGraph
from sqltune.plans.nodes import Buffers, JitTiming, PlanNode

__all__ = [
    "FORMATS",
    "Buffers",
    "JitTiming",
    "PlanError",
    "PlanGraph",
    "PlanNode",
    "detect_format",
    "link_plan",
    "link_spans",
    "load_plan",
    "parse_plan",
]
