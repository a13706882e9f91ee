"""Workload queries rewritten against a star design, and the design's coverage of the workload.

Per SELECT scope, every base table is mapped onto the star:

- a fact's table starts a *fact instance*; its folded tables (the header, a finer fact) join it when the
  query's conditions make exactly the folding join (``l_orderkey = o_orderkey``) in a way that keeps the
  query's meaning (:mod:`sqltune.design.joins`: inner joins nothing nulls, or a LEFT JOIN along the folding
  join alone): those predicates disappear and the folded table's columns are read from the fact;
- a table that is a fact of its own too (a header with its own fact, a finer fact) and does not fold is
  read from its own fact, joined as the query joins it;
- a dimension's table starts a *dimension instance*; its snowflaked parents fold into it the same way
  (``c_nationkey = n_nationkey``, ``n_regionkey = r_regionkey``);
- a join of a fact instance to a dimension instance along one of the fact's references becomes the
  surrogate-key join (``lineitem.customer_key = customer.customer_key``);
- a flag moved to the junk dimension is read from it, joined on its key right after its fact.

``SELECT *`` is expanded into the source's columns (an EXISTS subquery keeps its ``*``); a join every
branch of an OR repeats is taken out of the OR first. A table left on its own at a grain the star does not
keep (a snowflaked parent read alone), a fold the query's joins forbid (an outer join keeping the parent's
rows, a join only inside an OR) with no fact to fall back on, or a column the star leaves in the sources
make the query *not answered*, with the reason. Aliases stay as written, so the rewritten query reads like
the original.

Folding assumes the relationships hold (every line has its order): declared foreign keys, or inferred ones
checked on the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqltune.core.predicates import conjuncts
from sqltune.core.sqlglot import Scope, exp, parse_one, qualify, traverse_scope
from sqltune.design.joins import INNER, Layout, fold_refusal, hoist_common_joins, layout, nested_join, rebuild
from sqltune.design.model import Dimension, Fact, FoldedJoin, StarDesign
from sqltune.design.relationships import template_name
from sqltune.schema import Schema, fold
from sqltune.workload import Workload

__all__ = [
    "Coverage",
    "NotAnswered",
    "RewrittenQuery",
    "Unplaced",
    "count_joins",
    "rewrite_query",
    "rewrite_workload",
]


class NotAnswered(ValueError):
    """The star cannot answer this query; the message says why."""


class Unplaced(NotAnswered):
    """Tables a scope reads in a way no star table keeps (a header without its lines, a snowflaked parent on
    its own); the designer gives such a header a fact of its own grain."""

    def __init__(self, message: str, tables: list[str]) -> None:
        super().__init__(message)
        self.tables = tuple(tables)


@dataclass(slots=True)
class RewrittenQuery:
    template: str
    original: str
    rewritten: str | None
    reason: str | None  # why it is not answered
    joins_before: int
    joins_after: int | None
    calls: int = 0
    time_ms: float = 0.0
    oltp: bool = False  # a point lookup or a write: the sources keep serving it, it counts in no share

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "answered": self.rewritten is not None,
            "reason": self.reason,
            "joins_before": self.joins_before,
            "joins_after": self.joins_after,
            "calls": self.calls,
            "time_ms": self.time_ms,
            "oltp": self.oltp,
            "rewritten": self.rewritten,
        }


@dataclass(slots=True)
class Coverage:
    queries: list[RewrittenQuery] = field(default_factory=list)

    @property
    def share(self) -> float:
        """The answered share of the analytic workload, weighted by time (by calls when nothing was timed)."""
        return _share([q for q in self.queries if not q.oltp])

    @property
    def share_all(self) -> float:
        """The answered share of the whole workload, OLTP templates included."""
        return _share(self.queries)

    @property
    def answered(self) -> list[RewrittenQuery]:
        return [q for q in self.queries if q.rewritten is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "share": round(self.share, 4),
            "share_all": round(self.share_all, 4),
            "queries": [q.to_dict() for q in self.queries],
        }


def _share(queries: list[RewrittenQuery]) -> float:
    by_time = sum(q.time_ms for q in queries) > 0
    weight = [(q.time_ms if by_time else q.calls or 1, q.rewritten is not None) for q in queries]
    total = sum(w for w, _ in weight)
    return sum(w for w, ok in weight if ok) / total if total else 0.0


def count_joins(expression: exp.Expression) -> int:
    """Joins of a statement: per SELECT, its FROM items less one (comma joins count as joins).

    >>> count_joins(parse_one("SELECT 1 FROM a, b JOIN c ON b.x = c.x WHERE a.y IN (SELECT y FROM d, e)"))
    3
    """
    total = 0
    for select in expression.find_all(exp.Select):
        from_ = select.args.get("from_") or select.args.get("from")
        if from_ is None:
            continue
        total += len(from_.expressions or []) + len(select.args.get("joins") or [])
    return total


def rewrite_workload(design: StarDesign, schema: Schema, workload: Workload) -> Coverage:
    """Each template rewritten (or the reason it is not), with joins before and after."""
    coverage = Coverage()
    for template in workload.templates:
        original = template.example
        name = template_name(template)
        if name in design.oltp_templates:
            coverage.queries.append(
                RewrittenQuery(
                    name,
                    original,
                    None,
                    "OLTP (a point lookup or a write): the sources keep serving it",
                    0,
                    None,
                    template.calls,
                    template.total_ms,
                    oltp=True,
                )
            )
            continue
        try:
            before = count_joins(parse_one(original, workload.dialect))
        except Exception:
            coverage.queries.append(
                RewrittenQuery(name, original, None, "does not parse", 0, None, template.calls, template.total_ms)
            )
            continue
        try:
            rewritten = rewrite_query(design, schema, original, workload.dialect)
        except NotAnswered as reason:
            coverage.queries.append(
                RewrittenQuery(name, original, None, str(reason), before, None, template.calls, template.total_ms)
            )
            continue
        after = count_joins(parse_one(rewritten, workload.dialect))
        coverage.queries.append(
            RewrittenQuery(name, original, rewritten, None, before, after, template.calls, template.total_ms)
        )
    return coverage


@dataclass(slots=True)
class _Instance:
    kind: str  # "fact", "dimension", "bridge"
    star: str  # star table name
    alias: str  # the representative alias (the anchor's or root's)
    members: dict[str, str]  # alias -> source table
    columns: dict[tuple[str, str], tuple[str, str]]  # (source table, column) -> (alias kind, star column)
    junk: str | None = None  # junk dimension's table, when a flag is read
    nullable: bool = False  # an outer join of its scope can null it (its junk dimension is then LEFT JOINed)


def _fact_columns(design: StarDesign, fact: Fact) -> dict[tuple[str, str], tuple[str, str]]:
    mapping: dict[tuple[str, str], tuple[str, str]] = {}
    for c in fact.columns:
        if any(c.name == role.key for role in fact.dimensions):
            continue
        mapping[(c.source_table, c.source_column)] = ("", c.name)
    for child, child_columns, parent, parent_columns in fact.joins:
        for child_column, parent_column in zip(child_columns, parent_columns, strict=True):
            if (child, child_column) in mapping:
                mapping[(parent, parent_column)] = mapping[(child, child_column)]
    for role in fact.dimensions:
        junk = design.dimension(role.dimension)
        if junk is not None and junk.kind == "junk":
            for c in junk.columns:
                mapping[(c.source_table, c.source_column)] = ("junk", c.name)
    return mapping


def _dimension_columns(dimension: Dimension) -> dict[tuple[str, str], tuple[str, str]]:
    mapping = {(c.source_table, c.source_column): ("", c.name) for c in dimension.columns}
    for child, child_columns, parent, parent_columns in dimension.folded:
        for c, p in zip(child_columns, parent_columns, strict=True):
            if (child, c) in mapping:
                mapping[(parent, p)] = mapping[(child, c)]
    return mapping


_EXISTS_STAR = "sqltune_exists_star"  # meta key: the projection stands for an EXISTS subquery's ``*``
_STAR = "sqltune_star"  # meta key: the SELECT's ``*`` was expanded into the source's columns


def _is_star(node: exp.Expression) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star))


def _mark_stars(expression: exp.Expression) -> None:
    """Before qualifying: an EXISTS subquery's ``SELECT *`` becomes a marked ``SELECT 1`` (its columns do not
    matter, and expanding them would ask the star for columns it leaves in the sources); any other ``*`` is
    expanded into the source's columns by qualification (so the rewritten query returns the source's columns
    under their names), its SELECT marked for the reason when a column has no place in the star."""
    for select in expression.find_all(exp.Select):
        if not any(_is_star(e) for e in select.expressions):
            continue
        parent = select.parent.parent if isinstance(select.parent, exp.Subquery) else select.parent
        if isinstance(parent, exp.Exists) and all(_is_star(e) for e in select.expressions):
            marker = exp.Literal.number(1)
            marker.meta[_EXISTS_STAR] = True
            select.set("expressions", [marker])
        else:
            select.meta[_STAR] = True


def _restore_exists_stars(expression: exp.Expression) -> None:
    for literal in list(expression.find_all(exp.Literal)):
        if literal.meta.get(_EXISTS_STAR):
            projection = literal.parent if isinstance(literal.parent, exp.Alias) else literal
            projection.replace(exp.Star())


def rewrite_query(design: StarDesign, schema: Schema, sql: str, dialect: str | None = None) -> str:
    """``sql`` against the star (see the module documentation); :class:`NotAnswered` when it cannot be."""
    mapping = {t.name: {c: col.type or "text" for c, col in t.columns.items()} for t in schema}
    try:
        parsed = parse_one(sql, dialect)
        _mark_stars(parsed)
        expression = qualify(
            parsed,
            schema=mapping,
            dialect=dialect,
            quote_identifiers=False,
            expand_stars=True,
            validate_qualify_columns=False,
            identify=False,
        )
    except Exception as error:
        raise NotAnswered(f"cannot qualify its columns: {str(error).splitlines()[0]}") from None
    if not isinstance(expression, exp.Query):
        raise NotAnswered("not a query")
    for select in expression.find_all(exp.Select):
        star = next((e for e in select.expressions if _is_star(e)), None)
        if star is not None:
            raise NotAnswered(f"SELECT {star.sql(dialect=dialect)} over a table the schema does not describe")
    facts = {f.table: f for f in design.facts}
    dimensions = {d.table: d for d in design.dimensions if d.kind == "regular" and d.table}
    bridges = {b.table: b for b in design.bridges}
    scopes = traverse_scope(expression)
    instances: dict[int, dict[str, _Instance]] = {}  # id(scope) -> alias -> instance
    unplaced: list[Unplaced] = []  # every scope's, so that the designer sees each table it must place
    for scope in scopes:
        try:
            instances[id(scope)] = _map_scope(design, scope, facts, dimensions, bridges)
        except Unplaced as error:
            unplaced.append(error)
    if unplaced:
        raise Unplaced(
            "; ".join(dict.fromkeys(str(e) for e in unplaced)), sorted({t for e in unplaced for t in e.tables})
        )
    for scope in scopes:
        _rewrite_columns(scope, instances)
    _restore_exists_stars(expression)
    return str(expression.sql(dialect=dialect))


def _map_scope(
    design: StarDesign, scope: Scope, facts: dict[str, Fact], dimensions: dict[str, Dimension], bridges: dict[str, Any]
) -> dict[str, _Instance]:
    tables = {alias: source for alias, source in scope.sources.items() if isinstance(source, exp.Table)}
    if not tables:
        return {}
    select = scope.expression
    if not isinstance(select, exp.Select):
        return {}
    aliases = {alias: fold(source.name) for alias, source in tables.items()}
    hoist_common_joins(select, set(aliases))
    from_ = layout(select, set(aliases))
    by_alias: dict[str, _Instance] = {}
    # A fact that folds into another fact read here (orders or partsupp into lineitem) waits: folding comes
    # first, and only what cannot fold is read from the fact at its own grain.
    present = set(aliases.values())
    finer = {p for f in facts.values() if f.table in present for _, _, p, _ in f.joins if p != f.table}
    deferred = {alias for alias, table in aliases.items() if table in finer}
    for alias, table in aliases.items():
        if alias in deferred:
            continue
        if table in facts:
            fact = facts[table]
            by_alias[alias] = _Instance("fact", fact.name, alias, {alias: table}, _fact_columns(design, fact))
        elif table in dimensions:
            dimension = dimensions[table]
            by_alias[alias] = _Instance(
                "dimension", dimension.name, alias, {alias: table}, _dimension_columns(dimension)
            )
        elif table in bridges:
            bridge = bridges[table]
            by_alias[alias] = _Instance(
                "bridge",
                bridge.name,
                alias,
                {alias: table},
                {(table, c.source_column): ("", c.name) for c in bridge.columns},
            )
    consumed: set[int] = set()
    refused: dict[str, str] = {}
    _fold_members(design, aliases, from_, by_alias, consumed, refused)
    for alias in sorted(deferred - set(by_alias)):
        fact = facts[aliases[alias]]
        by_alias[alias] = _Instance("fact", fact.name, alias, {alias: fact.table}, _fact_columns(design, fact))
        _fold_members(design, aliases, from_, by_alias, consumed, refused)
    missing = sorted({a for a in aliases if a not in by_alias}, key=lambda a: aliases[a])
    if missing:
        reasons = [refused.get(a) or _unplaced_reason(design, aliases[a]) for a in missing]
        raise Unplaced("; ".join(dict.fromkeys(reasons)), sorted({aliases[a] for a in missing}))
    # The FROM clause: one table per instance, the folding predicates dropped, fact-to-dimension joins along
    # a reference turned into surrogate-key joins.
    key_joins = _key_joins(design, from_, by_alias, consumed)
    for predicate, replacement in key_joins.items():
        predicate.replace(replacement)
    representatives = {id(i): i for i in by_alias.values()}
    for instance in representatives.values():  # a star row exists where its anchor's row does
        instance.nullable = from_.index[instance.alias] in from_.nullable
    if any(len(i.members) > 1 for i in representatives.values()):
        if from_.outer:
            rebuild(from_, {alias: i.alias for alias, i in by_alias.items()}, consumed)
        else:
            _drop_folded(select, by_alias, consumed)
    for alias, table_node in tables.items():
        instance = by_alias[alias]
        if instance.alias == alias:
            table_node.replace(_star_table(instance.star, alias))
    return by_alias


def _unplaced_reason(design: StarDesign, table: str) -> str:
    holders = [f.name for f in design.facts if any(p == table for _, _, p, _ in f.joins)]
    holders += [d.name for d in design.dimensions if any(p == table for _, _, p, _ in d.folded)]
    if holders:
        children = sorted(
            {c for f in design.facts for c, _, p, _ in f.joins if p == table}
            | {c for d in design.dimensions for c, _, p, _ in d.folded if p == table}
        )
        return (
            f"{table} is kept only folded into {', '.join(holders)}: read here without {' or '.join(children)}"
            " joined along the folding relationship, at a grain the star does not keep"
        )
    excluded = design.excluded.get(table)
    return f"{table} has no place in the star" + (f" ({excluded.reason})" if excluded is not None else "")


def _fold_members(
    design: StarDesign,
    aliases: dict[str, str],
    from_: Layout,
    by_alias: dict[str, _Instance],
    consumed: set[int],
    refused: dict[str, str],
) -> None:
    """Fold each alias joined to an instance exactly along one of its folds into that instance, where that
    keeps the query's meaning (:func:`~sqltune.design.joins.fold_refusal`); ``refused``: alias -> why not."""
    changed = True
    while changed:
        changed = False
        for alias, table in aliases.items():
            if alias in by_alias:
                continue
            for instance in {id(i): i for i in by_alias.values()}.values():
                for child, child_columns, parent, parent_columns in _folds(design, instance):
                    if parent != table or table in instance.members.values() or alias in by_alias:
                        continue
                    for child_alias, child_table in list(instance.members.items()):
                        if child_table != child or alias in by_alias:
                            continue
                        wanted = set(zip(child_columns, parent_columns, strict=True))
                        used = [
                            p
                            for p in from_.predicates
                            if {p.left.table, p.right.table} == {child_alias, alias}
                            and (
                                (fold(p.left.name), fold(p.right.name))
                                if p.left.table == child_alias
                                else (fold(p.right.name), fold(p.left.name))
                            )
                            in wanted
                        ]
                        if {
                            (fold(p.left.name), fold(p.right.name))
                            if p.left.table == child_alias
                            else (fold(p.right.name), fold(p.left.name))
                            for p in used
                        } != wanted:
                            nested = nested_join(from_, child_alias, alias, wanted)
                            if nested is not None:
                                refused[alias] = (
                                    f"{table} cannot fold into {instance.star}: its join to {child} is inside"
                                    f" {'an OR' if isinstance(nested, exp.Or) else 'a NOT'} ({nested.sql()})"
                                )
                            continue
                        refusal = fold_refusal(from_, alias, child_alias, used)
                        if refusal is not None:
                            refused[alias] = f"{table} cannot fold into {instance.star}: {refusal}"
                            continue
                        instance.members[alias] = table
                        by_alias[alias] = instance
                        consumed.update(id(p.node) for p in used)
                        refused.pop(alias, None)
                        changed = True


