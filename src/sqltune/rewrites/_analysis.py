"""Facts the rewrites prove before they change a query: which FROM item a column reads, where an outer
expression may move, literals, fresh aliases, and the small tree edits the rewrites share.

Everything here answers conservatively: ``None`` or ``False`` whenever the schema or the syntax does not
settle the question, so that a rewrite built on these answers is only APPLIED when it is really proven.
Conjuncts, NULL tests, aggregates and the NOT-NULL and unique-key proofs are the predicate toolkit's
(:mod:`sqltune.core.predicates`, :mod:`sqltune.graph.predicates`), shared with the lint rules.

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.schema import Schema
>>> schema = Schema.from_ddl("CREATE TABLE t (id int PRIMARY KEY, x int)")
>>> select = parse_one("SELECT x FROM t LEFT JOIN u ON u.id = t.id WHERE x IS NOT NULL")
>>> scope = Scope(select, schema)
>>> [(item.alias, item.null_extended) for item in scope.items]
[('t', False), ('u', True)]
>>> scope.resolve(parse_one("t.id")).alias, scope.resolve(select.find(exp.Column))
('t', None)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqltune.core.predicates import aggregates_rows, conjuncts, has_window, set_branches, strip_parens
from sqltune.core.predicates import own_nodes as own_subtree
from sqltune.core.sqlglot import exp
from sqltune.schema import Schema, Table, fold

__all__ = ["FromItem", "Scope", "conjoin", "fresh_alias", "is_deterministic", "numeric_literal", "own_columns"]

#: Functions whose value changes between calls in one statement: moving or duplicating them changes results.
VOLATILE = frozenset(
    {
        "random",
        "rand",
        "nextval",
        "setval",
        "currval",
        "clock_timestamp",
        "timeofday",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v4",
        "newid",
        "uuid",
        "random_uuid",
        "txid_current",
        "pg_sleep",
        "statement_timestamp",
    }
)

INTEGER_TYPES = frozenset({"SMALLINT", "INT", "INTEGER", "BIGINT", "TINYINT", "MEDIUMINT", "INT2", "INT4", "INT8"})
EXACT_NUMERIC_PREFIXES = ("DECIMAL", "NUMERIC", "NUMBER")
DATE_TYPES = frozenset({"DATE"})
TIMESTAMP_PREFIXES = ("TIMESTAMP", "DATETIME")


def is_not_null(node: exp.Expression) -> exp.Expression:
    """``node IS NOT NULL``."""
    return exp.Is(this=node, expression=exp.Null(), negate=True)


def is_null(node: exp.Expression) -> exp.Expression:
    """``node IS NULL``."""
    return exp.Is(this=node, expression=exp.Null())


def is_not_true(predicate: exp.Expression, dialect: str | None) -> exp.Expression:
    """``(p) IS NOT TRUE``; ``NOT COALESCE(p, FALSE)`` where sqlglot would print IS NOT TRUE as a plain NOT."""
    if (dialect or "").lower() in _COALESCE_GUARD:
        return exp.Not(this=exp.Coalesce(this=predicate, expressions=[exp.false()]))
    return exp.Is(this=exp.Paren(this=predicate), expression=exp.true(), negate=True)


#: Dialects for which sqlglot prints ``IS NOT TRUE`` as ``NOT (...)``, which is NULL (not TRUE) for a NULL.
_COALESCE_GUARD = frozenset({"snowflake", "trino", "presto", "athena", "dremio", "exasol", "teradata"})
#: Dialects without a boolean type in expressions: no ``IS NOT TRUE`` guard can be written portably.
NO_BOOLEANS = frozenset({"tsql", "oracle", "fabric"})


def conjoin(parts: Iterable[exp.Expression]) -> exp.Expression | None:
    """``a AND b AND ...`` (OR-ed parts parenthesised), or ``None`` for no parts."""
    items = [part for part in parts if part is not None]
    if not items:
        return None
    return exp.and_(*items, copy=False)


def set_where(select: exp.Select, predicate: exp.Expression | None) -> None:
    select.set("where", exp.Where(this=predicate) if predicate is not None else None)


def own_nodes(
    root: exp.Expression, kind: type[exp.Expression] | tuple[type[exp.Expression], ...]
) -> Iterator[exp.Expression]:
    """Nodes of ``kind`` under ``root`` that are not inside a nested query (``root`` may itself be a query)."""
    return (node for node in own_subtree(root) if node is not root and isinstance(node, kind))


def own_columns(root: exp.Expression) -> list[exp.Column]:
    """Column references of ``root`` itself, not of its nested subqueries."""
    return [node for node in own_nodes(root, exp.Column) if isinstance(node, exp.Column)]


def function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.Func):
        return str(node.sql_name()).lower()
    return ""


def is_deterministic(node: exp.Expression) -> bool:
    """No volatile function (``random()``, ``nextval()``...) anywhere in ``node``.

    >>> from sqltune.core.sqlglot import parse_one
    >>> is_deterministic(parse_one("a + abs(b)")), is_deterministic(parse_one("a + random()"))
    (True, False)
    """
    return volatile_call(node) is None


def volatile_call(node: exp.Expression) -> exp.Func | None:
    """The first call of a volatile function in ``node``, if any."""
    return next((f for f in node.find_all(exp.Func) if isinstance(f, exp.Rand) or function_name(f) in VOLATILE), None)


def numeric_literal(node: exp.Expression) -> Decimal | None:
    """The value of a numeric literal (``-3``, ``2.5``), else ``None``."""
    node = strip_parens(node)
    negative = False
    if isinstance(node, exp.Neg):
        negative, node = True, strip_parens(node.this)
    if not isinstance(node, exp.Literal) or node.is_string:
        return None
    try:
        value = Decimal(str(node.this))
    except InvalidOperation:
        return None
    return -value if negative else value


def decimal_literal(value: Decimal) -> exp.Expression:
    """A SQL literal for ``value`` (negative values as ``-n``), written without an exponent."""
    text = format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))
    if text.startswith("-"):
        return exp.Neg(this=exp.Literal.number(text[1:]))
    return exp.Literal.number(text)


def fresh_alias(tree: exp.Expression, base: str, exclude: exp.Expression | None = None) -> str:
    """An identifier not used anywhere in ``tree`` (outside ``exclude``): ``base``, ``base_2``, ``base_3``..."""
    root = tree.root()
    skipped = {id(node) for node in exclude.walk()} if exclude is not None else set()
    used = {fold(identifier.name) for identifier in root.find_all(exp.Identifier) if id(identifier) not in skipped}
    for candidate in itertools.chain([base], (f"{base}_{n}" for n in itertools.count(2))):
        if fold(candidate) not in used:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def unique_match(table: Table, columns: Iterable[str]) -> bool:
    """Equality on these columns matches at most one row (NULL never equals, so nullable keys count)."""
    return table.is_unique(columns)


def cte_bodies(node: exp.Expression) -> dict[str, exp.CTE]:
    """CTEs visible from ``node``: those of every enclosing WITH, innermost first."""
    found: dict[str, exp.CTE] = {}
    current: exp.Expression | None = node
    while current is not None:
        with_ = current.args.get("with_") if isinstance(current, exp.Query) else None
        if isinstance(with_, exp.With):
            for cte in with_.expressions:
                found.setdefault(fold(cte.alias), cte)
        current = current.parent
    return found


def query_outputs(query: exp.Expression) -> list[str] | None:
    """Output column names of a query, ``None`` when a ``*`` or an unnamed expression hides them."""
    query = set_branches(query)[0]  # the first branch names a set operation's outputs
    if not isinstance(query, exp.Select):
        return None
    names: list[str] = []
    for projection in query.expressions:
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            return None
        name = projection.alias_or_name
        if not name:
            return None
        names.append(fold(name))
    return names


@dataclass(slots=True)
class FromItem:
    """One relation in a SELECT's FROM clause or JOINs."""

    alias: str  # folded: the alias, or the table name when there is none
    node: exp.Expression  # exp.Table, exp.Subquery, ...
    join: exp.Join | None  # None for the FROM item
    table: Table | None = None  # the schema's table, for a base table it knows
    columns: frozenset[str] | None = None  # folded column names when known
    cte: exp.CTE | None = None
    null_extended: bool = False  # on the nullable side of an outer join

    @property
    def identifier(self) -> exp.Identifier:
        """The name to qualify columns with, as written (quoting kept)."""
        alias = self.node.args.get("alias")
        if isinstance(alias, exp.TableAlias) and isinstance(alias.this, exp.Identifier):
            return alias.this.copy()
        return self.node.this.copy() if isinstance(self.node.this, exp.Identifier) else exp.to_identifier(self.alias)

    @property
    def side(self) -> str:
        if self.join is None:
            return ""
        return str(self.join.side or "").lower()

    @property
    def is_inner(self) -> bool:
        """Joined with a plain (INNER) JOIN ... ON, or the FROM item."""
        if self.join is None:
            return True
        kind = str(self.join.kind or "").upper()
        return not self.side and kind in {"", "INNER"} and self.join.args.get("on") is not None


