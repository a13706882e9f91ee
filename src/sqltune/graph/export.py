"""A :class:`~sqltune.graph.QueryGraph` in other shapes (``QueryGraph.to_dict`` / ``to_json`` / ``to_dot`` and
``QueryGraph.graph`` delegate here):

- :func:`to_dict` and :func:`to_json`: scopes, relations, joins, column uses and ambiguous columns as plain
  data;
- :func:`to_dot`: Graphviz DOT text (scopes as boxes, relations as ellipses, joins labelled with their keys);
- :func:`to_networkx`: the :class:`networkx.MultiDiGraph` view of the builder's nodes and edges. networkx is
  imported on first call only: it takes longer to import than a warm, cached lint run takes in all.

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.graph import QueryGraph
>>> graph = QueryGraph.build(parse_one("SELECT a.x FROM a JOIN b ON a.id = b.id"))
>>> [(r["id"], r["name"]) for r in to_dict(graph)["relations"]]
[('r0', 'a'), ('r1', 'b')]
>>> print(to_dot(graph).splitlines()[-2])
  r0 -> r1 [dir=none, style=bold, label="inner id=id"];
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqltune.graph.model import ColumnRef

if TYPE_CHECKING:
    import networkx as nx

    from sqltune.graph.query_graph import QueryGraph

__all__ = ["to_dict", "to_dot", "to_json", "to_networkx"]


def to_networkx(
    nodes: list[tuple[str, dict[str, Any]]], edges: list[tuple[str, str, dict[str, Any]]]
) -> nx.MultiDiGraph:
    """A :class:`networkx.MultiDiGraph` of typed nodes and edges (see :mod:`sqltune.graph.query_graph`)."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    return graph


def _ref(column: ColumnRef) -> dict[str, Any]:
    return {"relation": column.relation, "table": column.table, "column": column.column}


def to_dict(graph: QueryGraph) -> dict[str, Any]:
    return {
        "statement": graph.statement.sql(),
        "scopes": [
            {
                "id": s.id,
                "kind": s.kind,
                "parent": s.parent,
                "how": s.how,
                "correlated": s.correlated,
                "relations": s.relations,
                "outputs": list(s.outputs),
            }
            for s in graph.scopes.values()
        ],
        "relations": [
            {
                "id": r.id,
                "kind": r.kind,
                "name": r.name,
                "alias": r.alias,
                "scope": r.scope,
                "table": r.table.qualified_name if r.table else None,
                "defined_by": r.defined_by,
            }
            for r in graph.relations.values()
        ],
        "joins": [
            {
                "left": j.left,
                "right": j.right,
                "kind": j.kind,
                "equi": [[_ref(a), _ref(b)] for a, b in j.equi],
                "other": [o.sql() for o in j.other],
            }
            for j in graph.joins
        ],
        "columns": [
            {
                **_ref(u.column),
                "role": u.role.value,
                "scope": u.scope,
                "clause": u.clause,
                "sargable": u.sargable,
                "predicate": u.predicate.sql() if u.predicate is not None else None,
            }
            for u in graph.uses
        ],
        "ambiguous": [{"column": c.sql(), "candidates": list(k)} for c, k in graph.ambiguous],
    }


def to_json(graph: QueryGraph, **kwargs: Any) -> str:
    return json.dumps(to_dict(graph), **kwargs)


def to_dot(graph: QueryGraph) -> str:
    """Graphviz DOT text: scopes as boxes, relations as ellipses, joins labelled with their keys."""
    lines = ["digraph query {", "  rankdir=LR;"]
    for scope in graph.scopes.values():
        lines.append(f'  {scope.id} [shape=box, label="{scope.kind} {scope.id}"];')
    for relation in graph.relations.values():
        label = relation.name if relation.alias == relation.name else f"{relation.name} AS {relation.alias}"
        lines.append(f'  {relation.id} [shape=ellipse, label="{label}"];')
    for source, target, data in graph.graph.edges(data=True):
        kind = data["type"]
        if kind == "join":
            keys = ", ".join(f"{a.column}={b.column}" for a, b in data["join"].equi)
            label = f"{data['kind']} {keys}".strip().replace('"', "'")
            lines.append(f'  {source} -> {target} [dir=none, style=bold, label="{label}"];')
        elif kind == "nests":
            lines.append(f'  {source} -> {target} [style=dashed, label="{data.get("how", "")}"];')
        else:
            lines.append(f'  {source} -> {target} [label="{kind}"];')
    lines.append("}")
    return "\n".join(lines)
