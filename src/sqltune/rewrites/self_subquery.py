"""RW021 self-subquery: a subquery that re-reads the outer row's own table by key becomes its conditions.

Scopes that filter by a relation of the same model give ``WHERE folders.id IN (SELECT f.id FROM folders f
WHERE f.parent_id = 1)`` (Rails' ``where(id: Folder.where(...))``, Django's ``filter(pk__in=qs)``) or
``EXISTS (SELECT 1 FROM folders f WHERE f.id = folders.id AND ...)``. When the matched columns are a unique
key of the table, the only row the subquery can match is the outer row itself, so the test is the subquery's
own conditions read on the outer row: ``WHERE folders.parent_id = 1``.

Proof, for a WHERE conjunct over the outer table ``o`` and a subquery over the same table ``s`` alone (no
join, GROUP BY, LIMIT, aggregate or window; its conditions read only ``s`` and the outer query's columns, no
nested subquery):

- ``o.k IN (SELECT s.k FROM t s WHERE P(s))`` and ``EXISTS (SELECT ... FROM t s WHERE s.k = o.k AND
  P(s))`` are TRUE exactly when ``o.k`` is not NULL and ``P(o)`` is TRUE (``k`` unique: the row with ``s.k =
  o.k`` is ``o``). They become ``P(o)``, with ``o.k IS NOT NULL`` first where ``k`` may be NULL;
- ``NOT EXISTS (...)`` becomes ``(o.k IS NOT NULL AND P(o)) IS NOT TRUE``; ``o.k NOT IN (...)`` only when
  ``k`` is declared NOT NULL (a NULL among the subquery's keys, or a NULL ``o.k`` against an empty subquery,
  gives NOT IN a value that ``P(o)`` does not have) -- then ``(P(o)) IS NOT TRUE``. Not for T-SQL and
  Oracle, which have no boolean expressions to write that with.

>>> from sqltune.rewrites.base import show
>>> ddl = "CREATE TABLE folders (id int PRIMARY KEY, parent_id int, code text UNIQUE, trashed boolean)"
>>> show(self_subquery,
...      "SELECT * FROM folders WHERE folders.id IN (SELECT f.id FROM folders f WHERE f.parent_id = 1)", ddl)
APPLIED: SELECT * FROM folders WHERE folders.parent_id = 1
>>> show(self_subquery,
...      "SELECT id FROM folders o WHERE NOT EXISTS (SELECT 1 FROM folders s WHERE s.code = o.code AND s.trashed)", ddl)
APPLIED: SELECT id FROM folders AS o WHERE (o.code IS NOT NULL AND o.trashed) IS NOT TRUE
>>> show(self_subquery,
...      "SELECT id FROM folders WHERE parent_id IN (SELECT f.parent_id FROM folders f WHERE f.trashed)", ddl)
unchanged
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import conjuncts, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import (
    NO_BOOLEANS,
    FromItem,
    Scope,
    conjoin,
    filtered_selects,
    is_deterministic,
    is_not_null,
    is_not_true,
    plain_subquery,
    set_where,
)
from sqltune.rewrites._keys import keeps_a_row
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "self_subquery"]


RATIONALE = (
    "the subquery re-reads the outer row's own table and matches it by a unique key, so it can only find the "
    "outer row itself: its conditions can be read on that row directly"
)


def _outer_key_column(node: exp.Expression, outer: Scope) -> tuple[FromItem, str] | None:
    node = strip_parens(node)
    if not isinstance(node, exp.Column) or node.is_star:
        return None
    owner = outer.resolve(node)
    return (owner, fold(node.name)) if owner is not None and owner.table is not None else None


def _inner_conditions(inner: exp.Select, scope: Scope) -> list[exp.Expression] | None:
    """The subquery's WHERE conjuncts, if each reads only its table and outer columns, with no subquery."""
    where = inner.args.get("where")
    terms = conjuncts(where.this) if isinstance(where, exp.Where) else []
    for term in terms:
        if term.find(exp.Query, exp.Subquery) is not None or not is_deterministic(term):
            return None
        for column in term.find_all(exp.Column):
            if not column.table and scope.is_local(column) is None:
                return None
    return terms


def _on_outer_row(terms: list[exp.Expression], item: FromItem, inner: Scope, outer: FromItem) -> list[exp.Expression]:
    """Copies of the subquery's conditions with its table's columns read from the outer row."""
    moved: list[exp.Expression] = []
    for term in terms:
        copy = term.copy()
        for original, column in zip(list(term.find_all(exp.Column)), list(copy.find_all(exp.Column)), strict=True):
            if inner.resolve(original) is item:
                replacement = exp.Column(this=column.this.copy(), table=outer.identifier)
                if column is copy:
                    copy = replacement
                else:
                    column.replace(replacement)
        moved.append(copy)
    return moved


