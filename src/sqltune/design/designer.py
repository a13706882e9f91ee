"""From a schema and its workload to a :class:`~sqltune.design.model.StarDesign` (Kimball, driven by usage).

The steps, each recorded with its evidence:

1. **Relationships** (:mod:`~sqltune.design.relationships`): declared, inferred from joins and names,
   checked on the data with a connection.
2. **Analytic and OLTP templates**: a template that aggregates is analytic; one that writes, or reads
   without aggregating, is OLTP. A table only OLTP templates touch never becomes a fact.
3. **Facts**: tables whose numeric non-key columns the analytic workload aggregates, and which no table
   other than another fact references (the leaves of the many-to-one graph). Their grain is their key.
4. **Folding into a fact**: a parent read only through the fact and carrying a transaction date is its
   header (orders for lineitem); a parent that is itself a fact and that the workload joins to it lends its
   columns at the finer grain (partsupp's supply cost on each line). Both stay one row per fact row.
5. **Dimensions**: every other parent of a fact's sources; its own to-one chain is flattened into it
   (nation and region into customer). Natural key kept, surrogate key added.
6. **Date dimension**: one generated date dimension, playing a role per date column of the fact.
7. **Junk dimension**: the fact's low-cardinality flags (distinct counts from statistics, else names).
8. **Measures**: additive when summed as they are, non-additive when only averaged, min/max-ed, counted
   distinct or used as a factor inside other measures (a rate), semi-additive for balances and levels; an
   average is stored as its sum and count.
9. **Degenerate dimensions**: the grain's and the header's identifiers without a dimension of their own.
10. **Bridges**: association tables between a dimension and another table (many-to-many).
11. **SCD type**: type 2 when the workload updates an attribute that analytic queries group or filter by.
12. **Header facts**: a header folded into a line fact that analytic templates also read at its own grain
    (orders on their own, behind EXISTS, in an anti-join, preserved by an outer join: the rewriter says which
    templates the line fact cannot answer) gets a fact of its own grain, conformed with the line fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqltune.core.sqlglot import exp
from sqltune.design.model import (
    Bridge,
    Choice,
    Dimension,
    DimensionRole,
    Fact,
    Measure,
    StarColumn,
    StarDesign,
)
from sqltune.design.ports import DesignConnection
from sqltune.design.relationships import (
    SAMPLE_ROWS,
    Relationship,
    Relationships,
    find_relationships,
    quote_identifier,
    template_name,
)
from sqltune.design.rewrite import NotAnswered, Unplaced, rewrite_query
from sqltune.graph import ColumnRole
from sqltune.graph.predicates import unique_not_null_keys
from sqltune.schema import Schema, Table, fold
from sqltune.workload import UsageStats, Workload

__all__ = ["DATE_COLUMNS", "design_star"]

#: The generated date dimension's columns, finest last in its hierarchy.
DATE_COLUMNS = (
    "date_key",
    "date_day",
    "year",
    "quarter",
    "month",
    "month_name",
    "day_of_month",
    "day_of_week",
    "week_of_year",
    "is_weekend",
)
_FLAG_NAME = re.compile(r"(flag|status|mode|method|priority|instruct|kind|type|^is_|_is_|^has_|category|channel)", re.I)
_BALANCE_NAME = re.compile(r"(bal|balance|availqty|avail|on_hand|stock|inventory|level)", re.I)
_NUMERIC = re.compile(r"(INT|DECIMAL|NUMERIC|NUMBER|FLOAT|DOUBLE|REAL|MONEY)", re.I)
_TEXTUAL = re.compile(r"(CHAR|TEXT|STRING|BOOL)", re.I)
#: At most this many distinct values make a column a flag for the junk dimension.
FLAG_DISTINCT = 50


@dataclass(slots=True)
class _Aggregation:
    bare: dict[str, set[str]] = field(default_factory=dict)  # function -> templates aggregating the column itself
    inside: dict[str, set[str]] = field(default_factory=dict)  # function -> templates aggregating an expression


@dataclass(slots=True)
class _Usage:
    """What the designer reads off the workload, beyond UsageStats: template kinds and aggregation shapes."""

    stats: UsageStats
    analytic: dict[str, set[str]] = field(default_factory=dict)  # table -> analytic templates reading it
    oltp: dict[str, set[str]] = field(default_factory=dict)  # table -> OLTP templates reading or writing it
    aggregation: dict[tuple[str, str], _Aggregation] = field(default_factory=dict)
    uses: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)  # (table, col) -> role -> templates
    oltp_templates: set[str] = field(default_factory=set)


def _point_lookup(schema: Schema, graph: Any) -> bool:
    """A filter of a key or reference column on a constant: the query reads one entity's rows (OLTP), however
    it aggregates them (``SELECT sum(quantity) FROM cart_items WHERE cart_id = 7``)."""
    for use in graph.uses:
        if use.role is not ColumnRole.EQUALITY or use.value is None or use.column.table is None:
            continue
        table = schema.table(use.column.table)
        column = fold(use.column.column)
        if table is None:
            continue
        keys = {c for key in unique_not_null_keys(table) for c in key}
        keys |= {fold(c) for fk in table.foreign_keys for c in fk.columns}
        if column in keys or column.endswith("_id"):
            return True
    return False


def design_star(schema: Schema, workload: Workload, connection: DesignConnection | None = None) -> StarDesign:
    """The star schema the workload asks for (see the module documentation)."""
    usage = _read_usage(schema, workload)
    relationships = find_relationships(schema, workload, connection, usage=usage.stats)
    design = StarDesign(
        relationships=list(relationships.many_to_one) + list(relationships.many_to_many), dialect=workload.dialect
    )
    facts = _fact_tables(schema, usage, relationships, design)
    folded_into = {f: _fold_into_fact(schema, f, facts, usage, relationships) for f in facts}
    sources = {f for fact in facts for f in [fact, *(r.parent for r in folded_into[fact])]}
    distinct = _distinct_counts(schema, connection, sources)
    dimensions: dict[str, Dimension] = {}
    for table_name in facts:
        fact = _fact(
            schema, table_name, folded_into[table_name], usage, relationships, facts, distinct, dimensions, design
        )
        design.facts.append(fact)
    design.dimensions.extend(dimensions.values())
    if connection is not None:
        for dimension in design.dimensions:
            _attribute_hierarchies(schema, usage, connection, dimension)
    _bridges(schema, usage, relationships, design)
    for dimension in _header_facts(schema, workload, usage, relationships, facts, distinct, dimensions, design):
        design.dimensions.append(dimension)
        if connection is not None:
            _attribute_hierarchies(schema, usage, connection, dimension)
    _exclusions(schema, usage, design)
    design.oltp_templates = sorted(usage.oltp_templates)
    return design


# -- reading the workload -------------------------------------------------------------------------------
def _read_usage(schema: Schema, workload: Workload) -> _Usage:
    stats = workload.usage(schema)
    usage = _Usage(stats)
    names = {t.fingerprint: template_name(t) for t in workload.templates}
    for fingerprint, graph in stats.graphs.items():
        name = names.get(fingerprint, fingerprint[:12])
        statement = graph.statement
        writes = isinstance(statement, (exp.Insert, exp.Update, exp.Delete, exp.Merge))
        analytic = (
            not writes and any(True for _ in statement.find_all(exp.AggFunc)) and not _point_lookup(schema, graph)
        )
        if not analytic:
            usage.oltp_templates.add(name)
        tables = {fold(r.table.name if r.table is not None else r.name) for r in graph.base_tables()}
        for table in tables:
            (usage.analytic if analytic else usage.oltp).setdefault(table, set()).add(name)
        for use in graph.uses:
            if use.column.table is None:
                continue
            key = (fold(use.column.table), fold(use.column.column))
            usage.uses.setdefault(key, {}).setdefault(use.role.value, set()).add(name)
            if use.role is ColumnRole.AGGREGATE:
                _add_aggregation(usage.aggregation.setdefault(key, _Aggregation()), use.node, name)
    return usage


def _add_aggregation(record: _Aggregation, node: exp.Expression, template: str) -> None:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.AggFunc):
        parent = parent.parent
    if parent is None:
        return
    function = parent.sql_name().lower() if not isinstance(parent, exp.Anonymous) else str(parent.name).lower()
    argument = parent.this.this if isinstance(parent.this, exp.Distinct) else parent.this
    if isinstance(parent.this, exp.Distinct):
        function += "_distinct"
        argument = parent.this.expressions[0] if parent.this.expressions else None
    while isinstance(argument, exp.Paren):
        argument = argument.this
    target = record.bare if argument is node else record.inside
    target.setdefault(function, set()).add(template)


def _distinct_counts(
    schema: Schema, connection: DesignConnection | None, tables: set[str]
) -> dict[tuple[str, str], float]:
    """Distinct counts per column: the schema's statistics, else (with a connection) counted on a sample of
    the fact sources' candidate flag columns (read-only, under a timeout; a failure leaves names to decide)."""
    counts = {
        (fold(t.name), name): column.stats.distinct
        for t in schema
        for name, column in t.columns.items()
        if column.stats is not None and column.stats.distinct is not None
    }
    if connection is None:
        return counts
    for name in sorted(tables):
        table = schema.table(name)
        if table is None:
            continue
        wanted = [
            c
            for c, column in table.columns.items()
            if (name, c) not in counts and re.search(r"(CHAR|TEXT|STRING|BOOL|INT)", column.type or "", re.I)
        ]
        if not wanted:
            continue
        quoted = [quote_identifier(c) for c in wanted]
        query = (
            "SELECT "
            + ", ".join(f"count(DISTINCT {q})" for q in quoted)
            + f" FROM (SELECT {', '.join(quoted)} FROM {quote_identifier(table.qualified_name, True)}"
            + f" LIMIT {SAMPLE_ROWS}) AS sampled"
        )
        try:
            rows = connection.query(query, timeout="5s")
        except Exception:
            continue
        for column, count in zip(wanted, rows[0] if rows else (), strict=False):
            counts[name, column] = float(count)
    return counts


