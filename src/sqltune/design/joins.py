"""The FROM clause of one SELECT as the star rewriter (:mod:`sqltune.design.rewrite`) sees it: its items in
order, how each joins, which of them an outer join can fill with NULLs, the column equalities of its
conditions, and the clause rebuilt once tables have folded into star tables.

Folding a table into the star row of another (orders into the line fact, nation into the customer
dimension) keeps the query's meaning when:

- the folding join is made by the WHERE clause or inner joins, and no outer join can null either table
  (an *inner fold*: the star row is the joined row, the relationship holding);
- the folded table is the null-supplying side of a ``LEFT JOIN`` whose ON condition is exactly the folding
  join (an *outer fold*: the star's models join their folded tables with LEFT JOINs, so the star row keeps
  the folded columns NULL where the source had no match, as the query does); ``parent RIGHT JOIN child ON
  <the folding join>`` as the first join is the same with the sides swapped.

Anything else is refused with the reason: the folded table preserved by an outer join (orders without
lines), an outer join with conditions beyond the folding join, a FULL JOIN, an inner fold under an outer
join's null-supplying side, or the folding join only inside an OR. A join that an OR repeats in every
branch is first taken out of it (:func:`hoist_common_joins`), so that it can fold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqltune.core.predicates import conjuncts, disjuncts
from sqltune.core.sqlglot import exp

__all__ = ["Layout", "Predicate", "fold_refusal", "hoist_common_joins", "layout", "nested_join", "rebuild"]

#: Join kinds whose conditions may move to WHERE (their rows are the filtered product).
INNER = frozenset({"from", "comma", "inner", "cross"})


@dataclass(slots=True)
class Predicate:
    """A top-level ``a.x = b.y`` conjunct between two aliases of the scope, and where it is written."""

    node: exp.Expression
    left: exp.Column
    right: exp.Column
    origin: int  # -1: the WHERE clause; else the index of the FROM item whose ON condition holds it


@dataclass(slots=True)
class Layout:
    select: exp.Select
    items: list[exp.Expression]  # FROM items in order: the FROM clause's, then each join's
    joins: list[exp.Join | None]  # the JOIN node of each item (None for the FROM clause's)
    kinds: list[str]  # "from", "comma", "inner", "cross", "left", "right", "full", or another join kind
    nullable: set[int] = field(default_factory=set)  # items an outer join can fill with NULLs
    index: dict[str, int] = field(default_factory=dict)  # alias -> item
    predicates: list[Predicate] = field(default_factory=list)

    @property
    def outer(self) -> bool:
        return any(kind not in INNER for kind in self.kinds)

    def on(self, item: int) -> list[exp.Expression]:
        join = self.joins[item]
        condition = join.args.get("on") if join is not None else None
        return conjuncts(condition) if condition is not None else []


def _kind(join: exp.Join) -> str:
    side, kind = (join.side or "").lower(), (join.kind or "").lower()
    if side in ("left", "right", "full"):
        return side
    if kind == "cross":
        return "cross"
    if kind in ("", "inner", "outer"):
        return "inner" if join.args.get("on") is not None or join.args.get("using") else "comma"
    return kind  # semi, anti, ...: treated as outer joins (nothing folds across them)


def _joins(node: exp.Expression, aliases: set[str]) -> bool:
    return (
        isinstance(node, exp.EQ)
        and isinstance(node.this, exp.Column)
        and isinstance(node.expression, exp.Column)
        and node.this.table in aliases
        and node.expression.table in aliases
        and node.this.table != node.expression.table
    )


def _equalities(condition: exp.Expression | None, aliases: set[str], origin: int) -> list[Predicate]:
    parts = conjuncts(condition) if condition is not None else []
    return [Predicate(p, p.this, p.expression, origin) for p in parts if _joins(p, aliases)]


def layout(select: exp.Select, aliases: set[str]) -> Layout:
    """The FROM clause of ``select``; ``aliases``: the scope's base-table aliases (predicates join two)."""
    from_ = select.args.get("from_") or select.args.get("from")
    items: list[exp.Expression] = [from_.this, *from_.expressions] if from_ is not None else []
    joins: list[exp.Join | None] = [None] * len(items)
    kinds = ["from"] + ["comma"] * (len(items) - 1) if items else []
    for join in select.args.get("joins") or []:
        items.append(join.this)
        joins.append(join)
        kinds.append(_kind(join))
    result = Layout(select, items, joins, kinds)
    for i, kind in enumerate(kinds):
        if kind in INNER:
            continue
        if kind != "right":  # a LEFT or FULL JOIN (or a kind nothing folds across) nulls its own item
            result.nullable.add(i)
        if kind != "left":  # a RIGHT or FULL JOIN nulls everything before it
            result.nullable.update(range(i))
    result.index = {item.alias_or_name: i for i, item in enumerate(items)}
    where = select.args.get("where")
    result.predicates = _equalities(where.this if where else None, aliases, -1)
    for i, join in enumerate(joins):
        if join is not None:
            result.predicates += _equalities(join.args.get("on"), aliases, i)
    return result


def _same(one: exp.Expression, other: exp.Expression) -> bool:
    """The same equality, whichever side each column is written on."""
    return one == other or (
        isinstance(one, exp.EQ)
        and isinstance(other, exp.EQ)
        and {one.this, one.expression} == {other.this, other.expression}
    )


