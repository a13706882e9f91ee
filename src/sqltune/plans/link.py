"""Plan -> SQL: which relation of a :class:`~sqltune.graph.QueryGraph` each scan and join node reads.

A plan finding ("this Seq Scan removes 99% of its rows") is only useful when it points at the SQL that
caused it. Scans are matched by alias and table name (PostgreSQL ``Alias``/``Relation Name``/``CTE Name``,
MySQL ``table_name``, Snowflake ``objects``/``alias``, DuckDB's ``Table``), case-insensitively and
ignoring schema qualification, in three passes: alias and name, alias alone, name alone. A relation is
given to one node while an unclaimed candidate remains, so a table read twice (PostgreSQL renames the
second ``orders_1``) maps to its two occurrences in order. A Bitmap Index Scan takes the relation of
the heap scan above it. A join node maps to the relation it joins in: the single relation read on its
inner (last) side, else on its outer side; a join of two multi-relation inputs stays unlinked.

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.graph import QueryGraph
>>> from sqltune.plans.detect import parse_plan
>>> graph = QueryGraph.build(parse_one("SELECT * FROM orders o JOIN customer c ON c.id = o.cid"))
>>> plan = parse_plan('''Hash Join  (cost=1.1..2.2 rows=1 width=8)
...   Hash Cond: (o.cid = c.id)
...   ->  Seq Scan on orders o  (cost=0.0..1.0 rows=1 width=4)
...   ->  Hash  (cost=1.0..1.0 rows=1 width=4)
...         ->  Seq Scan on customer c  (cost=0.0..1.0 rows=1 width=4)''')
>>> {plan[i].label: graph.relations[r].alias for i, r in link_plan(plan, graph).items()}
{'Hash Join': 'c', 'Seq Scan on orders o': 'o', 'Seq Scan on customer c': 'c'}
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.parsing import Statement
from sqltune.core.source import Span
from sqltune.graph import QueryGraph, Relation
from sqltune.plans.model import PlanGraph
from sqltune.plans.nodes import PlanNode
from sqltune.schema import fold

__all__ = ["link_plan", "link_spans"]


def _bare(name: str | None) -> str | None:
    if not name:
        return None
    return fold(name.rsplit(".", 1)[-1])


def _relation_name(relation: Relation) -> str:
    return _bare(relation.name) or ""


def _node_names(node: PlanNode) -> tuple[str | None, str | None]:
    """(name, alias) of what the node reads, folded."""
    name = node.relation or node.cte_name
    function = node.details.get("function")
    if name is None and isinstance(function, str):
        name = function
    return _bare(name), _bare(node.alias)


def _reads(node: PlanNode) -> bool:
    return node.kind == "scan" and (node.relation or node.cte_name or node.alias) is not None


def link_plan(plan: PlanGraph, query_graph: QueryGraph) -> dict[int, str]:
    """Plan node id -> QueryGraph relation id, for the scan and join nodes that could be matched."""
    relations = [r for r in query_graph.relations.values()]
    claimed: dict[str, int] = {}
    links: dict[int, str] = {}
    pending = [node for node in plan if _reads(node)]

    def assign(matches: Callable[[PlanNode, Relation], bool]) -> None:
        for node in list(pending):
            candidates = [r for r in relations if matches(node, r)]
            if not candidates:
                continue
            free = [r for r in candidates if r.id not in claimed]
            chosen = (free or candidates)[0]
            links[node.id] = chosen.id
            claimed[chosen.id] = claimed.get(chosen.id, 0) + 1
            pending.remove(node)

    def alias_and_name(node: PlanNode, relation: Relation) -> bool:
        name, alias = _node_names(node)
        if alias is None or fold(relation.alias) != alias:
            return False
        return name is None or name in (_relation_name(relation), alias)

    def alias_only(node: PlanNode, relation: Relation) -> bool:
        _, alias = _node_names(node)
        return alias is not None and fold(relation.alias) == alias

    def name_only(node: PlanNode, relation: Relation) -> bool:
        # The alias differs: PostgreSQL renamed a repeated table (orders_1), or the engine shows no alias.
        name, _ = _node_names(node)
        return name is not None and _relation_name(relation) == name

    assign(alias_and_name)
    assign(alias_only)
    assign(name_only)

    # A Bitmap Index Scan reads the index of the heap scan above it.
    for node in plan:
        if node.id in links or node.operator != "Bitmap Index Scan":
            continue
        for ancestor in plan.ancestors(node):
            if ancestor.id in links:
                links[node.id] = links[ancestor.id]
                break
    # A join node: the relation it brings in.
    for node in plan:
        if node.kind != "join" or not node.children:
            continue
        sides = [node.children[-1], *node.children[:-1][::-1]]
        for side in sides:
            read = {links[n.id] for n in plan.subtree(side) if n.id in links and n.kind == "scan"}
            if len(read) == 1:
                links[node.id] = read.pop()
                break
    return dict(sorted(links.items()))


def link_spans(plan: PlanGraph, statement: Statement, query_graph: QueryGraph | None = None) -> dict[int, Span]:
    """Plan node id -> where its relation stands in the SQL source (the statement's span when unknown)."""
    if query_graph is None:
        if statement.expression is None:
            return {}
        query_graph = QueryGraph.build(statement.expression)
    return {
        node_id: statement.node_span(query_graph.relations[relation_id].node)
        for node_id, relation_id in link_plan(plan, query_graph).items()
    }
