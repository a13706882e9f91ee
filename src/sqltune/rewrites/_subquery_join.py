"""What RW002, RW022, RW023 and RW024 share: a one-table subquery read as a filter, whether it can match
more than one row, and the edit that joins its table to the outer query.

``x IN (SELECT k FROM u WHERE p)`` and ``EXISTS (SELECT ... FROM u WHERE u.k = o.x AND p)`` are both a
:class:`Filter` over ``u``: its *matches* -- equalities between a column of ``u`` and a value that reads no
column of ``u`` (the IN's own ``k = x``, a correlation, a constant, a parameter) -- and its other conjuncts.
At most one row of ``u`` matches an outer row when the matched columns include a unique key
(:meth:`Filter.unique`): under ``UNIQUE (team_id, member_id)``, ``id IN (SELECT member_id FROM team_members
WHERE team_id = 8)`` matches one row at most, because the filter pins ``team_id``. NULLs do not matter (NULL
equals nothing, so a UNIQUE key over nullable columns counts). MySQL compares a string column with a number
as numbers (``'8'``, ``'08'`` and ``'8.0'`` all equal ``8``), so in the ``mysql`` dialect a string column
counts only when compared with a string.

:func:`join_site` appends ``u`` -- or, where it may match several rows, the derived table ``(SELECT DISTINCT k
FROM u WHERE p)`` -- to the outer FROM as an inner or LEFT join and edits the outer WHERE.

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.schema import Schema
>>> schema = Schema.from_ddl("CREATE TABLE tm (team_id int NOT NULL, member_id int NOT NULL, "
...                          "UNIQUE (team_id, member_id))")
>>> tree = parse_one("SELECT m.id FROM m WHERE m.id IN (SELECT member_id FROM tm WHERE team_id = 8)")
>>> found = read_filter(tree.find(exp.In), schema)
>>> [(m.column.name, m.value.sql()) for m in found.matches], found.unique(None)
([('member_id', 'm.id'), ('team_id', '8')], True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqltune.core.predicates import aggregates_rows, conjuncts, has_window, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import (
    FromItem,
    Scope,
    conjoin,
    enclosing_select,
    fresh_alias,
    is_deterministic,
    own_columns,
    plain_subquery,
    set_where,
)
from sqltune.rewrites.base import Site, shown
from sqltune.rewrites.conditions import Condition, unique
from sqltune.schema import Schema, fold

__all__ = [
    "DISTINCT_ADVICE",
    "Filter",
    "Match",
    "join_site",
    "joinable_from",
    "membership_only",
    "positional",
    "read_filter",
    "subquery_sites",
    "top_level_conjunct",
]

#: How the condition of an advice to join ``(SELECT DISTINCT ...)`` begins (its rows are always the same).
DISTINCT_ADVICE = "de-duplicating the subquery's rows once"

#: Type names (before any ``(n)``) MySQL compares as strings.
STRING_TYPES = frozenset(
    {"CHAR", "VARCHAR", "NCHAR", "NVARCHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET"}
)


@dataclass(slots=True)
class Match:
    """``column = value``: a column of the subquery's table and a value that reads none of its columns."""

    column: exp.Column
    value: exp.Expression
    conjunct: exp.Expression | None  # the subquery's WHERE conjunct; None for the IN's own match

    @property
    def correlated(self) -> bool:
        """The value reads a column (an outer one): the match ties the subquery to the outer row."""
        return self.value.find(exp.Column) is not None


