"""Rules about GROUP BY and HAVING: which expressions a grouped query may use, and where a filter belongs.

Both rules need the same question answered: *is this expression constant within each group?* It is when it
is a GROUP BY key (by name, alias, ordinal or equal expression), sits inside an aggregate, or depends
functionally on a grouped primary key (PostgreSQL and MySQL accept ``GROUP BY o.id`` with ``o.status`` in
the SELECT list when ``id`` is the key). :class:`GroupAnalysis` answers it once per grouped SELECT.

Conjuncts and aggregate detection come from the predicate toolkit (:mod:`sqltune.core.predicates`); the
helpers at the top (:func:`unwrap`, :func:`close_parentheses`) are shared with the ordering, subquery and
set-operation rules.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqltune.core.predicates import aggregates_rows, conjuncts, is_grouping_aggregate, own_nodes
from sqltune.core.source import Span
from sqltune.core.sqlglot import exp
from sqltune.graph import QueryGraph, Relation
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.schema import Table, fold

__all__ = ["GroupAnalysis", "close_parentheses", "is_aggregate_select", "unwrap"]


def unwrap(node: exp.Expression | None) -> exp.Expression | None:
    """The expression inside parentheses and an alias: ``(x) AS y`` -> ``x``."""
    while isinstance(node, exp.Paren | exp.Alias):
        node = node.this
    return node


def close_parentheses(text: str, start: int, end: int) -> int:
    """Move ``end`` past the parentheses that sqlglot records no position for: the ``()`` of a call without
    arguments and the closing parentheses of groups opened in ``text[start:end]``."""
    while text.startswith("()", end):
        end += 2
    depth = text.count("(", start, end) - text.count(")", start, end)
    position = end
    while depth > 0 and position < len(text):
        char = text[position]
        depth += 1 if char == "(" else -1 if char == ")" else 0
        position += 1
        if char == ";":
            return end
    return position if depth == 0 else end


def is_aggregate_select(select: exp.Select) -> bool:
    """A SELECT that groups, explicitly (GROUP BY, HAVING) or implicitly (an aggregate in its output)."""
    if select.args.get("group") is not None or select.args.get("having") is not None:
        return True
    items = [*select.expressions, select.args.get("order")]
    return any(item is not None and aggregates_rows(item) for item in items)


def _group_items(group: exp.Group) -> Iterator[exp.Expression]:
    def flatten(item: exp.Expression) -> Iterator[exp.Expression]:
        if isinstance(item, exp.Rollup | exp.Cube | exp.GroupingSets | exp.Tuple):
            for inner in item.expressions:
                yield from flatten(inner)
        elif isinstance(item, exp.Paren):
            yield from flatten(item.this)
        else:
            yield item

    for key in ("expressions", "grouping_sets", "cube", "rollup"):
        value = group.args.get(key)
        for item in value if isinstance(value, list) else [value] if isinstance(value, exp.Expression) else []:
            yield from flatten(item)


def _canonical(node: exp.Expression) -> str:
    """SQL text without column qualifiers, so ``date_trunc('month', o.d)`` matches ``date_trunc('month', d)``."""

    def strip(n: exp.Expression) -> exp.Expression:
        return exp.column(fold(n.name)) if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star) else n

    return str(node.transform(strip).sql()).lower()


def _likely_keys(relation: Relation) -> set[str]:
    """Column names that are probably the primary key of a table the schema does not know."""
    names = {fold(relation.name).rsplit(".", 1)[-1], fold(relation.alias)}
    return {"id"} | {f"{name}_id" for name in names} | {f"{name.rstrip('s')}_id" for name in names}


def _key_sets(table: Table) -> list[set[str]]:
    """Column sets that identify a row: the primary key, and unique keys made only of NOT NULL columns."""
    keys = [{fold(c) for c in table.primary_key}] if table.primary_key else []
    for key in table.unique_keys:
        if all(table.is_not_null(c) for c in key):
            keys.append({fold(c) for c in key})
    return keys


_RESOLVED: weakref.WeakKeyDictionary[QueryGraph, dict[int, str | None]] = weakref.WeakKeyDictionary()


def _resolved(graph: QueryGraph) -> dict[int, str | None]:
    """Each column occurrence's relation id, by ``id()`` of its node: once per graph, not per SELECT."""
    found = _RESOLVED.get(graph)
    if found is None:
        found = _RESOLVED[graph] = {id(use.node): use.column.relation for use in graph.uses}
    return found


