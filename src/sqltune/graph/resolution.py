"""Column resolution: which relation of a :class:`~sqltune.graph.QueryGraph` a column occurrence reads.

- :class:`ColumnResolver` answers :meth:`QueryGraph.resolve <sqltune.graph.QueryGraph.resolve>`. Per scope,
  once, it indexes the relations by qualifier (alias, table name and its last part) and by known column
  names (:meth:`ColumnResolver.relation_columns`: a table's columns in the schema, a CTE's or derived table's
  outputs). A qualified column matches a qualifier of its scope or of an enclosing one (a correlation); an
  unqualified one the only relation known to have it. Columns the schema cannot place are recorded in the
  graph's ``ambiguous`` list.
- The builder (:mod:`sqltune.graph.builder`) fills :attr:`ColumnResolver.merged` (``USING`` and ``NATURAL``
  join columns) and :attr:`ColumnResolver.forced` (``UPDATE ... SET`` targets) before it resolves anything.
- :func:`column_ref` makes the :class:`~sqltune.graph.model.ColumnRef` of a column of a relation.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqltune.core.sqlglot import exp
from sqltune.graph.model import ColumnRef, Relation
from sqltune.schema import fold

if TYPE_CHECKING:
    from sqltune.graph.query_graph import QueryGraph

__all__ = ["ColumnResolver", "column_ref"]


@dataclass(frozen=True, slots=True)
class _ScopeIndex:
    qualifiers: dict[str, Relation]  # alias, table name and its last part -> the first relation so named
    #: Relations whose columns are known (schema, CTE/derived outputs), in FROM order, with those columns. An
    #: unqualified name is tested against each (a handful) rather than indexing every column of every table.
    known: list[tuple[Relation, AbstractSet[str]]]
    unknown: list[Relation]  # relations whose columns are unknown
    count: int


def column_ref(relation: Relation, name: str) -> ColumnRef:
    """The reference to column ``name`` of ``relation`` (with the base table's qualified name when known)."""
    table = (
        relation.table.qualified_name
        if relation.table is not None
        else (relation.name if relation.kind == "table" else None)
    )
    return ColumnRef(relation.id, table, name)


class ColumnResolver:
    """Resolves the columns of one graph; its per-scope indexes are built on first use, after the relations."""

    def __init__(self, graph: QueryGraph) -> None:
        self.graph = graph
        #: Per scope: USING / NATURAL column name -> the relation an unqualified reference means.
        self.merged: dict[str, dict[str, Relation]] = {}
        #: Columns whose relation is known from the syntax (UPDATE ... SET target = ...), by node id.
        self.forced: dict[int, Relation] = {}
        self._candidates: dict[str, list[tuple[Relation, str, str, AbstractSet[str] | None]]] = {}
        self._indexes: dict[str, _ScopeIndex] = {}
        self._ambiguous_ids: set[int] = set()

    def relation_columns(self, relation: Relation) -> AbstractSet[str] | None:
        """The folded column names of a relation, when known (a live view of a table's columns: no copy)."""
        if relation.table is not None and relation.table.columns:
            return relation.table.columns.keys()
        if relation.defined_by is not None:
            outputs = self.graph.scopes[relation.defined_by].outputs
            return frozenset(outputs) if outputs and "*" not in outputs else None
        return None

    def candidates(self, scope_id: str) -> list[tuple[Relation, str, str, AbstractSet[str] | None]]:
        """Per scope, once: each relation with its folded alias, folded name and known column names."""
        cached = self._candidates.get(scope_id)
        if cached is None:
            graph = self.graph
            cached = [
                (relation, relation.alias.lower(), relation.name.lower(), self.relation_columns(relation))
                for relation in (graph.relations[r] for r in graph.scopes[scope_id].relations)
            ]
            self._candidates[scope_id] = cached
        return cached

    def _index(self, scope_id: str) -> _ScopeIndex:
        """Per scope, once: relations by qualifier and by known column name, for O(1) resolution."""
        index = self._indexes.get(scope_id)
        if index is None:
            candidates = self.candidates(scope_id)
            qualifiers: dict[str, Relation] = {}
            known: list[tuple[Relation, AbstractSet[str]]] = []
            unknown: list[Relation] = []
            for relation, alias, table_name, columns in candidates:
                for qualifier in (alias, table_name, table_name.rsplit(".", 1)[-1]):
                    qualifiers.setdefault(qualifier, relation)
                if columns is None:
                    unknown.append(relation)
                else:
                    known.append((relation, columns))
            index = self._indexes[scope_id] = _ScopeIndex(qualifiers, known, unknown, len(candidates))
        return index

    def resolve(self, column: exp.Column, scope_id: str) -> tuple[ColumnRef, str]:
        """See :meth:`QueryGraph.resolve <sqltune.graph.QueryGraph.resolve>`."""
        forced = self.forced.get(id(column))
        if forced is not None:
            return column_ref(forced, column.name), forced.scope
        qualifier = column.table.lower()
        name = column.name
        key = name.lower()
        current: str | None = scope_id
        while current is not None:
            index = self._index(current)
            if qualifier:
                relation = index.qualifiers.get(qualifier)
                if relation is not None:
                    return column_ref(relation, name), current
            else:
                merged = self.merged.get(current)
                if merged and fold(name) in merged:
                    return column_ref(merged[fold(name)], name), current
                matches = [relation for relation, columns in index.known if key in columns]
                if len(matches) == 1:
                    return column_ref(matches[0], name), current
                if len(matches) > 1:
                    self._ambiguous(column, tuple(r.alias for r in matches))
                    return ColumnRef(None, None, name), current
                unknown = index.unknown
                if unknown and current == scope_id:
                    if len(unknown) == 1 and index.count == 1:
                        return column_ref(unknown[0], name), current
                    self._ambiguous(column, tuple(r.alias for r in unknown))
                    return ColumnRef(None, None, name), current
            current = self.graph.scopes[current].parent
        return ColumnRef(None, None, name), scope_id

    def _ambiguous(self, column: exp.Column, candidates: tuple[str, ...]) -> None:
        if id(column) not in self._ambiguous_ids:
            self._ambiguous_ids.add(id(column))
            self.graph.ambiguous.append((column, candidates))

    def provides(self, scope_id: str, key: str) -> bool:
        """Whether the schema proves that a relation of the scope has a column ``key``."""
        return any(c[3] is not None and key in c[3] for c in self.candidates(scope_id))