@dataclass(slots=True)
class Filter:
    """A one-table subquery (of IN or EXISTS) read as a filter over the table: matches and other conjuncts."""

    predicate: exp.In | exp.Exists
    outer: exp.Select
    sub: exp.Select
    item: FromItem
    matches: list[Match]  # the IN's own match first, then those among the WHERE conjuncts
    others: list[exp.Expression]  # the subquery's other WHERE conjuncts
    where: list[exp.Expression]  # all of the subquery's WHERE conjuncts, in order
    schema: Schema
    outer_scope: Scope = field(init=False)

    def __post_init__(self) -> None:
        self.outer_scope = Scope(self.outer, self.schema)

    @property
    def table_name(self) -> str:
        return self.item.table.name if self.item.table is not None else self.item.alias

    def key_columns(self, dialect: str | None) -> list[str]:
        """Folded names of the matched columns whose equality matches one value only, in match order."""
        names: list[str] = []
        for match in self.matches:
            name = fold(match.column.name)
            if name not in names and self._exact(match, dialect):
                names.append(name)
        return names

    def unique(self, dialect: str | None) -> bool:
        """At most one row of the table matches an outer row: the matched columns include a unique key."""
        return self.item.table is not None and self.item.table.is_unique(self.key_columns(dialect))

    def uncorrelated_others(self) -> bool:
        """Every conjunct besides the matches reads only the subquery's table."""
        scope = Scope(self.sub, self.schema)
        return all(scope.is_local(column) is True for other in self.others for column in own_columns(other))

    def distinct_form(self, dialect: str | None) -> bool:
        """The subquery can become ``(SELECT DISTINCT <correlated columns> FROM u WHERE <the rest>)`` joined on
        the correlated matches: no other conjunct reads the outer row, and each correlated match compares
        like DISTINCT does (not a MySQL string column against a number)."""
        correlated = [match for match in self.matches if match.correlated]
        return bool(correlated) and self.uncorrelated_others() and all(self._exact(m, dialect) for m in correlated)

    def unique_conditions(self, dialect: str | None) -> tuple[str, ...]:
        """The advisory's conditions when a plain join is not proven: the matched columns are unique (given
        the pinned ones), and on MySQL, that no two strings compared with a number as numbers equal it."""
        conditions = [
            f"no two {self.item.alias}.{m.column.name} values equal one value of {shown(m.value)} (MySQL "
            f"compares a string with a number as numbers: '8', '08' and '8.0' all equal 8)"
            for m in self.matches
            if not self._exact(m, dialect)
        ]
        matched = list(dict.fromkeys(fold(m.column.name) for m in self.matches if m.correlated))
        pinned = [fold(m.column.name) for m in self.matches if not m.correlated and fold(m.column.name) not in matched]
        if self.item.table is not None and not self.item.table.is_unique([*matched, *pinned]):
            given = f" within each {', '.join(dict.fromkeys(pinned))}" if pinned else ""
            conditions.append(
                f"{self.item.alias}.{', '.join(matched)} is unique in {self.table_name}{given} (a join repeats the "
                f"outer row once per matching row; {self.kind} returns it once)"
            )
        return tuple(conditions)

    def unique_checks(self, dialect: str | None) -> tuple[Condition, ...]:
        """The uniqueness condition of :meth:`unique_conditions` as a check on the data, when it is the only
        one and the table is a base table (the pinned columns join the key: a unique pair is unique within
        each pinned value)."""
        conditions = self.unique_conditions(dialect)
        if len(conditions) != 1 or not isinstance(self.item.node, exp.Table) or self.item.cte is not None:
            return ()
        if any(not self._exact(m, dialect) for m in self.matches):
            return ()
        columns = list(dict.fromkeys(fold(m.column.name) for m in self.matches))
        return (unique(conditions[0], self.item.node, columns),)

    def distinct_condition(self) -> str:
        """The condition of the DISTINCT derived table's advice: a cost trade-off (the rows are the same)."""
        key = ", ".join(dict.fromkeys(fold(m.column.name) for m in self.matches))
        return (
            f"{DISTINCT_ADVICE} costs less than the {self.kind} test per outer row (the rows are the same; a plain "
            f"JOIN without DISTINCT needs ({key}) unique in {self.table_name})"
        )

    @property
    def kind(self) -> str:
        return "IN" if isinstance(self.predicate, exp.In) else "EXISTS"

    def _exact(self, match: Match, dialect: str | None) -> bool:
        """Equality on the column matches one stored value: not so for a MySQL string column compared with
        a number (or a value of unknown type), which MySQL compares as numbers."""
        if dialect != "mysql":
            return True
        column = self.item.table.column(match.column.name) if self.item.table is not None else None
        column_type = _type_name(column.type) if column is not None else ""
        if column_type not in STRING_TYPES:
            return bool(column_type)
        value = strip_parens(match.value)
        if isinstance(value, exp.Literal):
            return bool(value.is_string)
        return isinstance(value, exp.Column) and _type_name(self.outer_scope.column_type(value)) in STRING_TYPES


