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

>>> from sqltune._sqlglot import parse_one
>>> graph = QueryGraph.build(parse_one(
...     "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
...     "WHERE o.status = 'open' AND c.email LIKE '%@x.org' ORDER BY o.created_at"))
>>> [(r.name, r.alias) for r in graph.base_tables()]
[('orders', 'o'), ('customers', 'c')]
>>> graph.joins[0].kind, [(a.column, b.column) for a, b in graph.joins[0].equi]
('inner', [('customer_id', 'id')])
>>> sorted((u.column.column, u.role.value) for u in graph.uses if u.role is not ColumnRole.PROJECTION)
[('created_at', 'order_by'), ('customer_id', 'join_key'), ('email', 'like_wildcard'), ('id', 'join_key'), ('status', 'equality')]
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from sqltune._sqlglot import Scope, exp, traverse_scope
from sqltune.schema import Schema, Table, fold

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
_TRANSPARENT = (exp.Paren, exp.Alias, exp.Ordered, exp.Not, exp.Connector)


def _is_constant(node: exp.Expression | None) -> bool:
    """Literals, parameters and expressions over them (``now() - interval '1 day'``): no column, no query."""
    if node is None:
        return False
    return all(not isinstance(child, exp.Column | exp.Query | exp.Subquery) for child in node.walk())


