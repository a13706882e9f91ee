"""Statements as graphs: :class:`QueryGraph` for SQL (and, with the plan modules, PlanGraph for EXPLAIN).

- ``query_graph``: :class:`QueryGraph` and its queries (base tables, scopes, column uses, join components);
- ``model``: the data types (:class:`ColumnRole`, :class:`ColumnRef`, :class:`Relation`, :class:`Join`,
  :class:`ScopeInfo`, :class:`ColumnUse`);
- ``builder``: the walk over sqlglot's scopes that fills a graph, with ``resolution`` (which relation a column
  reads), ``roles`` (what a column occurrence does) and ``joins`` (the joins of a scope);
- ``export``: dict, JSON, Graphviz DOT and the networkx view.
"""

from sqltune.graph.model import ColumnRef, ColumnRole, ColumnUse, Join, Relation, ScopeInfo
from sqltune.graph.query_graph import QueryGraph

__all__ = ["ColumnRef", "ColumnRole", "ColumnUse", "Join", "QueryGraph", "Relation", "ScopeInfo"]