# -- facts ----------------------------------------------------------------------------------------------
def _key_columns(table: Table, relationships: Relationships) -> set[str]:
    keys = {c for key in unique_not_null_keys(table) for c in key}
    for r in relationships.from_table(table.name):
        keys.update(r.child_columns)
    return keys


def _measure_columns(table: Table, usage: _Usage, relationships: Relationships) -> list[str]:
    keys = _key_columns(table, relationships)
    name = fold(table.name)
    return [
        c
        for c, column in table.columns.items()
        if c not in keys and _NUMERIC.search(column.type or "") and (name, c) in usage.aggregation
    ]


def _fact_tables(schema: Schema, usage: _Usage, relationships: Relationships, design: StarDesign) -> list[str]:
    candidates: dict[str, list[str]] = {}
    for table in schema:
        name = fold(table.name)
        measured = _measure_columns(table, usage, relationships)
        if not measured:
            continue
        if name not in usage.analytic:
            design.excluded[name] = Choice(
                "only OLTP templates (point lookups and writes) use it: never a fact",
                0.9,
                [f"aggregated columns {', '.join(measured)} only outside analytic templates"],
                sorted(usage.oltp.get(name, ())),
            )
            continue
        candidates[name] = measured
    facts: list[str] = []
    changed = True
    while changed:  # a leaf of the many-to-one graph, or referenced only by facts
        changed = False
        for name in candidates:
            children = {r.child for r in relationships.to_table(name)}
            if name not in facts and children <= set(facts):
                facts.append(name)
                changed = True
    for name in candidates:
        if name not in facts:
            referencing = sorted({r.child for r in relationships.to_table(name)})
            design.excluded.setdefault(
                f"#{name}",
                Choice(
                    f"aggregated ({', '.join(candidates[name])}) but referenced by {', '.join(referencing)}:"
                    " a dimension",
                    0.7,
                    [f"{', '.join(referencing)} reference it many-to-one"],
                    sorted(usage.analytic.get(name, ())),
                ),
            )
    return facts


