"""Which templates a snapshot records: the workload's hottest statements that read or write user tables.

The workload may hold statements no plan can help and that must not be explained: DDL, ``SET``, ``ALTER
ROLE ... PASSWORD`` (a log keeps its text whole), transaction control, and the catalog reads of monitoring
tools and of sqltune itself (they land in ``pg_stat_statements`` too). Only queries and DML over a table
outside the system catalogs are kept.

>>> from sqltune.workload import Execution, Workload
>>> workload = Workload("postgres").extend([
...     Execution("SELECT * FROM orders WHERE id = 1", duration_ms=50.0),
...     Execution("ALTER ROLE app PASSWORD 'hunter2'", duration_ms=90.0),
...     Execution("SELECT relname FROM pg_catalog.pg_class", duration_ms=70.0),
...     Execution("UPDATE orders SET state = 'x' WHERE id = 2", duration_ms=10.0),
... ])
>>> [template.kind for template in hot_templates(workload, 5)]
['select', 'update']
"""

from __future__ import annotations

from sqltune.core.sqlglot import ParseError, TokenError, exp, parse_one
from sqltune.workload import Template, Workload

__all__ = ["SYSTEM_SCHEMAS", "hot_templates", "reads_user_tables"]

#: Statement kinds (first keywords) a snapshot explains.
PLANNED_KINDS = frozenset({"select", "with", "insert", "update", "delete", "merge", "table", "values"})
#: Schemas whose tables are the engine's own (compared in lower case).
SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast", "account_usage", "snowflake"})


def reads_user_tables(sql: str, dialect: str | None) -> bool:
    """Whether ``sql`` parses as a query or DML that reads or writes a table outside the system catalogs."""
    try:
        tree = parse_one(sql, dialect)
    except (ParseError, TokenError, ValueError):
        return False
    if not isinstance(tree, exp.Query | exp.Insert | exp.Update | exp.Delete | exp.Merge):
        return False
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):  # a table function
            continue
        schema = {part.lower() for part in (table.db, table.catalog) if part}
        if schema & SYSTEM_SCHEMAS or table.name.lower().startswith("pg_"):
            continue
        return True
    return False


def hot_templates(workload: Workload, top: int) -> list[Template]:
    """The ``top`` templates with the most total time (the most calls where the source has no times) that
    are queries or DML over user tables."""
    if top < 1:
        raise ValueError(f"top must be at least 1; got {top}")
    timed = any(template.timed_calls for template in workload.templates)
    chosen: list[Template] = []
    for template in workload.top(None, "total_ms" if timed else "calls"):
        if template.kind not in PLANNED_KINDS or not reads_user_tables(template.example, workload.dialect):
            continue
        chosen.append(template)
        if len(chosen) == top:
            break
    return chosen
