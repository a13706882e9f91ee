"""The layout advisor's port on PostgreSQL (:class:`sqltune.layout.ports.LayoutConnection`).

- :func:`sample_rows`: a page sample (``TABLESAMPLE SYSTEM``, which reads whole pages in page order, so the
  rows keep their physical order) of the wanted columns;
- :func:`layout_facts`: the partition key, the CLUSTER index's columns and ``effective_cache_size``;
- :func:`measure_layout`: each template timed (``EXPLAIN ANALYZE``, best of two) on a copy of the table in a
  schema of sqltune's own, before and after the copy is reordered and given the recommended index -- all
  inside one transaction that is rolled back, so nothing is left behind even when a step fails. The user's
  tables are only read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from psycopg import sql

from sqltune.layout.model import Measured

if TYPE_CHECKING:
    from sqltune.connectors.postgres.connection import PostgresConnection

__all__ = ["layout_facts", "measure_layout", "sample_rows"]


def _relation(cursor: Any, table: str) -> tuple[int, float, float] | None:
    """(oid, reltuples, relpages) of ``table`` as the search path finds it."""
    row = cursor.execute(
        "SELECT c.oid::int8, c.reltuples, c.relpages FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(%s)",
        (table,),
    ).fetchone()
    return None if row is None else (int(row[0]), float(row[1]), float(row[2]))


def sample_rows(cursor: Any, table: str, columns: Sequence[str], rows: int) -> dict[str, list[Any]]:
    found = _relation(cursor, table)
    if found is None:
        raise ValueError(f"table {table!r} not found on the search path")
    total = max(found[1], 1.0)
    percent = min(100.0, 100.0 * rows / total * 1.1)
    listed = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    query = sql.SQL("SELECT {} FROM {} TABLESAMPLE SYSTEM ({})").format(
        listed, sql.Identifier(table), sql.Literal(percent)
    )
    if percent >= 100:
        query = sql.SQL("SELECT {} FROM {}").format(listed, sql.Identifier(table))
    fetched = cursor.execute(query).fetchall()
    return {column: [row[i] for row in fetched] for i, column in enumerate(columns)}


def layout_facts(cursor: Any, table: str) -> dict[str, Any]:
    found = _relation(cursor, table)
    facts: dict[str, Any] = {"partition_key": (), "clustered_on": (), "memory_bytes": None}
    if found is None:
        return facts
    oid = found[0]
    key = cursor.execute("SELECT pg_catalog.pg_get_partkeydef(%s::oid)", (oid,)).fetchone()
    if key and key[0]:  # "RANGE (ts)"
        inside = str(key[0]).split("(", 1)[-1].rstrip(")")
        facts["partition_key"] = tuple(part.strip() for part in inside.split(","))
    clustered = cursor.execute(
        """SELECT a.attname FROM pg_catalog.pg_index i
             JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = %s::oid AND i.indisclustered ORDER BY k.n""",
        (oid,),
    ).fetchall()
    facts["clustered_on"] = tuple(str(row[0]) for row in clustered)
    memory = cursor.execute(
        "SELECT setting::float8 * pg_catalog.pg_size_bytes(coalesce(unit, '1')) FROM pg_catalog.pg_settings"
        " WHERE name = 'effective_cache_size'"
    ).fetchone()
    facts["memory_bytes"] = float(memory[0]) if memory else None
    return facts


def _time(cursor: Any, query: str, runs: int = 2) -> float | None:
    best: float | None = None
    for _ in range(runs):
        cursor.execute("SAVEPOINT sqltune_layout")
        try:
            plan = cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}").fetchone()[0]
            took = float(plan[0]["Execution Time"])
            best = took if best is None else min(best, took)
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT sqltune_layout")
    return best


def measure_layout(
    connection: PostgresConnection,
    table: str,
    queries: Sequence[tuple[str, str]],
    ddl: Sequence[str],
    order_by: Sequence[str] = (),
    *,
    timeout_s: float = 300,
) -> list[Measured]:
    schema = f"sqltune_layout_{uuid.uuid4().hex[:10]}"
    total = f"{int(timeout_s * 1000 * (2 * len(queries) + 4))}ms"
    with connection.transaction(read_only=False, timeout=total) as cursor:
        shown = cursor.execute("SHOW search_path").fetchone()
        path = str(shown[0]) if shown else "public"
        found = cursor.execute(
            "SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.oid = to_regclass(%s)",
            (table,),
        ).fetchone()
        if found is None:
            raise ValueError(f"table {table!r} not found on the search path")
        source = sql.Identifier(str(found[0]), table)
        copy = sql.Identifier(schema, table)
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        cursor.execute(sql.SQL("CREATE TABLE {} AS SELECT * FROM {}").format(copy, source))
        cursor.execute(sql.SQL("ANALYZE {}").format(copy))
        cursor.execute(sql.SQL("SET LOCAL search_path = {}, ").format(sql.Identifier(schema)) + sql.SQL(path))
        before = {key: _time(cursor, text) for key, text in queries}
        if order_by:
            cursor.execute(sql.SQL("DROP TABLE {}").format(copy))
            ordered = sql.SQL("CREATE TABLE {} AS SELECT * FROM {} ORDER BY ").format(copy, source)
            cursor.execute(ordered + sql.SQL(", ".join(order_by)))
        for statement in ddl:
            cursor.execute(statement)
        cursor.execute(sql.SQL("ANALYZE {}").format(copy))
        after = {key: _time(cursor, text) for key, text in queries}
    return [Measured(key, before[key], after[key]) for key, _ in queries]
