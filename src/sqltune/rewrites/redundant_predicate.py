"""RW020 redundant-predicate: drop a condition that the schema or the other conditions already imply.

ORM scopes stack conditions: ``where.not(col: nil)`` on a NOT NULL column, the same scope applied twice, the
outer filter repeated inside a correlated subquery. Each such conjunct is proven redundant, and dropped, when

- ``x.c IS NOT NULL`` tests a column declared NOT NULL (or in the primary key) of a table that no outer join
  null-extends at that point (the predicate toolkit's proof, :func:`sqltune.graph.predicates.can_be_null`);
- ``x.c IS NOT NULL`` sits beside a condition that is never TRUE when ``x.c`` is NULL (``x.c > 5``, ``x.c
  IN (...)``, ``x.c = y.d``): in the WHERE and the ON clauses of inner joins (with no RIGHT or FULL join), or
  in the same ON clause of a LEFT join;
- ``x.c IS NULL`` sits beside ``x.k IS NULL`` where ``x.k`` is declared NOT NULL: only a row the outer join
  null-extended passes ``x.k IS NULL``, and all its columns are NULL. (``x.k IS NULL`` itself is *not*
  redundant: it is the anti-join test);
- the same condition appears twice in one AND (a deterministic one, no subquery);
- a condition inside a subquery of the WHERE reads only the outer query's columns and repeats another of
  the outer WHERE's conditions (or is ``IS NOT NULL`` over a column one of them rejects NULL in): the
  subquery's value only matters for outer rows where that condition already holds.

A CHECK constraint is not used: the schema model does not keep them.

>>> from sqltune.rewrites.base import show
>>> ddl = '''CREATE TABLE p (id int PRIMARY KEY, title text NOT NULL, published boolean, n int);
...          CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id), body text)'''
>>> show(redundant_predicate, "SELECT id FROM p WHERE p.title IS NOT NULL AND n > 1", ddl)
APPLIED: SELECT id FROM p WHERE n > 1
>>> show(redundant_predicate,
...      "SELECT p.id FROM p LEFT JOIN c ON c.p_id = p.id WHERE c.id IS NULL AND c.body IS NULL", ddl)
APPLIED: SELECT p.id FROM p LEFT JOIN c ON c.p_id = p.id WHERE c.id IS NULL
>>> show(redundant_predicate,
...      "SELECT id FROM p WHERE published AND EXISTS (SELECT 1 FROM c WHERE c.p_id = p.id AND p.published)", ddl)
APPLIED: SELECT id FROM p WHERE published AND EXISTS(SELECT 1 FROM c WHERE c.p_id = p.id)
>>> show(redundant_predicate, "SELECT p.id FROM p LEFT JOIN c ON c.p_id = p.id WHERE c.id IS NULL", ddl)
unchanged
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import conjuncts, is_null_tested, not_null_tested, null_rejected, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.graph import QueryGraph
from sqltune.graph.predicates import proven_not_null
from sqltune.rewrites._analysis import Scope, conjoin, is_deterministic, set_where
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site, shown
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "redundant_predicate"]

WHERE = -1


def _outer_joins(scope: Scope, upto: int | None = None) -> bool:
    """A RIGHT or FULL join among the items (up to position ``upto``)."""
    items = scope.items if upto is None else scope.items[: upto + 1]
    return any(item.side in {"right", "full"} for item in items)


def _column_key(column: exp.Expression, scope: Scope) -> tuple[int, str] | None:
    """(the FROM item, the folded name) a column reads; ``None`` for other expressions or unknown owners."""
    column = strip_parens(column)
    if not isinstance(column, exp.Column) or column.is_star:
        return None
    owner = scope.resolve(column)
    return (scope.items.index(owner), fold(column.name)) if owner is not None else None


def _lists(select: exp.Select, scope: Scope) -> list[tuple[int, list[exp.Expression]]]:
    """The AND-lists of the SELECT: the WHERE's (owner -1) and each join's ON (owner: the item's position)."""
    lists: list[tuple[int, list[exp.Expression]]] = []
    where = select.args.get("where")
    if isinstance(where, exp.Where):
        lists.append((WHERE, conjuncts(where.this)))
    for index, item in enumerate(scope.items):
        if item.join is not None and item.join.args.get("on") is not None:
            lists.append((index, conjuncts(item.join.args["on"])))
    return lists


def _filters(owner: int, lists: list[tuple[int, list[exp.Expression]]], scope: Scope) -> list[exp.Expression]:
    """Conditions every row that reaches list ``owner`` already satisfies, or that reject it anyway."""
    own = [terms for index, terms in lists if index == owner]
    if owner != WHERE and not scope.items[owner].is_inner:
        return own[0] if own else []
    if _outer_joins(scope):
        return own[0] if own else []
    return [term for index, terms in lists if index == WHERE or scope.items[index].is_inner for term in terms]


def _declared_not_null(column: exp.Expression, owner: int, scope: Scope, graph: QueryGraph) -> bool:
    """``column`` is NOT NULL by declaration where list ``owner`` is evaluated."""
    if owner == WHERE:
        return proven_not_null(graph, column, filtered=False)
    key = _column_key(column, scope)
    if key is None:
        return False
    item = scope.items[key[0]]
    if item.table is None or not item.table.is_not_null(key[1]):
        return False
    if key[0] == owner:
        return True  # an ON clause sees the joined table's real rows
    return key[0] < owner and item.side == "" and not _outer_joins(scope, owner)


def _sites_in(select: exp.Select, scope: Scope, graph: QueryGraph) -> list[Site]:
    sites: list[Site] = []
    lists = _lists(select, scope)
    for owner, terms in lists:
        pool = _filters(owner, lists, scope)
        seen: set[exp.Expression] = set()  # the conjuncts before, by structure (a set: 10,000-term chains)
        for term in terms:
            reason = _redundant(term, seen, owner, pool, scope, graph)
            seen.add(term)
            if reason is not None and (owner == WHERE or len(terms) > 1):  # an ON clause keeps a condition
                sites.append(Site(_drop(select, scope.items[owner].join if owner != WHERE else None, term), reason))
    where = lists[0][1] if lists and lists[0][0] == WHERE else []
    holders = [term for term in where if term.find(exp.Select) is not None]
    if holders:  # the outer conditions' text once per SELECT, not once per conjunct (10,000-term chains)
        others = [t for t in where if is_deterministic(t) and t.find(exp.Query) is None]
        known = {_outer_form(t, scope): t for t in others}
        rejected = {_outer_form(o, scope): t for t in others for o in null_rejected(t) if isinstance(o, exp.Column)}
        for holder in holders:
            sites += _repeated_inside(select, scope, holder, known, rejected)
    return sites


def _redundant(
    term: exp.Expression,
    before: set[exp.Expression],
    owner: int,
    pool: list[exp.Expression],
    scope: Scope,
    graph: QueryGraph,
) -> str | None:
    """Why ``term`` (a conjunct of list ``owner``) is implied, or ``None``."""
    if is_deterministic(term) and term in before:
        return f"{shown(term)} is already required once"
    tested = not_null_tested(term)
    if tested is not None:
        if _declared_not_null(tested, owner, scope, graph):
            return (
                f"{shown(tested)} is declared NOT NULL and no outer join makes it NULL here, so the test is always true"
            )
        key = _column_key(tested, scope)
        for other in pool:
            if (
                other is not term
                and key is not None
                and any(_column_key(o, scope) == key for o in null_rejected(other))
            ):
                return f"{shown(other)} is never true when {shown(tested)} is NULL"
        return None
    tested = is_null_tested(term)
    if tested is None or owner != WHERE:
        return None
    key = _column_key(tested, scope)
    if key is None:
        return None
    item = scope.items[key[0]]
    for other in pool:
        anti = is_null_tested(other) if other is not term else None
        anti_key = _column_key(anti, scope) if anti is not None else None
        if (
            anti is not None
            and anti_key is not None
            and anti_key[0] == key[0]
            and anti_key[1] != key[1]
            and item.table is not None
            and item.table.is_not_null(anti_key[1])
        ):
            return (
                f"{shown(anti)} is declared NOT NULL, so {shown(other)} holds only on rows an outer join filled with "
                f"NULLs, where every column of {item.alias} is NULL"
            )
    return None


def _drop(select: exp.Select, join: exp.Join | None, term: exp.Expression) -> Callable[[], None]:
    """Remove the conjunct ``term`` from ``join``'s ON clause, or from the WHERE of ``select`` (no join)."""

    def apply() -> None:
        if join is None:
            where = select.args.get("where")
            rest = [t for t in conjuncts(where.this) if t is not term] if isinstance(where, exp.Where) else []
            set_where(select, conjoin(rest))
        else:
            join.set("on", conjoin([t for t in conjuncts(join.args.get("on")) if t is not term]))

    return apply


# -- conditions repeated inside a subquery -----------------------------------------------------------------
def _outer_form(node: exp.Expression, outer: Scope, inner: Scope | None = None) -> str | None:
    """``node`` with every column written as ``outer_alias.name``, as comparable text; ``None`` when it has a
    subquery, reads a column of the subquery ``inner`` or one the outer query cannot place."""
    if node.find(exp.Query, exp.Subquery) is not None or not is_deterministic(node):
        return None
    columns = list(node.find_all(exp.Column))
    places: dict[int, str] = {}
    for column in columns:
        if inner is not None and (
            (column.table and inner.item(column.table) is not None)
            or (not column.table and inner.is_local(column) is not False)
        ):
            return None
        owner = outer.resolve(column)
        if owner is None:
            return None
        places[id(column)] = owner.alias
    if inner is not None and not columns:
        return None  # a constant condition is not a repeated filter

    copy = node.copy()
    for original, column in zip(columns, list(copy.find_all(exp.Column)), strict=True):
        qualified = exp.column(fold(column.name), table=places[id(original)])
        if column is copy:
            return str(qualified.sql())
        column.replace(qualified)
    return str(copy.sql())


def _repeated_inside(
    select: exp.Select,
    scope: Scope,
    holder: exp.Expression,
    known: dict[str | None, exp.Expression],
    rejected: dict[str | None, exp.Expression],
) -> list[Site]:
    """Conditions of a subquery in the WHERE conjunct ``holder`` that another outer conjunct already implies
    (``known``: the outer conjuncts without subqueries by their text; ``rejected``: the columns they reject
    NULL in)."""
    sites: list[Site] = []
    for inner_select in holder.find_all(exp.Select):
        parent = inner_select.parent
        while parent is not None and not isinstance(parent, exp.Select):
            parent = parent.parent
        if parent is not select:
            continue  # only subqueries of this SELECT, not deeper ones
        inner = Scope(inner_select, scope.schema)
        where = inner_select.args.get("where")
        if not inner.complete or not isinstance(where, exp.Where):
            continue
        for term in conjuncts(where.this):
            text = _outer_form(term, scope, inner)
            tested = not_null_tested(term)
            outer = known.get(text) if text is not None else None
            if outer is None and tested is not None:
                tested_text = _outer_form(tested, scope, inner)
                outer = rejected.get(tested_text) if tested_text is not None else None
            if outer is not None:
                reason = (
                    f"the subquery only matters for rows where {shown(outer)} already holds, so repeating it inside"
                    " filters nothing"
                )
                sites.append(Site(_drop(inner_select, None, term), reason))
    return sites


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    graph: QueryGraph | None = None
    for select in tree.find_all(exp.Select):
        scope = Scope(select, schema)
        if not scope.complete or not scope.items:
            continue
        graph = graph or QueryGraph.build(tree, schema)
        sites += _sites_in(select, scope, graph)
    return sites


def redundant_predicate(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Remove one condition that keys, NOT NULL declarations or the other conditions already imply."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW020",
    "redundant-predicate",
    "conditions implied by NOT NULL declarations or by other conditions",
    redundant_predicate,
)