def _has_date(table: Table | None) -> bool:
    return table is not None and any(re.search(r"(DATE|TIMESTAMP)", c.type or "", re.I) for c in table.columns.values())


def _fold_into_fact(
    schema: Schema, fact: str, facts: list[str], usage: _Usage, relationships: Relationships
) -> list[Relationship]:
    """The to-one relationships whose parents become part of the fact's rows (headers and finer facts)."""
    folded: list[Relationship] = []
    sources = [fact]
    queue = [fact]
    while queue:
        source = queue.pop(0)
        for r in relationships.from_table(source):
            parent = r.parent
            if parent in sources:
                continue
            referenced_by = {x.child for x in relationships.to_table(parent)}
            joined = set(r.templates) & usage.analytic.get(fact, set())
            header = parent not in facts and referenced_by <= set(sources) and _has_date(schema.table(parent))
            finer = parent in facts and bool(joined)
            if header or finer:
                folded.append(r)
                sources.append(parent)
                queue.append(parent)
    return folded


def _stem(column: str) -> str:
    name = fold(column)
    prefix = re.match(r"^([a-z]{1,3})_", name)
    return name[len(prefix.group(0)) :] if prefix else name


def _prefix(table: Table) -> str:
    prefixes = {m.group(0) for c in table.columns if (m := re.match(r"^([a-z]{1,3})_", c))}
    return prefixes.pop() if len(prefixes) == 1 and all(re.match(r"^([a-z]{1,3})_", c) for c in table.columns) else ""


def _role_name(column: str) -> str:
    stem = _stem(column)
    return re.sub(r"(?<=[a-z])(date|time|ts)$", r"_\1", stem) if "_" not in stem else stem


