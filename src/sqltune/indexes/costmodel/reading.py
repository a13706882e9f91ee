"""Reading a query graph into :class:`~sqltune.indexes.costmodel.facts.QueryFacts`.

- :func:`read_query`: every base table relation the statement reads (an INSERT's target is written, not
  read), with its size (:mod:`~sqltune.indexes.costmodel.stats`), its filters' selectivities
  (:mod:`~sqltune.indexes.costmodel.selectivity`), the columns it reads, its join columns, and for a
  single-relation SELECT its ORDER BY and the rows its LIMIT needs;
- :func:`existing_indexes`: the schema's own valid indexes (declared ones and those PRIMARY KEY and UNIQUE
  build), which are always available to the paths, as they are to the real planner;
- ``_streams``, ``_limit``, ``_order_by``, ``_selects_star``: the shape of the statement.

With ``LIMIT k``, ``k`` includes any OFFSET; a query with an aggregate, GROUP BY, DISTINCT or window function
does not stream, so its LIMIT is not costed.
"""

from __future__ import annotations

from sqltune.core.predicates import calls_aggregate, has_window
from sqltune.core.sqlglot import exp
from sqltune.graph import ColumnRole, QueryGraph, Relation
from sqltune.indexes.costmodel.facts import QueryFacts, RelationFacts
from sqltune.indexes.costmodel.selectivity import Predicate, combine, key, predicate
from sqltune.indexes.costmodel.settings import CostSettings
from sqltune.indexes.costmodel.stats import table_size
from sqltune.indexes.model import IndexSpec
from sqltune.schema import Schema, Table, fold

__all__ = ["existing_indexes", "read_query"]


def read_query(schema: Schema, settings: CostSettings, graph: QueryGraph) -> QueryFacts:
    """The facts the cost model needs about the statement of ``graph``."""
    relations: dict[str, RelationFacts] = {}
    for position, relation in enumerate(graph.relations.values()):
        if relation.kind != "table" or relation.join_kind == "target":
            continue  # an INSERT's target is written, not read
        name = fold(relation.table.qualified_name if relation.table else relation.name)
        table = schema.table(name) or relation.table
        rows, pages = table_size(settings, table)
        found = RelationFacts(relation.id, position, name, relation.alias or relation.name, table, rows, pages)
        found.reads_all = relation is graph.target or _selects_star(graph, relation)
        found.existing = existing_indexes(table, name)
        relations[relation.id] = found
    by_node = {id(use.node): use for use in graph.uses}
    predicates: dict[str, list[Predicate]] = {}
    for use in graph.uses:
        reader = relations.get(use.column.relation or "")
        if reader is None:
            continue
        column = key(use.column.column)
        reader.read.add(column)
        if use.role is ColumnRole.JOIN_KEY:
            other = by_node.get(id(use.value)) if use.value is not None else None
            if other is not None and other.column.relation not in (None, reader.id):
                keys = reader.joins.setdefault(str(other.column.relation), [])
                if column not in keys:
                    keys.append(column)
            continue
        if use.role.is_filter and use.clause in ("where", "on"):
            predicates.setdefault(reader.id, []).append(predicate(reader, use, column))
    for relation_id, filters in predicates.items():
        combine(relations[relation_id], filters)
    facts = QueryFacts(list(relations.values()), single=len(relations) == 1)
    statement = graph.statement
    if facts.single and isinstance(statement, exp.Select):
        only = facts.relations[0]
        only.order = _order_by(graph, only.id)
        facts.sorted = bool(statement.args.get("order"))
        facts.limit = _limit(statement) if _streams(statement) else None
    return facts


def existing_indexes(table: Table | None, name: str) -> list[IndexSpec]:
    """The schema's valid indexes (declared, and those keys build) as specs the paths can use."""
    if table is None:
        return []
    return [
        IndexSpec(
            name, tuple(index.columns), tuple(index.include), index.where or None, (index.method or "btree").lower()
        )
        for index in table.effective_indexes()
        if index.valid and index.columns
    ]


def _selects_star(graph: QueryGraph, relation: Relation) -> bool:
    node = graph.scopes[relation.scope].node if relation.scope in graph.scopes else None
    if not isinstance(node, exp.Select):
        return False
    for projection in node.expressions:
        if isinstance(projection, exp.Star):
            return True
        star = isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        if star and fold(projection.table) in (fold(relation.alias), fold(relation.name)):
            return True
    return False


def _streams(select: exp.Select) -> bool:
    """True when the SELECT can stop after LIMIT rows: no aggregate, GROUP BY, DISTINCT or window to finish."""
    if select.args.get("group") or select.args.get("distinct") or select.args.get("having"):
        return False
    return not any(calls_aggregate(node) or has_window(node) for node in select.expressions)


def _limit(statement: exp.Expression) -> float | None:
    """Rows the query needs from its scan: ``LIMIT k`` plus any ``OFFSET``; None without a constant LIMIT."""
    limit = _count(statement.args.get("limit"))
    if limit is None:
        return None
    return limit + (_count(statement.args.get("offset")) or 0.0)


def _count(clause: exp.Expression | None) -> float | None:
    value = clause.expression if isinstance(clause, exp.Limit | exp.Offset) else None
    if isinstance(value, exp.Literal) and not value.is_string and value.name.isdigit():
        return float(value.name)
    return None


def _order_by(graph: QueryGraph, relation_id: str) -> tuple[str, ...]:
    """The ORDER BY columns, when they are plain columns of the relation sorted in one direction."""
    order = graph.statement.args.get("order")
    if not isinstance(order, exp.Order) or not order.expressions:
        return ()
    uses = {id(use.node): use for use in graph.uses if use.role is ColumnRole.ORDER_BY}
    columns: list[str] = []
    directions = set()
    for item in order.expressions:
        node = item.this if isinstance(item, exp.Ordered) else item
        use = uses.get(id(node))
        if use is None or use.column.relation != relation_id:
            return ()
        directions.add(bool(item.args.get("desc")) if isinstance(item, exp.Ordered) else False)
        columns.append(key(use.column.column))
    return tuple(columns) if len(directions) == 1 else ()
