"""A dbt project that builds a star design from the normalised sources.

Layout (every file plain text, written by :func:`dbt_project` as ``{path: text}``):

- ``dbt_project.yml``; ``models/sources.yml`` (the source tables, schema from the ``source_schema`` var);
- ``models/staging/stg_<table>.sql``: one view per source table the star reads;
- ``models/marts/int_<fact>.sql``: the fact's sources joined at its grain (ephemeral);
- ``models/marts/dim_*.sql``, ``fct_*.sql``, ``bridge_*.sql``: tables; surrogate keys are a 64-bit hash of
  the natural key as text (``macros/sqltune_key.sql``), computed the same way in a dimension and in the facts
  that reference it, so a fact needs no lookup join; date keys are ``yyyymmdd`` integers of the generated ``dim_date``;
- ``models/marts/schema.yml``: unique and not_null on every key, relationships from each fact key to its
  dimension; ``tests/assert_<fact>_grain.sql``: the grain is unique;
- ``snapshots/<dimension>_snapshot.sql``: one per type-2 dimension (strategy ``check``).

PostgreSQL and Snowflake both run it (the date spine branches on ``target.type``).
"""

from __future__ import annotations

import re

from sqltune.design.model import Dimension, Fact, FoldedJoin, StarColumn, StarDesign
from sqltune.schema import Schema

__all__ = ["dbt_project", "surrogate_key_sql"]

PROJECT = "sqltune_star"


#: The project's one macro: a 64-bit hash of a key's text (PostgreSQL's hashtextextended, Snowflake's HASH),
#: NULL for a NULL key. Eight bytes per key in every fact row, where an md5 text would take 33.
KEY_MACRO = """{% macro sqltune_key(text, guard) -%}
case when {{ guard }} then null else
{%- if target.type == 'snowflake' %} hash({{ text }}){% else %} hashtextextended({{ text }}, 0){% endif %} end
{%- endmacro %}
"""


def surrogate_key_sql(columns: list[str]) -> str:
    """The surrogate key of a natural key (columns as SQL expressions): the ``sqltune_key`` macro of its text.

    >>> surrogate_key_sql(["t.id"])
    '{{ sqltune_key("cast(t.id as varchar)", "t.id is null") }}'
    >>> print(surrogate_key_sql(["a", "b"]))
    {{ sqltune_key("concat_ws('|', cast(a as varchar), cast(b as varchar))", "a is null or b is null") }}
    """
    text = (
        f"cast({columns[0]} as varchar)"
        if len(columns) == 1
        else ("concat_ws('|', " + ", ".join(f"cast({c} as varchar)" for c in columns) + ")")
    )
    guard = " or ".join(f"{c} is null" for c in columns)
    return f'{{{{ sqltune_key("{text}", "{guard}") }}}}'


def _junk_key_sql(columns: list[str]) -> str:
    text = "concat_ws('|', " + ", ".join(f"coalesce(cast({c} as varchar), '~')" for c in columns) + ")"
    return f'{{{{ sqltune_key("{text}", "false") }}}}'


def _date_key_sql(column: str) -> str:
    """``yyyymmdd`` as an integer, by arithmetic: no format string, whose spelling differs between warehouses."""
    return (
        f"cast(extract(year from {column}) * 10000 + extract(month from {column}) * 100"
        f" + extract(day from {column}) as integer)"
    )


def _select(lines: list[str]) -> str:
    return "select\n    " + ",\n    ".join(lines)