@dataclass
class GroupAnalysis:
    """One aggregating SELECT: its GROUP BY keys, output aliases and column resolution."""

    select: exp.Select
    graph: QueryGraph
    relations: set[str] = field(default_factory=set)  # relation ids of the SELECT's own FROM
    columns: list[tuple[str, str | None]] = field(default_factory=list)  # grouped (column name, relation id)
    expressions: set[str] = field(default_factory=set)  # canonical text of grouped non-column expressions
    aliases: dict[str, exp.Expression] = field(default_factory=dict)  # output alias -> its expression
    group_all: bool = False
    resolved: dict[int, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, select: exp.Select, graph: QueryGraph) -> GroupAnalysis:
        analysis = cls(select, graph)
        analysis.resolved = _resolved(graph)
        scope = graph.scope_of(select)
        analysis.relations = set(scope.relations) if scope is not None else set()
        for item in select.expressions:
            if isinstance(item, exp.Alias):
                analysis.aliases[fold(item.alias)] = item.this
        group = select.args.get("group")
        if isinstance(group, exp.Group):
            analysis.group_all = bool(group.args.get("all"))
            for item in _group_items(group):
                analysis._add_key(item)
        return analysis

    def _add_key(self, item: exp.Expression) -> None:
        if isinstance(item, exp.Literal) and not item.is_string and item.this.isdigit():
            position = int(item.this)  # GROUP BY 2: the second output column
            if 1 <= position <= len(self.select.expressions):
                self._add_key(unwrap(self.select.expressions[position - 1]) or item)
            return
        if isinstance(item, exp.Column):
            name = fold(item.name)
            self.columns.append((name, self.resolved.get(id(item))))
            if not item.table and name in self.aliases:  # GROUP BY alias: also the aliased expression
                aliased = unwrap(self.aliases[name])
                if aliased is not None and not (isinstance(aliased, exp.Column) and fold(aliased.name) == name):
                    self._add_key(aliased)
        elif not isinstance(item, exp.Literal):
            self.expressions.add(_canonical(item))

    # -- questions --------------------------------------------------------------------------------------
    def relation_of(self, column: exp.Column) -> str | None:
        return self.resolved.get(id(column))

    def is_alias_reference(self, column: exp.Column) -> bool:
        """An unqualified name that an output alias defines and the schema does not know as a column of the
        relation it resolved to (Snowflake, DuckDB and others let later SELECT items use earlier aliases)."""
        if column.table or fold(column.name) not in self.aliases or isinstance(column.parent, exp.Alias):
            return False
        relation = self.relation_of(column)
        if relation is None:
            return True
        table = self.graph.relations[relation].table
        return table is None or table.column(column.name) is None

    def is_outer_reference(self, column: exp.Column) -> bool:
        """A column of an enclosing query (this SELECT is a correlated subquery): constant within each group."""
        relation = self.relation_of(column)
        if relation is not None:
            return relation not in self.relations
        if not column.table:
            return False
        local = {fold(self.graph.relations[r].alias) for r in self.relations}
        local |= {fold(self.graph.relations[r].name) for r in self.relations}
        return bool(local) and fold(column.table) not in local

    def is_grouped(self, column: exp.Column) -> bool:
        name, relation = fold(column.name), self.relation_of(column)
        for key_name, key_relation in self.columns:
            if key_name == name and (key_relation is None or relation is None or key_relation == relation):
                return True
        if relation is None:
            return False
        # Functional dependence: the GROUP BY holds a key of the column's table.
        grouped = {n for n, r in self.columns if r == relation or r is None}
        target = self.graph.relations[relation]
        if target.table is not None:
            return any(key <= grouped for key in _key_sets(target.table))
        return target.kind == "table" and bool(grouped & _likely_keys(target))

    def is_grouped_expression(self, node: exp.Expression) -> bool:
        if not self.expressions or isinstance(node, exp.Column | exp.Literal):
            return False
        return _canonical(node) in self.expressions

    def ungrouped(self, node: exp.Expression, clause: str) -> Iterator[exp.Column]:
        """Columns under ``node`` (an item of ``clause``) that vary within a group, in the order written.

        Walked with an explicit stack: a HAVING of 10,000 OR terms is a tree 10,000 levels deep.
        """
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, exp.Column):
                if isinstance(current.this, exp.Star):
                    continue
                if (
                    not current.table
                    and fold(current.name) in self.aliases
                    and clause in ("order", "having", "qualify")
                ):
                    continue  # an output column by name
                if self.is_alias_reference(current) or self.is_outer_reference(current) or self.is_grouped(current):
                    continue
                yield current
                continue
            if is_grouping_aggregate(current) or self.is_grouped_expression(current):
                continue
            if isinstance(current, exp.Query):
                yield from self._outer_references(current)
                continue
            stack.extend(reversed(list(current.iter_expressions())))

    def _outer_references(self, query: exp.Expression) -> Iterator[exp.Column]:
        """Columns of this SELECT's relations used by a nested subquery outside any aggregate there."""
        for column in query.find_all(exp.Column):
            if self.relation_of(column) not in self.relations:
                continue
            inside_aggregate = False
            node = column.parent
            while node is not None and node is not query:
                if is_grouping_aggregate(node):
                    inside_aggregate = True
                    break
                node = node.parent
            if not inside_aggregate and not self.is_grouped(column):
                yield column


