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
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqltune.core.sqlglot import Scope, exp, traverse_scope
from sqltune.schema import Schema, Table, fold

if TYPE_CHECKING:  # networkx is imported on first use of the networkx view: it takes longer to import than
    import networkx as nx  # a warm, cached lint run takes in all

__all__ = ["ColumnRef", "ColumnRole", "ColumnUse", "Join", "QueryGraph", "Relation", "ScopeInfo"]


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


_COMPARISONS: dict[type[exp.Expression], ColumnRole] = {
    exp.EQ: ColumnRole.EQUALITY,
    exp.NullSafeEQ: ColumnRole.EQUALITY,
    exp.GT: ColumnRole.RANGE,
    exp.GTE: ColumnRole.RANGE,
    exp.LT: ColumnRole.RANGE,
    exp.LTE: ColumnRole.RANGE,
    exp.Between: ColumnRole.RANGE,
    exp.In: ColumnRole.IN_LIST,
    exp.Is: ColumnRole.IS_NULL,
    exp.NEQ: ColumnRole.FILTER,
    exp.NullSafeNEQ: ColumnRole.FILTER,
}
_PREDICATE_TYPES = (*_COMPARISONS, exp.Like, exp.ILike)
_CLAUSES = {"where", "having", "qualify", "group", "order", "expressions", "joins", "from_", "from", "limit"}
# Nodes between a column and its clause that do not change the column's value (a predicate over the column
# stays sargable through them).
_TRANSPARENT = (
    exp.Paren,
    exp.Alias,
    exp.Ordered,
    exp.Not,
    exp.Connector,
    exp.Where,
    exp.Having,
    exp.Qualify,
    exp.Group,
    exp.Order,
    exp.Join,
    exp.Tuple,
)
# What an ancestor of a column means for its role, by node class (computed once per class: the role walk
# runs for every column occurrence, and one dict lookup beats four isinstance tests per ancestor).
_PREDICATE, _WINDOW, _AGGREGATE, _TRANSPARENT_KIND, _OTHER = range(5)
_ANCESTOR_KINDS: dict[type[exp.Expression], int] = {}
_FILTER_CLAUSES = frozenset({"where", "on", "having", "qualify"})


def _ancestor_kind(node_type: type[exp.Expression]) -> int:
    if issubclass(node_type, _PREDICATE_TYPES):
        kind = _PREDICATE
    elif issubclass(node_type, exp.Window):
        kind = _WINDOW
    elif issubclass(node_type, exp.AggFunc):
        kind = _AGGREGATE
    elif issubclass(node_type, _TRANSPARENT):
        kind = _TRANSPARENT_KIND
    else:
        kind = _OTHER
    _ANCESTOR_KINDS[node_type] = kind
    return kind


# Clauses where an unqualified name may be an output alias rather than a table column.
_ALIAS_CLAUSES = frozenset({"order", "group", "having", "qualify"})


def _preorder(scopes: list[Scope]) -> list[Scope]:
    """sqlglot lists scopes children first; the graph numbers them parents first, siblings left to right, so
    that ids read in the order the SQL is written."""
    children: dict[int, list[Scope]] = {}
    kept = {id(scope) for scope in scopes}
    roots: list[Scope] = []
    for scope in scopes:
        if scope.parent is not None and id(scope.parent) in kept:
            children.setdefault(id(scope.parent), []).append(scope)
        else:
            roots.append(scope)
    ordered: list[Scope] = []
    stack = list(reversed(roots))
    while stack:
        scope = stack.pop()
        ordered.append(scope)
        stack.extend(reversed(children.get(id(scope), ())))
    return ordered


def _is_lateral_wrapper(scope: Scope) -> bool:
    """sqlglot's table-function scope around ``LATERAL (SELECT ...)``."""
    node = scope.expression
    return scope.is_udtf and isinstance(node, exp.Lateral) and isinstance(node.this, exp.Subquery)


