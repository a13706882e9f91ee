"""Joins: the :class:`~sqltune.graph.model.Join` records of a scope, for the builder.

- :func:`merge_join_columns`: the columns ``JOIN ... USING (k)`` and ``NATURAL JOIN`` share, each with the
  relation on its left (:func:`_using_left`), which is also what an unqualified ``k`` means in the scope (the
  column resolver's ``merged`` map);
- :func:`add_joins`, once the scope's columns are classified: one :class:`Join` per pair of relations, from
  equalities between columns of two relations (an equality within one relation becomes a filter), from
  ``USING`` / ``NATURAL`` columns, from correlated ``LATERAL`` relations (:func:`_referenced_from`) and from
  explicit joins without an equality (``CROSS JOIN``, ``ON a < b``), each with a ``join`` edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from sqltune.core.sqlglot import exp
from sqltune.graph.model import ColumnRole, ColumnUse, Join, Relation, ScopeInfo
from sqltune.graph.resolution import ColumnResolver, column_ref
from sqltune.schema import fold

if TYPE_CHECKING:
    from sqltune.graph.query_graph import QueryGraph

__all__ = ["SharedColumn", "add_joins", "merge_join_columns"]


class SharedColumn(NamedTuple):
    """A column that ``JOIN ... USING`` or ``NATURAL JOIN`` shares between two relations of a scope."""

    left: Relation
    right: Relation
    name: str
    identifier: exp.Expression | None  # the USING identifier; None for NATURAL
    join: exp.Join


def merge_join_columns(graph: QueryGraph, resolver: ColumnResolver, info: ScopeInfo) -> list[SharedColumn]:
    """``JOIN ... USING (k)`` and ``NATURAL JOIN``: record each shared column with the relation on its left,
    which is also what an unqualified ``k`` means in this scope."""
    found: list[SharedColumn] = []
    merged: dict[str, Relation] = {}
    for position, relation_id in enumerate(info.relations):
        relation = graph.relations[relation_id]
        join = relation.node.parent if isinstance(relation.node.parent, exp.Join) else None
        if join is None or position == 0:
            continue
        using = join.args.get("using")
        shared: list[tuple[str, exp.Expression | None]] = []
        if using:
            for item in using:
                identifier = item.this if isinstance(item, exp.Column) else item
                if isinstance(identifier, exp.Identifier):
                    shared.append((identifier.name, identifier))
        elif (join.method or "").lower() == "natural":
            right_columns = resolver.relation_columns(relation) or frozenset()
            earlier = set().union(
                *(resolver.relation_columns(graph.relations[r]) or () for r in info.relations[:position])
            )
            shared = [(name, None) for name in sorted(right_columns & earlier)]
        for name, identifier in shared:
            left = _using_left(graph, resolver, info, position, fold(name))
            if left is None:
                continue
            found.append(SharedColumn(left, relation, name, identifier, join))
            merged.setdefault(fold(name), left)
    if merged:
        resolver.merged[info.id] = merged
    return found


def _using_left(
    graph: QueryGraph, resolver: ColumnResolver, info: ScopeInfo, position: int, key: str
) -> Relation | None:
    """The relation left of a USING join that provides ``key``: the leftmost one known to have it, else
    (without a schema) the leftmost one whose columns are unknown."""
    earlier = [graph.relations[r] for r in info.relations[:position]]
    for relation in earlier:
        columns = resolver.relation_columns(relation)
        if columns is not None and key in columns:
            return relation
    return next((r for r in earlier if resolver.relation_columns(r) is None), None)


def add_joins(graph: QueryGraph, info: ScopeInfo, scope_uses: list[ColumnUse], shared: Iterable[SharedColumn]) -> None:
    """The joins of one scope, from its column uses (``scope_uses``) and its USING / NATURAL columns."""
    by_pair: dict[tuple[str, str], Join] = {}
    position = {relation_id: index for index, relation_id in enumerate(info.relations)}
    uses = {id(u.node): u for u in scope_uses}

    def join_of(first: str, second: str) -> Join:
        left, right = sorted((first, second), key=position.__getitem__)
        join = by_pair.get((left, right))
        if join is None:
            later = graph.relations[right]
            kind = "inner" if later.join_kind in ("from", "comma") else later.join_kind
            join_node = later.node.parent if isinstance(later.node.parent, exp.Join) else None
            join = by_pair[(left, right)] = Join(left, right, kind, node=join_node)
        return join

    for use in scope_uses:
        if use.role is not ColumnRole.JOIN_KEY or not isinstance(use.predicate, exp.EQ):
            continue
        other = use.value
        other_use = uses.get(id(other))
        left, right = use.column.relation, other_use.column.relation if other_use else None
        if other_use is None or (left is not None and left == right):
            use.role = ColumnRole.FILTER  # column vs column of one relation: not a join
            continue
        if left is None or right is None:
            continue  # unresolved without a schema: still a join key, but no edge to draw
        if left not in position or right not in position:
            continue  # a correlation with an outer scope, not a join of this scope
        if use.predicate.this is not use.node:
            continue  # record each predicate once, from its left operand
        join = join_of(left, right)
        pair = (use.column, other_use.column) if join.left == left else (other_use.column, use.column)
        join.equi.append(pair)
    for left_relation, right_relation, name, identifier, join_node in shared:
        join = join_of(left_relation.id, right_relation.id)
        pair = (column_ref(left_relation, name), column_ref(right_relation, name))
        join.equi.append(pair if join.left == left_relation.id else (pair[1], pair[0]))
        for ref in pair:
            node = exp.Column(this=identifier.copy() if identifier is not None else exp.to_identifier(name))
            use = ColumnUse(ref, ColumnRole.JOIN_KEY, info.id, node, join_node, True, None, "using")
            graph.uses.append(use)
            scope_uses.append(use)
    for relation_id in info.relations[1:]:  # LATERAL derived tables and table functions over earlier relations
        relation = graph.relations[relation_id]
        defined = graph.scopes[relation.defined_by] if relation.defined_by is not None else None
        if defined is None or not defined.correlated or any(relation_id in k for k in by_pair):
            continue
        referenced = _referenced_from(graph, defined.id, position)
        if referenced:
            left = min((r for r in referenced if r != relation_id), key=position.__getitem__, default=None)
            if left is not None and position[left] < position[relation_id]:
                kind = relation.join_kind if relation.join_kind not in ("from", "comma") else "inner"
                join_node = relation.node.parent if isinstance(relation.node.parent, exp.Join) else None
                join = Join(left, relation_id, kind, node=join_node)
                on = join_node.args.get("on") if join_node is not None else None
                if on is not None:
                    join.other.append(on)
                by_pair[(left, relation_id)] = join
    for relation_id in info.relations:  # explicit joins without an equality: CROSS JOIN, ON a < b, NATURAL
        relation = graph.relations[relation_id]
        join_node = relation.node.parent if isinstance(relation.node.parent, exp.Join) else None
        if join_node is None or any(relation_id in k for k in by_pair):
            continue
        on = join_node.args.get("on")
        natural = (join_node.method or "").lower() == "natural"
        if relation.join_kind == "cross" or on is not None or join_node.args.get("using") or natural:
            first = info.relations[0]
            join = Join(first, relation_id, relation.join_kind, node=join_node)
            if on is not None:
                join.other.append(on)
            by_pair[(first, relation_id)] = join
    for join in by_pair.values():
        graph.joins.append(join)
        graph._edges.append((join.left, join.right, dict(type="join", kind=join.kind, join=join)))


def _referenced_from(graph: QueryGraph, scope_id: str, relations: dict[str, int]) -> set[str]:
    """Relations among ``relations`` that columns inside ``scope_id`` (or scopes nested in it) refer to."""
    found: set[str] = set()
    for use in graph.uses:
        relation = use.column.relation
        if relation is None or relation not in relations:
            continue
        current: str | None = use.scope
        while current is not None and current != scope_id:
            current = graph.scopes[current].parent
        if current == scope_id:
            found.add(relation)
    return found