def _templates_of(usage: _Usage, table: str, column: str, roles: Iterable[str] | None = None) -> list[str]:
    found: set[str] = set()
    for role, templates in usage.uses.get((table, column), {}).items():
        if roles is None or role in roles:
            found |= templates
    return sorted(found)


def _fact(
    schema: Schema,
    name: str,
    folded: list[Relationship],
    usage: _Usage,
    relationships: Relationships,
    facts: list[str],
    distinct: dict[tuple[str, str], float],
    dimensions: dict[str, Dimension],
    design: StarDesign,
) -> Fact:
    table = schema.table(name)
    assert table is not None
    sources = [name, *(r.parent for r in folded)]
    grain = table.primary_key or (unique_not_null_keys(table) or [tuple(table.columns)])[0]
    grain = tuple(fold(c) for c in grain)
    # Columns: every source's, a folded parent's key columns given by the child's reference.
    replaced = {
        (r.parent, p): (r.child, c) for r in folded for c, p in zip(r.child_columns, r.parent_columns, strict=True)
    }
    columns: list[StarColumn] = []
    taken: set[str] = set()
    for source in sources:
        source_table = schema.table(source)
        assert source_table is not None
        for column_name, column in source_table.columns.items():
            if (source, column_name) in replaced:
                continue
            star = column_name if column_name not in taken else f"{source}_{column_name}"
            taken.add(star)
            columns.append(StarColumn(star, source, column_name, column.type))
    # Dimensions referenced from the sources.
    roles: list[DimensionRole] = []
    for source in sources:
        for r in relationships.from_table(source):
            if r.parent in sources or r.parent in facts:
                continue
            naturals = tuple(_star_name(columns, *replaced.get((source, c), (source, c))) for c in r.child_columns)
            dimension = dimensions.get(r.parent) or _dimension(schema, r.parent, usage, relationships, design)
            dimensions[r.parent] = dimension
            if any(x.dimension == dimension.name and x.natural == naturals for x in roles):
                continue  # a folded parent's reference the fact's own columns already make (ps_partkey = l_partkey)
            role, key = r.parent, f"{r.parent}_key"
            if any(x.dimension == dimension.name for x in roles):  # a second role of one dimension
                role = re.sub(r"_?(id|key)$", "", _stem(r.child_columns[0])) or r.parent
                key = f"{role}_{r.parent}_key"
            roles.append(
                DimensionRole(
                    dimension.name,
                    role,
                    key,
                    naturals,
                    Choice(
                        f"{source}.{', '.join(r.child_columns)} references {r.parent} many-to-one ({r.origin})",
                        r.confidence,
                        r.evidence,
                        r.templates,
                    ),
                )
            )
            columns.append(StarColumn(key, source, ",".join(r.child_columns), "bigint"))
    # The date dimension, one role per date column.
    date_columns = [c for c in columns if re.search(r"(DATE|TIMESTAMP)", c.type or "", re.I)]
    if date_columns:
        date_dim = dimensions.get("#date") or _date_dimension()
        dimensions["#date"] = date_dim
        for c in date_columns:
            role = _role_name(c.source_column)
            if role not in date_dim.roles:
                date_dim.roles.append(role)
            used = _templates_of(usage, c.source_table, c.source_column)
            roles.append(
                DimensionRole(
                    date_dim.name,
                    role,
                    f"{role}_key",
                    (c.name,),
                    Choice(
                        f"{c.source_table}.{c.source_column} is a date: the date dimension as {role}",
                        0.9 if used else 0.6,
                        [f"filtered or grouped by {len(used)} templates"],
                        used,
                    ),
                )
            )
            columns.append(StarColumn(f"{role}_key", c.source_table, c.source_column, "integer"))
    # Junk dimension: low-cardinality flags.
    key_columns = {c for s in sources for c in _key_columns(schema.table(s), relationships)}  # type: ignore[arg-type]
    flags = [c for c in columns if c.source_table in sources and _is_flag(c, key_columns, distinct)]
    if len(flags) >= 2:
        junk = _junk_dimension(name, flags, usage, distinct)
        dimensions[f"#junk:{name}"] = junk
        roles.append(DimensionRole(junk.name, "flags", junk.surrogate_key, tuple(c.name for c in flags), junk.why))
        columns = [c for c in columns if c not in flags]
        columns.append(StarColumn(junk.surrogate_key, name, ",".join(c.name for c in flags), "bigint"))
    # Free text no template reads stays in the sources: it would widen every fact row for nothing.
    flagged = {c.name for c in flags} if len(flags) >= 2 else set()
    left_out = [
        c
        for c in columns
        if c.source_table in sources
        and c.source_column not in key_columns
        and c.name not in flagged
        and not any(c.name == r.key for r in roles)
        and re.search(r"(CHAR|TEXT|STRING)", c.type or "", re.I)
        and (c.source_table, c.source_column) not in usage.uses
    ]
    columns = [c for c in columns if c not in left_out]
    # Measures and degenerate dimensions.
    dimension_naturals = {n for r in roles for n in r.natural if not r.dimension.startswith("dim_date")}
    measures: list[Measure] = []
    degenerate: list[str] = []
    for c in columns:
        if c.source_column in key_columns or c.name in dimension_naturals:
            if c.source_table in sources and c.name not in dimension_naturals and not c.name.endswith("_key"):
                degenerate.append(c.name)
            continue
        if c.type and _NUMERIC.search(c.type) and not any(c.name == r.key for r in roles):
            measures.append(_measure(c, usage))
    fact_choice = Choice(
        f"{name} is a leaf of the many-to-one graph whose numeric columns analytic templates aggregate",
        min(0.95, 0.5 + 0.05 * len(usage.analytic.get(name, ()))),
        [
            f"aggregated: {', '.join(_measure_columns(table, usage, relationships))}",
            f"read by {len(usage.analytic.get(name, ()))} analytic templates",
        ]
        + (
            [f"left in the sources, free text no template reads: {', '.join(c.name for c in left_out)}"]
            if left_out
            else []
        )
        + [
            f"{r.parent} folded in ({_fold_kind(r.parent, facts)}): {r.child}({', '.join(r.child_columns)})"
            for r in folded
        ],
        sorted(usage.analytic.get(name, ())),
    )
    return Fact(
        f"fct_{name}",
        name,
        grain,
        sources,
        [(r.child, r.child_columns, r.parent, r.parent_columns) for r in folded],
        columns,
        measures,
        degenerate,
        roles,
        fact_choice,
    )


