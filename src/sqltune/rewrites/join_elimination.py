"""RW009 join-elimination: drop a join to a table none of whose columns the query needs.

A join that can neither remove nor repeat rows only adds columns; when no column of the joined table is
used, it is pure cost. That holds for

- ``LEFT JOIN t ON t.key = ...`` when ``key`` is unique in ``t`` (a constraint or a unique index without
  WHERE): every row keeps exactly one partner or NULLs, whatever else the ON clause says. Where duplicates do
  not matter -- under DISTINCT, in an ``EXISTS`` or ``IN`` subquery, or when every aggregate is MIN, MAX or
  DISTINCT -- the key need not be unique: each row is kept at least once;
- an inner join of ``t`` to ``x`` on ``t.key = x.fk`` when ``x.fk`` is a foreign key to the unique ``t.key``:
  every non-NULL ``fk`` has exactly one partner. Inner joins commute, so ``t`` may stand anywhere in a chain of
  inner joins, the FROM table included: then the next table becomes the FROM and its other ON conditions
  become WHERE conditions. Conditions elsewhere that read ``t`` only through ``key`` read ``x.fk`` instead (it
  equals ``t.key`` on every row), so ``a JOIN b ON b.id = a.b_id JOIN c ON c.b_id = b.id`` becomes ``a JOIN c
  ON c.b_id = a.b_id``. A nullable ``fk`` still drops its NULL rows, so ``x.fk IS NOT NULL`` is added unless a
  remaining condition already rejects NULL there. Without the foreign key the elimination is advice: it holds
  only if every value has a partner. Not with RIGHT, FULL, CROSS or comma joins in the same FROM.

COUNT(*) reads no table, so a join under it goes like any other; so does one whose table no aggregate reads.

>>> from sqltune.rewrites.base import show
>>> ddl = '''CREATE TABLE c (id int PRIMARY KEY, name text);
...          CREATE TABLE o (id int PRIMARY KEY, c_id int REFERENCES c (id), total int);
...          CREATE TABLE i (id int PRIMARY KEY, o_id int NOT NULL REFERENCES o (id), c_id int)'''
>>> show(join_elimination, "SELECT o.id, o.total FROM o JOIN c ON c.id = o.c_id", ddl)
APPLIED: SELECT o.id, o.total FROM o WHERE o.c_id IS NOT NULL
>>> show(join_elimination, "SELECT o.id FROM o LEFT JOIN c ON c.id = o.c_id AND c.name = 'x'", ddl)
APPLIED: SELECT o.id FROM o
>>> show(join_elimination, "SELECT COUNT(*) FROM o INNER JOIN i ON i.o_id = o.id WHERE o.id = $1", ddl)
APPLIED: SELECT COUNT(*) FROM i WHERE i.o_id = $1
>>> show(join_elimination, "SELECT i.id, c.name FROM i JOIN o ON o.id = i.o_id JOIN c ON c.id = o.c_id", ddl)
unchanged
>>> show(join_elimination, "SELECT i.id FROM i JOIN c ON c.id = i.c_id", ddl)
ADVISED: SELECT i.id FROM i WHERE i.c_id IS NOT NULL
  if: every non-NULL (i.c_id) has a matching row in c (a foreign key would prove it)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqltune.core.predicates import (
    aggregates_rows,
    conjuncts,
    has_window,
    is_aggregate_function,
    null_rejected,
    own_nodes,
    strip_parens,
)
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import FromItem, Scope, conjoin, is_deterministic, is_not_null, set_where
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site, shown
from sqltune.rewrites.conditions import Condition, foreign_key
from sqltune.schema import ForeignKey, Schema, fold

__all__ = ["REWRITE", "join_elimination"]

WHERE = -1  # the owner of a WHERE conjunct; ON conjuncts are owned by the index of their FROM item


@dataclass(slots=True)
class _Term:
    """A conjunct of the WHERE or of an ON clause, and the columns of the table to eliminate it reads."""

    node: exp.Expression
    owner: int
    columns: list[exp.Column] = field(default_factory=list)


def _terms(select: exp.Select, scope: Scope) -> list[_Term]:
    terms: list[_Term] = []
    where = select.args.get("where")
    if isinstance(where, exp.Where):
        terms += [_Term(node, WHERE) for node in conjuncts(where.this)]
    for index, item in enumerate(scope.items):
        if item.join is not None:
            terms += [_Term(node, index) for node in conjuncts(item.join.args.get("on"))]
    return terms


def _owner_select(node: exp.Expression) -> exp.Expression | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        parent = parent.parent
    return parent


def _exists_body(select: exp.Select) -> bool:
    return isinstance(select.parent, exp.Exists)


def _mentions(select: exp.Select, item: FromItem, scope: Scope) -> list[_Term] | None:
    """Every conjunct of the WHERE and the ON clauses, with the columns of ``item`` each reads; ``None`` when
    anything else reads it (the SELECT list, GROUP BY, ORDER BY, a subquery...) or we cannot tell."""
    terms = _terms(select, scope)
    holder = {id(node): term for term in terms for node in term.node.walk()}
    skipped: set[int] = set()
    if _exists_body(select):  # EXISTS ignores what its SELECT list says
        skipped = {id(node) for projection in select.expressions for node in projection.walk()}
    for projection in select.expressions:
        if isinstance(projection, exp.Star) and id(projection) not in skipped:
            return None
    for column in select.find_all(exp.Column):
        if id(column) in skipped:
            continue
        nested = _owner_select(column) is not select
        if column.table:
            reads = fold(column.table) == item.alias
        elif column.is_star:
            reads = True
        elif item.columns is None:
            return None
        elif fold(column.name) not in item.columns:
            continue
        elif nested:
            return None  # an unqualified name in a subquery might reach out to the table
        else:
            reads = scope.resolve(column) is item
            if scope.resolve(column) is None:
                return None
        if not reads:
            continue
        term = holder.get(id(column))
        if nested or column.is_star or term is None:
            return None
        term.columns.append(column)
    return terms


def _duplicates_ignored(select: exp.Select) -> bool:
    """The SELECT's consumer cannot tell a row from its duplicates: DISTINCT, an EXISTS or IN subquery, or
    aggregates that are all MIN, MAX or DISTINCT."""
    if any(has_window(p) for p in select.expressions) or select.args.get("offset"):
        return False
    grouped = bool(select.args.get("group")) or any(aggregates_rows(p) for p in select.expressions)
    if grouped:
        for node in own_nodes(select):
            if is_aggregate_function(node) and not (
                isinstance(node, exp.Min | exp.Max) or isinstance(node.this, exp.Distinct)
            ):
                return False
        return True
    distinct = select.args.get("distinct")
    if isinstance(distinct, exp.Distinct) and not distinct.args.get("on"):
        return True
    if select.args.get("limit") or select.args.get("fetch"):
        return _exists_body(select)
    parent = select.parent
    in_list = isinstance(parent, exp.Subquery) and isinstance(parent.parent, exp.In) and parent.arg_key == "query"
    return _exists_body(select) or in_list


def _reads_only_others(node: exp.Expression, item: FromItem, scope: Scope) -> bool:
    if node.find(exp.Query, exp.Subquery) is not None or not is_deterministic(node):
        return False
    for column in node.find_all(exp.Column):
        if column.table and fold(column.table) == item.alias:
            return False
        if not column.table and scope.is_local(column) is not False and scope.resolve(column) in (None, item):
            return False
    return True


def _left_site(select: exp.Select, scope: Scope, index: int, item: FromItem) -> Site | None:
    """LEFT JOIN ``item`` matching at most one row (or duplicates ignored), its columns read only by its ON."""
    assert item.join is not None and item.table is not None
    terms = _mentions(select, item, scope)
    if terms is None or any(term.owner != index for term in terms if term.columns):
        return None
    keys: set[str] = set()
    for term in terms:
        if isinstance(term.node, exp.EQ) and len(term.columns) == 1:
            mine = term.columns[0]
            left, right = strip_parens(term.node.this), strip_parens(term.node.expression)
            other = right if left is mine else left if right is mine else None
            if other is not None and _reads_only_others(other, item, scope):
                keys.add(fold(mine.name))
    if keys and item.table.is_unique(keys):
        return Site(_drop_join(select, item.join), _rationale(item, "the LEFT join keeps each row exactly once"))
    if _duplicates_ignored(select):
        return Site(
            _drop_join(select, item.join),
            _rationale(item, "the LEFT join keeps each row at least once and duplicates do not matter here"),
        )
    return None


def _drop_join(select: exp.Select, join: exp.Join) -> Callable[[], None]:
    def apply() -> None:
        joins = [j for j in select.args.get("joins") or () if j is not join]
        select.set("joins", joins or None)

    return apply


# -- inner joins ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Link:
    """``item.key = partner.column``: an equality that joins the table to eliminate to its partner."""

    term: _Term
    key: str  # folded key column of the table to eliminate
    column: exp.Column  # the partner's column


@dataclass(slots=True)
class _Plan:
    """A partner through whose links the table goes; ``conditions`` when no foreign key proves the links."""

    partner: int
    links: list[_Link]
    conditions: tuple[str, ...] = ()
    checks: tuple[Condition, ...] = ()  # the foreign key that would prove it, checkable on the data


def _plain_left(item: FromItem) -> bool:
    assert item.join is not None
    kind = str(item.join.kind or "").upper()
    return item.side == "left" and kind in {"", "OUTER"} and item.join.args.get("on") is not None


def _links(terms: list[_Term], scope: Scope, item: FromItem) -> dict[int, list[_Link]]:
    """Equalities ``item.key = x.column`` in the WHERE or inner ON clauses, by the position of ``x``."""
    found: dict[int, list[_Link]] = {}
    for term in terms:
        if not isinstance(term.node, exp.EQ) or len(term.columns) != 1:
            continue
        if term.owner != WHERE and not scope.items[term.owner].is_inner:
            continue
        mine = term.columns[0]
        left, right = strip_parens(term.node.this), strip_parens(term.node.expression)
        other = right if left is mine else left if right is mine else None
        partner = scope.resolve(other) if isinstance(other, exp.Column) else None
        if isinstance(other, exp.Column) and partner is not None and partner is not item:
            found.setdefault(scope.items.index(partner), []).append(_Link(term, fold(mine.name), other))
    return found


def _foreign_key_pairs(fk: ForeignKey, item: FromItem, schema: Schema) -> list[tuple[str, str]]:
    """``(fk column, referenced column)`` pairs of a foreign key to ``item``'s unique key; empty otherwise."""
    assert item.table is not None
    ref = fk.ref_columns or item.table.primary_key
    if schema.table(fk.ref_table) is not item.table or len(ref) != len(fk.columns) or not item.table.is_unique(ref):
        return []
    return [(fold(a), fold(b)) for a, b in zip(fk.columns, ref, strict=True)]