def _type_name(sql_type: str) -> str:
    return sql_type.split("(")[0].strip().upper()


def read_filter(predicate: exp.Expression, schema: Schema) -> Filter | None:
    """The :class:`Filter` of an ``IN (subquery)`` or ``EXISTS`` over one base table, else ``None``.

    An EXISTS must be correlated by at least one equality (else a join would be a cross join).
    """
    outer = enclosing_select(predicate)
    if outer is None:
        return None
    if isinstance(predicate, exp.In):
        sub = plain_subquery(predicate.args.get("query"))
    elif isinstance(predicate, exp.Exists):
        body = predicate.this.this if isinstance(predicate.this, exp.Subquery) else predicate.this
        sub = body if isinstance(body, exp.Select) and _plain_but_limit(body) else None
    else:
        return None
    if sub is None:
        return None
    scope = Scope(sub, schema)
    if not scope.complete or len(scope.items) != 1:
        return None
    item = scope.items[0]
    if item.table is None or item.columns is None or item.cte is not None:
        return None
    matches: list[Match] = []
    if isinstance(predicate, exp.In):
        first = _in_match(predicate, sub, scope, outer, schema)
        if first is None:
            return None
        matches.append(first)
    where = sub.args.get("where")
    terms = conjuncts(where.this) if isinstance(where, exp.Where) else []
    others: list[exp.Expression] = []
    for conjunct in terms:
        match = _match(conjunct, scope)
        if match is None:
            others.append(conjunct)
        else:
            matches.append(match)
    if isinstance(predicate, exp.Exists) and not any(match.correlated for match in matches):
        return None
    return Filter(predicate, outer, sub, item, matches, others, terms, schema)


def _plain_but_limit(select: exp.Select) -> bool:
    """An EXISTS body that is a plain filter (:func:`plain_subquery`) but for a ``LIMIT n``, ``n >= 1``, and no
    OFFSET: whether a row exists does not depend on such a limit (Django writes ``EXISTS(... LIMIT 1)``)."""
    limit = select.args.get("limit")
    if limit is None:
        return plain_subquery(exp.Subquery(this=select)) is not None
    if select.args.get("offset") or not isinstance(limit, exp.Limit) or limit.args.get("offset"):
        return False
    count = limit.expression
    if not (isinstance(count, exp.Literal) and count.is_int and int(count.this) >= 1):
        return False
    bare = select.copy()
    bare.set("limit", None)
    return plain_subquery(exp.Subquery(this=bare)) is not None


def subquery_sites(
    tree: exp.Expression,
    schema: Schema,
    accept: Callable[[exp.Expression, exp.Select], bool],
    site: Callable[[Filter], Site | None],
) -> list[Site]:
    """The sites ``site`` makes of the IN / EXISTS filters of ``tree`` whose place ``accept(predicate, outer
    SELECT)`` accepts."""
    sites: list[Site] = []
    for predicate in list(tree.find_all(exp.In, exp.Exists)):
        outer = enclosing_select(predicate)
        if outer is None or not accept(predicate, outer):
            continue
        found = read_filter(predicate, schema)
        made = site(found) if found is not None else None
        if made is not None:
            sites.append(made)
    return sites


