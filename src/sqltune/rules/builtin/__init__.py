"""The built-in rules, registered through the ``sqltune.rules`` entry point like any plugin."""

from sqltune.rules.base import Rule
from sqltune.rules.builtin import (
    columns,
    ddl_design,
    ddl_indexes,
    ddl_keys,
    ddl_types,
    dml,
    grouping,
    joins,
    nulls,
    ordering,
    parse_error,
    predicates,
    set_operations,
    subqueries,
)
from sqltune.rules.plan.builtin import RULES as PLAN_RULES

RULES: list[type[Rule]] = [
    *parse_error.RULES,
    *columns.RULES,
    *predicates.RULES,
    *nulls.RULES,
    *joins.RULES,
    *subqueries.RULES,
    *ordering.RULES,
    *grouping.RULES,
    *set_operations.RULES,
    *dml.RULES,
    *ddl_types.RULES,
    *ddl_keys.RULES,
    *ddl_indexes.RULES,
    *ddl_design.RULES,
    *PLAN_RULES,
]

__all__ = ["RULES"]
