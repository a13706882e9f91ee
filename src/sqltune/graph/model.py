"""The plain data types of a :class:`~sqltune.graph.QueryGraph`, with no behaviour beyond a property or two.

- :class:`ColumnRole`: what a column occurrence does (equality filter, range, join key, GROUP BY, ...);
- :class:`ColumnRef`: a column qualified as far as the schema allows (relation id, base table, name);
- :class:`Relation`: a table, CTE reference, derived table or table function read in a FROM clause;
- :class:`Join`: two relations of one scope, the join kind, equi-join column pairs and other predicates;
- :class:`ScopeInfo`: a scope (the statement, a CTE, a derived table, a subquery, a UNION branch);
- :class:`ColumnUse`: one column occurrence with its role, clause and predicate.

The builder (:mod:`sqltune.graph.builder`) makes them; the rules and advisors read them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqltune.core.sqlglot import exp
from sqltune.schema import Table

__all__ = ["ColumnRef", "ColumnRole", "ColumnUse", "Join", "Relation", "ScopeInfo"]


class ColumnRole(enum.Enum):
    EQUALITY = "equality"  # col = constant
    RANGE = "range"  # <, <=, >, >=, BETWEEN
    IN_LIST = "in_list"  # col IN (...), col IN (SELECT ...)
    LIKE_PREFIX = "like_prefix"  # LIKE 'abc%'
    LIKE_WILDCARD = "like_wildcard"  # LIKE '%abc'
    IS_NULL = "is_null"  # IS [NOT] NULL
    FILTER = "filter"  # any other predicate (<>, function of the column, column vs column of one relation)
    JOIN_KEY = "join_key"  # equality with a column of another relation
    GROUP_BY = "group_by"
    ORDER_BY = "order_by"
    PROJECTION = "projection"
    AGGREGATE = "aggregate"  # argument of an aggregate function
    WINDOW_PARTITION = "window_partition"
    WINDOW_ORDER = "window_order"
    ASSIGNMENT = "assignment"  # target or value of UPDATE ... SET

    @property
    def is_filter(self) -> bool:
        return self in _FILTER_ROLES


_FILTER_ROLES = frozenset(
    {
        ColumnRole.EQUALITY,
        ColumnRole.RANGE,
        ColumnRole.IN_LIST,
        ColumnRole.LIKE_PREFIX,
        ColumnRole.LIKE_WILDCARD,
        ColumnRole.IS_NULL,
        ColumnRole.FILTER,
    }
)


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A column qualified as far as the schema allows: its relation in the graph and its base table."""

    relation: str | None  # relation id ("r3"), None when unresolved
    table: str | None  # base table's qualified name when the relation is a table
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}" if self.table else self.column


@dataclass(slots=True)
class Relation:
    id: str
    kind: str  # "table", "cte", "derived", "function", "values"
    name: str  # table or CTE name; alias for derived tables
    alias: str
    scope: str  # the scope whose FROM reads it
    node: exp.Expression
    table: Table | None = None  # schema entry, for base tables the schema knows
    defined_by: str | None = None  # scope id of a CTE body or derived table
    join_kind: str = "from"  # how it enters its scope: "from", "inner", "left", "right", "full", "cross", ...


@dataclass(slots=True)
class Join:
    left: str
    right: str
    kind: str  # "inner", "left", "right", "full", "cross", "semi", "anti"
    equi: list[tuple[ColumnRef, ColumnRef]] = field(default_factory=list)
    other: list[exp.Expression] = field(default_factory=list)
    node: exp.Expression | None = None  # the JOIN clause, when written as one


@dataclass(slots=True)
class ScopeInfo:
    id: str
    kind: str  # "root", "cte", "derived", "subquery", "union", "lateral", "udtf"
    node: exp.Expression
    parent: str | None
    how: str = ""  # for subqueries: "in", "exists", "scalar", "any", "all", "lateral"
    correlated: bool = False
    relations: list[str] = field(default_factory=list)
    outputs: tuple[str, ...] = ()  # folded output column names


@dataclass(slots=True)
class ColumnUse:
    column: ColumnRef
    role: ColumnRole
    scope: str
    node: exp.Column  # the column occurrence
    predicate: exp.Expression | None = None  # the comparison or clause item it takes part in
    sargable: bool = True  # False when a function, cast or arithmetic wraps the column in a predicate
    value: exp.Expression | None = None  # the constant side of a filter, when there is one
    clause: str = ""  # "where", "on", "having", "group", "order", "select", "qualify", "set", ...
