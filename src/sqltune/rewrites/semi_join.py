"""RW002 semi-join-to-join: ``x IN (SELECT k FROM u ...)`` / ``EXISTS (... u.k = x ...)`` become a JOIN.

A semi-join returns each outer row once however many rows match; a join returns it once per match. When the
subquery's matching columns form a unique key of its one table, at most one row can match and the two are
the same, so the subquery can join the outer query -- which frees the planner to start from the smaller
side, use the key's index for a nested loop, and on engines that run subqueries per row, avoids that. Without
a unique key the change is advice only: it repeats outer rows for duplicate matches.

>>> from sqltune.rewrites.base import show
>>> ddl = "CREATE TABLE o (id int PRIMARY KEY, c_id int); CREATE TABLE c (id int PRIMARY KEY, vip boolean)"
>>> show(semi_join_to_join, "SELECT o.id FROM o WHERE o.c_id IN (SELECT id FROM c WHERE vip)", ddl)
APPLIED: SELECT o.id FROM o JOIN c ON c.id = o.c_id AND c.vip
>>> show(semi_join_to_join, "SELECT id FROM o WHERE EXISTS (SELECT 1 FROM c WHERE c.id = o.c_id)", ddl)
APPLIED: SELECT o.id FROM o JOIN c ON c.id = o.c_id
>>> show(semi_join_to_join, "SELECT id FROM c WHERE id IN (SELECT c_id FROM o)", ddl)
ADVISED: SELECT c.id FROM c JOIN o ON o.c_id = c.id
  if: o.c_id is unique in o (a join repeats the outer row once per matching row; IN returns it once)
"""

from __future__ import annotations

from collections.abc import Sequence

from sqltune.core.predicates import conjuncts, strip_parens
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
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.rewrites.conditions import Condition, unique
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "semi_join_to_join"]

RATIONALE = (
    "the subquery matches at most one row per outer row (its columns form a unique key), so a plain JOIN "
    "returns the same rows and leaves the planner free to choose join order and method"
)


def joinable_outer(outer: exp.Select) -> bool:
    """The outer SELECT can take one more JOIN at the end of its FROM clause without changing its meaning."""
    if not isinstance(outer.args.get("from_"), exp.From):
        return False
    for join in outer.args.get("joins") or ():
        if not join.args.get("on") and not join.args.get("using") and str(join.kind or "").upper() != "CROSS":
            return False  # FROM a, b JOIN u ON ... would bind u to b alone
    return not any(isinstance(p, exp.Star) for p in outer.expressions)


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for predicate in list(tree.find_all(exp.In, exp.Exists)):
        outer = enclosing_select(predicate)
        where = outer.args.get("where") if outer is not None else None
        if outer is None or not isinstance(where, exp.Where) or not joinable_outer(outer):
            continue
        if not any(c is predicate for c in conjuncts(where.this)):
            continue  # only a top-level WHERE conjunct filters rows the way a join does
        site = (
            _in_site(outer, predicate, schema)
            if isinstance(predicate, exp.In)
            else _exists_site(outer, predicate, schema)
        )
        if site is not None:
            sites.append(site)
    return sites


def _single_table(sub: exp.Select, schema: Schema) -> tuple[Scope, FromItem] | None:
    scope = Scope(sub, schema)
    if not scope.complete or len(scope.items) != 1:
        return None
    item = scope.items[0]
    if item.table is None or item.columns is None or item.cte is not None:
        return None
    return scope, item


def _in_site(outer: exp.Select, in_: exp.In, schema: Schema) -> Site | None:
    sub = plain_subquery(in_.args.get("query"))
    if sub is None or len(sub.expressions) != 1 or isinstance(in_.this, exp.Tuple):
        return None
    found = _single_table(sub, schema)
    projected = strip_parens(sub.expressions[0].unalias())
    if found is None or not isinstance(projected, exp.Column) or not is_deterministic(in_.this):
        return None
    scope, item = found
    if scope.resolve(projected) is not item or in_.this.find(exp.Query, exp.Subquery) is not None:
        return None
    value = in_.this.copy()
    outer_scope = Scope(outer, schema)
    for column in value.find_all(exp.Column):
        owner = outer_scope.resolve(column)
        if owner is None:
            return None
        column.set("table", owner.identifier)
    match = exp.EQ(this=projected.copy(), expression=value)
    where = sub.args.get("where")
    on = [match, *(c.copy() for c in conjuncts(where.this))] if isinstance(where, exp.Where) else [match]
    checks: tuple[Condition, ...] = ()
    if item.table is not None and not item.table.is_unique([projected.name]):
        text = (
            f"{item.alias}.{projected.name} is unique in {item.table.name} (a join repeats the outer row once per "
            "matching row; IN returns it once)"
        )
        checks = _unique(text, item, [projected.this])
    return _join_site(outer, in_, sub, item, on, checks, schema)


