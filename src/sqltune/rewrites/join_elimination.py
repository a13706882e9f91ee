"""RW009 join-elimination: drop a join to a table none of whose columns the query uses.

A join that can neither remove nor repeat rows only adds columns; when no column of the joined table is
used, it is pure cost. That holds for

- ``LEFT JOIN t ON t.key = ...`` when ``key`` is unique in ``t`` (every row keeps exactly one partner or
  NULLs), whatever else the ON clause says;
- ``JOIN t ON t.key = x.fk`` when ``x.fk`` is a foreign key to the unique ``t.key``: every non-NULL ``fk``
  has exactly one partner. A nullable ``fk`` still drops its NULL rows, so ``x.fk IS NOT NULL`` is added.
  Without the foreign key the elimination is advice: it holds only if every value has a partner.

>>> from sqltune.rewrites.base import show
>>> ddl = '''CREATE TABLE c (id int PRIMARY KEY, name text);
...          CREATE TABLE o (id int PRIMARY KEY, c_id int REFERENCES c (id), total int)'''
>>> show(join_elimination, "SELECT o.id, o.total FROM o JOIN c ON c.id = o.c_id", ddl)
APPLIED: SELECT o.id, o.total FROM o WHERE o.c_id IS NOT NULL
>>> show(join_elimination, "SELECT o.id FROM o LEFT JOIN c ON c.id = o.c_id AND c.name = 'x'", ddl)
APPLIED: SELECT o.id FROM o
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import conjuncts, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.graph import QueryGraph
from sqltune.graph.predicates import proven_not_null
from sqltune.rewrites._analysis import FromItem, Scope, conjoin, is_not_null, set_where
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site, shown
from sqltune.rewrites.conditions import Condition, foreign_key
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "join_elimination"]


def _referenced(select: exp.Select, item: FromItem, scope: Scope) -> bool | None:
    """Whether anything outside ``item``'s own ON clause uses it (``None``: cannot tell)."""
    assert item.join is not None
    on = item.join.args.get("on")
    on_ids = {id(node) for node in on.walk()} if isinstance(on, exp.Expression) else set()
    for projection in select.expressions:
        if isinstance(projection, exp.Star):
            return True
    for column in select.find_all(exp.Column):
        if id(column) in on_ids:
            continue
        if column.is_star and (not column.table or fold(column.table) == item.alias):
            return True
        if column.table:
            if fold(column.table) == item.alias:
                return True
            continue
        if item.columns is None or fold(column.name) not in item.columns:
            continue
        if _owner_scope(column) is not select:
            return None  # an unqualified name in a subquery might reach out to the joined table
        resolved = scope.resolve(column)
        if resolved is None:
            return None
        if resolved is item:
            return True
    return False


def _owner_scope(column: exp.Column) -> exp.Expression | None:
    parent = column.parent
    while parent is not None and not isinstance(parent, exp.Select):
        parent = parent.parent
    return parent


def _key_pairs(item: FromItem, scope: Scope) -> tuple[list[tuple[str, exp.Column]], list[exp.Expression]]:
    """ON equalities ``item.key = other.column`` as (key, other column), and the remaining conjuncts."""
    assert item.join is not None
    pairs: list[tuple[str, exp.Column]] = []
    rest: list[exp.Expression] = []
    for conjunct in conjuncts(item.join.args.get("on")):
        matched = False
        if isinstance(conjunct, exp.EQ):
            for mine, other in ((conjunct.this, conjunct.expression), (conjunct.expression, conjunct.this)):
                mine, other = strip_parens(mine), strip_parens(other)
                if (
                    isinstance(mine, exp.Column)
                    and isinstance(other, exp.Column)
                    and scope.resolve(mine) is item
                    and scope.resolve(other) not in (None, item)
                ):
                    pairs.append((fold(mine.name), other))
                    matched = True
                    break
        if not matched:
            rest.append(conjunct)
    return pairs, rest


