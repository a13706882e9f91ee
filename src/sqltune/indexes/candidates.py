"""Index candidates read from the QueryGraphs of a workload, not guessed from column lists.

For each base table a query reads, the columns it uses are grouped by role: equality (``=``, ``IN``), range
(``<``, ``BETWEEN``, ``LIKE 'abc%'``), join keys, and ORDER BY / GROUP BY. Candidates follow the classic
B-tree rule — equality columns first, then one range column, then ordering columns — plus:

- join-key indexes (alone, and after the equality columns);
- covering indexes: the key plus ``INCLUDE`` of the other columns the query reads from the table, so an
  index-only scan can answer it (only when those are few);
- partial indexes for constant equality predicates on low-cardinality columns (``WHERE status = 'open'``);
- expression indexes for non-sargable predicates the query cannot avoid (``lower(email) = ...``);
- BRIN indexes for range predicates on columns whose physical order follows their values (correlation).

Candidates equal to an existing index, or a left prefix of one, are dropped: the existing index already
serves them.

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.graph import QueryGraph
>>> query = WorkloadQuery("q", "", QueryGraph.build(parse_one(
...     "SELECT id FROM orders WHERE customer_id = 7 AND created_at > now() - interval '1 day'")))
>>> [str(c) for c in generate_candidates([query], max_width=2)[:3]]
['orders(customer_id)', 'orders(customer_id, created_at)', 'orders(created_at)']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqltune.core.sqlglot import exp
from sqltune.graph import ColumnRole, ColumnUse
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.schema import Schema, Table, fold

__all__ = ["TableUsage", "already_served", "covering_variant", "expression_of", "generate_candidates", "table_usages"]

_EQUALITY = {ColumnRole.EQUALITY, ColumnRole.IN_LIST, ColumnRole.IS_NULL}
_RANGE = {ColumnRole.RANGE, ColumnRole.LIKE_PREFIX}
_ORDERING = {ColumnRole.ORDER_BY, ColumnRole.GROUP_BY}
#: A partial index is proposed for a constant equality on a column with at most this many distinct values.
PARTIAL_MAX_DISTINCT = 20
#: BRIN needs physical order to follow the values closely.
BRIN_MIN_CORRELATION = 0.9
#: Tables smaller than this (rows, when statistics say so) are not worth indexing.
MIN_ROWS = 1000
#: Covering candidates INCLUDE at most this many extra columns.
MAX_INCLUDE = 3


@dataclass(slots=True)
class TableUsage:
    """How one query uses one table: the columns per role, in the order they appear."""

    table: str
    equality: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    join: list[str] = field(default_factory=list)
    ordering: list[str] = field(default_factory=list)
    read: list[str] = field(default_factory=list)  # every column the query reads from the table
    constants: dict[str, str] = field(default_factory=dict)  # column -> SQL of the constant it equals
    expressions: list[str] = field(default_factory=list)  # non-sargable filter expressions (SQL)
    alternatives: list[str] = field(default_factory=list)  # columns filtered in one branch of an OR
    reads_all: bool = False  # SELECT * / t.*: no index covers the query

    def add(self, target: list[str], column: str) -> None:
        if column not in target:
            target.append(column)

    @property
    def filtered(self) -> list[str]:
        return [*self.equality, *(c for c in self.range if c not in self.equality)]


def expression_of(use: ColumnUse) -> str | None:
    """The expression wrapping a column in a non-sargable comparison (``lower(email)``), as SQL."""
    predicate = use.predicate
    if predicate is None or not isinstance(predicate, exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
        return None
    for side in (predicate.this, predicate.expression):
        columns = list(side.find_all(exp.Column))
        if isinstance(side, exp.Func) and len(columns) == 1 and columns[0] is use.node:
            stripped = side.copy()
            for column in stripped.find_all(exp.Column):
                column.set("table", None)
            return str(stripped.sql(dialect="postgres"))
    return None


def table_usages(query: WorkloadQuery) -> dict[str, TableUsage]:
    """Per base table of the query (folded qualified name), how the query uses it."""
    graph = query.graph
    usages: dict[str, TableUsage] = {}
    for use in graph.uses:
        relation = graph.relations.get(use.column.relation or "")
        if relation is None or relation.kind != "table":
            continue
        table = fold(relation.table.qualified_name if relation.table else relation.name)
        usage = usages.setdefault(table, TableUsage(table))
        column = fold(use.column.column)
        usage.add(usage.read, column)
        if use.role.is_filter and not use.sargable:
            expression = expression_of(use)
            if expression:
                usage.add(usage.expressions, expression)
            continue
        shape = _predicate_context(use) if use.role.is_filter else ""
        if shape == "negated":
            continue  # NOT IN, NOT (a = 1): an index on the column does not find the rows
        if shape == "disjunct" and use.role.is_filter:
            usage.add(usage.alternatives, column)  # a = 1 OR b = 2: each column alone, never one key
            continue
        if use.role in _EQUALITY and use.clause in ("where", "on"):
            usage.add(usage.equality, column)
            if use.role is ColumnRole.EQUALITY and isinstance(use.value, exp.Literal):
                usage.constants[column] = use.value.sql(dialect="postgres")
        elif use.role in _RANGE and use.clause in ("where", "on"):
            usage.add(usage.range, column)
        elif use.role is ColumnRole.JOIN_KEY:
            usage.add(usage.join, column)
        elif use.role in _ORDERING:
            usage.add(usage.ordering, column)
    for relation in graph.base_tables():
        found = usages.get(fold(relation.table.qualified_name if relation.table else relation.name))
        scope = graph.scopes.get(relation.scope)
        if found is not None and scope is not None and isinstance(scope.node, exp.Select):
            for projection in scope.node.expressions:
                star = projection if isinstance(projection, exp.Star) else None
                if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                    star = projection if fold(projection.table) == fold(relation.alias) else None
                if star is not None:
                    found.reads_all = True
    return usages


def _predicate_context(use: ColumnUse) -> str:
    """``"negated"`` under a NOT, ``"disjunct"`` inside one branch of an OR, else ``""``."""
    node = use.predicate if use.predicate is not None else use.node
    while node is not None and not isinstance(node, exp.Where | exp.Join | exp.Having | exp.Query):
        if isinstance(node, exp.Not) or (isinstance(node, exp.In | exp.Like | exp.Is) and node.args.get("negate")):
            return "negated"
        if isinstance(node, exp.Or):
            return "disjunct"
        node = node.parent
    return ""


def _distinct(table: Table | None, column: str) -> float | None:
    col = table.column(column) if table else None
    return col.stats.distinct if col is not None and col.stats is not None else None


def _by_selectivity(columns: Sequence[str], table: Table | None) -> list[str]:
    """Most selective (most distinct values) first; written order where statistics are missing."""
    order = {c: i for i, c in enumerate(columns)}
    return sorted(columns, key=lambda c: (-(_distinct(table, c) or 0), order[c]))


def _key_candidates(usage: TableUsage, table: Table | None, max_width: int) -> list[tuple[str, ...]]:
    equality = _by_selectivity(usage.equality, table)
    keys: list[tuple[str, ...]] = []

    def add(*columns: str) -> None:
        key = tuple(dict.fromkeys(columns))[:max_width]
        if key and key not in keys:
            keys.append(key)

    for column in equality:
        add(column)
    if equality:
        add(*equality)
    for column in usage.range:
        add(*equality, column)
        add(column)
    for column in usage.join:
        add(column)
        if equality:
            add(*equality, column)
            add(column, *equality)
        for other in usage.join:
            if other != column:
                add(column, other)
    for column in usage.alternatives:
        add(column)
    if usage.ordering and not usage.join:
        add(*equality, *usage.ordering)
        add(*usage.ordering)
    return keys


def generate_candidates(
    queries: Iterable[WorkloadQuery],
    schema: Schema | None = None,
    max_width: int = 2,
    covering: bool = False,
) -> list[IndexSpec]:
    """Candidates for the workload, deduplicated, in a stable order (by first query that proposes them).

    ``covering`` adds INCLUDE variants of every key; the selection algorithm instead proposes those lazily,
    for indexes it has already chosen (see :func:`covering_variant`).
    """
    schema = schema or Schema()
    found: dict[IndexSpec, None] = {}
    columns_read: dict[str, set[str]] = defaultdict(set)
    for query in queries:
        for name, usage in table_usages(query).items():
            table = schema.table(name)
            rows = table.stats.rows if table is not None and table.stats is not None else None
            if rows is not None and rows < MIN_ROWS:
                continue
            columns_read[name] |= set(usage.read)
            for key in _key_candidates(usage, table, max_width):
                found.setdefault(IndexSpec(name, key), None)
                rest = [c for c in usage.read if c not in key]
                if covering and 0 < len(rest) <= MAX_INCLUDE:
                    found.setdefault(IndexSpec(name, key, include=tuple(rest)), None)
            for expression in usage.expressions:
                found.setdefault(IndexSpec(name, (expression,)), None)
            for column, constant in usage.constants.items():
                distinct = _distinct(table, column)
                if distinct is not None and distinct <= PARTIAL_MAX_DISTINCT:
                    others = [c for c in usage.filtered + usage.join + usage.ordering if c != column]
                    if others:
                        found.setdefault(IndexSpec(name, (others[0],), where=f"{column} = {constant}"), None)
            for column in usage.range:
                col = table.column(column) if table else None
                correlation = col.stats.correlation if col is not None and col.stats is not None else None
                if correlation is not None and abs(correlation) >= BRIN_MIN_CORRELATION:
                    found.setdefault(IndexSpec(name, (column,), method="brin"), None)
    return [spec for spec in found if not already_served(spec, schema)]


def covering_variant(spec: IndexSpec, usage: TableUsage) -> IndexSpec | None:
    """``spec`` with INCLUDE of the other columns ``usage`` reads, when that makes an index-only scan possible."""
    if usage.reads_all:
        return None
    rest = tuple(c for c in usage.read if c not in map(fold, spec.columns) and c not in spec.include)
    if not rest or len(rest) + len(spec.include) > MAX_INCLUDE or spec.method != "btree" or spec.where:
        return None
    return IndexSpec(spec.table, spec.columns, include=(*spec.include, *rest))


def already_served(spec: IndexSpec, schema: Schema) -> bool:
    """True when an existing index of ``schema`` has ``spec``'s key as a left prefix (and its INCLUDEs)."""
    table = schema.table(spec.table)
    if table is None:
        return False
    for index in table.effective_indexes():
        existing = IndexSpec(spec.table, tuple(index.columns), where=index.where, method=index.method.lower())
        if (existing.covers_prefix(spec) or spec.matches(index)) and set(spec.include) <= set(
            map(fold, (*index.columns, *index.include))
        ):
            return True
    return False