def _header_facts(
    schema: Schema,
    workload: Workload,
    usage: _Usage,
    relationships: Relationships,
    facts: list[str],
    distinct: dict[tuple[str, str], float],
    dimensions: dict[str, Dimension],
    design: StarDesign,
) -> list[Dimension]:
    """A fact at the grain of each header folded into a line fact that analytic templates read where the line
    fact cannot answer them (orders on their own, behind EXISTS, on the preserved side of an outer join, in an
    anti-join); the dimensions it adds. It conforms with the line fact through the dimensions both reference."""
    headers = {p: fact for fact in design.facts for _, _, p, _ in fact.joins if p not in facts}
    readers: dict[str, list[str]] = {}
    for template in workload.templates if headers else []:
        name = template_name(template)
        if name in usage.oltp_templates:
            continue
        try:
            rewrite_query(design, schema, template.example, workload.dialect)
        except Unplaced as unplaced:
            for table in unplaced.tables:
                if table in headers:
                    readers.setdefault(table, []).append(name)
        except NotAnswered:
            continue
    for dimension in design.dimensions:  # a bridge's group dimension too
        if dimension.kind == "regular" and dimension.table:
            dimensions.setdefault(dimension.table, dimension)
    known = set(dimensions)
    for header, templates in readers.items():
        folded = _fold_into_fact(schema, header, [*facts, header], usage, relationships)
        fact = _fact(schema, header, folded, usage, relationships, [*facts, header], distinct, dimensions, design)
        line = headers[header]
        shared = sorted({r.dimension for r in fact.dimensions} & {r.dimension for r in line.dimensions})
        fact.header_of = line.name
        fact.why = Choice(
            f"{header} is folded into {line.name} as the header of its lines, and {len(templates)} analytic"
            f" template{'s read' if len(templates) > 1 else ' reads'} it at its own grain: a fact of one row per"
            f" {header} row, conformed with"
            f" {line.name} through {', '.join(shared) or 'its degenerate keys'}",
            min(0.9, 0.6 + 0.1 * len(templates)),
            [
                f"{', '.join(sorted(templates))}: {header} read without its lines, or joined to them in a way"
                f" {line.name} cannot answer (EXISTS, an anti-join, the preserved side of an outer join)",
                f"grain ({', '.join(fact.grain)}), the degenerate key {line.name} keeps too: drill across on it",
            ],
            sorted(templates),
        )
        design.facts.append(fact)
    return [d for key, d in dimensions.items() if key not in known]


def _fold_kind(parent: str, facts: list[str]) -> str:
    return "finer to-one fact joined by the workload" if parent in facts else "header with a transaction date"