@dataclass(slots=True)
class Scope:
    """The FROM items of one SELECT, and column resolution against them and the schema."""

    select: exp.Select
    schema: Schema
    items: list[FromItem] = field(default_factory=list)
    complete: bool = True  # every FROM item is understood (no LATERAL, UNNEST, table function...)

    def __post_init__(self) -> None:
        ctes = cte_bodies(self.select)
        from_ = self.select.args.get("from_")
        nodes: list[tuple[exp.Expression, exp.Join | None]] = []
        if isinstance(from_, exp.From):
            nodes.append((from_.this, None))
        for join in self.select.args.get("joins") or ():
            nodes.append((join.this, join))
        for node, join in nodes:
            item = self._item(node, join, ctes)
            if item is None:
                self.complete = False
                continue
            self.items.append(item)
        for index, item in enumerate(self.items):
            side = item.side
            if side in {"left", "full"}:
                item.null_extended = True
            if side in {"right", "full"}:
                for earlier in self.items[:index]:
                    earlier.null_extended = True

    def _item(self, node: exp.Expression, join: exp.Join | None, ctes: dict[str, exp.CTE]) -> FromItem | None:
        if join is not None and (join.args.get("using") or str(join.kind or "").upper() in {"NATURAL"}):
            return None
        if join is not None and join.args.get("method"):
            return None  # NATURAL / ASOF joins
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            alias = fold(node.alias_or_name)
            if not node.args.get("db") and fold(node.name) in ctes:
                cte = ctes[fold(node.name)]
                outputs = _alias_columns(cte.args.get("alias")) or query_outputs(cte.this)
                return FromItem(alias, node, join, None, frozenset(outputs) if outputs else None, cte)
            table = self.schema.table(exp.table_name(node, dialect=None)) if self.schema else None
            columns = frozenset(table.columns) if table is not None and table.columns else None
            if node.args.get("alias") is not None and node.args["alias"].columns:
                return None  # renamed columns: t AS x(a, b)
            return FromItem(alias, node, join, table, columns)
        if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Query) and node.alias:
            outputs = _alias_columns(node.args.get("alias")) or query_outputs(node.this)
            return FromItem(fold(node.alias), node, join, None, frozenset(outputs) if outputs else None)
        return None

    # -- lookup ---------------------------------------------------------------------------------------
    def item(self, alias: str) -> FromItem | None:
        key = fold(alias)
        for item in self.items:
            if item.alias == key:
                return item
        return None

    def resolve(self, column: exp.Column) -> FromItem | None:
        """The FROM item ``column`` belongs to; ``None`` when unknown, ambiguous or an outer reference."""
        if not self.complete:
            return None
        if column.table:
            return self.item(column.table)
        name = fold(column.name)
        owners = [item for item in self.items if item.columns is not None and name in item.columns]
        unknown = [item for item in self.items if item.columns is None]
        if len(owners) == 1 and not unknown:
            return owners[0]
        if len(self.items) == 1 and not owners and unknown:
            return self.items[0]
        return None

    def is_local(self, column: exp.Column) -> bool | None:
        """True for a column of this SELECT's FROM items, False for an outer reference, None when unsure."""
        if not self.complete:
            return None
        if column.table:
            return self.item(column.table) is not None
        name = fold(column.name)
        if any(item.columns is None for item in self.items):
            return None
        return any(name in item.columns for item in self.items if item.columns is not None)

    def column_type(self, column: exp.Expression) -> str:
        """The schema type of a base-table column (``"BIGINT"``), ``""`` when unknown."""
        column = strip_parens(column)
        if not isinstance(column, exp.Column):
            return ""
        item = self.resolve(column)
        if item is None or item.table is None:
            return ""
        col = item.table.column(column.name)
        return col.type.upper() if col is not None else ""