def hoist_common_joins(select: exp.Select, aliases: set[str]) -> None:
    """``(a.x = b.y AND p) OR (a.x = b.y AND q)`` becomes ``a.x = b.y AND (p OR q)``, in WHERE and ON conditions:
    a join every branch of an OR repeats is a join of the whole condition (AND distributes over OR in SQL's
    three-valued logic too). A branch left with nothing makes the OR true: only the joins remain."""
    where = select.args.get("where")
    conditions = [where.this] if where is not None else []
    conditions += [j.args["on"] for j in select.args.get("joins") or [] if j.args.get("on") is not None]
    for condition in conditions:
        for part in conjuncts(condition):
            if not isinstance(part, exp.Or):
                continue
            branches = [conjuncts(b) for b in disjuncts(part)]
            common = [
                c
                for c in branches[0]
                if _joins(c, aliases) and all(any(_same(c, d) for d in other) for other in branches[1:])
            ]
            if not common:
                continue
            rest = [[c for c in branch if not any(_same(c, k) for k in common)] for branch in branches]
            # The nodes move rather than copy: the scope's column list must keep seeing them.
            kept = list(common)
            if all(rest):
                kept.append(exp.or_(*(exp.and_(*branch, copy=False) for branch in rest), copy=False))
            part.replace(exp.and_(*kept, copy=False))


def nested_join(layout: Layout, one: str, other: str, wanted: set[tuple[str, str]]) -> exp.Expression | None:
    """An equality joining ``one`` to ``other`` along ``wanted`` (column pairs) that is no top-level conjunct:
    written inside an OR (or NOT), where it cannot fold; the OR holding it."""
    where = layout.select.args.get("where")
    conditions = [where.this] if where is not None else []
    conditions += [j.args["on"] for j in layout.joins if j is not None and j.args.get("on") is not None]
    top = {id(p.node) for p in layout.predicates}
    for condition in conditions:
        for node in condition.find_all(exp.EQ):
            if id(node) in top or not _joins(node, {one, other}):
                continue
            a, b = node.this, node.expression
            pair = (a.name.lower(), b.name.lower()) if a.table == one else (b.name.lower(), a.name.lower())
            if pair in wanted:
                holder = node.find_ancestor(exp.Or, exp.Not)
                return holder if holder is not None else node
    return None


def fold_refusal(layout: Layout, parent: str, child: str, used: list[Predicate]) -> str | None:
    """None when ``parent`` may fold into the star row of ``child`` joined by ``used`` (see the module
    documentation); else why it may not."""
    p, c = layout.index[parent], layout.index[child]
    origins = {u.origin for u in used}
    if all(o == -1 or layout.kinds[o] in INNER for o in origins):
        if p in layout.nullable or c in layout.nullable:
            side = parent if p in layout.nullable else child
            return f"an outer join can null {side}, while the folding join is an inner one"
        return None
    exact = {id(u.node) for u in used}
    if origins == {p} and layout.kinds[p] == "left" and c < p:
        extra = [x for x in layout.on(p) if id(x) not in exact]
        if not extra:
            return None
        return (
            f"the LEFT JOIN to {parent} has conditions beyond the folding join ({' AND '.join(x.sql() for x in extra)})"
        )
    if origins == {c} and layout.kinds[c] == "right" and p == 0 and c == 1:
        extra = [x for x in layout.on(c) if id(x) not in exact]
        if not extra:
            return None
        return (
            f"the RIGHT JOIN to {child} has conditions beyond the folding join ({' AND '.join(x.sql() for x in extra)})"
        )
    kinds = {layout.kinds[o] for o in origins if o >= 0} - INNER
    if "full" in kinds:
        return f"a FULL JOIN keeps rows of {parent} without {child}"
    return f"an outer join keeps rows of {parent} without {child} ({', '.join(sorted(k.upper() for k in kinds))} JOIN)"


def rebuild(layout: Layout, representative: dict[str, str], consumed: set[int]) -> None:
    """The FROM clause with one item per star table, where the first of its members stood; the folding
    predicates (``consumed``) dropped; a folded member's other ON conditions moved to WHERE (only inner ones
    have any: :func:`fold_refusal`); the joins' kinds kept. ``representative``: alias -> its star table's."""
    select = layout.select
    where = select.args.get("where")
    conditions = [p for p in (conjuncts(where.this) if where else []) if id(p) not in consumed]
    position: dict[str, int] = {}
    for alias, rep in representative.items():
        position[rep] = min(position.get(rep, layout.index[alias]), layout.index[alias])
    kept: list[tuple[exp.Expression, int, list[exp.Expression]]] = []
    for i, item in enumerate(layout.items):
        alias = item.alias_or_name
        rep = representative.get(alias, alias)
        left = [p for p in layout.on(i) if id(p) not in consumed]
        if position.get(rep, i) != i:
            conditions += left
            continue
        kept.append((layout.items[layout.index[rep]], i, left))
    from_key = "from_" if "from_" in select.args or select.args.get("from") is None else "from"
    first, _, left = kept[0]
    conditions += left
    select.set(from_key, exp.From(this=first))
    joins = []
    for item, i, left in kept[1:]:
        join = layout.joins[i] or exp.Join()
        kind = layout.kinds[i] if layout.joins[i] is not None else "comma"
        join.set("this", item)
        if kind in INNER:
            join.set("on", exp.and_(*left, copy=False) if left else None)
            if not left and kind == "inner":
                join.set("kind", "CROSS")
        else:
            join.set("on", exp.and_(*left, copy=False) if left else exp.true())
        joins.append(join)
    select.set("joins", joins or None)
    select.set("where", exp.Where(this=exp.and_(*conditions, copy=False)) if conditions else None)