def _checked_clauses(select: exp.Select) -> Iterator[tuple[str, exp.Expression]]:
    for item in select.expressions:
        yield "select", item
    for key in ("having", "qualify"):
        clause = select.args.get(key)
        if clause is not None:
            yield key, clause.this
    order = select.args.get("order")
    if isinstance(order, exp.Order):
        for ordered in order.expressions:
            yield "order", ordered


def _written_keys(select: exp.Select) -> set[tuple[str, str]] | None:
    """The GROUP BY's plain columns as written, ``(qualifier, name)`` folded, with ordinals and aliases
    followed to the column they name; ``None`` for GROUP BY ALL (everything is grouped)."""
    group = select.args.get("group")
    keys: set[tuple[str, str]] = set()
    if not isinstance(group, exp.Group):
        return keys
    if group.args.get("all"):
        return None
    aliases = {fold(item.alias): item.this for item in select.expressions if isinstance(item, exp.Alias)}
    for item in _group_items(group):
        if isinstance(item, exp.Literal) and not item.is_string and item.this.isdigit():
            position = int(item.this)
            item = unwrap(select.expressions[position - 1]) if 1 <= position <= len(select.expressions) else item
        if isinstance(item, exp.Column) and not item.table and fold(item.name) in aliases:
            keys.add(("", fold(item.name)))
            item = unwrap(aliases[fold(item.name)])
        if isinstance(item, exp.Column):
            keys.add((fold(item.table), fold(item.name)))
    return keys


def grouped_as_written(select: exp.Select) -> bool:
    """Every column SQ020 would check is a GROUP BY column written the same way, or inside an aggregate.

    The common grouped query, answered without the query graph: a column written exactly as a key
    (same qualifier, same name) resolves to the same relation in the same SELECT, so it is grouped.
    Anything else -- other qualification, functional dependence on a key, expressions, subqueries --
    is left to :class:`GroupAnalysis`.
    """
    keys = _written_keys(select)
    if keys is None:
        return True
    aliases = {fold(item.alias) for item in select.expressions if isinstance(item, exp.Alias)}
    for clause, item in _checked_clauses(select):
        stack = [item]
        while stack:
            current = stack.pop()
            if isinstance(current, exp.Column):
                if isinstance(current.this, exp.Star):
                    continue
                name = fold(current.name)
                if not current.table and name in aliases and clause != "select":
                    continue  # an output column by name
                if (fold(current.table), name) not in keys:
                    return False
            elif isinstance(current, exp.Query):
                return False
            elif not is_grouping_aggregate(current):
                stack.extend(current.iter_expressions())
    return True