def _star_name(columns: list[StarColumn], source: str, column: str) -> str:
    return next((c.name for c in columns if c.source_table == source and c.source_column == column), column)


def _is_flag(column: StarColumn, keys: set[str], distinct: dict[tuple[str, str], float]) -> bool:
    if column.source_column in keys or not column.type:
        return False
    count = distinct.get((column.source_table, column.source_column))
    if count is not None:
        return 0 < count <= FLAG_DISTINCT and (_TEXTUAL.search(column.type) is not None or count <= 10)
    return bool(_FLAG_NAME.search(column.source_column)) and (
        _TEXTUAL.search(column.type) is not None or "INT" in column.type.upper()
    )


def _junk_dimension(
    fact: str, flags: list[StarColumn], usage: _Usage, distinct: dict[tuple[str, str], float]
) -> Dimension:
    counts = [distinct.get((c.source_table, c.source_column)) for c in flags]
    by_stats = all(c is not None for c in counts)
    templates = sorted({t for c in flags for t in _templates_of(usage, c.source_table, c.source_column)})
    return Dimension(
        f"dim_{fact}_flags",
        "junk",
        fact,
        tuple(c.name for c in flags),
        f"{fact}_flags_key",
        [StarColumn(c.name, c.source_table, c.source_column, c.type) for c in flags],
        scd_type=1,
        scd=Choice("a junk dimension holds combinations, which never change", 0.9),
        why=Choice(
            f"{len(flags)} low-cardinality flags of {fact} gathered into one junk dimension",
            0.8 if by_stats else 0.6,
            [
                f"{c.source_table}.{c.source_column}: "
                + (f"{int(n)} distinct values" if n is not None else "named as a flag")
                for c, n in zip(flags, counts, strict=True)
            ],
            templates,
        ),
    )


def _date_dimension() -> Dimension:
    return Dimension(
        "dim_date",
        "date",
        None,
        ("date_day",),
        "date_key",
        [
            StarColumn(
                c,
                "",
                c,
                "integer"
                if c in ("date_key", "year", "quarter", "month", "day_of_month", "day_of_week", "week_of_year")
                else ("date" if c == "date_day" else ("boolean" if c == "is_weekend" else "text")),
            )
            for c in DATE_COLUMNS
        ],
        hierarchies=[["year", "quarter", "month", "date_day"]],
        scd_type=0,
        scd=Choice("generated from the calendar: never changes", 1.0),
        why=Choice("the fact's date columns share one generated date dimension (role-playing)", 0.9),
    )


def _measure(column: StarColumn, usage: _Usage) -> Measure:
    record = usage.aggregation.get((column.source_table, column.source_column))
    if record is None:
        return Measure(
            column, "additive", [], ["sum"], Choice("numeric and not aggregated by the workload: additive by type", 0.3)
        )
    bare, inside = set(record.bare), set(record.inside)
    templates = sorted({t for s in (*record.bare.values(), *record.inside.values()) for t in s})
    shown = sorted(bare) + [f"{f}(expression)" for f in sorted(inside)]
    evidence = [f"{f}({column.source_column}) in {', '.join(sorted(record.bare[f]))}" for f in sorted(bare)]
    evidence += [
        f"{f}(... {column.source_column} ...) in {', '.join(sorted(record.inside[f]))}" for f in sorted(inside)
    ]
    stored = ["sum", "count"] if "avg" in bare else ["sum"]
    if _BALANCE_NAME.search(column.source_column):
        return Measure(
            column,
            "semi-additive",
            shown,
            stored,
            Choice("a balance or level: sums across entities, not across time", 0.6, evidence, templates),
        )
    if "sum" in bare:
        return Measure(column, "additive", shown, stored, Choice("summed as it is", 0.9, evidence, templates))
    if bare & {"count_distinct", "min", "max"} and not bare & {"sum"}:
        return Measure(
            column,
            "non-additive",
            shown,
            ["min", "max"] if bare & {"min", "max"} else [],
            Choice(f"only {', '.join(sorted(bare))} of it: its values do not add up", 0.7, evidence, templates),
        )
    if "avg" in bare or inside:
        return Measure(
            column,
            "non-additive",
            shown,
            stored,
            Choice(
                "averaged or used as a factor of other measures (a rate or price), never summed as it is",
                0.7,
                evidence,
                templates,
            ),
        )
    return Measure(column, "additive", shown, stored, Choice("summed within expressions", 0.5, evidence, templates))


