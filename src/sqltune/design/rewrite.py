"""Workload queries rewritten against a star design, and the design's coverage of the workload.

Per SELECT scope, every base table is mapped onto the star:

- a fact's table starts a *fact instance*; its folded tables (the header, a finer fact) join it when the
  query's top-level conjuncts make exactly the folding join (``l_orderkey = o_orderkey``): those
  predicates disappear and the folded table's columns are read from the fact;
- a dimension's table starts a *dimension instance*; its snowflaked parents fold into it the same way
  (``c_nationkey = n_nationkey``, ``n_regionkey = r_regionkey``);
- a join of a fact instance to a dimension instance along one of the fact's references becomes the
  surrogate-key join (``lineitem.customer_key = customer.customer_key``);
- a flag moved to the junk dimension is read from it, joined on its key.

A table left on its own at a grain the star does not keep (orders without its lines), a folding join
through an OR or an outer join, or a table the design does not place make the query *not answered*, with
the reason. Aliases stay as written, so the rewritten query reads like the original.

Folding assumes the relationships hold (every line has its order): declared foreign keys, or inferred ones
checked on the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqltune.core.predicates import conjuncts
from sqltune.core.sqlglot import Scope, exp, parse_one, qualify, traverse_scope
from sqltune.design.model import Dimension, Fact, StarDesign
from sqltune.design.relationships import template_name
from sqltune.schema import Schema, fold
from sqltune.workload import Workload

__all__ = ["Coverage", "NotAnswered", "RewrittenQuery", "count_joins", "rewrite_query", "rewrite_workload"]


class NotAnswered(ValueError):
    """The star cannot answer this query; the message says why."""


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


def _equalities(
    condition: exp.Expression | None, aliases: set[str]
) -> list[tuple[exp.Expression, exp.Column, exp.Column]]:
    """Top-level ``a.x = b.y`` conjuncts between two aliases of the scope."""
    found = []
    for part in conjuncts(condition) if condition is not None else []:
        if (
            isinstance(part, exp.EQ)
            and isinstance(part.this, exp.Column)
            and isinstance(part.expression, exp.Column)
            and part.this.table in aliases
            and part.expression.table in aliases
            and part.this.table != part.expression.table
        ):
            found.append((part, part.this, part.expression))
    return found


def rewrite_query(design: StarDesign, schema: Schema, sql: str, dialect: str | None = None) -> str:
    """``sql`` against the star (see the module documentation); :class:`NotAnswered` when it cannot be."""
    mapping = {t.name: {c: col.type or "text" for c, col in t.columns.items()} for t in schema}
    try:
        expression = qualify(
            parse_one(sql, dialect),
            schema=mapping,
            dialect=dialect,
            quote_identifiers=False,
            expand_stars=False,
            validate_qualify_columns=False,
            identify=False,
        )
    except Exception as error:
        raise NotAnswered(f"cannot qualify its columns: {str(error).splitlines()[0]}") from None
    if not isinstance(expression, exp.Query):
        raise NotAnswered("not a query")
    facts = {f.table: f for f in design.facts}
    dimensions = {d.table: d for d in design.dimensions if d.kind == "regular" and d.table}
    bridges = {b.table: b for b in design.bridges}
    scopes = traverse_scope(expression)
    instances: dict[int, dict[str, _Instance]] = {}  # id(scope) -> alias -> instance
    for scope in scopes:
        instances[id(scope)] = _map_scope(design, scope, facts, dimensions, bridges)
    for scope in scopes:
        _rewrite_columns(scope, instances)
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
    exists = isinstance(select.parent, exp.Exists) or isinstance(select.parent and select.parent.parent, exp.Exists)
    if not exists and any(
        isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
        for e in select.expressions
    ):
        raise NotAnswered("SELECT * would return the star's columns, not the source's")
    joins = select.args.get("joins") or []
    outer = any(j.side or j.kind in ("FULL", "OUTER") for j in joins)
    inner_conditions = [select.args.get("where").this if select.args.get("where") else None]
    inner_conditions += [j.args.get("on") for j in joins if not (j.side or j.kind)]
    predicates = [p for condition in inner_conditions for p in _equalities(condition, set(aliases))]
    by_alias: dict[str, _Instance] = {}
    # A fact that folds into another fact read here (partsupp into lineitem) waits: folding comes first.
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
    _fold_members(design, aliases, predicates, by_alias, consumed, outer)
    for alias in sorted(deferred - set(by_alias)):
        fact = facts[aliases[alias]]
        by_alias[alias] = _Instance("fact", fact.name, alias, {alias: fact.table}, _fact_columns(design, fact))
        _fold_members(design, aliases, predicates, by_alias, consumed, outer)
    missing = sorted({t for a, t in aliases.items() if a not in by_alias})
    if missing:
        raise NotAnswered(
            f"{', '.join(missing)} read here without the table it folds into (a grain or table the star does not keep)"
        )
    # Replace the FROM clause: one table per instance, the folding predicates dropped, fact-to-dimension
    # joins along a reference turned into surrogate-key joins.
    key_joins = _key_joins(design, predicates, by_alias, consumed)
    for predicate, replacement in key_joins.items():
        predicate.replace(replacement)
    representatives = {id(i): i for i in by_alias.values()}
    for alias, table_node in tables.items():
        instance = by_alias[alias]
        if instance.alias == alias:
            table_node.replace(_star_table(instance.star, alias))
    if any(len(i.members) > 1 for i in representatives.values()):
        _drop_folded(select, by_alias, consumed)
    return by_alias


def _fold_members(
    design: StarDesign,
    aliases: dict[str, str],
    predicates: list[tuple[exp.Expression, exp.Column, exp.Column]],
    by_alias: dict[str, _Instance],
    consumed: set[int],
    outer: bool,
) -> None:
    """Fold each alias joined to an instance exactly along one of its folds into that instance."""
    changed = True
    while changed:
        changed = False
        for alias, table in aliases.items():
            if alias in by_alias:
                continue
            for instance in {id(i): i for i in by_alias.values()}.values():
                folds = _folds(design, instance)
                for child, child_columns, parent, parent_columns in folds:
                    if parent != table or table in instance.members.values():
                        continue
                    for child_alias, child_table in list(instance.members.items()):
                        if child_table != child:
                            continue
                        wanted = set(zip(child_columns, parent_columns, strict=True))
                        used = [
                            p
                            for p, a, b in predicates
                            if {a.table, b.table} == {child_alias, alias}
                            and (
                                (fold(a.name), fold(b.name)) if a.table == child_alias else (fold(b.name), fold(a.name))
                            )
                            in wanted
                        ]
                        if len(used) >= len(wanted) and alias not in by_alias:
                            if outer:
                                raise NotAnswered(f"{table} folds into {instance.star} across an outer join")
                            instance.members[alias] = table
                            by_alias[alias] = instance
                            consumed.update(id(p) for p in used)
                            changed = True


def _star_table(star: str, alias: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(star), alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _folds(design: StarDesign, instance: _Instance) -> list[tuple[str, tuple[str, ...], str, tuple[str, ...]]]:
    if instance.kind == "fact":
        fact = design.fact(instance.star)
        return fact.joins if fact is not None else []
    if instance.kind == "dimension":
        dimension = design.dimension(instance.star)
        return dimension.folded if dimension is not None else []
    return []


def _key_joins(
    design: StarDesign,
    predicates: list[tuple[exp.Expression, exp.Column, exp.Column]],
    by_alias: dict[str, _Instance],
    consumed: set[int],
) -> dict[exp.Expression, exp.Expression]:
    replacements: dict[exp.Expression, exp.Expression] = {}
    for predicate, a, b in predicates:
        if id(predicate) in consumed:
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
    """FROM the representatives only, the other inner-join conditions moved to WHERE (same meaning)."""
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
            raise NotAnswered(f"{source}.{column.name} has no place in {instance.star}")
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
        select = owner_scope.expression
        fact_name = instance.star.removeprefix("fct_")
        instance.junk = f"dim_{fact_name}_flags"
        alias = f"{instance.alias}_flags"
        select.append("joins", exp.Join(this=_star_table(instance.junk, alias)))
        condition = exp.EQ(
            this=exp.column(f"{fact_name}_flags_key", table=instance.alias),
            expression=exp.column(f"{fact_name}_flags_key", table=alias),
        )
        where = select.args.get("where")
        select.set("where", exp.Where(this=exp.and_(where.this, condition, copy=False) if where else condition))


def _all_scopes(scope: Scope) -> list[Scope]:
    found: list[Scope] = []
    current: Scope | None = scope
    while current is not None:
        found.append(current)
        current = current.parent
    return found