def _plans(terms: list[_Term], scope: Scope, index: int, item: FromItem, schema: Schema) -> list[_Plan]:
    """Partners a foreign key proves, then partners whose links cover a unique key (advice); nearest first."""
    assert item.table is not None
    links = _links(terms, scope, item)
    proven: list[_Plan] = []
    advised: list[_Plan] = []
    for position in sorted(links, key=lambda p: (p > index, abs(p - index))):
        partner = scope.items[position]
        for fk in partner.table.foreign_keys if partner.table is not None else ():
            pairs = _foreign_key_pairs(fk, item, schema)
            chosen = [
                next((ln for ln in links[position] if ln.key == key and fold(ln.column.name) == column), None)
                for column, key in pairs
            ]
            if pairs and all(chosen):
                kept = [ln for ln in chosen if ln is not None]
                if fk.deferrable:  # proves committed data only: advice, naming the key
                    columns = ", ".join(shown(link.column) for link in kept)
                    condition = (
                        f"the foreign key on ({columns}) is DEFERRABLE: a transaction that deferred it may read "
                        f"rows without a partner in {item.table.name} before COMMIT"
                    )
                    advised.append(_Plan(position, kept, (condition,)))
                else:
                    proven.append(_Plan(position, kept))
        keys = sorted({link.key for link in links[position]})
        if item.table.is_unique(keys):
            chosen_links = [next(ln for ln in links[position] if ln.key == key) for key in keys]
            columns = ", ".join(shown(link.column) for link in chosen_links)
            condition = (
                f"every non-NULL ({columns}) has a matching row in {item.table.name} (a foreign key would prove it)"
            )
            checks: tuple[Condition, ...] = ()
            if isinstance(partner.node, exp.Table) and partner.cte is None and isinstance(item.node, exp.Table):
                columns_of = [link.column.this for link in chosen_links]
                checks = (foreign_key(condition, partner.node, columns_of, item.node, keys),)
            advised.append(_Plan(position, chosen_links, (condition,), checks))
    return proven + advised