# -- dimensions -----------------------------------------------------------------------------------------
def _dimension(schema: Schema, name: str, usage: _Usage, relationships: Relationships, design: StarDesign) -> Dimension:
    table = schema.table(name)
    assert table is not None
    natural = tuple(fold(c) for c in (table.primary_key or (unique_not_null_keys(table) or [()])[0]))
    columns = [StarColumn(c, name, c, col.type) for c, col in table.columns.items()]
    prefix = _prefix(table)
    folded: list[tuple[str, tuple[str, ...], str, tuple[str, ...]]] = []
    names = {c.name for c in columns}
    chain: list[tuple[str, str]] = [(name, "")]  # (table, column-name prefix) from the root up
    queue = [(name, prefix)]
    seen = {name}
    while queue:
        child, child_prefix = queue.pop(0)
        for r in relationships.from_table(child):
            if r.parent in seen:
                continue
            parent = schema.table(r.parent)
            if parent is None:
                continue
            seen.add(r.parent)
            folded.append((r.child, r.child_columns, r.parent, r.parent_columns))
            parent_prefix = f"{child_prefix or prefix}{r.parent}_"
            for c, col in parent.columns.items():
                if c in r.parent_columns:
                    continue
                star = f"{parent_prefix}{_stem(c)}"
                while star in names:
                    star += "_"
                names.add(star)
                columns.append(StarColumn(star, r.parent, c, col.type))
            chain.append((r.parent, parent_prefix))
            queue.append((r.parent, parent_prefix))
    hierarchy = [_label(schema, t, columns) for t, _ in reversed(chain)]
    hierarchies = [[h for h in hierarchy if h]] if len(chain) > 1 and all(hierarchy) else []
    scd_type, scd = _scd(table, columns, usage)
    used = sorted(
        usage.analytic.get(name, set())
        | {t for c in columns for t in _templates_of(usage, c.source_table, c.source_column)}
    )
    why = Choice(
        f"{name} is referenced many-to-one from a fact"
        + (f"; {', '.join(p for _, _, p, _ in folded)} folded in (snowflake flattened)" if folded else ""),
        0.85,
        [f"natural key ({', '.join(natural)})"] + [f"{c}({', '.join(cc)}) -> {p}" for c, cc, p, _ in folded],
        used,
    )
    return Dimension(
        f"dim_{name}", "regular", name, natural, f"{name}_key", columns, folded, hierarchies, [], scd_type, scd, why
    )


#: Grouped attributes of one dimension tested for functional dependencies (pairs grow quadratically).
FD_CANDIDATES = 6


def _attribute_hierarchies(schema: Schema, usage: _Usage, connection: DesignConnection, dimension: Dimension) -> None:
    """Hierarchies among the root's grouped or filtered text attributes, from functional dependencies the data
    shows on a sample (``city`` determines ``region`` and has more values: region > city)."""
    table = schema.table(dimension.table or "")
    if table is None or dimension.kind != "regular":
        return
    name = fold(table.name)
    keys = {c for key in unique_not_null_keys(table) for c in key}
    wanted_roles = {"group_by", "equality", "in_list"}
    candidates = [
        c
        for c, column in table.columns.items()
        if c not in keys
        and _TEXTUAL.search(column.type or "")
        and any(
            role in wanted_roles and templates & usage.analytic.get(name, set())
            for role, templates in usage.uses.get((name, c), {}).items()
        )
    ][:FD_CANDIDATES]
    if len(candidates) < 2:
        return
    pairs = [(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1 :]]
    quoted = {c: quote_identifier(c) for c in candidates}
    counts = [f"count(DISTINCT {quoted[c]})" for c in candidates]
    counts += [f"count(DISTINCT ({quoted[a]}, {quoted[b]}))" for a, b in pairs]
    query = (
        f"SELECT {', '.join(counts)} FROM (SELECT {', '.join(quoted.values())}"
        f" FROM {quote_identifier(table.qualified_name, True)} LIMIT {SAMPLE_ROWS}) AS sampled"
    )
    try:
        rows = connection.query(query, timeout="5s")
    except Exception:
        return
    if not rows:
        return
    values = [int(v) for v in rows[0]]
    single = dict(zip(candidates, values, strict=False))
    for (a, b), together in zip(pairs, values[len(candidates) :], strict=False):
        for finer, coarser in ((a, b), (b, a)):
            if together == single[finer] and single[coarser] < single[finer]:
                level = [_star_name(dimension.columns, name, coarser), _star_name(dimension.columns, name, finer)]
                if level not in dimension.hierarchies:
                    dimension.hierarchies.append(level)
                    dimension.why.evidence.append(
                        f"{finer} determines {coarser} on a sample ({single[finer]} values, {single[coarser]} above)"
                    )