def dbt_project(design: StarDesign, schema: Schema) -> dict[str, str]:
    """The project's files, by relative path (see the module documentation)."""
    files: dict[str, str] = {
        "dbt_project.yml": (
            f"name: {PROJECT}\nversion: '1.0.0'\nconfig-version: 2\nprofile: {PROJECT}\n"
            "model-paths: [models]\nsnapshot-paths: [snapshots]\ntest-paths: [tests]\nmacro-paths: [macros]\n"
            "vars:\n  source_schema: public\n"
            f"models:\n  {PROJECT}:\n    staging:\n      +materialized: view\n    marts:\n      +materialized: table\n"
            # Fresh tables have no statistics until autovacuum comes by; the planner needs them at once.
            "      +post-hook: \"{% if target.type == 'postgres' %}analyze {{ this }}{% endif %}\"\n"
        )
    }
    files["macros/sqltune_key.sql"] = KEY_MACRO
    used = _source_tables(design)
    files["models/sources.yml"] = (
        "version: 2\nsources:\n  - name: app\n    schema: \"{{ var('source_schema') }}\"\n    tables:\n"
        + "".join(f"      - name: {t}\n" for t in used)
    )
    for table_name in used:
        table = schema.table(table_name)
        columns = list(table.columns) if table is not None else ["*"]
        files[f"models/staging/stg_{table_name}.sql"] = (
            _select(columns) + f"\nfrom {{{{ source('app', '{table_name}') }}}}\n"
        )
    tests: list[str] = []
    for dimension in design.dimensions:
        if dimension.kind == "regular":
            files[f"models/marts/{dimension.name}.sql"] = _dimension_sql(dimension)
        elif dimension.kind == "date":
            files[f"models/marts/{dimension.name}.sql"] = _date_sql(design)
        tests.append(_dimension_tests(dimension))
        if dimension.scd_type == 2 and dimension.table:
            files[f"snapshots/{dimension.name}_snapshot.sql"] = _snapshot(dimension)
    for fact in design.facts:
        files[f"models/marts/int_{fact.table}.sql"] = _int_sql(design, fact)
        files[f"models/marts/{fact.name}.sql"] = _fact_sql(design, fact)
        for role in fact.dimensions:
            junk = design.dimension(role.dimension)
            if junk is not None and junk.kind == "junk":
                files[f"models/marts/{junk.name}.sql"] = (
                    "select distinct\n    "
                    + _junk_key_sql(list(role.natural))
                    + f" as {junk.surrogate_key},\n    "
                    + ",\n    ".join(role.natural)
                    + f"\nfrom {{{{ ref('int_{fact.table}') }}}}\n"
                )
        tests.append(_fact_tests(design, fact, schema))
        grain = ", ".join(fact.grain)
        files[f"tests/assert_{fact.name}_grain.sql"] = (
            f"-- one row per ({grain})\nselect {grain}, count(*)\nfrom {{{{ ref('{fact.name}') }}}}\n"
            f"group by {grain}\nhaving count(*) > 1\n"
        )
    for bridge in design.bridges:
        files[f"models/marts/{bridge.name}.sql"] = (
            _select([c.name for c in bridge.columns]) + f"\nfrom {{{{ ref('stg_{bridge.table}') }}}}\n"
        )
        tests.append(_bridge_tests(design, bridge))
    files["models/marts/schema.yml"] = "version: 2\nmodels:\n" + "".join(tests)
    return files


def _source_tables(design: StarDesign) -> list[str]:
    tables: list[str] = []
    for fact in design.facts:
        tables += fact.sources
    for dimension in design.dimensions:
        if dimension.kind == "regular" and dimension.table:
            tables += [dimension.table, *(p for _, _, p, _ in dimension.folded)]
    tables += [b.table for b in design.bridges]
    return sorted(set(tables))


def _folded_joins(table: str, folded: list[FoldedJoin]) -> tuple[dict[str, str], list[str]]:
    """Aliases ``t0``, ``t1``, ... for ``table`` and the tables folded into it, and their joins. A left join
    keeps every row of the grain, whatever the references say."""
    aliases = {table: "t0"}
    joins = []
    for child, child_columns, parent, parent_columns in folded:
        aliases[parent] = f"t{len(aliases)}"
        on = " and ".join(
            f"{aliases[child]}.{c} = {aliases[parent]}.{p}" for c, p in zip(child_columns, parent_columns, strict=True)
        )
        joins.append(f"left join {{{{ ref('stg_{parent}') }}}} as {aliases[parent]} on {on}")
    return aliases, joins