def _positions(term: _Term, scope: Scope, partner: int) -> int | None:
    """The last FROM position ``term`` reads once the eliminated table's columns read the partner (-1: none);
    ``None`` when it holds a subquery or a column we cannot place."""
    if term.node.find(exp.Query, exp.Subquery) is not None:
        return None
    last = -1
    mine = {id(column) for column in term.columns}
    for column in term.node.find_all(exp.Column):
        if id(column) in mine:
            last = max(last, partner)
            continue
        owner = scope.resolve(column)
        if owner is None:
            if scope.is_local(column) is not False:
                return None
            continue  # an outer reference: a constant here
        last = max(last, scope.items.index(owner))
    return last


def _fits(term: _Term, scope: Scope, partner: int, owner: int) -> bool:
    last = _positions(term, scope, partner)
    return last is not None and last <= owner


def _inner_site(select: exp.Select, scope: Scope, index: int, item: FromItem, schema: Schema) -> Site | None:
    items = scope.items
    if any(other.join is not None and not other.is_inner and not _plain_left(other) for other in items):
        return None  # RIGHT, FULL, CROSS, comma or other joins: inner joins do not commute with them
    if index == 0 and (len(items) < 2 or not items[1].is_inner):
        return None
    terms = _mentions(select, item, scope)
    if not terms or not any(term.columns for term in terms):
        return None
    for plan in _plans(terms, scope, index, item, schema):
        site = _plan_site(select, scope, index, item, terms, plan)
        if site is not None:
            return site
    return None