def _alias_columns(alias: exp.Expression | None) -> list[str] | None:
    if isinstance(alias, exp.TableAlias) and alias.columns:
        return [fold(column.name) for column in alias.columns]
    return None


def qualify(node: exp.Expression, item: FromItem) -> None:
    """Qualify ``node``'s unqualified columns (not in nested queries) that belong to ``item`` with its alias."""
    if item.columns is None:
        return
    for column in own_columns(node) if not isinstance(node, exp.Column) else [node]:
        if not column.table and fold(column.name) in item.columns:
            column.set("table", item.identifier)


def filtered_selects(tree: exp.Expression, schema: Schema) -> Iterator[tuple[exp.Select, list[exp.Expression], Scope]]:
    """Each SELECT of ``tree`` that has a WHERE and whose FROM items are all known: the SELECT, its WHERE
    conjuncts and its scope (the sites of the rewrites that work on filters)."""
    for select in tree.find_all(exp.Select):
        where = select.args.get("where")
        if not isinstance(where, exp.Where):
            continue
        scope = Scope(select, schema)
        if scope.complete:
            yield select, conjuncts(where.this), scope


def enclosing_select(node: exp.Expression) -> exp.Select | None:
    """The SELECT whose clauses contain ``node`` (the nearest one above it)."""
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        parent = parent.parent
    return parent


