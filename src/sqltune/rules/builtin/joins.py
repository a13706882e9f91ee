"""Rules about how a query block joins its relations: missing join predicates (a cartesian product), too
many relations for the planner's exhaustive search, and DISTINCT used to undo the rows a join multiplied.

All three reason over the block's *join structure*: which relations a predicate connects. Besides the
QueryGraph's equi-joins, any WHERE or ON term that reads columns of two relations connects them (``a.x <
b.y`` is a join too), and a term that reads an enclosing block's column connects its relation to the
"outside". When a column cannot be attributed to a relation (no schema, unqualified names), the structure
is unknown and the rules stay silent rather than guess.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from sqltune.core.predicates import aggregates_rows, calls_aggregate, conjuncts, has_window
from sqltune.core.sqlglot import exp
from sqltune.graph import ColumnRole, ColumnUse, QueryGraph, Relation, ScopeInfo
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.rules.builtin.predicates import uses_by_node
from sqltune.schema import fold

__all__ = ["RULES", "DistinctHidesFanout", "JoinStructure", "MissingJoinPredicate", "TooManyJoins", "join_structure"]

_OUTSIDE = "outside"  # the node standing for every relation of enclosing blocks


class JoinStructure:
    """An undirected graph of relation ids with the three operations the join rules need.

    A dozen lines instead of :mod:`networkx`, whose import alone takes longer than linting a file (and a
    warm, cached run never needs it).

    >>> structure = JoinStructure(["r0", "r1", "r2"])
    >>> structure.add_edge("r0", "r2")
    >>> sorted(sorted(c) for c in structure.components()), structure.is_connected({"r0", "r2"})
    ([['r0', 'r2'], ['r1']], True)
    """

    __slots__ = ("_adjacent",)

    def __init__(self, nodes: Iterable[str] = ()) -> None:
        self._adjacent: dict[str, set[str]] = {node: set() for node in nodes}

    def add_edge(self, first: str, second: str) -> None:
        self._adjacent.setdefault(first, set()).add(second)
        self._adjacent.setdefault(second, set()).add(first)

    def remove_node(self, node: str) -> None:
        for other in self._adjacent.pop(node, set()):
            self._adjacent[other].discard(node)

    def components(self, within: set[str] | None = None) -> list[set[str]]:
        """Connected groups of nodes (of the subgraph induced by ``within`` when given)."""
        nodes = self._adjacent if within is None else [n for n in self._adjacent if n in within]
        seen: set[str] = set()
        found: list[set[str]] = []
        for start in nodes:
            if start in seen:
                continue
            component = {start}
            stack = [start]
            while stack:
                for other in self._adjacent[stack.pop()]:
                    if other not in component and (within is None or other in within):
                        component.add(other)
                        stack.append(other)
            seen |= component
            found.append(component)
        return found

    def is_connected(self, within: set[str]) -> bool:
        return len(self.components(within)) == 1


#: Nodes without which no block reads two relations: joins (comma joins too), LATERAL (Hive's LATERAL VIEW is no
#: join), and UPDATE ... FROM / DELETE ... USING. The rules skip statements without them before the QueryGraph
#: is built.
_JOINING = (exp.Join, exp.Lateral, exp.Update, exp.Delete)


def _label(relation: Relation) -> str:
    return relation.name if relation.alias in ("", relation.name) else f"{relation.name} {relation.alias}"


def _join_node(relation: Relation) -> exp.Join | None:
    node = relation.node
    if isinstance(node.parent, exp.Lateral | exp.Unnest):
        node = node.parent
    return node.parent if isinstance(node.parent, exp.Join) else None


def _table_function(node: exp.Expression) -> bool:
    """``generate_series(...)``, ``unnest(...)``, ``json_each(...)``: rows made by a function, not read."""
    return isinstance(node, exp.Unnest | exp.Lateral) or (
        isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier)
    )


def _terms(scope: ScopeInfo) -> list[exp.Expression]:
    """The WHERE and every JOIN ... ON term of a block."""
    where = scope.node.args.get("where")
    terms = conjuncts(where.this) if where is not None else []
    for join in scope.node.args.get("joins") or ():
        terms += conjuncts(join.args.get("on"))
    return terms


def join_structure(scope: ScopeInfo, graph: QueryGraph, uses: dict[int, ColumnUse]) -> JoinStructure | None:
    """Relations of a block as nodes, an edge wherever a predicate or the join syntax connects two.

    Explicit ``CROSS JOIN``, ``NATURAL``/``USING`` joins, constant ``ON`` conditions, LATERAL and table
    functions count as connected (they are deliberate). ``None`` when some column of a predicate cannot be
    attributed to a relation.
    """
    structure = JoinStructure(scope.relations)
    local = set(scope.relations)
    for edge in graph.joins:
        if edge.left in local and edge.right in local and edge.equi:
            structure.add_edge(edge.left, edge.right)
    for position, relation_id in enumerate(scope.relations):
        relation = graph.relations[relation_id]
        join = _join_node(relation)
        body = graph.scopes[relation.defined_by] if relation.defined_by is not None else None
        deliberate = (
            relation.kind in ("function", "values")
            or _table_function(relation.node)
            or (body is not None and body.kind in ("lateral", "udtf"))
        )
        if join is not None:
            on = join.args.get("on")
            kind = (join.kind or "").upper()
            constant_on = on is not None and on.find(exp.Column) is None  # ON TRUE, ON 1 = 1
            if kind == "CROSS" or join.args.get("using") or join.method or constant_on:
                deliberate = True
        if deliberate:
            for earlier in scope.relations[:position]:
                structure.add_edge(earlier, relation_id)
    for term in _terms(scope):
        touched: set[str] = set()
        for column in term.find_all(exp.Column):
            if isinstance(column.this, exp.Star):
                continue
            use = uses.get(id(column))
            if use is None or use.column.relation is None:
                return None
            if use.column.relation in local:
                touched.add(use.column.relation)
            elif _encloses(graph, graph.relations[use.column.relation].scope, scope.id):
                touched.add(_OUTSIDE)
        ordered = sorted(touched)
        for first, second in itertools.pairwise(ordered):
            structure.add_edge(first, second)
    return structure


def _encloses(graph: QueryGraph, outer: str, inner: str) -> bool:
    current = graph.scopes[inner].parent
    while current is not None:
        if current == outer:
            return True
        current = graph.scopes[current].parent
    return False


def _single_row(relation: Relation, graph: QueryGraph) -> bool:
    """A derived table or CTE that yields one row: aggregates without GROUP BY, no FROM, or LIMIT 1."""
    if relation.defined_by is None:
        return False
    body = graph.scopes[relation.defined_by].node
    if not isinstance(body, exp.Select):
        return False
    limit = body.args.get("limit")
    if limit is not None and isinstance(limit.expression, exp.Literal) and limit.expression.this == "1":
        return True
    if body.args.get("group") is not None:
        return False
    if not (body.args.get("from_") or body.args.get("from")):
        return True
    return all(aggregates_rows(p) and not has_window(p) for p in body.expressions)


class MissingJoinPredicate(Rule):
    """SQ010: a block reads two or more relations that no predicate connects: a cartesian product.

    Deliberate products are silent: ``CROSS JOIN``, ``ON TRUE``, LATERAL, table functions, VALUES lists
    and single-row derived tables or CTEs (``(SELECT max(x) FROM t) m``).
    """

    code = "SQ010"

    def check(self, ctx: StatementContext) -> Iterator[Violation]:
        if not ctx.has(*_JOINING):
            return
        graph = ctx.graph
        uses = uses_by_node(graph)
        for scope in graph.scopes.values():
            if len(scope.relations) < 2:
                continue
            structure = join_structure(scope, graph, uses)
            if structure is None:
                continue
            for relation_id in scope.relations:
                if _single_row(graph.relations[relation_id], graph):
                    structure.remove_node(relation_id)
            components = [c - {_OUTSIDE} for c in structure.components()]
            components = [c for c in components if c]
            if len(components) < 2:
                continue
            order = {r: i for i, r in enumerate(scope.relations)}
            components.sort(key=lambda c: min(order[r] for r in c))
            stray = graph.relations[min(components[1], key=order.__getitem__)]
            groups = " | ".join(
                ", ".join(f"`{_label(graph.relations[r])}`" for r in sorted(c, key=order.__getitem__))
                for c in components
            )
            join = _join_node(stray)
            on = join.args.get("on") if join is not None else None
            reason = (
                f"the ON clause of the join to `{_label(stray)}` does not reference it"
                if on is not None
                else f"no predicate connects `{_label(stray)}` to the relations before it"
            )
            yield Violation(
                f"cartesian product: {reason} (unconnected groups: {groups}), so every row of one group is "
                "paired with every row of the other; add the missing join condition, or write CROSS JOIN if "
                "every combination is wanted",
                stray.node,
            )


class TooManyJoins(Rule):
    """SQ022: one block joining more relations than the planner searches exhaustively (8 by default).

    PostgreSQL keeps the written order for explicit JOINs beyond ``join_collapse_limit`` (8) and switches
    to the genetic optimizer (GEQO) at ``geqo_threshold`` (12) FROM items; other planners have similar cut-offs.
    """

    code = "SQ022"
    #: Relations one block may join before the rule fires (PostgreSQL's join_collapse_limit).
    limit = 8

    def check(self, ctx: StatementContext) -> Iterator[Violation]:
        if not ctx.has(*_JOINING):
            return
        graph = ctx.graph
        for scope in graph.scopes.values():
            count = len(scope.relations)
            if count <= self.limit:
                continue
            names = ", ".join(_label(graph.relations[r]) for r in scope.relations)
            geqo = " and from 12 (geqo_threshold) it plans with a randomised genetic search" if count >= 12 else ""
            where = scope.node.args.get("from_") or scope.node.args.get("from") or scope.node
            yield Violation(
                f"this query block joins {count} relations ({names}); beyond {self.limit} "
                f"(join_collapse_limit) PostgreSQL stops searching every join order{geqo}, so the plan can be "
                "far from optimal and unstable: pre-aggregate or split parts into CTEs/derived tables, and "
                "write the most selective joins first",
                where,
            )


class DistinctHidesFanout(Rule):
    """SQ009: ``SELECT DISTINCT`` (or GROUP BY the selected columns without aggregates) over a join with a
    relation that only filters and can match many rows: the join multiplies rows that DISTINCT removes.

    Reported only with evidence of fan-out (see :meth:`_fans_out`) and when the rewrite is sound: silent
    when the selected relations are not connected without the filtering one (EXISTS would then pair them in
    a cartesian product), when an outer join is involved, or when a selected column cannot be attributed.
    """

    code = "SQ009"

    def check(self, ctx: StatementContext) -> Iterator[Violation]:
        if not ctx.has(*_JOINING) or not ctx.has(exp.Distinct, exp.Group):
            return
        graph = ctx.graph
        uses = uses_by_node(graph)
        for scope in graph.scopes.values():
            select = scope.node
            if not isinstance(select, exp.Select) or len(scope.relations) < 2:
                continue
            marker = self._deduplication(select)
            if marker is None:
                continue
            relations = [graph.relations[r] for r in scope.relations]
            if any(r.join_kind not in ("from", "comma", "inner") for r in relations):
                continue
            selected = self._selected(select, scope, graph, uses)
            if selected is None or not selected:
                continue
            filtering = [r for r in relations if r.id not in selected]
            if not filtering or self._used_elsewhere(select, {r.id for r in filtering}, uses):
                continue
            structure = join_structure(scope, graph, uses)
            if structure is None or not structure.is_connected(selected):
                continue
            fanning = [r for r in filtering if self._fans_out(r, scope, graph)]
            if not fanning:
                continue
            names = ", ".join(f"`{_label(r)}`" for r in fanning)
            kept = ", ".join(f"`{_label(graph.relations[r])}`" for r in scope.relations if r in selected)
            how = "DISTINCT" if select.args.get("distinct") is not None else "GROUP BY without aggregates"
            yield Violation(
                f"{how} over a join: {names} only filters (none of its columns is selected) and can match "
                f"several rows per row of {kept}, so the join multiplies rows that {how} then removes; test it "
                f"with WHERE EXISTS (SELECT 1 FROM ... WHERE <join condition>) instead, and drop the "
                "deduplication if the selected columns are unique",
                marker,
            )

    @staticmethod
    def _deduplication(select: exp.Select) -> exp.Expression | None:
        distinct = select.args.get("distinct")
        if distinct is not None:
            return None if distinct.args.get("on") else distinct
        group = select.args.get("group")
        if group is None or select.args.get("having") is not None:
            return None
        if any(calls_aggregate(p) or has_window(p) for p in select.expressions):
            return None
        keys = {g.sql() for g in group.expressions}
        outputs = {p.unalias().sql() for p in select.expressions}
        return group if keys and keys == outputs else None

    @staticmethod
    def _selected(
        select: exp.Select, scope: ScopeInfo, graph: QueryGraph, uses: dict[int, ColumnUse]
    ) -> set[str] | None:
        """Relations of the block whose columns reach the output; None when some cannot be attributed."""
        local = set(scope.relations)
        found: set[str] = set()
        for projection in select.expressions:
            for node in projection.walk():
                if isinstance(node, exp.Star):
                    owner = node.parent
                    if isinstance(owner, exp.Column) and owner.table:
                        matches = [r for r in local if graph.relations[r].alias.lower() == owner.table.lower()]
                        if not matches:
                            return None
                        found.update(matches)
                    elif not isinstance(owner, exp.Count):
                        found.update(local)
                elif isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                    use = uses.get(id(node))
                    if use is None or use.column.relation is None:
                        return None
                    if use.column.relation in local:
                        found.add(use.column.relation)
        return found

    @staticmethod
    def _used_elsewhere(select: exp.Select, filtering: set[str], uses: dict[int, ColumnUse]) -> bool:
        """A filtering relation read by ORDER BY, GROUP BY, HAVING, QUALIFY or WINDOW would not fit in EXISTS."""
        for key in ("order", "group", "having", "qualify", "windows"):
            clause = select.args.get(key)
            if clause is None:
                continue
            nodes = clause if isinstance(clause, list) else [clause]
            for node in nodes:
                for column in node.find_all(exp.Column):
                    use = uses.get(id(column))
                    if use is None or use.column.relation is None or use.column.relation in filtering:
                        return True
        return False

    @staticmethod
    def _fans_out(relation: Relation, scope: ScopeInfo, graph: QueryGraph) -> bool:
        """True only with evidence that a row of the other relations can match several rows of ``relation``.

        Evidence: the schema declares keys for the table and the join columns (plus columns fixed to a
        constant) cover none of them; a derived table's GROUP BY/DISTINCT is not covered; or, without key
        information, the partner column is named ``id`` while this side's is not (``o.customer_id = c.id``).
        """
        keys: set[str] = set()
        partners: set[str] = set()
        for join in graph.joins:
            for left, right in join.equi:
                for mine, other in ((left, right), (right, left)):
                    if mine.relation == relation.id and other.relation in scope.relations:
                        keys.add(fold(mine.column))
                        partners.add(fold(other.column))
        if not keys:
            return False  # joined by something else than equalities: no evidence either way
        for use in graph.uses:
            if use.scope == scope.id and use.column.relation == relation.id and use.role is ColumnRole.EQUALITY:
                keys.add(fold(use.column.column))
        table = relation.table
        if table is not None and (table.primary_key or table.unique_keys or any(i.unique for i in table.indexes)):
            return not table.is_unique(keys)
        if relation.defined_by is not None:
            body = graph.scopes[relation.defined_by].node
            if isinstance(body, exp.Select):
                group = body.args.get("group")
                if group is not None and group.expressions:
                    return not all(isinstance(g, exp.Column) and fold(g.name) in keys for g in group.expressions)
                if body.args.get("distinct") is not None:
                    return not {fold(p.alias_or_name) for p in body.expressions} <= keys
            return False
        return "id" not in keys and "id" in partners


RULES = [DistinctHidesFanout, MissingJoinPredicate, TooManyJoins]
