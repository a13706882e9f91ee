"""A plan's shape: what it does, without what it expects it to cost, so that two days' plans compare.

Costs and row estimates move with every ``ANALYZE``; the shape only moves when the planner chose another
plan. A shape is one line per node in pre-order, indented by depth: the operator as the engine named it,
the index it uses, the relation it reads, and the join type or aggregate strategy. The order of the lines
is the join order (the outer side of a join comes first).

- :func:`plan_shape`: the shape lines of a :class:`~sqltune.plans.PlanGraph`, line ``i`` for node ``i``;
- :func:`shape_fingerprint`: a short hash of the lines;
- :func:`changed_nodes`: which nodes differ between two shapes, paired old with new.

>>> from sqltune.plans import parse_plan
>>> before = parse_plan('''Nested Loop  (cost=0.29..16.34 rows=1 width=8)
...   ->  Seq Scan on customers c  (cost=0.00..8.00 rows=1 width=4)
...   ->  Index Scan using orders_customer_idx on orders o  (cost=0.29..8.31 rows=1 width=4)''')
>>> after = parse_plan('''Hash Join  (cost=8.01..2345.00 rows=1 width=8)
...   ->  Seq Scan on orders o  (cost=0.00..1800.00 rows=100000 width=4)
...   ->  Hash  (cost=8.00..8.00 rows=1 width=4)
...         ->  Seq Scan on customers c  (cost=0.00..8.00 rows=1 width=4)''')
>>> plan_shape(after)
['Hash Join (Inner)', '  Seq Scan on orders', '  Hash', '    Seq Scan on customers']
>>> shape_fingerprint(plan_shape(before)) == shape_fingerprint(plan_shape(before)), len(shape_fingerprint([]))
(True, 16)
>>> [(old, new) for old, new in changed_nodes(plan_shape(before), plan_shape(after))]
[([0], [0, 1, 2]), ([2], [])]
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from difflib import SequenceMatcher

from sqltune.plans.model import PlanGraph
from sqltune.plans.nodes import PlanNode

__all__ = ["changed_nodes", "node_shape", "plan_shape", "shape_fingerprint"]


def node_shape(node: PlanNode) -> str:
    """One node's line, without its indentation: ``Index Scan using orders_pkey on orders``.

    The alias is left out (renaming ``o`` changes no plan); the join type and aggregate strategy stay (a
    hashed aggregate that became a sorted one is another plan).
    """
    text = node.original
    if node.index:
        text += f" using {node.index}"
    target = node.relation or node.cte_name
    if target:
        text += f" on {target}"
    detail = node.join_type or node.strategy
    if detail and detail.lower() not in node.original.lower():
        text += f" ({detail})"
    return text


def plan_shape(plan: PlanGraph) -> list[str]:
    """The shape lines of ``plan``: line ``i`` is node ``i`` (pre-order), indented two spaces per level."""
    return ["  " * node.depth + node_shape(node) for node in plan.nodes]


def shape_fingerprint(lines: Sequence[str]) -> str:
    """16 hex digits that change exactly when the shape does."""
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def changed_nodes(old: Sequence[str], new: Sequence[str]) -> list[tuple[list[int], list[int]]]:
    """The runs of lines that differ between two shapes, as (old node ids, new node ids) pairs in plan order;
    one side is empty where nodes were only removed or only added. Equal shapes give ``[]``.

    Lines are aligned without their indentation: a scan that moved under a new join is the same scan.
    """
    matcher = SequenceMatcher(a=[line.strip() for line in old], b=[line.strip() for line in new], autojunk=False)
    return [
        (list(range(first_old, last_old)), list(range(first_new, last_new)))
        for tag, first_old, last_old, first_new, last_new in matcher.get_opcodes()
        if tag != "equal"
    ]