def _dimension_sql(dimension: Dimension) -> str:
    assert dimension.table is not None
    aliases, joins = _folded_joins(dimension.table, dimension.folded)
    key = surrogate_key_sql([f"t0.{c}" for c in dimension.natural_key])
    lines = [f"{key} as {dimension.surrogate_key}"]
    lines += [f"{aliases[c.source_table]}.{c.source_column} as {c.name}" for c in dimension.columns]
    indexes = [{"columns": [dimension.surrogate_key], "unique": True}]
    if dimension.natural_key:
        indexes.append({"columns": list(dimension.natural_key), "unique": True})
    return (
        _config(indexes)
        + _select(lines)
        + f"\nfrom {{{{ ref('stg_{dimension.table}') }}}} as t0\n"
        + "".join(j + "\n" for j in joins)
    )


def _int_columns(design: StarDesign, fact: Fact) -> list[StarColumn]:
    keys = {role.key for role in fact.dimensions}
    columns = [c for c in fact.columns if c.name not in keys]
    for role in fact.dimensions:
        dimension = design.dimension(role.dimension)
        if dimension is not None and dimension.kind == "junk":
            columns += dimension.columns
    return columns


def _int_sql(design: StarDesign, fact: Fact) -> str:
    aliases, joins = _folded_joins(fact.table, fact.joins)
    lines = [f"{aliases[c.source_table]}.{c.source_column} as {c.name}" for c in _int_columns(design, fact)]
    return (
        "{{ config(materialized='ephemeral') }}\n"
        + _select(lines)
        + f"\nfrom {{{{ ref('stg_{fact.table}') }}}} as t0\n"
        + "".join(j + "\n" for j in joins)
    )


def _fact_sql(design: StarDesign, fact: Fact) -> str:
    keys = {role.key: role for role in fact.dimensions}
    lines = []
    for column in fact.columns:
        role = keys.get(column.name)
        if role is None:
            lines.append(column.name)
            continue
        dimension = design.dimension(role.dimension)
        if dimension is not None and dimension.kind == "date":
            lines.append(f"{_date_key_sql(role.natural[0])} as {role.key}")
        elif dimension is not None and dimension.kind == "junk":
            lines.append(f"{_junk_key_sql(list(role.natural))} as {role.key}")
        else:
            lines.append(f"{surrogate_key_sql(list(role.natural))} as {role.key}")
    # PostgreSQL indexes as the sources had them: the grain, and the references the facts are joined along
    # (a correlated subquery over the fact would otherwise scan it once per outer row).
    indexes = [{"columns": list(fact.grain), "unique": True}]
    references = [list(cols) for _, cols, _, _ in fact.joins]
    references += [
        list(r.natural) for r in fact.dimensions if (d := design.dimension(r.dimension)) and d.kind == "regular"
    ]
    for columns in references:
        if {"columns": columns} not in indexes and columns != list(fact.grain):
            indexes.append({"columns": columns})
    return _config(indexes) + _select(lines) + f"\nfrom {{{{ ref('int_{fact.table}') }}}}\n"


def _config(indexes: list[dict[str, object]]) -> str:
    shown = ", ".join(
        "{'columns': " + repr(index["columns"]) + (", 'unique': true" if index.get("unique") else "") + "}"
        for index in indexes
    )
    return "{{ config(indexes=[" + shown + "]) }}\n"


#: The month's English name, spelled out: date format strings differ between warehouses (and locales).
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_NAME = (
    "case extract(month from date_day)"
    + "".join(f" when {i} then '{name}'" for i, name in enumerate(_MONTHS, start=1))
    + " end"
)


