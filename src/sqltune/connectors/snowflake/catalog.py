"""What a Snowflake database holds: tables, columns, declared keys, clustering keys and how well they cluster.

- :func:`load_schema`: a :class:`~sqltune.schema.Schema` from ``INFORMATION_SCHEMA.TABLES``/``COLUMNS`` (row
  counts, bytes, clustering keys) and ``SHOW PRIMARY|UNIQUE|IMPORTED KEYS``;
- :func:`column_type`: a column's type, spelled as sqltune spells DDL read with ``dialect="snowflake"``;
- :func:`clustering_columns`: the expressions of a clustering key;
- :func:`clustering_information`: ``SYSTEM$CLUSTERING_INFORMATION`` of a table, parsed;
- :func:`table_statistics`: every table's row count, bytes and clustering key, in one query;
- :func:`current`: a context function's value (``CURRENT_DATABASE()``).

Every function reads through a :class:`~sqltune.connectors.snowflake.safety.Run`; the public entry points
are :meth:`SnowflakeConnection.schema <sqltune.connectors.snowflake.SnowflakeConnection.schema>` and
:meth:`SnowflakeConnection.clustering_information
<sqltune.connectors.snowflake.SnowflakeConnection.clustering_information>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqltune.connectors.errors import QueryError
from sqltune.connectors.snowflake.safety import Run, quoted, stored, variant
from sqltune.schema import Column, ForeignKey, Index, Schema, Table, TableStats, normalise_type

__all__ = [
    "clustering_columns",
    "clustering_cost",
    "clustering_information",
    "column_type",
    "current",
    "load_schema",
    "table_statistics",
]

# VARCHAR without a length is VARCHAR(16777216): the longest string Snowflake stores.
_MAX_VARCHAR = 16_777_216


def column_type(row: Mapping[str, Any]) -> str:
    """The column's type as sqltune writes it, from an ``INFORMATION_SCHEMA.COLUMNS`` row (lower-case keys).

    Snowflake splits the type over DATA_TYPE, precision, scale and length; the result is normalised the way
    DDL read with ``dialect="snowflake"`` is, so that a live schema and linted DDL agree.

    >>> column_type({"data_type": "NUMBER", "numeric_precision": 12, "numeric_scale": 2})
    'DECIMAL(12, 2)'
    >>> column_type({"data_type": "TEXT", "character_maximum_length": 20})
    'VARCHAR(20)'
    >>> column_type({"data_type": "TEXT", "character_maximum_length": 16777216})
    'VARCHAR'
    >>> column_type({"data_type": "TIMESTAMP_NTZ"})
    'TIMESTAMPNTZ'
    """
    kind = str(row.get("data_type") or "").upper()
    if not kind:
        return ""
    precision, scale, length = (
        row.get("numeric_precision"),
        row.get("numeric_scale"),
        row.get("character_maximum_length"),
    )
    if kind in {"NUMBER", "DECIMAL", "NUMERIC"} and precision is not None:
        text = f"NUMBER({int(precision)},{int(scale or 0)})"
    elif kind in {"TEXT", "VARCHAR", "STRING"}:
        text = f"VARCHAR({int(length)})" if length is not None and int(length) < _MAX_VARCHAR else "VARCHAR"
    else:
        text = kind
    return normalise_type(text, "snowflake")


def clustering_columns(key: str | None) -> tuple[str, ...]:
    """The expressions of a clustering key as ``INFORMATION_SCHEMA.TABLES.CLUSTERING_KEY`` shows it.

    >>> clustering_columns("LINEAR(event_date, TO_DATE(created_at), region)")
    ('event_date', 'TO_DATE(created_at)', 'region')
    >>> clustering_columns(None)
    ()
    """
    if not key:
        return ()
    text = key.strip()
    match = re.match(r"^LINEAR\s*\((?P<body>.*)\)$", text, re.IGNORECASE | re.DOTALL)
    body = match.group("body") if match else text.strip("()")
    parts: list[str] = []
    depth, start, quote = 0, 0, ""
    for position, char in enumerate(body):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:position].strip())
            start = position + 1
    parts.append(body[start:].strip())
    return tuple(part for part in parts if part)


def load_schema(run: Run, database: str | None = None, schema: str | None = None) -> Schema:
    """Tables of ``database`` (default: the session's) in ``schema`` (default: all but
    INFORMATION_SCHEMA), with columns, declared keys, row counts, bytes and clustering keys.

    Tables are named as Snowflake stores them (upper case unless created quoted), in namespace
    ``DATABASE.SCHEMA``; lookups in :class:`~sqltune.schema.Schema` ignore case. A clustering key
    becomes an :class:`~sqltune.schema.Index` with ``method="clustering"`` named
    ``<table>_clustering_key`` (its expressions as columns): Snowflake has no indexes, and the
    clustering key is the physical order that pruning works with. Views are left out.
    """
    # CURRENT_DATABASE() gives the stored name; a name passed in is resolved as Snowflake would.
    stored_database = stored(database) if database else current(run, "CURRENT_DATABASE()")
    if not stored_database:
        raise ValueError("no database: pass database= or connect with database=")
    catalog = quoted(stored_database)
    where = "TABLE_SCHEMA <> 'INFORMATION_SCHEMA'"
    params: list[str] = []
    if schema is not None:
        where = "TABLE_SCHEMA = %s"
        params = [stored(schema)]
    tables: dict[tuple[str, str], Table] = {}
    for row in run(
        "SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ROW_COUNT, BYTES, CLUSTERING_KEY"
        f" FROM {catalog}.INFORMATION_SCHEMA.TABLES WHERE {where} AND TABLE_TYPE <> 'VIEW'"
        " ORDER BY TABLE_SCHEMA, TABLE_NAME",
        params,
    ):
        namespace = f"{row['table_catalog']}.{row['table_schema']}"
        stats = TableStats(
            rows=float(row["row_count"]) if row.get("row_count") is not None else None,
            size_bytes=float(row["bytes"]) if row.get("bytes") is not None else None,
        )
        table = Table(str(row["table_name"]), namespace, stats=stats)
        key = clustering_columns(row.get("clustering_key"))
        if key:
            table.indexes.append(Index(f"{table.name}_clustering_key", table.qualified_name, key, method="clustering"))
        tables[(str(row["table_schema"]), table.name)] = table
    for row in run(
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, IS_NULLABLE,"
        " COLUMN_DEFAULT, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, IS_IDENTITY"
        f" FROM {catalog}.INFORMATION_SCHEMA.COLUMNS WHERE {where}"
        " ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
        params,
    ):
        found = tables.get((str(row["table_schema"]), str(row["table_name"])))
        if found is not None:
            found.add_column(
                Column(
                    str(row["column_name"]),
                    column_type(row),
                    nullable=str(row.get("is_nullable") or "YES").upper() == "YES",
                    default=str(row["column_default"]) if row.get("column_default") is not None else None,
                    identity=str(row.get("is_identity") or "NO").upper() == "YES",
                )
            )
    for schema_name in sorted({s for s, _ in tables}):
        scope = f"{catalog}.{quoted(schema_name)}"
        _keys(run, scope, schema_name, tables)
    return Schema(tables.values())


def _keys(run: Run, scope: str, schema_name: str, tables: Mapping[tuple[str, str], Table]) -> None:
    """Declared primary, unique and foreign keys of one schema (``SHOW ... KEYS``: one row per column)."""
    for kind in ("PRIMARY", "UNIQUE"):
        grouped: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for row in run(f"SHOW {kind} KEYS IN SCHEMA {scope}"):
            if str(row.get("schema_name") or schema_name) != schema_name:
                continue
            constraint = (str(row["table_name"]), str(row.get("constraint_name") or ""))
            grouped.setdefault(constraint, []).append((int(row.get("key_sequence") or 0), str(row["column_name"])))
        for (table_name, _), columns in grouped.items():
            table = tables.get((schema_name, table_name))
            if table is None:
                continue
            key = tuple(column for _, column in sorted(columns))
            if kind == "PRIMARY":
                table.primary_key = key
            elif key not in table.unique_keys:
                table.unique_keys.append(key)
    foreign: dict[tuple[str, str], list[tuple[int, str, str, str]]] = {}
    for row in run(f"SHOW IMPORTED KEYS IN SCHEMA {scope}"):
        referenced = ".".join(str(row.get(k) or "") for k in ("pk_database_name", "pk_schema_name", "pk_table_name"))
        if not row.get("pk_table_name") or str(row.get("fk_schema_name") or schema_name) != schema_name:
            continue  # nothing to point at (an emulator's placeholder row), or another schema's key
        foreign.setdefault((str(row["fk_table_name"]), str(row.get("fk_name") or referenced)), []).append(
            (int(row.get("key_sequence") or 0), str(row["fk_column_name"]), str(row["pk_column_name"]), referenced)
        )
    for (table_name, fk_name), parts in foreign.items():
        table = tables.get((schema_name, table_name))
        if table is None:
            continue
        parts.sort()
        table.foreign_keys.append(
            ForeignKey(tuple(p[1] for p in parts), parts[0][3], tuple(p[2] for p in parts), name=fk_name or None)
        )


def table_statistics(run: Run, database: str | None = None) -> list[dict[str, Any]]:
    """The base tables of ``database`` (default: the session's) with ``database``, ``schema``, ``name``,
    ``rows``, ``bytes`` and ``clustering_key`` (``None`` when the table has none), from one
    ``INFORMATION_SCHEMA.TABLES`` query."""
    stored_database = stored(database) if database else current(run, "CURRENT_DATABASE()")
    if not stored_database:
        raise ValueError("no database: pass database= or connect with database=")
    rows = run(
        "SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, ROW_COUNT, BYTES, CLUSTERING_KEY"
        f" FROM {quoted(stored_database)}.INFORMATION_SCHEMA.TABLES"
        " WHERE TABLE_SCHEMA <> 'INFORMATION_SCHEMA' AND TABLE_TYPE = 'BASE TABLE'"
        " ORDER BY TABLE_SCHEMA, TABLE_NAME"
    )
    return [
        {
            "database": str(row["table_catalog"]),
            "schema": str(row["table_schema"]),
            "name": str(row["table_name"]),
            "rows": None if row.get("row_count") is None else int(row["row_count"]),
            "bytes": None if row.get("bytes") is None else int(row["bytes"]),
            "clustering_key": str(row["clustering_key"]) if row.get("clustering_key") else None,
        }
        for row in rows
    ]


def clustering_information(run: Run, table: str, columns: Sequence[str] | None = None) -> dict[str, Any]:
    """``SYSTEM$CLUSTERING_INFORMATION`` of ``table`` (``db.schema.table``, or a name the session's
    database and schema resolve), parsed: ``cluster_by_keys``, ``total_partition_count``,
    ``average_overlaps``, ``average_depth``, ``partition_depth_histogram``, and ``notes`` /
    ``clustering_errors`` when Snowflake has any.

    ``columns`` (names or expressions) measures clustering by them instead of the table's clustering
    key, which is how to evaluate a key before defining it; a table without a clustering key needs it.
    """
    if not isinstance(table, str) or not table.strip():
        raise ValueError("expected a table name like 'analytics.public.events'")
    params: list[str] = [table.strip()]
    sql = "SELECT SYSTEM$CLUSTERING_INFORMATION(%s)"
    if columns is not None:
        if isinstance(columns, str):
            columns = [columns]
        names = [str(column).strip() for column in columns]
        if not names or not all(names):
            raise ValueError("columns must name at least one column or expression")
        params.append("(" + ", ".join(names) + ")")
        sql = "SELECT SYSTEM$CLUSTERING_INFORMATION(%s, %s)"
    try:
        rows = run(sql, params)
    except QueryError as error:
        if columns is None and "not clustered" in str(error).lower():
            raise QueryError(
                f"{error} (table {table} has no clustering key: pass columns=[...] to measure by columns)",
                sqlstate=error.sqlstate,
            ) from None
        raise
    content = next(iter(rows[0].values()), None) if rows else None
    info = variant(content)
    if not isinstance(info, dict):
        raise QueryError(f"SYSTEM$CLUSTERING_INFORMATION did not return a JSON object for {table}")
    return info


def clustering_cost(run: Run, table: str, columns: Sequence[str]) -> dict[str, Any]:
    """``SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS`` of ``table`` clustered by ``columns`` (names or
    expressions), parsed: ``reportTime``, ``clusteringKey``, ``initial`` and ``maintenance`` (each ``unit``,
    ``value``, ``comment``; ``maintenance`` is empty, or a comment alone, without enough DML history) and the
    ``warning`` or ``warnings`` Snowflake adds."""
    if not isinstance(table, str) or not table.strip():
        raise ValueError("expected a table name like 'analytics.public.events'")
    names = [str(column).strip() for column in ([columns] if isinstance(columns, str) else columns)]
    if not names or not all(names):
        raise ValueError("columns must name at least one column or expression")
    rows = run("SELECT SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS(%s, %s)", [table.strip(), f"({', '.join(names)})"])
    info = variant(next(iter(rows[0].values()), None) if rows else None)
    if not isinstance(info, dict):
        raise QueryError(f"SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS did not return a JSON object for {table}")
    return info


def current(run: Run, function: str) -> str | None:
    """The value of a context function such as ``CURRENT_DATABASE()``."""
    rows = run(f"SELECT {function} AS value")
    value = next(iter(rows[0].values()), None) if rows else None
    return str(value) if value else None
