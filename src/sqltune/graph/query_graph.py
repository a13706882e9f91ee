"""The QueryGraph: one statement as relations, joins, predicates and column roles.

Rules, the index advisor and the rewrites read a statement through this graph instead of re-walking the
syntax tree. It is a :class:`networkx.MultiDiGraph` whose nodes are *scopes* (the statement itself, CTEs,
derived tables, subqueries, UNION branches) and *relations* (base tables, CTE references, derived tables,
table functions), with typed edges:

- ``contains``: scope -> relation read in its FROM clause;
- ``defines``: relation -> the scope that computes it (a CTE reference or a derived table);
- ``nests``: scope -> subquery scope (with ``how``: ``in``, ``exists``, ``scalar``, ``lateral``, ...);
- ``join``: relation -> relation, with the :class:`Join` (kind, equi-join column pairs, other predicates).

Every column occurrence becomes a :class:`ColumnUse` with a :class:`ColumnRole`.

>>> from sqltune.core.sqlglot import parse_one
>>> graph = QueryGraph.build(parse_one(
...     "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
...     "WHERE o.status = 'open' AND c.email LIKE '%@x.org' ORDER BY o.created_at"))
>>> [(r.name, r.alias) for r in graph.base_tables()]
[('orders', 'o'), ('customers', 'c')]
>>> graph.joins[0].kind, [(a.column, b.column) for a, b in graph.joins[0].equi]
('inner', [('customer_id', 'id')])
>>> sorted((u.column.column, u.role.value) for u in graph.uses if u.role is not ColumnRole.PROJECTION)
... # doctest: +NORMALIZE_WHITESPACE
[('created_at', 'order_by'), ('customer_id', 'join_key'), ('email', 'like_wildcard'), ('id', 'join_key'),
 ('status', 'equality')]

The graph is made in a few modules, each with its own map: :mod:`~sqltune.graph.model` (the data types),
:mod:`~sqltune.graph.builder` (the walk over sqlglot's scopes), :mod:`~sqltune.graph.resolution` (which
relation a column reads), :mod:`~sqltune.graph.roles` (what a column occurrence does),
:mod:`~sqltune.graph.joins` (the joins of a scope) and :mod:`~sqltune.graph.export` (dict, JSON, DOT and the
networkx view). This module holds :class:`QueryGraph` and its queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqltune.core.display import Displayable
from sqltune.core.sqlglot import exp
from sqltune.graph.builder import GraphBuilder
from sqltune.graph.model import ColumnRef, ColumnRole, ColumnUse, Join, Relation, ScopeInfo
from sqltune.graph.resolution import ColumnResolver
from sqltune.schema import Schema, fold

if TYPE_CHECKING:  # networkx is imported on first use of the networkx view: it takes longer to import than
    import networkx as nx  # a warm, cached lint run takes in all

__all__ = ["ColumnRef", "ColumnRole", "ColumnUse", "Join", "QueryGraph", "Relation", "ScopeInfo"]


class QueryGraph(Displayable):
    """See the module documentation. Build with :meth:`build`."""

    def __init__(self, statement: exp.Expression, schema: Schema | None = None) -> None:
        self.statement = statement
        self.schema = schema or Schema()
        # Nodes and edges of the networkx view, materialised on first use of :attr:`graph` (most rules never
        # ask for it, and networkx bookkeeping was a tenth of the build time).
        self._nodes: list[tuple[str, dict[str, Any]]] = []
        self._edges: list[tuple[str, str, dict[str, Any]]] = []
        self._nx: nx.MultiDiGraph | None = None
        self._by_node: dict[int, ColumnUse] | None = None
        self.scopes: dict[str, ScopeInfo] = {}
        self.relations: dict[str, Relation] = {}
        self.joins: list[Join] = []
        self.uses: list[ColumnUse] = []
        self.ambiguous: list[tuple[exp.Column, tuple[str, ...]]] = []
        #: The table an INSERT, UPDATE or DELETE writes (for UPDATE/DELETE also a relation of the root scope).
        self.target: Relation | None = None
        self._scope_of: dict[int, ScopeInfo] = {}  # query node -> the first scope made for it
        self._resolver = ColumnResolver(self)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The statement as a :class:`networkx.MultiDiGraph` (typed nodes and edges, see the module docs)."""
        if self._nx is None:
            from sqltune.graph.export import to_networkx

            self._nx = to_networkx(self._nodes, self._edges)
        return self._nx

    @classmethod
    def build(cls, statement: exp.Expression, schema: Schema | None = None) -> QueryGraph:
        graph = cls(statement, schema)
        GraphBuilder(graph).build()
        return graph

    def resolve(self, column: exp.Column, scope_id: str) -> tuple[ColumnRef, str]:
        """The column's reference and the id of the scope whose relation provides it.

        Qualified columns match an alias or table name in this scope or an enclosing one (a correlation).
        Unqualified ones match the only relation that has such a column; where the schema cannot tell, the
        column stays unresolved and is recorded in :attr:`ambiguous` (a lone relation is taken on trust).
        """
        return self._resolver.resolve(column, scope_id)

    # -- queries --------------------------------------------------------------------------------------
    def base_tables(self) -> list[Relation]:
        return [r for r in self.relations.values() if r.kind == "table"]

    def scope_of(self, node: exp.Expression) -> ScopeInfo | None:
        """The scope whose query node is ``node`` (a SELECT, a UNION branch, an UPDATE/DELETE), or None.

        >>> from sqltune.core.sqlglot import parse_one
        >>> tree = parse_one("SELECT a FROM t WHERE b IN (SELECT b FROM u)")
        >>> graph = QueryGraph.build(tree)
        >>> graph.scope_of(tree).id, graph.scope_of(tree.find(exp.In).args["query"].this).kind
        ('s0', 'subquery')
        """
        found = self._scope_of.get(id(node))
        return found if found is not None and found.node is node else None

    def relations_in(self, scope_id: str) -> list[Relation]:
        return [self.relations[r] for r in self.scopes[scope_id].relations]

    def use_of_node(self, node: exp.Expression) -> ColumnUse | None:
        """The :class:`ColumnUse` of a column occurrence (an ``exp.Column`` of this statement), or None.

        >>> from sqltune.core.sqlglot import parse_one, exp
        >>> tree = parse_one("SELECT a FROM t WHERE b = 1")
        >>> QueryGraph.build(tree).use_of_node(tree.find(exp.EQ).this).role
        <ColumnRole.EQUALITY: 'equality'>
        """
        if self._by_node is None:
            self._by_node = {id(use.node): use for use in self.uses}
        return self._by_node.get(id(node))

    def uses_with(self, *roles: ColumnRole) -> Iterator[ColumnUse]:
        wanted = set(roles)
        return (use for use in self.uses if use.role in wanted)

    def uses_of(self, table: str, column: str | None = None) -> list[ColumnUse]:
        key = fold(table)
        return [
            use
            for use in self.uses
            if use.column.table is not None
            and (fold(use.column.table) == key or fold(use.column.table).endswith("." + key))
            and (column is None or fold(use.column.column) == fold(column))
        ]

    def join_components(self, scope_id: str) -> list[set[str]]:
        """Groups of relations of one scope connected by joins; more than one group is a cartesian product."""
        import networkx as nx

        relations = self.scopes[scope_id].relations
        connected: nx.Graph = nx.Graph()
        connected.add_nodes_from(relations)
        for join in self.joins:
            if join.left in connected and join.right in connected:
                connected.add_edge(join.left, join.right)
        return [set(component) for component in nx.connected_components(connected)]

    # -- export ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        from sqltune.graph.export import to_dict

        return to_dict(self)

    def to_json(self, **kwargs: Any) -> str:
        from sqltune.graph.export import to_json

        return to_json(self, **kwargs)

    def to_dot(self) -> str:
        """Graphviz DOT text: scopes as boxes, relations as ellipses, joins labelled with their keys."""
        from sqltune.graph.export import to_dot

        return to_dot(self)