def _label(schema: Schema, table_name: str, columns: list[StarColumn]) -> str | None:
    """The column that names a level of a hierarchy: a text column called *name*, else the first text one."""
    table = schema.table(table_name)
    if table is None:
        return None
    keys = {c for key in unique_not_null_keys(table) for c in key}
    texts = [c for c, col in table.columns.items() if c not in keys and _TEXTUAL.search(col.type or "")]
    chosen = next((c for c in texts if "name" in c), texts[0] if texts else None)
    return next((c.name for c in columns if c.source_table == table_name and c.source_column == chosen), None)


def _scd(table: Table, columns: list[StarColumn], usage: _Usage) -> tuple[int, Choice]:
    name = fold(table.name)
    updated = [c for c in table.columns if "assignment" in usage.uses.get((name, c), {})]
    if not updated:
        return 1, Choice("the workload never updates it: overwrite in place (type 1)", 0.5)
    analysed_roles = {r.value for r in ColumnRole if r.is_filter} | {"group_by"}
    analysed = [
        c
        for c in updated
        if any(
            role in analysed_roles and templates & usage.analytic.get(name, set())
            for role, templates in usage.uses.get((name, c), {}).items()
        )
    ]
    templates = sorted({t for c in updated for t in usage.uses[(name, c)]["assignment"]})
    if analysed:
        return 2, Choice(
            f"the workload updates {', '.join(analysed)}, which analytic queries group or filter by: keep history"
            " (type 2)",
            0.8,
            [f"updated: {', '.join(updated)}"],
            templates,
        )
    return 1, Choice(
        f"the workload updates {', '.join(updated)}, which no analytic query groups or filters by: overwrite (type 1)",
        0.7,
        [f"updated: {', '.join(updated)}"],
        templates,
    )


# -- bridges and exclusions -----------------------------------------------------------------------------
def _bridges(schema: Schema, usage: _Usage, relationships: Relationships, design: StarDesign) -> None:
    in_star = {f for fact in design.facts for f in fact.sources} | {d.table for d in design.dimensions if d.table}
    in_star |= {p for d in design.dimensions for _, _, p, _ in d.folded}
    for table in schema:
        name = fold(table.name)
        if name in in_star or name not in usage.analytic:  # an association only OLTP reads is no bridge
            continue
        outgoing = relationships.from_table(name)
        key = {fold(c) for c in table.primary_key}
        referenced = {c for r in outgoing for c in r.child_columns}
        dims = [r for r in outgoing if r.parent in {d.table for d in design.dimensions}]
        if len(outgoing) < 2 or not dims or not key or not key <= referenced:
            continue
        group = next(r for r in outgoing if r not in dims[:1])
        if group.parent not in {d.table for d in design.dimensions}:
            design.dimensions.append(_dimension(schema, group.parent, usage, relationships, design))
        design.bridges.append(
            Bridge(
                f"bridge_{name}",
                name,
                [(r.child_columns, r.parent, r.parent_columns) for r in outgoing],
                [StarColumn(c, name, c, col.type) for c, col in table.columns.items()],
                Choice(
                    f"{name} associates {dims[0].parent} with {group.parent} many-to-many",
                    0.8,
                    [f"its key ({', '.join(table.primary_key)}) is made of references"],
                    sorted(usage.analytic.get(name, set()) | usage.oltp.get(name, set())),
                ),
            )
        )


def _exclusions(schema: Schema, usage: _Usage, design: StarDesign) -> None:
    placed = {f for fact in design.facts for f in fact.sources} | {d.table for d in design.dimensions if d.table}
    placed |= {p for d in design.dimensions for _, _, p, _ in d.folded} | {b.table for b in design.bridges}
    for name in [n for n in design.excluded if n.startswith("#")]:  # not a fact, for the reason given
        choice = design.excluded.pop(name)
        dimension = design.dimension(name[1:])
        if dimension is not None:
            dimension.why.evidence.append(f"not a fact: {choice.reason}")
        elif name[1:] not in placed:
            design.excluded[name[1:]] = choice
    for table in schema:
        name = fold(table.name)
        if name in placed or name in design.excluded:
            continue
        if name in usage.oltp and name not in usage.analytic:
            design.excluded[name] = Choice(
                "only OLTP templates (point lookups and writes) use it", 0.8, [], sorted(usage.oltp[name])
            )
        elif name not in usage.analytic:
            design.excluded[name] = Choice("no analytic template reads it", 0.6)
        else:
            design.excluded[name] = Choice(
                "analytic templates read it, but it is no fact and no fact references it",
                0.5,
                [],
                sorted(usage.analytic[name]),
            )