def _in_match(in_: exp.In, sub: exp.Select, scope: Scope, outer: exp.Select, schema: Schema) -> Match | None:
    """``projected = x`` of ``x IN (SELECT projected ...)``, x's columns qualified with their outer owners."""
    if len(sub.expressions) != 1 or isinstance(in_.this, exp.Tuple):
        return None
    projected = strip_parens(sub.expressions[0].unalias())
    value = in_.this
    if not isinstance(projected, exp.Column) or scope.resolve(projected) is not scope.items[0]:
        return None
    if not is_deterministic(value) or value.find(exp.Query, exp.Subquery) is not None:
        return None
    value = value.copy()
    outer_scope = Scope(outer, schema)
    for column in value.find_all(exp.Column):
        owner = outer_scope.resolve(column)
        if owner is None:
            return None
        column.set("table", owner.identifier)
    return Match(projected, value, None)


def _match(conjunct: exp.Expression, scope: Scope) -> Match | None:
    if not isinstance(conjunct, exp.EQ) or not is_deterministic(conjunct):
        return None
    for local, other in ((conjunct.this, conjunct.expression), (conjunct.expression, conjunct.this)):
        local, other = strip_parens(local), strip_parens(other)
        if not isinstance(local, exp.Column) or scope.is_local(local) is not True:
            continue
        if other.find(exp.Query, exp.Subquery) is not None:
            continue
        columns = [other] if isinstance(other, exp.Column) else own_columns(other)
        if all(scope.is_local(column) is False for column in columns):
            return Match(local, other, conjunct)
    return None


def top_level_conjunct(node: exp.Expression, select: exp.Select) -> bool:
    """``node`` is one of the AND-ed terms of ``select``'s WHERE (where a join filters rows the same way)."""
    where = select.args.get("where")
    return isinstance(where, exp.Where) and any(c is node for c in conjuncts(where.this))


def membership_only(select: exp.Select) -> bool:
    """Repeating a row of ``select`` changes nothing: it is the body of an IN, EXISTS or quantified comparison,
    where only which values occur counts, and computes its rows without aggregates, windows or a LIMIT (which
    would count the repeats). A SELECT DISTINCT over a join is not such a place: it would remove the repeats
    the join makes, the fan-out SQ009 warns of, where the semi-join never made them."""
    if any(select.args.get(key) for key in ("group", "having", "limit", "offset", "fetch")):
        return False
    if any(aggregates_rows(p) or has_window(p) for p in select.expressions):
        return False
    distinct = select.args.get("distinct")
    if isinstance(distinct, exp.Distinct) and distinct.args.get("on"):
        return False
    parent = select.parent
    if isinstance(parent, exp.Subquery) and not parent.alias:
        parent = parent.parent
    if isinstance(parent, exp.Exists | exp.Any | exp.All):
        return True
    return isinstance(parent, exp.In) and parent.args.get("query") is select.parent


