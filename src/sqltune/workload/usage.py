"""Usage statistics: how a workload uses each table and column, weighted by calls and by time.

Each template is parsed once (its example execution, in the workload's dialect) into a
:class:`~sqltune.graph.QueryGraph`; every column occurrence adds the template's calls and total time to that
column's :class:`Weight` for its role (equality, range, IN, LIKE filter, join key, GROUP BY, ORDER BY, aggregate
argument, projection, ...). A template counts once per (column, role) however often the query repeats it, so a
self-join or a CTE read three times does not triple a column's weight. Beside the roles:

- join keys keep their partner columns (``orders.o_custkey`` joins ``customer.c_custkey``);
- aggregate arguments keep the function (``sum``, ``avg``, ``count_distinct``, ...);
- filters on an expression of the column keep the expression (``date_trunc('day', ts)``), which the layout
  advisor proposes in place of a near-unique column;
- tables keep reads, and writes per kind (insert, update, delete, merge) from DML templates.

Tables have one name, in :attr:`UsageStats.tables` and in the keys of :attr:`UsageStats.columns` alike: the
qualified name of the schema's table when the schema resolves it (``public.lineitem``), otherwise the name as
the query wrote it (``lineitem``, ``shop.orders``), folded. :meth:`UsageStats.table`, :meth:`~UsageStats.column`
and :meth:`~UsageStats.columns_of` also take a shorter name that ends one known name (``lineitem`` for
``public.lineitem``); an ambiguous one matches nothing.

A template that does not parse stays in the workload; it is listed in :attr:`UsageStats.unparsed` with the
parser's reason, and its weight is counted there, never silently dropped.

>>> from sqltune.workload import Execution, Workload
>>> workload = Workload("postgres")
>>> _ = workload.add(Execution("SELECT sum(total) FROM orders WHERE status = 'open' GROUP BY day", 30.0, calls=3))
>>> usage = workload.usage()
>>> [(str(c), role, w.calls, w.time_ms) for c, role, w in usage.hottest()]
[('orders.day', 'group_by', 3, 30.0), ('orders.status', 'equality', 3, 30.0), ('orders.total', 'aggregate', 3, 30.0)]
>>> usage.columns["orders", "total"].aggregates["sum"].calls
3
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqltune.core.display import Displayable
from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.core.sqlglot import exp
from sqltune.graph import ColumnRole, ColumnUse, QueryGraph, Relation
from sqltune.schema import Schema, fold, fold_path

if TYPE_CHECKING:
    from sqltune.workload.model import Template
    from sqltune.workload.workload import Workload

__all__ = ["ColumnUsage", "TableUsage", "UsageStats", "Weight"]

_WRITES: dict[type[exp.Expression], str] = {
    exp.Insert: "insert",
    exp.Update: "update",
    exp.Delete: "delete",
    exp.Merge: "merge",
}


@dataclass(slots=True)
class Weight:
    """How much of the workload does something: calls, time and the number of templates."""

    calls: int = 0
    time_ms: float = 0.0
    templates: int = 0

    def add(self, template: Template) -> None:
        self.calls += template.calls
        self.time_ms += template.total_ms
        self.templates += 1

    def to_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "time_ms": self.time_ms, "templates": self.templates}


@dataclass(slots=True)
class ColumnUsage:
    table: str
    column: str
    roles: dict[str, Weight] = field(default_factory=dict)
    joins: dict[str, Weight] = field(default_factory=dict)  # partner "table.column" -> weight
    aggregates: dict[str, Weight] = field(default_factory=dict)  # function -> weight
    expressions: dict[str, Weight] = field(default_factory=dict)  # filtered expression of the column -> weight

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"

    def weight(self, role: str) -> Weight:
        return self.roles.get(role) or Weight()

    @property
    def filter_weight(self) -> Weight:
        """Calls and time of the templates that filter on this column in any way (each counted once)."""
        total = Weight()
        for role, weight in self.roles.items():
            if ColumnRole(role).is_filter:
                total.calls += weight.calls
                total.time_ms += weight.time_ms
                total.templates += weight.templates
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "roles": {role: w.to_dict() for role, w in sorted(self.roles.items())},
            "joins": {partner: w.to_dict() for partner, w in sorted(self.joins.items())},
            "aggregates": {name: w.to_dict() for name, w in sorted(self.aggregates.items())},
            "expressions": {text: w.to_dict() for text, w in sorted(self.expressions.items())},
        }


@dataclass(slots=True)
class TableUsage:
    table: str
    reads: Weight = field(default_factory=Weight)
    writes: dict[str, Weight] = field(default_factory=dict)  # "insert" | "update" | "delete" | "merge"

    @property
    def write_weight(self) -> Weight:
        total = Weight()
        for weight in self.writes.values():
            total.calls += weight.calls
            total.time_ms += weight.time_ms
            total.templates += weight.templates
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "reads": self.reads.to_dict(),
            "writes": {kind: w.to_dict() for kind, w in sorted(self.writes.items())},
        }


@dataclass(slots=True)
class UsageStats(Displayable):
    """Per table and per column: what the workload does with it, weighted (see the module documentation)."""

    tables: dict[str, TableUsage] = field(default_factory=dict)
    columns: dict[tuple[str, str], ColumnUsage] = field(default_factory=dict)
    unparsed: list[tuple[Template, str]] = field(default_factory=list)  # (template, the parser's reason)
    unresolved: Weight = field(default_factory=Weight)  # templates with a column no relation could be found for
    graphs: dict[str, QueryGraph] = field(default_factory=dict, repr=False)  # fingerprint -> its graph
    _names: dict[str, set[str]] = field(default_factory=dict, repr=False)  # last part -> table names so ending

    @classmethod
    def from_workload(cls, workload: Workload, schema: Schema | None = None) -> UsageStats:
        stats = cls()
        for template in workload.templates:
            stats._add(template, workload.dialect, schema)
        return stats

    def _add(self, template: Template, dialect: str | None, schema: Schema | None) -> None:
        statements = parse_source(Source(template.location or template.fingerprint, template.example), dialect)
        failed = next((s.error for s in statements if s.error is not None), None)
        if failed is not None or not statements:
            self.unparsed.append((template, failed.message if failed else "no statement"))
            return
        for statement in statements:
            expression = statement.expression
            if expression is None:
                continue
            graph = QueryGraph.build(expression, schema)
            self.graphs.setdefault(template.fingerprint, graph)
            self._add_graph(template, graph, expression, dialect)

    def _add_graph(
        self, template: Template, graph: QueryGraph, expression: exp.Expression, dialect: str | None
    ) -> None:
        # Each table, and each (table, column, role, detail), counts once per template: a self-join or a CTE
        # read three times does not triple a weight.
        seen: set[tuple[str, ...]] = set()
        written = _written(expression)
        for relation in graph.base_tables():
            if written is not None and relation.node is written[1]:
                continue
            name = _name(relation)
            if ("read", name) not in seen:
                seen.add(("read", name))
                self._table(name).reads.add(template)
        if written is not None:
            name, node, kind = written
            target = graph.target if graph.target is not None and graph.target.node is node else None
            if target is None:
                target = next((r for r in graph.base_tables() if r.node is node), None)
            self._table(_name(target) if target is not None else name).writes.setdefault(kind, Weight()).add(template)
        for use in graph.uses:
            self._add_use(template, use, dialect, seen)
        for join in graph.joins:
            for left, right in join.equi:
                if left.table is None or right.table is None:
                    continue
                for one, other in ((left, right), (right, left)):
                    partner = f"{fold_path(other.table or '')}.{fold(other.column)}"
                    key = ("join", fold_path(one.table or ""), fold(one.column), partner)
                    if key not in seen:
                        seen.add(key)
                        self._column(key[1], key[2]).joins.setdefault(partner, Weight()).add(template)

    def _add_use(self, template: Template, use: ColumnUse, dialect: str | None, seen: set[tuple[str, ...]]) -> None:
        if use.column.table is None:
            # A column of a derived table or CTE: its base columns were counted inside it.
            if use.column.relation is None and ("unresolved",) not in seen:
                seen.add(("unresolved",))
                self.unresolved.add(template)
            return
        table, column = fold_path(use.column.table), fold(use.column.column)
        usage = self._column(table, column)
        key = ("role", table, column, use.role.value)
        if key not in seen:
            seen.add(key)
            usage.roles.setdefault(use.role.value, Weight()).add(template)
        detail = _detail(use, dialect)
        if detail is not None and (*key, *detail) not in seen:
            seen.add((*key, *detail))
            kind, text = detail
            target = usage.aggregates if kind == "aggregate" else usage.expressions
            target.setdefault(text, Weight()).add(template)

    def _table(self, name: str) -> TableUsage:
        usage = self.tables.get(name)
        if usage is None:
            usage = self.tables[name] = TableUsage(name)
            self._names.setdefault(name.rsplit(".", 1)[-1], set()).add(name)
        return usage

    def _column(self, table: str, column: str) -> ColumnUsage:
        usage = self.columns.get((table, column))
        if usage is None:
            usage = self.columns[table, column] = ColumnUsage(table, column)
            self._names.setdefault(table.rsplit(".", 1)[-1], set()).add(table)
        return usage

    # -- questions -----------------------------------------------------------------------------------
    def name_of(self, table: str) -> str:
        """The name the statistics know ``table`` by: itself, or the one known name it ends (see the module)."""
        key = fold_path(table)
        known = self._names.get(key.rsplit(".", 1)[-1], set())
        if key in known:
            return key
        matching = [name for name in known if name.endswith("." + key)]
        return matching[0] if len(matching) == 1 else key

    def column(self, table: str, column: str) -> ColumnUsage:
        name = self.name_of(table)
        return self.columns.get((name, fold(column))) or ColumnUsage(name, fold(column))

    def table(self, name: str) -> TableUsage:
        key = self.name_of(name)
        return self.tables.get(key) or TableUsage(key)

    def columns_of(self, table: str) -> list[ColumnUsage]:
        wanted = self.name_of(table)
        return [usage for (name, _), usage in sorted(self.columns.items()) if name == wanted]

    def hottest(
        self, roles: tuple[str, ...] | None = None, n: int | None = None, by: str = "time"
    ) -> list[tuple[ColumnUsage, str, Weight]]:
        """(column, role, weight) for every role a column plays, heaviest first (``by``: time or calls)."""
        if by not in ("time", "calls"):
            raise ValueError(f"unknown order {by!r}; expected time or calls")
        rows = [
            (usage, role, weight)
            for usage in self.columns.values()
            for role, weight in usage.roles.items()
            if roles is None or role in roles
        ]
        rows.sort(key=lambda r: (-(r[2].time_ms if by == "time" else r[2].calls), -r[2].calls, str(r[0]), r[1]))
        return rows if n is None else rows[:n]

    def by_role(self) -> Iterator[tuple[str, list[tuple[ColumnUsage, Weight]]]]:
        """Each role with its columns, heaviest first."""
        roles: dict[str, list[tuple[ColumnUsage, Weight]]] = {}
        for usage, role, weight in self.hottest():
            roles.setdefault(role, []).append((usage, weight))
        yield from roles.items()

    def to_dict(self) -> dict[str, Any]:
        return {
            "tables": [usage.to_dict() for _, usage in sorted(self.tables.items())],
            "columns": [usage.to_dict() for _, usage in sorted(self.columns.items())],
            "unparsed": [
                {"fingerprint": t.fingerprint, "location": t.location, "calls": t.calls, "reason": reason}
                for t, reason in self.unparsed
            ],
            "unresolved": self.unresolved.to_dict(),
        }


def _name(relation: Relation) -> str:
    """A base table's name, as the graph names its columns' table (``graph.resolution.column_ref``)."""
    return fold_path(relation.table.qualified_name if relation.table is not None else relation.name)


def _written(expression: exp.Expression) -> tuple[str, exp.Expression, str] | None:
    """The table a DML statement writes: (name as written, its node, kind)."""
    kind = _WRITES.get(type(expression))
    if kind is None:
        return None
    target = expression.this
    if isinstance(target, exp.Schema):
        target = target.this
    if not isinstance(target, exp.Table):
        return None
    return fold_path(exp.table_name(target)), target, kind


def _detail(use: ColumnUse, dialect: str | None) -> tuple[str, str] | None:
    """("aggregate", function) for an aggregate argument; ("expression", sql) for a filter on an expression."""
    if use.role is ColumnRole.AGGREGATE:
        node: exp.Expression | None = use.node.parent
        while node is not None and not isinstance(node, exp.AggFunc):
            node = node.parent
        if node is None:
            return None
        name = node.sql_name().lower() if not isinstance(node, exp.Anonymous) else str(node.name).lower()
        if isinstance(node.this, exp.Distinct):
            name += "_distinct"
        return "aggregate", name
    if use.role.is_filter and not use.sargable and use.predicate is not None:
        operand: exp.Expression = use.node
        while operand.parent is not None and operand.parent is not use.predicate:
            operand = operand.parent
        if operand is use.node or operand.parent is None:
            return None
        shown = operand.copy()
        for column in shown.find_all(exp.Column):
            column.set("table", None)
        return "expression", shown.sql(dialect=dialect)
    return None
