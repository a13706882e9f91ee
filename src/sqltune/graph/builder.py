"""The builder: walks sqlglot's scopes of one statement and fills a :class:`~sqltune.graph.QueryGraph`.

:class:`GraphBuilder` runs once per graph (:meth:`QueryGraph.build <sqltune.graph.QueryGraph.build>`), in
this order (:meth:`GraphBuilder.build`):

1. scopes, parents first (:func:`_preorder`), with their kind (:meth:`~GraphBuilder._scope_kind`), how a
   subquery is used (:meth:`~GraphBuilder._subquery_how`) and output names; UPDATE and DELETE get a scope of
   their own holding the target table (:meth:`~GraphBuilder._dml_scope`);
2. the relations of each scope's FROM clause (:meth:`~GraphBuilder._add_relations`), then the scope that
   defines each CTE reference or derived table (:meth:`~GraphBuilder._link_defined_relations`) and the
   ``USING`` / ``NATURAL`` join columns (:func:`sqltune.graph.joins.merge_join_columns`);
3. bottom-up, so that a subquery claims its correlated columns first: each column occurrence as a
   :class:`~sqltune.graph.model.ColumnUse` (:meth:`~GraphBuilder._add_uses`: its role from
   :mod:`sqltune.graph.roles`, its relation from :mod:`sqltune.graph.resolution`), then the scope's joins
   (:func:`sqltune.graph.joins.add_joins`);
4. the table an INSERT writes (:meth:`~GraphBuilder._insert_target`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqltune.core.sqlglot import Scope, exp, traverse_scope
from sqltune.graph.joins import SharedColumn, add_joins, merge_join_columns
from sqltune.graph.model import ColumnUse, Relation, ScopeInfo
from sqltune.graph.roles import classify
from sqltune.schema import fold

if TYPE_CHECKING:
    from sqltune.graph.query_graph import QueryGraph

__all__ = ["GraphBuilder"]

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


def _renamed_outputs(query: exp.Expression) -> tuple[str, ...]:
    """The output names a column alias list gives a derived table or CTE: ``(SELECT ...) AS d (a, b)``."""
    holder = query.parent
    alias = holder.args.get("alias") if isinstance(holder, exp.Subquery | exp.CTE) else None
    columns = alias.columns if isinstance(alias, exp.TableAlias) else []
    return tuple(fold(column.name) for column in columns)


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


class GraphBuilder:
    """Fills ``graph`` (scopes, relations, joins, column uses, networkx nodes and edges) from its statement."""

    def __init__(self, graph: QueryGraph) -> None:
        self.graph = graph
        self.statement = graph.statement
        self.resolver = graph._resolver
        # The graph's containers, filled in place.
        self.scopes = graph.scopes
        self.relations = graph.relations
        self.uses = graph.uses
        self._scope_ids: dict[int, str] = {}  # query node -> the id of the scope made for it
        self._seen_columns: set[int] = set()
        self._scope_uses: dict[str, list[ColumnUse]] = {}
        self._pending_links: list[tuple[Relation, exp.Expression]] = []
        self._shared: dict[str, list[SharedColumn]] = {}  # scope id -> its USING / NATURAL join columns

    def build(self) -> None:
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
                self.graph._edges.append((parent, info.id, dict(type="nests", how=info.how)))
            if isinstance(scope.expression, exp.Query):
                info.outputs = _renamed_outputs(scope.expression) or tuple(
                    fold(name) for name in scope.expression.named_selects
                )
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

    # -- scopes ---------------------------------------------------------------------------------------
    def _new_scope(self, kind: str, node: exp.Expression, parent: str | None) -> ScopeInfo:
        info = ScopeInfo(f"s{len(self.scopes)}", kind, node, parent)
        self.scopes[info.id] = info
        self._scope_ids[id(node)] = info.id
        self.graph._scope_of.setdefault(id(node), info)
        self.graph._nodes.append((info.id, dict(type="scope", kind=kind)))
        return info

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

    # -- DML targets ----------------------------------------------------------------------------------
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
                if self.graph.target is None:
                    self.graph.target = relation
            elif isinstance(node, exp.Subquery):
                relation = self._add_relation(info, "derived", node, node.alias_or_name)
                self._pending_links.append((relation, node.this))
        target = self.graph.target
        if isinstance(statement, exp.Update) and target is not None:
            for assignment in statement.expressions:
                if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                    self.resolver.forced[id(assignment.this)] = target
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
        relation.table = self.graph.schema.table(name)
        relation.join_kind = "target"
        self.relations[relation.id] = relation
        self.graph.target = relation
        self.graph._nodes.append((relation.id, dict(type="relation", kind="table", name=name, alias=relation.alias)))
        self.graph._edges.append((root.id, relation.id, dict(type="writes")))

    def _dml_columns(self) -> list[exp.Column]:
        """Columns of an UPDATE/DELETE outside its subqueries."""
        found: list[exp.Column] = []
        for node in self.statement.walk(prune=lambda n: isinstance(n, exp.Query) and n is not self.statement):
            if isinstance(node, exp.Column):
                found.append(node)
        return found

    # -- relations ------------------------------------------------------------------------------------
    def _add_relation(
        self, info: ScopeInfo, kind: str, node: exp.Expression, alias: str, defined_by: str | None = None
    ) -> Relation:
        relation_id = f"r{len(self.relations)}"
        name = alias
        table = None
        if isinstance(node, exp.Table):
            name = exp.table_name(node) if kind == "table" else node.name
            table = self.graph.schema.table(name) if kind == "table" else None
        relation = Relation(relation_id, kind, name, alias, info.id, node, table, defined_by)
        join = node.parent if isinstance(node.parent, exp.Join) else None
        if join is not None:
            relation.join_kind = self._join_kind(join)
        self.relations[relation_id] = relation
        info.relations.append(relation_id)
        self.graph._nodes.append((relation_id, dict(type="relation", kind=kind, name=name, alias=alias)))
        self.graph._edges.append((info.id, relation_id, dict(type="contains")))
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
        shared = merge_join_columns(self.graph, self.resolver, info)
        if shared:
            self._shared[info.id] = shared

    def _link(self, relation: Relation, defined: str | None) -> None:
        if defined is not None:
            relation.defined_by = defined
            self.graph._edges.append((relation.id, defined, dict(type="defines")))

    # -- column uses ----------------------------------------------------------------------------------
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
            clause, role, predicate, sargable, value = classify(column, info.node)
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
                    if clause != "group" or not self.resolver.provides(info.id, fold(column.name)):
                        continue
                else:
                    target = projected  # ORDER BY an output column: the use is of the column it projects
            ref, owner = self.resolver.resolve(target, info.id)
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

    # -- joins ----------------------------------------------------------------------------------------
    def _add_joins(self, info: ScopeInfo) -> None:
        scope_uses = self._scope_uses.get(info.id, [])
        add_joins(self.graph, info, scope_uses, self._shared.get(info.id, ()))