def join_site(
    found: Filter,
    rationale: str,
    conditions: tuple[str, ...] = (),
    *,
    left: bool = False,
    distinct: bool = False,
    target: exp.Expression | None = None,
    test: Callable[[exp.Column], exp.Expression] | None = None,
    also: Callable[[], None] | None = None,
    checks: tuple[Condition, ...] = (),
) -> Site | None:
    """The site that joins ``found``'s table to the outer query (``checks``: the conditions a verifier can
    test on the data, :mod:`sqltune.rewrites.conditions`).

    ``left`` makes it a LEFT JOIN; ``distinct`` joins ``(SELECT DISTINCT <correlated columns> FROM u WHERE
    <the rest>)`` instead of the table. ``target`` (default: the IN/EXISTS) is the node of the outer WHERE the
    join replaces: a top-level conjunct that is dropped, or, when ``test`` is given, the node ``test(column)``
    replaces -- ``column`` being a matched column of the joined relation, never NULL in a joined row. ``also``
    runs after the edit (RW024 changes the aggregates). ``None`` where the join cannot be written so that
    every column keeps its meaning.
    """
    outer, sub, item = found.outer, found.sub, found.item
    outer_scope = found.outer_scope
    if not outer_scope.complete or not joinable_from(outer):
        return None
    on = _on_conditions(found, distinct)
    if on is None or any(c.find(exp.Query, exp.Subquery) is not None or not is_deterministic(c) for c in on):
        return None
    assert item.columns is not None
    columns = frozenset(fold(c.name) for c in _projected(found)) if distinct else item.columns
    # Outer columns that share a name with the joined relation would become ambiguous: qualify them first.
    to_qualify: list[tuple[exp.Column, FromItem]] = []
    output_aliases = {fold(p.alias) for p in outer.expressions if isinstance(p, exp.Alias)}
    for column in outer.find_all(exp.Column):
        if column.table or isinstance(column.this, exp.Star) or fold(column.name) not in columns:
            continue
        if _within(column, sub):
            continue
        if _nested(column, outer) or fold(column.name) in output_aliases:
            return None
        owner = outer_scope.resolve(column)
        if owner is None:
            return None
        to_qualify.append((column, owner))
    for conjunct in on:
        for column in conjunct.find_all(exp.Column):
            if not column.table and fold(column.name) not in item.columns and outer_scope.resolve(column) is None:
                return None  # an outer reference the join could not resolve the same way
    target = target if target is not None else found.predicate
    if not _keeps_parameter_order(target, outer) or (
        distinct and any(m.correlated and positional(m.value) for m in found.matches)
    ):
        return None
    stars = [p for p in outer.expressions if isinstance(p, exp.Star)]
    new_alias = fresh_alias(outer, item.alias, exclude=sub)
    correlated = [m.column for m in found.matches if m.correlated]
    witness_name = (_projected(found)[0] if distinct else (correlated or [found.matches[0].column])[0]).this

    def apply() -> None:
        for column, owner in to_qualify:
            column.set("table", owner.identifier)
        for star in stars:
            _expand_star(star, outer_scope)
        identifier = item.identifier if new_alias == item.alias else exp.to_identifier(new_alias)
        renamed = [_rename(c, item, identifier) for c in on]
        relation = _derived(found, identifier) if distinct else _aliased_table(item, identifier)
        witness = exp.Column(this=witness_name.copy(), table=identifier.copy())
        if test is None:
            set_where(outer, conjoin(c for c in conjuncts(outer.args["where"].this) if c is not target))
        else:
            target.replace(test(witness))
        outer.append("joins", exp.Join(this=relation, on=conjoin(renamed), side="LEFT" if left else None))
        if also is not None:
            also()

    return Site(apply, rationale, conditions, checks=checks)


def joinable_from(outer: exp.Select) -> bool:
    """One more JOIN at the end of the FROM clause keeps the meaning of the outer SELECT: no comma joins
    (``FROM a, b JOIN u ON ...`` would bind u to b alone)."""
    if not isinstance(outer.args.get("from_"), exp.From):
        return False
    for join in outer.args.get("joins") or ():
        if not join.args.get("on") and not join.args.get("using") and str(join.kind or "").upper() != "CROSS":
            return False
    return True


def positional(node: exp.Expression) -> bool:
    """``node`` holds a positional parameter (``?``), bound by its place in the statement's text."""
    return any(not placeholder.this for placeholder in node.find_all(exp.Placeholder))


def _keeps_parameter_order(target: exp.Expression, outer: exp.Select) -> bool:
    """Moving ``target``'s text from the outer WHERE to a join after the FROM clause keeps the order of the
    positional parameters: no ``?`` of the WHERE is printed before it (those of the SELECT list and FROM
    clause stay before it, those after it stay after). Where the order of its siblings is not that of a
    binary operator's operands, any ``?`` among them counts."""
    if not positional(target):
        return True
    where = outer.args.get("where")
    node = target
    while node is not where and node.parent is not None:
        parent = node.parent
        if isinstance(parent, exp.Binary):
            before = [parent.this] if node.arg_key == "expression" else []
        elif isinstance(parent, exp.Paren | exp.Not | exp.Where):
            before = []
        else:
            before = [child for child in parent.iter_expressions() if child is not node]
        if any(positional(child) for child in before):
            return False
        node = parent
    return node is where