def _star_table(star: str, alias: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(star), alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _folds(design: StarDesign, instance: _Instance) -> list[FoldedJoin]:
    if instance.kind == "fact":
        fact = design.fact(instance.star)
        return fact.joins if fact is not None else []
    if instance.kind == "dimension":
        dimension = design.dimension(instance.star)
        return dimension.folded if dimension is not None else []
    return []


def _key_joins(
    design: StarDesign, from_: Layout, by_alias: dict[str, _Instance], consumed: set[int]
) -> dict[exp.Expression, exp.Expression]:
    """Fact-to-dimension equalities along a reference, in WHERE and inner-join conditions, as surrogate-key
    joins (an outer join's condition keeps the natural key: the star keeps it too)."""
    replacements: dict[exp.Expression, exp.Expression] = {}
    for p in from_.predicates:
        predicate, a, b = p.node, p.left, p.right
        if id(predicate) in consumed or (p.origin >= 0 and from_.kinds[p.origin] not in INNER):
            continue
        one, other = by_alias[a.table], by_alias[b.table]
        if one is other:
            continue
        if one.kind != "fact":
            one, other, a, b = other, one, b, a
        if one.kind != "fact" or other.kind != "dimension":
            continue
        fact, dimension = design.fact(one.star), design.dimension(other.star)
        if fact is None or dimension is None or len(dimension.natural_key) != 1:
            continue
        fact_column = one.columns.get((one.members[a.table], fold(a.name)))
        dim_column = other.columns.get((other.members[b.table], fold(b.name)))
        if fact_column is None or dim_column is None or dim_column[1] != dimension.natural_key[0]:
            continue
        role = next(
            (r for r in fact.dimensions if r.dimension == dimension.name and r.natural == (fact_column[1],)), None
        )
        if role is None or b.table != other.alias:
            continue
        replacements[predicate] = exp.EQ(
            this=exp.column(role.key, table=one.alias),
            expression=exp.column(dimension.surrogate_key, table=other.alias),
        )
        consumed.add(id(predicate))
    return replacements


def _drop_folded(select: exp.Select, by_alias: dict[str, _Instance], consumed: set[int]) -> None:
    """Inner joins only: FROM the representatives, the other join conditions moved to WHERE (same meaning)."""
    where = select.args.get("where")
    conditions = [p for p in (conjuncts(where.this) if where else []) if id(p) not in consumed]
    from_ = select.args.get("from_") or select.args.get("from")
    items: list[exp.Expression] = [from_.this, *from_.expressions] if from_ is not None else []
    for join in select.args.get("joins") or []:
        items.append(join.this)
        on = join.args.get("on")
        if on is not None:
            conditions += [p for p in conjuncts(on) if id(p) not in consumed]
    kept = []
    for item in items:
        alias = item.alias_or_name
        instance = by_alias.get(alias)
        if isinstance(item, exp.Table) and instance is not None and instance.alias != alias:
            continue
        kept.append(item)
    select.set("joins", None)
    select.set("from_" if "from_" in select.args or from_ is None else "from", exp.From(this=kept[0]))
    for item in kept[1:]:
        select.append("joins", exp.Join(this=item))
    select.set("where", exp.Where(this=exp.and_(*conditions, copy=False)) if conditions else None)


def _rewrite_columns(scope: Scope, instances: dict[int, dict[str, _Instance]]) -> None:
    junk_needed: dict[int, _Instance] = {}
    for column in scope.columns:
        alias = column.table
        if not alias:
            continue
        owner: Scope | None = scope
        while owner is not None and alias not in instances.get(id(owner), {}):
            owner = owner.parent
        if owner is None:
            continue
        instance = instances[id(owner)][alias]
        source = instance.members[alias]
        mapped = instance.columns.get((source, fold(column.name)))
        if mapped is None:
            star = " (SELECT * reads every column)" if scope.expression.meta.get(_STAR) else ""
            raise NotAnswered(f"{source}.{column.name} has no place in {instance.star}{star}")
        kind, name = mapped
        table = instance.alias
        if kind == "junk":
            table = f"{instance.alias}_flags"
            junk_needed[id(owner)] = instance
        column.set("this", exp.to_identifier(name))
        column.set("table", exp.to_identifier(table))
    for owner_id, instance in junk_needed.items():
        if instance.junk is not None:
            continue
        owner_scope = next(s for s in _all_scopes(scope) if id(s) == owner_id)
        _join_junk(owner_scope.expression, instance)


def _join_junk(select: exp.Select, instance: _Instance) -> None:
    """The junk dimension joined right after its fact (a LEFT JOIN where an outer join can null the fact: its
    flags are then NULL too), so that the join's condition sees the fact whatever joins follow."""
    fact_name = instance.star.removeprefix("fct_")
    instance.junk = f"dim_{fact_name}_flags"
    alias = f"{instance.alias}_flags"
    key = f"{fact_name}_flags_key"
    join = exp.Join(
        this=_star_table(instance.junk, alias),
        on=exp.EQ(this=exp.column(key, table=instance.alias), expression=exp.column(key, table=alias)),
        side="LEFT" if instance.nullable else None,
    )
    from_ = select.args.get("from_") or select.args.get("from")
    joins = list(select.args.get("joins") or [])
    at = 0
    if from_ is None or from_.this.alias_or_name != instance.alias:
        at = next(
            (i + 1 for i, j in enumerate(joins) if j.this.alias_or_name == instance.alias),
            len(joins),
        )
    joins.insert(at, join)
    select.set("joins", joins)


def _all_scopes(scope: Scope) -> list[Scope]:
    found: list[Scope] = []
    current: Scope | None = scope
    while current is not None:
        found.append(current)
        current = current.parent
    return found