def _plan_site(
    select: exp.Select, scope: Scope, index: int, item: FromItem, terms: list[_Term], plan: _Plan
) -> Site | None:
    """The site that drops ``item`` through ``plan``: links deleted, the key read through the partner, and
    conjuncts of ON clauses that go away (or cannot yet read the partner) moved to the WHERE."""
    partner = scope.items[plan.partner]
    keys = {link.key: link.column for link in plan.links}
    dropped = {id(link.term) for link in plan.links}
    new_from = 1 if index == 0 else None
    to_where: list[_Term] = []
    kept: dict[int, list[_Term]] = {}
    for term in terms:
        if id(term) in dropped:
            continue
        if any(fold(column.name) not in keys for column in term.columns):
            return None  # it reads a column of the table other than the linked key
        if term.owner == WHERE:
            continue
        if term.owner in {index, new_from} or (term.columns and plan.partner > term.owner):
            if not scope.items[term.owner].is_inner:
                return None  # a LEFT JOIN's ON cannot read the partner before it is joined
            to_where.append(term)
        else:
            kept.setdefault(term.owner, []).append(term)
    # An inner join whose ON would be empty takes the moved conjuncts that can be evaluated there.
    emptied = {term.owner for term in terms if term.owner not in {WHERE, index, new_from}} - set(kept)
    for owner in sorted(emptied):
        fits = [t for t in to_where if _fits(t, scope, plan.partner, owner)]
        if not fits:
            return None
        kept[owner] = fits
        to_where = [t for t in to_where if t not in fits]
    filters = [t for t in terms if id(t) not in dropped and (t.owner == WHERE or scope.items[t.owner].is_inner)]
    guards = [link.column for link in plan.links if not _not_null(link, partner, filters, keys)]
    apply = _rebuild(select, scope, index, item, partner, terms, plan, kept, to_where, guards)
    rationale = _rationale(
        item,
        "every row of "
        + partner.alias
        + " has exactly one partner in it through the "
        + ("unique key" if plan.conditions else "foreign key")
        + " ("
        + ", ".join(shown(link.column) for link in plan.links)
        + ")",
    )
    return Site(apply, rationale, plan.conditions, checks=plan.checks)