def _closed_span(ctx: StatementContext, node: exp.Expression) -> Span:
    span = ctx.span(node)
    return ctx.statement.source.span(span.start, close_parentheses(ctx.statement.source.text, span.start, span.end))


class UngroupedColumn(Rule):
    """SQ020: a column of a grouped query's SELECT, HAVING or ORDER BY that is neither grouped nor aggregated."""

    code = "SQ020"
    node_types = (exp.Select,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        assert isinstance(node, exp.Select)
        if not is_aggregate_select(node) or grouped_as_written(node):
            return
        analysis = GroupAnalysis.of(node, ctx.graph)
        if analysis.group_all:
            return
        grouped = node.args.get("group") is not None
        seen: set[tuple[str, str | None]] = set()
        for clause, item in _checked_clauses(node):
            for column in analysis.ungrouped(item, clause):
                key = (fold(column.name), analysis.relation_of(column) or fold(column.table))
                if key in seen:
                    continue
                seen.add(key)
                name = column.sql(dialect=ctx.dialect)
                if grouped:
                    problem = f"`{name}` is neither in GROUP BY nor inside an aggregate"
                else:
                    problem = f"`{name}` is not inside an aggregate, but the query aggregates all rows into one group"
                yield Violation(
                    f"{problem}: PostgreSQL, SQL Server and Snowflake reject this, MySQL without ONLY_FULL_GROUP_BY "
                    f"returns an arbitrary row's value; add `{name}` to GROUP BY or choose a value with an "
                    "aggregate (min, max, any_value)",
                    column,
                )


class HavingWithoutAggregate(Rule):
    """SQ014: a HAVING condition on grouping keys only, which WHERE could apply before grouping."""

    code = "SQ014"
    node_types = (exp.Select,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        assert isinstance(node, exp.Select)
        having, group = node.args.get("having"), node.args.get("group")
        if having is None or not isinstance(group, exp.Group) or group.args.get("all"):
            return
        if any(isinstance(n, exp.Rollup | exp.Cube | exp.GroupingSets) for n in group.walk()) or any(
            group.args.get(key) for key in ("rollup", "cube", "grouping_sets", "totals")
        ):
            return  # super-aggregate rows carry NULL keys: a HAVING on a key also drops subtotals
        analysis: GroupAnalysis | None = None
        for condition in conjuncts(having.this):
            own = list(own_nodes(condition))
            columns = [n for n in own if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star)]
            if not columns or aggregates_rows(condition) or any(isinstance(n, exp.Window) for n in own):
                continue
            analysis = analysis or GroupAnalysis.of(node, ctx.graph)
            if any(not c.table and fold(c.name) in analysis.aliases for c in columns):
                continue  # an output alias: WHERE cannot see it as written
            if self._correlated_subquery(condition, analysis.graph):
                continue
            if next(analysis.ungrouped(condition, "where"), None) is not None:
                continue
            yield Violation(
                f"HAVING condition `{condition.sql(dialect=ctx.dialect)}` uses only GROUP BY columns and no aggregate; "
                "move it to WHERE so the rows are filtered before they are grouped",
                span=_closed_span(ctx, condition),
            )

    @staticmethod
    def _correlated_subquery(condition: exp.Expression, graph: QueryGraph) -> bool:
        for query in condition.find_all(exp.Select):
            scope = graph.scope_of(query)
            if scope is None or scope.correlated:
                return True
        return False


RULES = [HavingWithoutAggregate, UngroupedColumn]