def _match(
    term: exp.Expression, select: exp.Select, scope: Scope
) -> tuple[exp.Select, list[tuple[FromItem, str]], bool] | None:
    """The subquery, the outer (item, column) pairs it matches and whether it is negated, for IN / EXISTS."""
    node = strip_parens(term)
    negated = isinstance(node, exp.Not)
    if negated:
        node = strip_parens(node.this)
    if isinstance(node, exp.Exists) and isinstance(node.this, exp.Select):
        probe = node.this.copy()
        if keeps_a_row(probe):
            probe.set("limit", None)  # EXISTS (... LIMIT 1), as Django writes it: the same test
        return (node.this, [], negated) if plain_subquery(exp.Subquery(this=probe)) is not None else None
    if isinstance(node, exp.In) and isinstance(node.args.get("query"), exp.Subquery):
        inner = plain_subquery(node.args["query"])
        values = node.this.expressions if isinstance(node.this, exp.Tuple) else [node.this]
        pairs = [_outer_key_column(value, scope) for value in values]
        if inner is None or not all(pairs):
            return None
        return inner, [pair for pair in pairs if pair is not None], negated
    return None


def _site(term: exp.Expression, select: exp.Select, scope: Scope, dialect: str | None) -> Site | None:
    found = _match(term, select, scope)
    if found is None:
        return None
    query, pairs, negated = found
    if negated and (dialect or "").lower() in NO_BOOLEANS:
        return None
    inner = Scope(query, scope.schema)
    if not inner.complete or len(inner.items) != 1 or inner.items[0].table is None:
        return None
    mine = inner.items[0]
    terms = _inner_conditions(query, inner)
    if terms is None:
        return None
    if pairs:  # IN: the subquery's SELECT list are the same columns of the same table
        outer = pairs[0][0]
        selected = [strip_parens(p.unalias()) for p in query.expressions]
        if len(selected) != len(pairs) or any(o is not outer for o, _ in pairs):
            return None
        for value, (_, name) in zip(selected, pairs, strict=True):
            if not isinstance(value, exp.Column) or inner.resolve(value) is not mine or fold(value.name) != name:
                return None
        spelled = {fold(value.name): value.this for value in selected if isinstance(value, exp.Column)}
    else:  # EXISTS: equalities s.k = o.k among its conditions
        correlated = _correlations(terms, mine, inner, scope)
        if correlated is None:
            return None
        outer, spelled, links = correlated
        terms = [t for t in terms if not any(t is link for link in links)]
    table = mine.table
    if table is None or outer.table is not table or not table.is_unique(spelled):
        return None
    nullable = [k for k in spelled if not (table.is_not_null(k) and not outer.null_extended)]
    if negated and pairs and nullable:
        return None  # NOT IN over a nullable key: see the module documentation
    guards = [is_not_null(exp.Column(this=spelled[k].copy(), table=outer.identifier)) for k in nullable]
    replacement = [*guards, *_on_outer_row(terms, mine, inner, outer)]
    return Site(_replace(select, term, replacement, negated, dialect), RATIONALE)


def _correlations(
    terms: list[exp.Expression], mine: FromItem, inner: Scope, outer_scope: Scope
) -> tuple[FromItem, dict[str, exp.Identifier], list[exp.Expression]] | None:
    """``s.k = o.k`` conjuncts of the EXISTS subquery: the outer item, the key columns (folded name -> as
    written) and the conjuncts."""
    outer: FromItem | None = None
    keys: dict[str, exp.Identifier] = {}
    links: list[exp.Expression] = []
    for term in terms:
        if not isinstance(term, exp.EQ):
            continue
        for left, right in ((term.this, term.expression), (term.expression, term.this)):
            left, right = strip_parens(left), strip_parens(right)
            if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)) or fold(left.name) != fold(
                right.name
            ):
                continue
            if inner.resolve(left) is not mine or inner.is_local(right) is not False:
                continue
            owner = outer_scope.resolve(right)
            if owner is None or (outer is not None and owner is not outer):
                continue
            outer = owner
            keys[fold(left.name)] = left.this
            links.append(term)
            break
    return (outer, keys, links) if outer is not None else None


def _replace(
    select: exp.Select, term: exp.Expression, replacement: list[exp.Expression], negated: bool, dialect: str | None
) -> Callable[[], None]:
    def apply() -> None:
        where = select.args.get("where")
        existing = conjuncts(where.this) if isinstance(where, exp.Where) else []
        position = next(i for i, t in enumerate(existing) if t is term)
        if negated:
            condition = conjoin(replacement)
            new = [is_not_true(condition, dialect)] if condition is not None else [exp.false()]
        else:
            new = replacement
        set_where(select, conjoin([*existing[:position], *new, *existing[position + 1 :]]))

    return apply


def _sites(tree: exp.Expression, schema: Schema, dialect: str | None) -> list[Site]:
    sites: list[Site] = []
    for select, parts, scope in filtered_selects(tree, schema):
        for term in parts:
            site = _site(term, select, scope, dialect)
            if site is not None:
                sites.append(site)
    return sites


def self_subquery(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Replace one IN / EXISTS subquery that matches the outer row's own table by key with its conditions."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema, dialect))


REWRITE = Rewrite(
    "RW021", "self-subquery", "IN / EXISTS over the outer row's own table by key becomes a condition", self_subquery
)