def _output_columns(node: exp.Expression) -> dict[str, exp.Column | None]:
    """A SELECT's output names: the column each one projects, or None for any other expression."""
    if not isinstance(node, exp.Select):
        return {}
    outputs: dict[str, exp.Column | None] = {}
    for projection in node.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        name = projection.alias_or_name
        if name:
            column = inner if isinstance(inner, exp.Column) and not isinstance(inner.this, exp.Star) else None
            outputs.setdefault(fold(name), column)
    return outputs


def _is_constant(node: exp.Expression | None) -> bool:
    """Literals, parameters and expressions over them (``now() - interval '1 day'``): no column, no query."""
    if node is None:
        return False
    return all(not isinstance(child, exp.Column | exp.Query | exp.Subquery) for child in node.walk())


@dataclass(frozen=True, slots=True)
class _ScopeIndex:
    qualifiers: dict[str, Relation]  # alias, table name and its last part -> the first relation so named
    #: Relations whose columns are known (schema, CTE/derived outputs), in FROM order, with those columns. An
    #: unqualified name is tested against each (a handful) rather than indexing every column of every table.
    known: list[tuple[Relation, AbstractSet[str]]]
    unknown: list[Relation]  # relations whose columns are unknown
    count: int


class QueryGraph:
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
        self._scope_ids: dict[int, str] = {}
        self._scope_of: dict[int, ScopeInfo] = {}  # query node -> the first scope made for it
        self._resolution: dict[str, list[tuple[Relation, str, str, AbstractSet[str] | None]]] = {}
        self._indexes: dict[str, _ScopeIndex] = {}
        self._seen_columns: set[int] = set()
        self._ambiguous_ids: set[int] = set()
        self._scope_uses: dict[str, list[ColumnUse]] = {}
        # Per scope: USING / NATURAL column name -> the relation an unqualified reference means.
        self._merged: dict[str, dict[str, Relation]] = {}
        # Columns whose relation is known from the syntax (UPDATE ... SET target = ...).
        self._forced: dict[int, Relation] = {}
        self._pending_links: list[tuple[Relation, exp.Expression]] = []
        # (scope, left, right, column name, USING identifier or None for NATURAL, JOIN node)
        self._shared: list[tuple[str, Relation, Relation, str, exp.Expression | None, exp.Join]] = []

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The statement as a :class:`networkx.MultiDiGraph` (typed nodes and edges, see the module docs)."""
        if self._nx is None:
            import networkx as nx

            self._nx = nx.MultiDiGraph()
            self._nx.add_nodes_from(self._nodes)
            self._nx.add_edges_from(self._edges)
        return self._nx

    # -- construction ---------------------------------------------------------------------------------
    @classmethod
    def build(cls, statement: exp.Expression, schema: Schema | None = None) -> QueryGraph:
        graph = cls(statement, schema)
        graph._build()
        return graph

    def _new_scope(self, kind: str, node: exp.Expression, parent: str | None) -> ScopeInfo:
        info = ScopeInfo(f"s{len(self.scopes)}", kind, node, parent)
        self.scopes[info.id] = info
        self._scope_ids[id(node)] = info.id
        self._scope_of.setdefault(id(node), info)
        self._nodes.append((info.id, dict(type="scope", kind=kind)))
        return info

    def _build(self) -> None:
        dml = self._dml_scope()
        # sqlglot reports the FROM of UPDATE/DELETE/MERGE as extra root scopes holding a bare table or
        # derived table; those relations belong to the statement's own scope (see _dml_scope).
        scopes: list[Scope] = [
            scope
            for scope in traverse_scope(self.statement)
            if not (scope.parent is None and isinstance(scope.expression, exp.Table | exp.Subquery))
        ]
        ordered = _preorder(scopes)
        built: list[tuple[ScopeInfo, Scope]] = []
        for scope in ordered:
            parent = self._scope_ids.get(id(scope.parent.expression), dml) if scope.parent else dml
            if _is_lateral_wrapper(scope):
                # LATERAL (SELECT ...): sqlglot wraps the subquery in a table-function scope; the graph keeps
                # one "lateral" scope, which the derived relation is defined by.
                if parent is not None:
                    self._scope_ids[id(scope.expression)] = parent
                continue
            info = self._new_scope(self._scope_kind(scope, dml), scope.expression, parent)
            if scope.parent is not None and _is_lateral_wrapper(scope.parent):
                info.kind = "lateral"
                self._scope_ids[id(scope.parent.expression)] = info.id
            if parent is not None:
                if info.kind in ("subquery", "lateral", "udtf"):
                    info.how = self._subquery_how(scope.expression)
                self._edges.append((parent, info.id, dict(type="nests", how=info.how)))
            if isinstance(scope.expression, exp.Query):
                info.outputs = tuple(fold(name) for name in scope.expression.named_selects)
            self._add_relations(info, scope)
            built.append((info, scope))
        for info, scope in built:
            self._link_defined_relations(info, scope)
        for relation, node in self._pending_links:
            self._link(relation, self._scope_ids.get(id(node)))
        # Bottom-up (sqlglot's order), so that a subquery claims its correlated columns before the outer
        # scope sees them.
        by_scope = {id(scope): info for info, scope in built}
        for scope in scopes:
            owner = by_scope.get(id(scope))
            if owner is not None:
                self._add_uses(owner, self._scope_columns(scope))
                self._add_joins(owner)
        if dml is not None:
            self._add_uses(self.scopes[dml], self._dml_columns())
            self._add_joins(self.scopes[dml])
        if isinstance(self.statement, exp.Insert):
            self._insert_target()

    def _scope_kind(self, scope: Scope, dml: str | None) -> str:
        if scope.is_cte:
            return "cte"
        if scope.is_derived_table:
            return "lateral" if isinstance(scope.expression.parent, exp.Lateral) else "derived"
        if scope.is_set_operation:
            return "union"  # one branch of a UNION / INTERSECT / EXCEPT
        if scope.is_subquery:
            return "subquery"
        if scope.is_udtf:
            return "udtf"
        return "subquery" if dml is not None else "root"

    @staticmethod
    def _subquery_how(node: exp.Expression) -> str:
        if isinstance(node, exp.Lateral):
            return "lateral"
        parent = node.parent
        while isinstance(parent, exp.Subquery | exp.Paren):
            parent = parent.parent
        if isinstance(parent, exp.Exists):
            return "exists"
        if isinstance(parent, exp.In):
            return "in"
        if isinstance(parent, exp.Any):
            return "any"
        if isinstance(parent, exp.All):
            return "all"
        if isinstance(parent, exp.Lateral):
            return "lateral"
        return "scalar"

    def _dml_scope(self) -> str | None:
        """UPDATE and DELETE are not query scopes in sqlglot; give them one holding the target table."""
        statement = self.statement
        if not isinstance(statement, exp.Update | exp.Delete):
            return None
        info = self._new_scope("root", statement, None)
        tables = [statement.this] if isinstance(statement.this, exp.Table) else []
        extra = statement.args.get("from_") or statement.args.get("from") or statement.args.get("using")
        if isinstance(extra, exp.From):
            tables.append(extra.this)
        elif isinstance(extra, list):
            tables.extend(extra)
        for join in statement.args.get("joins") or ():
            tables.append(join.this)
        for node in tables:
            if isinstance(node, exp.Table):
                relation = self._add_relation(info, "table", node, node.alias_or_name)
                if self.target is None:
                    self.target = relation
            elif isinstance(node, exp.Subquery):
                relation = self._add_relation(info, "derived", node, node.alias_or_name)
                self._pending_links.append((relation, node.this))
        if isinstance(statement, exp.Update) and self.target is not None:
            for assignment in statement.expressions:
                if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                    self._forced[id(assignment.this)] = self.target
        return info.id

    def _insert_target(self) -> None:
        """The table an INSERT writes: a relation outside every FROM clause, reached by a ``writes`` edge."""
        into = self.statement.this
        table = into.this if isinstance(into, exp.Schema) else into
        if not isinstance(table, exp.Table):
            return
        first = next(iter(self.scopes.values()), None)
        root = first if first is not None else self._new_scope("root", self.statement, None)
        name = exp.table_name(table)
        relation = Relation(f"r{len(self.relations)}", "table", name, table.alias_or_name, root.id, table)
        relation.table = self.schema.table(name)
        relation.join_kind = "target"
        self.relations[relation.id] = relation
        self.target = relation
        self._nodes.append((relation.id, dict(type="relation", kind="table", name=name, alias=relation.alias)))
        self._edges.append((root.id, relation.id, dict(type="writes")))

    def _dml_columns(self) -> list[exp.Column]:
        """Columns of an UPDATE/DELETE outside its subqueries."""
        found: list[exp.Column] = []
        for node in self.statement.walk(prune=lambda n: isinstance(n, exp.Query) and n is not self.statement):
            if isinstance(node, exp.Column):
                found.append(node)
        return found

    def _scope_columns(self, scope: Scope) -> list[exp.Column]:
        """sqlglot's columns of a scope plus the unqualified HAVING / QUALIFY / ORDER BY columns it leaves out
        (it treats them as possible output aliases; :meth:`_add_uses` decides)."""
        columns = list(scope.columns)
        select = scope.expression
        if isinstance(select, exp.Select):
            for key in ("having", "qualify", "order"):
                clause = select.args.get(key)
                if clause is None:
                    continue
                for node in clause.walk(prune=lambda n: isinstance(n, exp.Query)):
                    if isinstance(node, exp.Column) and not node.table and id(node) not in self._seen_columns:
                        columns.append(node)
        return columns

    def _add_relation(
        self, info: ScopeInfo, kind: str, node: exp.Expression, alias: str, defined_by: str | None = None
    ) -> Relation:
        relation_id = f"r{len(self.relations)}"
        name = alias
        table = None
        if isinstance(node, exp.Table):
            name = exp.table_name(node) if kind == "table" else node.name
            table = self.schema.table(name) if kind == "table" else None
        relation = Relation(relation_id, kind, name, alias, info.id, node, table, defined_by)
        join = node.parent if isinstance(node.parent, exp.Join) else None
        if join is not None:
            relation.join_kind = self._join_kind(join)
        self.relations[relation_id] = relation
        info.relations.append(relation_id)
        self._nodes.append((relation_id, dict(type="relation", kind=kind, name=name, alias=alias)))
        self._edges.append((info.id, relation_id, dict(type="contains")))
        return relation

    @staticmethod
    def _join_kind(join: exp.Join) -> str:
        side, kind = (join.side or "").lower(), (join.kind or "").lower()
        if side in ("left", "right", "full"):
            return side
        if kind in ("cross", "semi", "anti"):
            return kind
        natural = (join.method or "").lower() == "natural"
        if kind == "inner" or natural or join.args.get("on") or join.args.get("using"):
            return "inner"
        return "comma"  # FROM a, b

    def _add_relations(self, info: ScopeInfo, scope: Scope) -> None:
        for alias, source in scope.selected_sources.items():
            node, target = source
            if isinstance(target, exp.Table):
                cte = alias in scope.cte_sources or (
                    isinstance(node, exp.Table) and node.name in scope.cte_sources and not node.db
                )
                self._add_relation(info, "cte" if cte else "table", target, alias)
            elif isinstance(node, exp.Table) and node.name in scope.cte_sources and not node.db:
                self._add_relation(info, "cte", node, alias)
            elif isinstance(target, Scope):
                if isinstance(target.expression, exp.Values):
                    kind = "values"
                elif target.is_udtf and not _is_lateral_wrapper(target):
                    kind = "function"  # LATERAL FLATTEN(...), UNNEST(...), generate_series(...)
                else:
                    kind = "derived"
                self._add_relation(info, kind, node, alias)
            else:
                self._add_relation(info, "function", node, alias)

    def _link_defined_relations(self, info: ScopeInfo, scope: Scope) -> None:
        for relation_id in info.relations:
            relation = self.relations[relation_id]
            source = scope.selected_sources.get(relation.alias)
            target = source[1] if source else None
            if relation.kind == "cte":
                cte_scope = scope.cte_sources.get(relation.name)
                target = cte_scope if cte_scope is not None else target
            if isinstance(target, Scope):
                self._link(relation, self._scope_ids.get(id(target.expression)))
        self._merge_join_columns(info)

    def _link(self, relation: Relation, defined: str | None) -> None:
        if defined is not None:
            relation.defined_by = defined
            self._edges.append((relation.id, defined, dict(type="defines")))

    def _merge_join_columns(self, info: ScopeInfo) -> None:
        """``JOIN ... USING (k)`` and ``NATURAL JOIN``: record each shared column with the relation on its left,
        which is also what an unqualified ``k`` means in this scope."""
        merged: dict[str, Relation] = {}
        for position, relation_id in enumerate(info.relations):
            relation = self.relations[relation_id]
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
                right_columns = self._relation_columns(relation) or frozenset()
                earlier = set().union(
                    *(self._relation_columns(self.relations[r]) or () for r in info.relations[:position])
                )
                shared = [(name, None) for name in sorted(right_columns & earlier)]
            for name, identifier in shared:
                left = self._using_left(info, position, fold(name))
                if left is None:
                    continue
                self._shared.append((info.id, left, relation, name, identifier, join))
                merged.setdefault(fold(name), left)
        if merged:
            self._merged[info.id] = merged

    def _using_left(self, info: ScopeInfo, position: int, key: str) -> Relation | None:
        """The relation left of a USING join that provides ``key``: the leftmost one known to have it, else
        (without a schema) the leftmost one whose columns are unknown."""
        earlier = [self.relations[r] for r in info.relations[:position]]
        for relation in earlier:
            columns = self._relation_columns(relation)
            if columns is not None and key in columns:
                return relation
        return next((r for r in earlier if self._relation_columns(r) is None), None)

    # -- column resolution ----------------------------------------------------------------------------
    def _relation_columns(self, relation: Relation) -> AbstractSet[str] | None:
        """The folded column names of a relation, when known (a live view of a table's columns: no copy)."""
        if relation.table is not None and relation.table.columns:
            return relation.table.columns.keys()
        if relation.defined_by is not None:
            outputs = self.scopes[relation.defined_by].outputs
            return frozenset(outputs) if outputs and "*" not in outputs else None
        return None

    def _candidates(self, scope_id: str) -> list[tuple[Relation, str, str, AbstractSet[str] | None]]:
        """Per scope, once: each relation with its folded alias, folded name and known column names."""
        cached = self._resolution.get(scope_id)
        if cached is None:
            cached = [
                (relation, relation.alias.lower(), relation.name.lower(), self._relation_columns(relation))
                for relation in (self.relations[r] for r in self.scopes[scope_id].relations)
            ]
            self._resolution[scope_id] = cached
        return cached

    def _index(self, scope_id: str) -> _ScopeIndex:
        """Per scope, once: relations by qualifier and by known column name, for O(1) resolution."""
        index = self._indexes.get(scope_id)
        if index is None:
            candidates = self._candidates(scope_id)
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
        """The column's reference and the id of the scope whose relation provides it.

        Qualified columns match an alias or table name in this scope or an enclosing one (a correlation).
        Unqualified ones match the only relation that has such a column; where the schema cannot tell, the
        column stays unresolved and is recorded in :attr:`ambiguous` (a lone relation is taken on trust).
        """
        forced = self._forced.get(id(column))
        if forced is not None:
            return self._ref(forced, column.name), forced.scope
        qualifier = column.table.lower()
        name = column.name
        key = name.lower()
        current: str | None = scope_id
        while current is not None:
            index = self._index(current)
            if qualifier:
                relation = index.qualifiers.get(qualifier)
                if relation is not None:
                    return self._ref(relation, name), current
            else:
                merged = self._merged.get(current)
                if merged and fold(name) in merged:
                    return self._ref(merged[fold(name)], name), current
                matches = [relation for relation, columns in index.known if key in columns]
                if len(matches) == 1:
                    return self._ref(matches[0], name), current
                if len(matches) > 1:
                    self._ambiguous(column, tuple(r.alias for r in matches))
                    return ColumnRef(None, None, name), current
                unknown = index.unknown
                if unknown and current == scope_id:
                    if len(unknown) == 1 and index.count == 1:
                        return self._ref(unknown[0], name), current
                    self._ambiguous(column, tuple(r.alias for r in unknown))
                    return ColumnRef(None, None, name), current
            current = self.scopes[current].parent
        return ColumnRef(None, None, name), scope_id

    def _ambiguous(self, column: exp.Column, candidates: tuple[str, ...]) -> None:
        if id(column) not in self._ambiguous_ids:
            self._ambiguous_ids.add(id(column))
            self.ambiguous.append((column, candidates))

    def _provides(self, scope_id: str, key: str) -> bool:
        """Whether the schema proves that a relation of the scope has a column ``key``."""
        return any(c[3] is not None and key in c[3] for c in self._candidates(scope_id))

    @staticmethod
    def _ref(relation: Relation, name: str) -> ColumnRef:
        table = (
            relation.table.qualified_name
            if relation.table is not None
            else (relation.name if relation.kind == "table" else None)
        )
        return ColumnRef(relation.id, table, name)

    # -- roles ----------------------------------------------------------------------------------------
    def _add_uses(self, info: ScopeInfo, columns: Iterable[exp.Column]) -> None:
        outputs: dict[str, exp.Column | None] | None = None  # computed for the first alias-clause column
        seen = self._seen_columns
        scope_uses = self._scope_uses.setdefault(info.id, [])
        correlatable = info.kind in ("subquery", "lateral", "derived", "cte", "udtf")
        for column in columns:
            # sqlglot lists a correlated column in its subquery's scope and again in the outer one.
            if id(column) in seen or not isinstance(column, exp.Column) or isinstance(column.this, exp.Star):
                continue
            seen.add(id(column))
            clause, role, predicate, sargable, value = self._role(column, info)
            target = column
            if clause in _ALIAS_CLAUSES and not column.table:
                if outputs is None:
                    outputs = _output_columns(info.node)
                projected = outputs.get(fold(column.name), column)
                if projected is column:
                    pass  # not an output name
                elif projected is None:
                    # An output alias of an expression (ORDER BY total, HAVING n > 1), unless in GROUP BY the
                    # schema proves a table column of that name, which GROUP BY prefers.
                    if clause != "group" or not self._provides(info.id, fold(column.name)):
                        continue
                else:
                    target = projected  # ORDER BY an output column: the use is of the column it projects
            ref, owner = self.resolve(target, info.id)
            if owner != info.id and correlatable:
                self._mark_correlated(info.id, owner)
            use = ColumnUse(ref, role, info.id, column, predicate, sargable, value, clause)
            self.uses.append(use)
            scope_uses.append(use)

    def _mark_correlated(self, scope_id: str, owner: str) -> None:
        current: str | None = scope_id
        while current is not None and current != owner:
            self.scopes[current].correlated = True
            current = self.scopes[current].parent

    def _role(
        self, column: exp.Column, info: ScopeInfo
    ) -> tuple[str, ColumnRole, exp.Expression | None, bool, exp.Expression | None]:
        wrapped = False
        predicate: exp.Expression | None = None
        role: ColumnRole | None = None
        value: exp.Expression | None = None
        window_role: ColumnRole | None = None
        aggregate = False
        child: exp.Expression = column
        node = column.parent
        stop = info.node
        kinds = _ANCESTOR_KINDS
        while node is not None and node is not stop:
            kind = kinds.get(type(node))
            if kind is None:
                kind = _ancestor_kind(type(node))
            if kind == _PREDICATE:
                if predicate is None:
                    predicate = node
                    role, value = self._predicate_role(node, child, wrapped)
            elif kind == _WINDOW and window_role is None:
                key = child.arg_key
                if key == "partition_by":
                    window_role = ColumnRole.WINDOW_PARTITION
                elif key == "order":
                    window_role = ColumnRole.WINDOW_ORDER
            elif kind == _AGGREGATE:
                aggregate = True
            elif predicate is None and kind != _TRANSPARENT_KIND:
                wrapped = True
            child, node = node, node.parent
        clause = child.arg_key if node is stop else ""
        if clause == "expressions" and isinstance(stop, exp.Update):
            clause = "set"
        elif clause == "joins":
            clause = "on"
        if window_role is not None:
            return clause, window_role, predicate, not wrapped, value
        if clause in _FILTER_CLAUSES:
            return clause, role if role is not None else ColumnRole.FILTER, predicate, not wrapped, value
        if clause == "group":
            return clause, ColumnRole.GROUP_BY, None, not wrapped, None
        if clause == "order":
            return clause, ColumnRole.ORDER_BY, None, not wrapped, None
        if clause == "set":
            return clause, ColumnRole.ASSIGNMENT, None, not wrapped, None
        if aggregate:
            return clause, ColumnRole.AGGREGATE, None, not wrapped, None
        return clause, ColumnRole.PROJECTION, None, not wrapped, None

    def _predicate_role(
        self, predicate: exp.Expression, operand: exp.Expression, wrapped: bool
    ) -> tuple[ColumnRole, exp.Expression | None]:
        if isinstance(predicate, exp.Like | exp.ILike):
            pattern = predicate.expression
            if operand is predicate.this and isinstance(pattern, exp.Literal) and pattern.is_string:
                text = pattern.this
                return (ColumnRole.LIKE_WILDCARD if text[:1] in ("%", "_") else ColumnRole.LIKE_PREFIX), pattern
            return ColumnRole.FILTER, None
        role = _COMPARISONS[type(predicate)]
        if isinstance(predicate, exp.Is):
            return ColumnRole.IS_NULL, predicate.expression
        if isinstance(predicate, exp.In):
            if operand is not predicate.this:
                return ColumnRole.FILTER, None
            return ColumnRole.IN_LIST, None
        if isinstance(predicate, exp.Between):
            return (ColumnRole.RANGE, None) if operand is predicate.this else (ColumnRole.FILTER, None)
        other = predicate.expression if operand is predicate.this else predicate.this
        if isinstance(other, exp.Subquery | exp.Query):
            return role, None  # col < (SELECT ...): the comparison kind holds, the value is unknown
        if _is_constant(other):
            return role, other
        if isinstance(other, exp.Column) and role is ColumnRole.EQUALITY and not wrapped:
            return ColumnRole.JOIN_KEY, other  # refined in _add_joins when both sides share a relation
        return ColumnRole.FILTER, other

    # -- joins ----------------------------------------------------------------------------------------
    def _add_joins(self, info: ScopeInfo) -> None:
        by_pair: dict[tuple[str, str], Join] = {}
        position = {relation_id: index for index, relation_id in enumerate(info.relations)}
        scope_uses = self._scope_uses.get(info.id, [])
        uses = {id(u.node): u for u in scope_uses}

        def join_of(first: str, second: str) -> Join:
            left, right = sorted((first, second), key=position.__getitem__)
            join = by_pair.get((left, right))
            if join is None:
                later = self.relations[right]
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
        for scope_id, left_relation, right_relation, name, identifier, join_node in self._shared:
            if scope_id != info.id:
                continue
            join = join_of(left_relation.id, right_relation.id)
            pair = (self._ref(left_relation, name), self._ref(right_relation, name))
            join.equi.append(pair if join.left == left_relation.id else (pair[1], pair[0]))
            for ref in pair:
                node = exp.Column(this=identifier.copy() if identifier is not None else exp.to_identifier(name))
                use = ColumnUse(ref, ColumnRole.JOIN_KEY, info.id, node, join_node, True, None, "using")
                self.uses.append(use)
                scope_uses.append(use)
        for relation_id in info.relations[1:]:  # LATERAL derived tables and table functions over earlier relations
            relation = self.relations[relation_id]
            defined = self.scopes[relation.defined_by] if relation.defined_by is not None else None
            if defined is None or not defined.correlated or any(relation_id in k for k in by_pair):
                continue
            referenced = self._referenced_from(defined.id, position)
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
            relation = self.relations[relation_id]
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
            self.joins.append(join)
            self._edges.append((join.left, join.right, dict(type="join", kind=join.kind, join=join)))

    def _referenced_from(self, scope_id: str, relations: dict[str, int]) -> set[str]:
        """Relations among ``relations`` that columns inside ``scope_id`` (or scopes nested in it) refer to."""
        found: set[str] = set()
        for use in self.uses:
            relation = use.column.relation
            if relation is None or relation not in relations:
                continue
            current: str | None = use.scope
            while current is not None and current != scope_id:
                current = self.scopes[current].parent
            if current == scope_id:
                found.add(relation)
        return found

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
        def ref(column: ColumnRef) -> dict[str, Any]:
            return {"relation": column.relation, "table": column.table, "column": column.column}

        return {
            "statement": self.statement.sql(),
            "scopes": [
                {
                    "id": s.id,
                    "kind": s.kind,
                    "parent": s.parent,
                    "how": s.how,
                    "correlated": s.correlated,
                    "relations": s.relations,
                    "outputs": list(s.outputs),
                }
                for s in self.scopes.values()
            ],
            "relations": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "name": r.name,
                    "alias": r.alias,
                    "scope": r.scope,
                    "table": r.table.qualified_name if r.table else None,
                    "defined_by": r.defined_by,
                }
                for r in self.relations.values()
            ],
            "joins": [
                {
                    "left": j.left,
                    "right": j.right,
                    "kind": j.kind,
                    "equi": [[ref(a), ref(b)] for a, b in j.equi],
                    "other": [o.sql() for o in j.other],
                }
                for j in self.joins
            ],
            "columns": [
                {
                    **ref(u.column),
                    "role": u.role.value,
                    "scope": u.scope,
                    "clause": u.clause,
                    "sargable": u.sargable,
                    "predicate": u.predicate.sql() if u.predicate is not None else None,
                }
                for u in self.uses
            ],
            "ambiguous": [{"column": c.sql(), "candidates": list(k)} for c, k in self.ambiguous],
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def to_dot(self) -> str:
        """Graphviz DOT text: scopes as boxes, relations as ellipses, joins labelled with their keys."""
        lines = ["digraph query {", "  rankdir=LR;"]
        for scope in self.scopes.values():
            lines.append(f'  {scope.id} [shape=box, label="{scope.kind} {scope.id}"];')
        for relation in self.relations.values():
            label = relation.name if relation.alias == relation.name else f"{relation.name} AS {relation.alias}"
            lines.append(f'  {relation.id} [shape=ellipse, label="{label}"];')
        for source, target, data in self.graph.edges(data=True):
            kind = data["type"]
            if kind == "join":
                keys = ", ".join(f"{a.column}={b.column}" for a, b in data["join"].equi)
                label = f"{data['kind']} {keys}".strip().replace('"', "'")
                lines.append(f'  {source} -> {target} [dir=none, style=bold, label="{label}"];')
            elif kind == "nests":
                lines.append(f'  {source} -> {target} [style=dashed, label="{data.get("how", "")}"];')
            else:
                lines.append(f'  {source} -> {target} [label="{kind}"];')
        lines.append("}")
        return "\n".join(lines)