def _exists_site(outer: exp.Select, exists: exp.Exists, schema: Schema) -> Site | None:
    sub = plain_subquery(exists.this if isinstance(exists.this, exp.Subquery) else exp.Subquery(this=exists.this))
    if sub is None:
        return None
    found = _single_table(sub, schema)
    where = sub.args.get("where")
    if found is None or not isinstance(where, exp.Where):
        return None
    scope, item = found
    bound: set[str] = set()
    for conjunct in conjuncts(where.this):
        if not isinstance(conjunct, exp.EQ):
            continue
        for local, other in ((conjunct.this, conjunct.expression), (conjunct.expression, conjunct.this)):
            local, other = strip_parens(local), strip_parens(other)
            columns = own_columns(other) if not isinstance(other, exp.Column) else [other]
            if (
                isinstance(local, exp.Column)
                and scope.is_local(local)
                and columns
                and all(scope.is_local(column) is False for column in columns)
            ):
                bound.add(fold(local.name))
    if not bound:
        return None  # not correlated by equality: a join would be a cross join
    checks: tuple[Condition, ...] = ()
    if item.table is not None and not item.table.is_unique(bound):
        names = ", ".join(sorted(bound))
        text = (
            f"({names}) is unique in {item.table.name} (a join repeats the outer row once per matching row; "
            "EXISTS returns it once)"
        )
        checks = _unique(text, item, sorted(bound))
    on = [c.copy() for c in conjuncts(where.this)]
    return _join_site(outer, exists, sub, item, on, checks, schema)


def _unique(text: str, item: FromItem, columns: Sequence[str | exp.Identifier]) -> tuple[Condition, ...]:
    """The uniqueness an advisory needs, checkable on its one base table."""
    assert isinstance(item.node, exp.Table)  # _single_table: a base table of the schema
    return (unique(text, item.node, columns),)


def _join_site(
    outer: exp.Select,
    predicate: exp.Expression,
    sub: exp.Select,
    item: FromItem,
    on: list[exp.Expression],
    checks: tuple[Condition, ...],
    schema: Schema,
) -> Site | None:
    if any(c.find(exp.Query, exp.Subquery) is not None or not is_deterministic(c) for c in on):
        return None
    outer_scope = Scope(outer, schema)
    if not outer_scope.complete:
        return None
    assert item.columns is not None
    new_alias = fresh_alias(outer, item.alias, exclude=sub)
    # Outer columns that share a name with the joined table would become ambiguous: qualify them first.
    to_qualify: list[tuple[exp.Column, FromItem]] = []
    output_aliases = {fold(p.alias) for p in outer.expressions if isinstance(p, exp.Alias)}
    for column in outer.find_all(exp.Column):
        if column.table or fold(column.name) not in item.columns or _within(column, sub):
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

    def apply() -> None:
        for column, owner in to_qualify:
            column.set("table", owner.identifier)
        renamed = [_rename(c, item, new_alias) for c in on]
        table = item.node.copy()
        table.set("alias", exp.TableAlias(this=exp.to_identifier(new_alias)) if new_alias != fold(table.name) else None)
        where = outer.args["where"]
        kept = [c for c in conjuncts(where.this) if c is not predicate]
        set_where(outer, conjoin(kept))
        outer.append("joins", exp.Join(this=table, on=conjoin(renamed)))

    return Site(apply, RATIONALE, tuple(check.text for check in checks), checks=checks)


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


def _rename(conjunct: exp.Expression, item: FromItem, alias: str) -> exp.Expression:
    assert item.columns is not None
    for column in conjunct.find_all(exp.Column):
        mine = fold(column.table) == item.alias if column.table else fold(column.name) in item.columns
        if mine:
            column.set("table", exp.to_identifier(alias))
    return conjunct


def semi_join_to_join(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Turn one IN / EXISTS subquery over a unique key into a JOIN (advice when the key is not unique)."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW002",
    "semi-join-to-join",
    "IN / EXISTS over a unique key becomes a JOIN",
    semi_join_to_join,
    data_dependent=True,  # which side leads and which join method wins depend on row counts
)