def _date_sql(design: StarDesign) -> str:
    dates = [
        f"select cast({role.natural[0]} as date) as d from {{{{ ref('int_{fact.table}') }}}}"
        for fact in design.facts
        for role in fact.dimensions
        if role.dimension == "dim_date"
    ]
    union = "\n        union all\n        ".join(dates) or "select current_date as d"
    return f"""with bounds as (
    select min(d) as lo, max(d) as hi
    from (
        {union}
    ) as dates
),
{{% if target.type == 'snowflake' %}}
digits as (
    select column1 as n from values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)
),
days as (
    -- up to 100,000 days from the first date (SEQ4() may leave gaps: the offsets come from digits)
    select
        cast(dateadd(day, d0.n + 10 * d1.n + 100 * d2.n + 1000 * d3.n + 10000 * d4.n, bounds.lo) as date) as date_day,
        bounds.hi
    from bounds, digits as d0, digits as d1, digits as d2, digits as d3, digits as d4
{{% else %}}
days as (
    select cast(generate_series(bounds.lo, bounds.hi, interval '1 day') as date) as date_day, bounds.hi
    from bounds
{{% endif %}}
)
select
    {_date_key_sql("date_day")} as date_key,
    date_day,
    cast(extract(year from date_day) as integer) as year,
    cast(extract(quarter from date_day) as integer) as quarter,
    cast(extract(month from date_day) as integer) as month,
    {_MONTH_NAME} as month_name,
    cast(extract(day from date_day) as integer) as day_of_month,
{{% if target.type == 'snowflake' %}}
    dayofweekiso(date_day) as day_of_week,
    weekiso(date_day) as week_of_year,
    dayofweekiso(date_day) >= 6 as is_weekend
{{% else %}}
    cast(extract(isodow from date_day) as integer) as day_of_week,
    cast(extract(week from date_day) as integer) as week_of_year,
    extract(isodow from date_day) >= 6 as is_weekend
{{% endif %}}
from days
where date_day <= hi
"""


def _tests(column: str, *tests: str) -> str:
    return f"      - name: {column}\n        data_tests:\n" + "".join(f"          - {t}\n" for t in tests)


def _dimension_tests(dimension: Dimension) -> str:
    text = f"  - name: {dimension.name}\n    columns:\n" + _tests(dimension.surrogate_key, "unique", "not_null")
    if dimension.kind in ("regular", "date") and len(dimension.natural_key) == 1:
        text += _tests(dimension.natural_key[0], "unique", "not_null")
    return text


def _relationship(model: str, field: str) -> str:
    return f"relationships:\n              to: ref('{model}')\n              field: {field}"


def _fact_tests(design: StarDesign, fact: Fact, schema: Schema) -> str:
    text = f"  - name: {fact.name}\n    columns:\n"
    by_name = {c.name: c for c in _int_columns(design, fact)}
    for role in fact.dimensions:
        dimension = design.dimension(role.dimension)
        if dimension is None:
            continue
        tests = [_relationship(dimension.name, dimension.surrogate_key)]
        if all(_not_null(schema, by_name.get(n)) for n in role.natural):
            tests.insert(0, "not_null")
        text += _tests(role.key, *tests)
    for column in fact.degenerate:
        if _not_null(schema, by_name.get(column)):
            text += _tests(column, "not_null")
    return text


def _bridge_tests(design: StarDesign, bridge: object) -> str:
    text = f"  - name: {bridge.name}\n    columns:\n"  # type: ignore[attr-defined]
    for columns, parent, parent_columns in bridge.keys:  # type: ignore[attr-defined]
        dimension = design.dimension(parent)
        if dimension is not None and len(columns) == 1:
            text += _tests(columns[0], "not_null", _relationship(dimension.name, parent_columns[0]))
    return text


def _not_null(schema: Schema, column: StarColumn | None) -> bool:
    if column is None:
        return False
    table = schema.table(column.source_table)
    return table is not None and table.is_not_null(column.source_column)


def _snapshot(dimension: Dimension) -> str:
    key = dimension.natural_key[0] if len(dimension.natural_key) == 1 else list(dimension.natural_key)
    columns = [c for c in re.findall(r"updated: (.*)", " ".join(dimension.scd.evidence))]
    check = repr([c.strip() for c in columns[0].split(",")]) if columns else "'all'"
    return (
        f"{{% snapshot {dimension.name}_snapshot %}}\n"
        f"{{{{ config(target_schema=target.schema, unique_key={key!r}, strategy='check', check_cols={check}) }}}}\n"
        f"select * from {{{{ ref('stg_{dimension.table}') }}}}\n"
        "{% endsnapshot %}\n"
    )