def _foreign_key_proves(pairs: list[tuple[str, exp.Column]], item: FromItem, scope: Scope, schema: Schema) -> bool:
    others = {id(scope.resolve(column)) for _, column in pairs}
    if len(others) != 1:
        return False
    source = scope.resolve(pairs[0][1])
    if source is None or source.table is None or item.table is None:
        return False
    wanted = {(fold(column.name), key) for key, column in pairs}
    for fk in source.table.foreign_keys:
        if schema.table(fk.ref_table) is not item.table:
            continue
        ref = fk.ref_columns or item.table.primary_key
        if len(ref) == len(fk.columns) and {(fold(a), fold(b)) for a, b in zip(fk.columns, ref, strict=True)} == wanted:
            return True
    return False


def _foreign_key(text: str, pairs: list[tuple[str, exp.Column]], item: FromItem, scope: Scope) -> tuple[Condition, ...]:
    """The foreign key an inner join's elimination needs, when its columns all come from one base table."""
    sources = {id(scope.resolve(column)): scope.resolve(column) for _, column in pairs}
    source = next(iter(sources.values())) if len(sources) == 1 else None
    if source is None or source.cte is not None or not isinstance(source.node, exp.Table):
        return ()
    assert isinstance(item.node, exp.Table)
    columns = [column.this for _, column in pairs]
    return (foreign_key(text, source.node, columns, item.node, [key for key, _ in pairs]),)


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    graph: QueryGraph | None = None  # built for the first inner join that may go
    for select in tree.find_all(exp.Select):
        scope = Scope(select, schema)
        if not scope.complete:
            continue
        for index, item in enumerate(scope.items):
            if (
                item.join is None
                or item.table is None
                or str(item.join.kind or "").upper() not in {"", "OUTER", "INNER"}
            ):
                continue
            side = item.side
            if side not in {"", "left"} or _referenced(select, item, scope) is not False:
                continue
            pairs, rest = _key_pairs(item, scope)
            if not pairs or not item.table.is_unique([key for key, _ in pairs]):
                continue
            if side == "left":
                sites.append(Site(_remove(select, item.join, []), _rationale(item, "LEFT")))
                continue
            later = scope.items[index + 1 :]
            if rest or any(other.side in {"right", "full"} for other in later):
                continue
            graph = graph or QueryGraph.build(tree, schema)
            # Not the SELECT's own filters: the ON being removed is one of them.
            nullable = [column for _, column in pairs if not proven_not_null(graph, column, filtered=False)]
            guard = [is_not_null(column.copy()) for column in nullable]
            conditions: tuple[str, ...] = ()
            checks: tuple[Condition, ...] = ()
            if not _foreign_key_proves(pairs, item, scope, schema):
                keys = ", ".join(shown(column) for _, column in pairs)
                conditions = (
                    f"every non-NULL ({keys}) has a matching row in {item.table.name} (a foreign key would prove it)",
                )
                checks = _foreign_key(conditions[0], pairs, item, scope)
            sites.append(Site(_remove(select, item.join, guard), _rationale(item, "inner"), conditions, checks=checks))
    return sites


def _remove(select: exp.Select, join: exp.Join, guard: list[exp.Expression]) -> Callable[[], None]:
    def apply() -> None:
        joins = [j for j in select.args.get("joins") or () if j is not join]
        select.set("joins", joins or None)
        if guard:
            where = select.args.get("where")
            existing = conjuncts(where.this) if isinstance(where, exp.Where) else []
            set_where(select, conjoin([*existing, *guard]))

    return apply


def _rationale(item: FromItem, kind: str) -> str:
    return (
        f"no column of {item.alias} is used and the {kind} join matches exactly one of its rows per row (unique key"
        f"{' and foreign key' if kind == 'inner' else ''}), so the join only costs time"
    )


def join_elimination(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Remove one join that neither filters nor repeats rows and whose columns are unused."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW009",
    "join-elimination",
    "drop a to-one join whose columns are unused",
    join_elimination,
    data_dependent=True,  # the added IS NOT NULL guard and the plan left behind are worth measuring
)