def plain_subquery(node: exp.Expression | None) -> exp.Select | None:
    """The SELECT of a ``(subquery)`` that only reads, filters and projects: no grouping, limits or windows.

    Such a subquery's rows are a filter over its FROM items, which is what EXISTS and joins can express.
    """
    if not isinstance(node, exp.Subquery) or not isinstance(node.this, exp.Select):
        return None
    select = node.this
    if any(select.args.get(key) for key in ("group", "having", "limit", "offset", "qualify", "fetch", "kind", "into")):
        return None
    if not isinstance(select.args.get("from_"), exp.From) or (
        isinstance(select.args.get("distinct"), exp.Distinct) and select.args["distinct"].args.get("on")
    ):
        return None
    if any(has_window(p) or aggregates_rows(p) for p in select.expressions):
        return None
    return select


def movable_outer(value: exp.Expression, outer: Scope, inner: Scope) -> exp.Expression | None:
    """A copy of ``value`` (an expression of ``outer``) that means the same inside the subquery ``inner``.

    Unqualified columns get their outer alias; ``None`` when a column cannot be resolved in ``outer`` or its
    alias is shadowed by one of ``inner``'s FROM items.
    """
    if not is_deterministic(value) or value.find(exp.Query, exp.Subquery) is not None:
        return None
    if not inner.complete:
        return None
    copy = value.copy()
    for column in list(copy.find_all(exp.Column)):
        if column.table:
            if inner.item(column.table) is not None or outer.item(column.table) is None:
                return None
            continue
        item = outer.resolve(column)
        if item is None or inner.item(item.alias) is not None:
            return None
        column.set("table", item.identifier)
    return copy
