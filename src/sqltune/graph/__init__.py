"""Statements as graphs: :class:`QueryGraph` for SQL (and, with the plan modules, PlanGraph for EXPLAIN)."""

from sqltune.graph.query_graph import ColumnRef, ColumnRole, ColumnUse, Join, QueryGraph, Relation, ScopeInfo

__all__ = ["ColumnRef", "ColumnRole", "ColumnUse", "Join", "QueryGraph", "Relation", "ScopeInfo"]