def _not_null(link: _Link, partner: FromItem, filters: list[_Term], keys: dict[str, exp.Column]) -> bool:
    """The partner's link column is declared NOT NULL, or a remaining condition rejects NULL in it (directly or
    through the key it replaces)."""
    name = fold(link.column.name)
    if partner.table is not None and partner.table.is_not_null(name) and not partner.null_extended:
        return True
    mine = {id(column) for term in filters for column in term.columns if fold(keys[fold(column.name)].name) == name}
    for term in filters:
        for operand in null_rejected(term.node):
            if id(operand) in mine:
                return True
            if isinstance(operand, exp.Column) and fold(operand.name) == name and fold(operand.table) == partner.alias:
                return True
    return False


def _rebuild(
    select: exp.Select,
    scope: Scope,
    index: int,
    item: FromItem,
    partner: FromItem,
    terms: list[_Term],
    plan: _Plan,
    kept: dict[int, list[_Term]],
    to_where: list[_Term],
    guards: list[exp.Column],
) -> Callable[[], None]:
    keys = {link.key: link.column for link in plan.links}
    dropped = {id(link.term) for link in plan.links}

    def apply() -> None:
        for term in terms:
            if id(term) in dropped:
                continue
            for column in term.columns:
                key = keys[fold(column.name)]
                replacement = exp.Column(this=key.this.copy(), table=partner.identifier)
                if column is term.node:
                    term.node = replacement
                column.replace(replacement)
        for owner, item_terms in kept.items():
            join = scope.items[owner].join
            assert join is not None
            if [t.node for t in item_terms] != conjuncts(join.args.get("on")):
                join.set("on", conjoin(t.node for t in item_terms))
        where_terms = [t for t in terms if t.owner == WHERE and id(t) not in dropped]
        if to_where or guards or len(where_terms) != sum(t.owner == WHERE for t in terms):
            moved = [t.node for t in to_where]
            set_where(
                select,
                conjoin([*moved, *(t.node for t in where_terms), *(is_not_null(column.copy()) for column in guards)]),
            )
        joins = [j for j in select.args.get("joins") or () if j is not item.join]
        if index == 0:
            successor = scope.items[1]
            joins = [j for j in joins if j is not successor.join]
            select.set("from_", exp.From(this=successor.node))
        select.set("joins", joins or None)

    return apply


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for select in tree.find_all(exp.Select):
        scope = Scope(select, schema)
        if not scope.complete:
            continue
        for index, item in enumerate(scope.items):
            if item.table is None:
                continue
            if item.join is not None and _plain_left(item):
                site = _left_site(select, scope, index, item)
            elif item.is_inner:
                site = _inner_site(select, scope, index, item, schema)
            else:
                site = None
            if site is not None:
                sites.append(site)
    return sites


def _rationale(item: FromItem, why: str) -> str:
    return f"no column of {item.alias} is needed and {why}, so the join only costs time"


def join_elimination(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Remove one join that neither filters nor repeats rows and whose columns are not needed."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW009",
    "join-elimination",
    "drop a to-one join whose columns are unused",
    join_elimination,
    data_dependent=True,  # a join the planner already skips cheaply (a small table, an index) gains little
)