def _on_conditions(found: Filter, distinct: bool) -> list[exp.Expression] | None:
    """The join's ON conjuncts (copies, in the subquery's names): every match and conjunct of the subquery,
    or for the derived table only the correlated matches (the rest stays inside it)."""
    if distinct:
        return [exp.EQ(this=m.column.copy(), expression=_outer(m.value)) for m in found.matches if m.correlated]
    first = found.matches[0] if found.matches and found.matches[0].conjunct is None else None
    on = [exp.EQ(this=first.column.copy(), expression=_outer(first.value))] if first is not None else []
    return on + [conjunct.copy() for conjunct in found.where]


_OUTER = "sqltune_outer"  # meta key of a copied outer column that _rename must leave as it is


def _outer(value: exp.Expression) -> exp.Expression:
    """A copy of an outer-query value whose columns keep their qualifier when the join is renamed: in
    ``folders.parent_id IN (SELECT folders.id FROM folders ...)`` both name ``folders``, but only the
    subquery's is the joined table."""
    copy = value.copy()
    for column in copy.find_all(exp.Column):
        column.meta[_OUTER] = True
    return copy


def _projected(found: Filter) -> list[exp.Column]:
    """The derived table's columns: the correlated matches' columns, each name once."""
    seen: dict[str, exp.Column] = {}
    for match in found.matches:
        if match.correlated:
            seen.setdefault(fold(match.column.name), match.column)
    return list(seen.values())


def _derived(found: Filter, identifier: exp.Identifier) -> exp.Expression:
    correlated = [m.conjunct for m in found.matches if m.correlated]
    kept = [c.copy() for c in found.where if not any(c is m for m in correlated)]
    body = found.sub.copy()
    body.set("limit", None)  # an EXISTS body's LIMIT n >= 1 (read_filter): no part of the set of values
    body.set("distinct", exp.Distinct())
    body.set("expressions", [column.copy() for column in _projected(found)])
    set_where(body, conjoin(kept))
    return exp.Subquery(this=body, alias=exp.TableAlias(this=identifier.copy()))


def _aliased_table(item: FromItem, identifier: exp.Identifier) -> exp.Expression:
    table = item.node.copy()
    named = isinstance(item.node.args.get("alias"), exp.TableAlias) or fold(identifier.name) != fold(table.name)
    table.set("alias", exp.TableAlias(this=identifier.copy()) if named else None)
    return table


def _expand_star(star: exp.Expression, scope: Scope) -> None:
    """``SELECT *`` becomes ``SELECT a.*, b.*``: the outer relations' columns, not the joined one's."""
    stars = [exp.Column(this=exp.Star(), table=item.identifier) for item in scope.items]
    parent = star.parent
    assert isinstance(parent, exp.Select)
    expressions = []
    for projection in parent.expressions:
        expressions.extend(stars if projection is star else [projection])
    parent.set("expressions", expressions)


def _within(node: exp.Expression, ancestor: exp.Expression) -> bool:
    parent: exp.Expression | None = node
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _nested(column: exp.Column, outer: exp.Select) -> bool:
    parent = column.parent
    while parent is not None and parent is not outer:
        if isinstance(parent, exp.Query | exp.Subquery):
            return True
        parent = parent.parent
    return False


def _rename(conjunct: exp.Expression, item: FromItem, alias: exp.Identifier) -> exp.Expression:
    """The subquery's columns of ``conjunct`` qualified with the joined relation's alias."""
    assert item.columns is not None
    for column in conjunct.find_all(exp.Column):
        if column.meta.get(_OUTER):
            continue
        mine = fold(column.table) == item.alias if column.table else fold(column.name) in item.columns
        if mine:
            column.set("table", alias.copy())
    return conjunct
