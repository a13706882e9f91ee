"""Operator names across engines: each engine's name -> (normalised operator, kind).

Rules ask "is this a full scan?", "is this a join?" without knowing the engine, so each parser maps its
operator names onto one vocabulary; the engine's own name stays in ``PlanNode.original``.

>>> postgres_operator({"Node Type": "Aggregate", "Strategy": "Hashed"})
('Hash Aggregate', 'aggregate')
>>> mysql_access("ALL"), duckdb_operator("HASH_JOIN"), snowflake_operator("LeftOuterJoin")
(('Seq Scan', 'scan'), ('Hash Join', 'join'), ('Join', 'join'))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["duckdb_operator", "mysql_access", "postgres_label", "postgres_operator", "snowflake_operator"]

_PG_SCANS = frozenset(
    {
        "Seq Scan",
        "Index Scan",
        "Index Only Scan",
        "Bitmap Heap Scan",
        "Bitmap Index Scan",
        "Tid Scan",
        "Tid Range Scan",
        "Subquery Scan",
        "Function Scan",
        "Table Function Scan",
        "Values Scan",
        "CTE Scan",
        "Named Tuplestore Scan",
        "WorkTable Scan",
        "Foreign Scan",
        "Custom Scan",
        "Sample Scan",
    }
)
_PG_JOINS = frozenset({"Nested Loop", "Merge Join", "Hash Join"})
_PG_AGGREGATES = {"Hashed": "Hash Aggregate", "Sorted": "Group Aggregate", "Mixed": "Mixed Aggregate"}
_PG_OTHER_AGGREGATES = frozenset({"Group", "WindowAgg"})
_PG_SORTS = frozenset({"Sort", "Incremental Sort"})


def postgres_operator(node: Mapping[str, Any]) -> tuple[str, str]:
    node_type = str(node.get("Node Type", ""))
    if node_type in _PG_SCANS:
        return node_type, "scan"
    if node_type in _PG_JOINS:
        return node_type, "join"
    if node_type == "Aggregate":
        return _PG_AGGREGATES.get(str(node.get("Strategy")), "Aggregate"), "aggregate"
    if node_type in _PG_OTHER_AGGREGATES:
        return node_type, "aggregate"
    if node_type in _PG_SORTS:
        return node_type, "sort"
    if node_type == "ModifyTable":
        return str(node.get("Operation") or "ModifyTable"), "modify"
    return node_type, "other"


def postgres_label(node: Mapping[str, Any]) -> str:
    """The operator as PostgreSQL's text format names it: ``Parallel Seq Scan``, ``Hash Left Join``, ...

    >>> postgres_label({"Node Type": "Aggregate", "Strategy": "Hashed", "Partial Mode": "Partial"})
    'Partial HashAggregate'
    >>> postgres_label({"Node Type": "Nested Loop", "Join Type": "Anti"})
    'Nested Loop Anti Join'
    """
    node_type = str(node.get("Node Type", ""))
    label = node_type
    if node_type == "Aggregate":
        label = {"Hashed": "HashAggregate", "Sorted": "GroupAggregate", "Mixed": "MixedAggregate"}.get(
            str(node.get("Strategy")), "Aggregate"
        )
    elif node_type == "SetOp":
        label = ("HashSetOp " if node.get("Strategy") == "Hashed" else "SetOp ") + str(node.get("Command", ""))
    elif node_type == "ModifyTable":
        label = str(node.get("Operation") or node_type)
    elif node_type == "Custom Scan" and node.get("Custom Plan Provider"):
        label = f"Custom Scan ({node['Custom Plan Provider']})"
    elif node_type in _PG_JOINS:
        join = str(node.get("Join Type") or "Inner")
        if join != "Inner":
            label = f"{node_type} {join} Join" if node_type == "Nested Loop" else f"{node_type[:-5]} {join} Join"
    partial = node.get("Partial Mode")
    if partial and partial != "Simple":
        label = f"{partial} {label}"
    if node.get("Parallel Aware"):
        label = f"Parallel {label}"
    return label.strip()


_MYSQL_ACCESS = {
    "ALL": "Seq Scan",
    "index": "Full Index Scan",
    "range": "Index Range Scan",
    "ref": "Index Lookup",
    "eq_ref": "Unique Index Lookup",
    "ref_or_null": "Index Lookup",
    "const": "Const Lookup",
    "system": "Const Lookup",
    "index_merge": "Index Merge",
    "fulltext": "Fulltext Lookup",
    "unique_subquery": "Unique Index Lookup",
    "index_subquery": "Index Lookup",
}


def mysql_access(access_type: str) -> tuple[str, str]:
    return _MYSQL_ACCESS.get(access_type, f"Table Access ({access_type})"), "scan"


_DUCKDB = {
    "SEQ_SCAN": ("Seq Scan", "scan"),
    "TABLE_SCAN": ("Seq Scan", "scan"),
    "INDEX_SCAN": ("Index Scan", "scan"),
    "READ_CSV_AUTO": ("Function Scan", "scan"),
    "READ_PARQUET": ("Function Scan", "scan"),
    "CHUNK_SCAN": ("Chunk Scan", "scan"),
    "COLUMN_DATA_SCAN": ("Values Scan", "scan"),
    "DUMMY_SCAN": ("Result", "other"),
    "EMPTY_RESULT": ("Result", "other"),
    "CTE_SCAN": ("CTE Scan", "scan"),
    "DELIM_SCAN": ("Delim Scan", "scan"),
    "HASH_JOIN": ("Hash Join", "join"),
    "NESTED_LOOP_JOIN": ("Nested Loop", "join"),
    "BLOCKWISE_NL_JOIN": ("Nested Loop", "join"),
    "PIECEWISE_MERGE_JOIN": ("Merge Join", "join"),
    "IE_JOIN": ("Inequality Join", "join"),
    "ASOF_JOIN": ("As-of Join", "join"),
    "CROSS_PRODUCT": ("Cross Join", "join"),
    "POSITIONAL_JOIN": ("Positional Join", "join"),
    "DELIM_JOIN": ("Delim Join", "join"),
    "LEFT_DELIM_JOIN": ("Delim Join", "join"),
    "RIGHT_DELIM_JOIN": ("Delim Join", "join"),
    "HASH_GROUP_BY": ("Hash Aggregate", "aggregate"),
    "PERFECT_HASH_GROUP_BY": ("Hash Aggregate", "aggregate"),
    "PARTITIONED_AGGREGATE": ("Hash Aggregate", "aggregate"),
    "UNGROUPED_AGGREGATE": ("Aggregate", "aggregate"),
    "SIMPLE_AGGREGATE": ("Aggregate", "aggregate"),
    "STREAMING_WINDOW": ("WindowAgg", "aggregate"),
    "WINDOW": ("WindowAgg", "aggregate"),
    "ORDER_BY": ("Sort", "sort"),
    "TOP_N": ("Top N", "sort"),
    "FILTER": ("Filter", "other"),
    "PROJECTION": ("Projection", "other"),
    "UNION": ("Append", "other"),
    "LIMIT": ("Limit", "other"),
    "STREAMING_LIMIT": ("Limit", "other"),
    "RESULT_COLLECTOR": ("Result", "other"),
    "CTE": ("CTE", "other"),
    "INSERT": ("Insert", "modify"),
    "UPDATE": ("Update", "modify"),
    "DELETE": ("Delete", "modify"),
}


def duckdb_operator(name: str) -> tuple[str, str]:
    key = name.strip().upper().replace(" ", "_")
    return _DUCKDB.get(key, (name.strip().replace("_", " ").title(), "other"))


_SNOWFLAKE = {
    "TableScan": ("Table Scan", "scan"),
    "ExternalScan": ("Foreign Scan", "scan"),
    "InternalObject": ("Table Scan", "scan"),
    "ValuesClause": ("Values Scan", "scan"),
    "Generator": ("Function Scan", "scan"),
    "Join": ("Join", "join"),
    "CartesianJoin": ("Cross Join", "join"),
    "Aggregate": ("Aggregate", "aggregate"),
    "GroupingSets": ("Aggregate", "aggregate"),
    "WindowFunction": ("WindowAgg", "aggregate"),
    "Sort": ("Sort", "sort"),
    "SortWithLimit": ("Top N", "sort"),
    "Filter": ("Filter", "other"),
    "JoinFilter": ("Join Filter", "other"),
    "Result": ("Result", "other"),
    "Limit": ("Limit", "other"),
    "UnionAll": ("Append", "other"),
    "WithClause": ("CTE", "other"),
    "WithReference": ("CTE Scan", "scan"),
    "Flatten": ("Flatten", "other"),
    "Insert": ("Insert", "modify"),
    "Update": ("Update", "modify"),
    "Delete": ("Delete", "modify"),
    "Merge": ("Merge", "modify"),
}


def snowflake_operator(name: str) -> tuple[str, str]:
    if name in _SNOWFLAKE:
        return _SNOWFLAKE[name]
    if name.endswith("Join"):  # InnerJoin, LeftOuterJoin, SemiJoin, AntiJoin, ...
        return "Join", "join"
    return name, "other"