class QueryGraph:
    """See the module documentation. Build with :meth:`build`."""

    def __init__(self, statement: exp.Expression, schema: Schema | None = None) -> None:
        self.statement = statement
        self.schema = schema or Schema()
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.scopes: dict[str, ScopeInfo] = {}
        self.relations: dict[str, Relation] = {}
        self.joins: list[Join] = []
        self.uses: list[ColumnUse] = []
        self.ambiguous: list[tuple[exp.Column, tuple[str, ...]]] = []
        self._scope_ids: dict[int, str] = {}
        self._resolution: dict[str, list[tuple[Relation, str, str, frozenset[str] | None]]] = {}
        self._seen_columns: set[int] = set()

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
        self.graph.add_node(info.id, type="scope", kind=kind)
        return info

    def _build(self) -> None:
        scopes: list[Scope] = list(traverse_scope(self.statement))
        dml = self._dml_scope()
        # Top-down so that parents get their ids first.
        for scope in reversed(scopes):
            parent = self._scope_ids.get(id(scope.parent.expression)) if scope.parent else dml
            info = self._new_scope(self._scope_kind(scope, dml), scope.expression, parent)
            if parent is not None:
                if info.kind in ("subquery", "lateral", "udtf"):
                    info.how = self._subquery_how(scope.expression)
                self.graph.add_edge(parent, info.id, type="nests", how=info.how)
            if isinstance(scope.expression, exp.Select):
                info.outputs = tuple(fold(name) for name in scope.expression.named_selects)
            self._add_relations(info, scope)
        infos = [self.scopes[self._scope_ids[id(scope.expression)]] for scope in scopes]
        for info, scope in zip(infos, scopes, strict=True):
            self._link_defined_relations(info, scope)
        # Bottom-up, so that a subquery claims its correlated columns before the outer scope sees them.
        for info, scope in zip(infos, scopes, strict=True):
            self._add_uses(info, scope.columns)
            self._add_joins(info)
        if dml is not None:
            self._add_uses(self.scopes[dml], self._dml_columns())
            self._add_joins(self.scopes[dml])

    def _scope_kind(self, scope: Scope, dml: str | None) -> str:
        if scope.is_cte:
            return "cte"
        if scope.is_derived_table:
            return "lateral" if isinstance(scope.expression.parent, exp.Lateral) else "derived"
        if scope.is_set_operation:
            return "union"
        if scope.is_subquery:
            return "subquery"
        if scope.is_udtf:
            return "udtf"
        if scope.parent is not None and scope.parent.is_set_operation:
            return "union_branch"
        return "subquery" if dml is not None else "root"

    @staticmethod
    def _subquery_how(node: exp.Expression) -> str:
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
                self._add_relation(info, "table", node, node.alias_or_name)
        return info.id

    def _dml_columns(self) -> list[exp.Column]:
        """Columns of an UPDATE/DELETE outside its subqueries."""
        found: list[exp.Column] = []
        for node in self.statement.walk(prune=lambda n: isinstance(n, exp.Query) and n is not self.statement):
            if isinstance(node, exp.Column):
                found.append(node)
        return found

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
        self.graph.add_node(relation_id, type="relation", kind=kind, name=name, alias=alias)
        self.graph.add_edge(info.id, relation_id, type="contains")
        return relation

    @staticmethod
    def _join_kind(join: exp.Join) -> str:
        side, kind = (join.side or "").lower(), (join.kind or "").lower()
        if side in ("left", "right", "full"):
            return side
        if kind in ("cross", "semi", "anti"):
            return kind
        if kind == "inner" or join.args.get("on") or join.args.get("using"):
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
                kind = "values" if isinstance(target.expression, exp.Values) else "derived"
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
                defined = self._scope_ids.get(id(target.expression))
                if defined is not None:
                    relation.defined_by = defined
                    self.graph.add_edge(relation_id, defined, type="defines")

    # -- column resolution ----------------------------------------------------------------------------
    def _relation_columns(self, relation: Relation) -> frozenset[str] | None:
        if relation.table is not None and relation.table.columns:
            return frozenset(relation.table.columns)
        if relation.defined_by is not None:
            outputs = self.scopes[relation.defined_by].outputs
            return frozenset(outputs) if outputs and "*" not in outputs else None
        return None

    def _candidates(self, scope_id: str) -> list[tuple[Relation, str, str, frozenset[str] | None]]:
        """Per scope, once: each relation with its folded alias, folded name and known column names."""
        cached = self._resolution.get(scope_id)
        if cached is None:
            cached = [
                (relation, relation.alias.lower(), relation.name.lower(), self._relation_columns(relation))
                for relation in (self.relations[r] for r in self.scopes[scope_id].relations)
            ]
            self._resolution[scope_id] = cached
        return cached

    def resolve(self, column: exp.Column, scope_id: str) -> tuple[ColumnRef, str]:
        """The column's reference and the id of the scope whose relation provides it.

        Qualified columns match an alias or table name in this scope or an enclosing one (a correlation).
        Unqualified ones match the only relation that has such a column; where the schema cannot tell, the
        column stays unresolved and is recorded in :attr:`ambiguous` (a lone relation is taken on trust).
        """
        qualifier = column.table.lower()
        name = column.name
        key = name.lower()
        current: str | None = scope_id
        while current is not None:
            candidates = self._candidates(current)
            if qualifier:
                for relation, alias, table_name, _ in candidates:
                    if qualifier in (alias, table_name) or table_name.endswith("." + qualifier):
                        return self._ref(relation, name), current
            else:
                matches = [c for c in candidates if c[3] is not None and key in c[3]]
                if len(matches) == 1:
                    return self._ref(matches[0][0], name), current
                unknown = [c for c in candidates if c[3] is None]
                if len(matches) > 1:
                    self.ambiguous.append((column, tuple(c[0].alias for c in matches)))
                    return ColumnRef(None, None, name), current
                if unknown and current == scope_id:
                    if len(unknown) == 1 and len(candidates) == 1:
                        return self._ref(unknown[0][0], name), current
                    self.ambiguous.append((column, tuple(c[0].alias for c in unknown)))
                    return ColumnRef(None, None, name), current
            current = self.scopes[current].parent
        return ColumnRef(None, None, name), scope_id

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
        aliases = set(info.outputs)
        seen = self._seen_columns
        for column in columns:
            # sqlglot lists a correlated column in its subquery's scope and again in the outer one.
            if id(column) in seen or not isinstance(column, exp.Column) or isinstance(column.this, exp.Star):
                continue
            seen.add(id(column))
            ref, owner = self.resolve(column, info.id)
            if owner != info.id and info.kind in ("subquery", "lateral", "derived", "cte"):
                self._mark_correlated(info.id, owner)
            clause, role, predicate, sargable, value = self._role(column, info)
            if (
                ref.relation is None
                and clause in ("order", "group", "having", "qualify")
                and fold(column.name) in aliases
            ):
                continue  # a reference to an output alias, not to a table column
            self.uses.append(ColumnUse(ref, role, info.id, column, predicate, sargable, value, clause))

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
        while node is not None and node is not info.node:
            if predicate is None and isinstance(node, _PREDICATE_TYPES):
                predicate = node
                role, value = self._predicate_role(node, child, wrapped)
            elif isinstance(node, exp.Window) and window_role is None:
                key = child.arg_key
                if key == "partition_by":
                    window_role = ColumnRole.WINDOW_PARTITION
                elif key == "order":
                    window_role = ColumnRole.WINDOW_ORDER
            elif isinstance(node, exp.AggFunc):
                aggregate = True
            elif predicate is None and not isinstance(node, _TRANSPARENT):
                wrapped = True
            child, node = node, node.parent
        clause = child.arg_key if node is info.node else ""
        clause = "set" if clause == "expressions" and isinstance(info.node, exp.Update) else clause
        if clause == "joins":
            clause = "on"
        if window_role is not None:
            return clause, window_role, predicate, not wrapped, value
        if clause in ("where", "on", "having", "qualify") and role is not None:
            return clause, role, predicate, not wrapped, value
        if clause in ("where", "on", "having", "qualify"):
            return clause, ColumnRole.FILTER, predicate, not wrapped, value
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
        scope_relations = set(info.relations)
        uses = {id(u.node): u for u in self.uses if u.scope == info.id}
        for use in list(uses.values()):
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
            if left not in scope_relations or right not in scope_relations:
                continue  # a correlation with an outer scope, not a join of this scope
            if use.predicate.this is not use.node:
                continue  # record each predicate once, from its left operand
            order = sorted((left, right), key=lambda r: info.relations.index(r))
            key = (order[0], order[1])
            join = by_pair.get(key)
            if join is None:
                later = self.relations[order[1]]
                kind = "inner" if later.join_kind in ("from", "comma") else later.join_kind
                join_node = later.node.parent if isinstance(later.node.parent, exp.Join) else None
                join = Join(order[0], order[1], kind, node=join_node)
                by_pair[key] = join
            pair = (use.column, other_use.column) if order[0] == left else (other_use.column, use.column)
            join.equi.append(pair)
        for relation_id in info.relations:  # explicit joins without an equality: CROSS JOIN, ON a < b
            relation = self.relations[relation_id]
            join_node = relation.node.parent if isinstance(relation.node.parent, exp.Join) else None
            if join_node is None or any(relation_id in k for k in by_pair):
                continue
            on = join_node.args.get("on")
            if relation.join_kind == "cross" or on is not None or join_node.args.get("using"):
                first = info.relations[0]
                join = Join(first, relation_id, relation.join_kind, node=join_node)
                if on is not None:
                    join.other.append(on)
                by_pair[(first, relation_id)] = join
        for join in by_pair.values():
            self.joins.append(join)
            self.graph.add_edge(join.left, join.right, type="join", kind=join.kind, join=join)

    # -- queries --------------------------------------------------------------------------------------
    def base_tables(self) -> list[Relation]:
        return [r for r in self.relations.values() if r.kind == "table"]

    def relations_in(self, scope_id: str) -> list[Relation]:
        return [self.relations[r] for r in self.scopes[scope_id].relations]

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
