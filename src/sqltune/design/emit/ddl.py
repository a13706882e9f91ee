"""CREATE TABLE statements of a star design, for PostgreSQL or Snowflake.

Keys: each dimension's surrogate key is its primary key (a 64-bit hash of the natural key, the same
expression the dbt models compute); a fact's dimension keys reference them. Types are the sources', spelled
for the target by sqlglot. Snowflake records primary and foreign keys without enforcing them.
"""

from __future__ import annotations

from sqltune.core.sqlglot import exp
from sqltune.design.model import StarColumn, StarDesign

__all__ = ["ddl"]

DIALECTS = ("postgres", "snowflake")


def _type(column: StarColumn, dialect: str) -> str:
    try:
        return str(exp.DataType.build(column.type or "text", dialect="postgres").sql(dialect=dialect))
    except Exception:
        return column.type or "TEXT"


def _create(
    name: str, columns: list[StarColumn], key: list[str], references: list[tuple[str, str, str]], dialect: str
) -> str:
    lines = [f"  {c.name} {_type(c, dialect)}" + (" NOT NULL" if c.name in key else "") for c in columns]
    if key:
        lines.append(f"  PRIMARY KEY ({', '.join(key)})")
    lines += [f"  FOREIGN KEY ({column}) REFERENCES {table} ({target})" for column, table, target in references]
    return f"CREATE TABLE {name} (\n" + ",\n".join(lines) + "\n);\n"


def ddl(design: StarDesign, dialect: str = "postgres") -> str:
    """The star's tables, dimensions first (``dialect``: postgres or snowflake).

    >>> from sqltune.design.model import Dimension, StarDesign
    >>> d = Dimension("dim_x", "regular", "x", ("id",), "x_key", [StarColumn("id", "x", "id", "INT")])
    >>> print(ddl(StarDesign(dimensions=[d]), "snowflake"))
    CREATE TABLE dim_x (
      x_key BIGINT NOT NULL,
      id INT,
      PRIMARY KEY (x_key)
    );
    <BLANKLINE>
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown DDL dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    statements = []
    for dimension in design.dimensions:
        key = StarColumn(dimension.surrogate_key, "", "", "integer" if dimension.kind == "date" else "bigint")
        columns = [key, *(c for c in dimension.columns if c.name != dimension.surrogate_key)]
        statements.append(_create(dimension.name, columns, [dimension.surrogate_key], [], dialect))
    dimensions = {d.name: d for d in design.dimensions}
    for fact in design.facts:
        references = [
            (role.key, role.dimension, dimensions[role.dimension].surrogate_key)
            for role in fact.dimensions
            if role.dimension in dimensions
        ]
        columns = [
            c
            if not any(c.name == r.key for r in fact.dimensions)
            else StarColumn(c.name, "", "", "integer" if c.name.endswith("date_key") else "bigint")
            for c in fact.columns
        ]
        statements.append(_create(fact.name, columns, [], references, dialect))
    for bridge in design.bridges:
        statements.append(
            _create(bridge.name, bridge.columns, [c for cols, _, _ in bridge.keys for c in cols], [], dialect)
        )
    return "\n".join(statements)
