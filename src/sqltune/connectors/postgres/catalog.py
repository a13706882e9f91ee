"""PostgreSQL's catalog: the :class:`~sqltune.schema.Schema` with statistics, planner settings, counter resets.

- :func:`load_schema`: tables, columns, keys, indexes and ``pg_stats`` of the wanted schemas;
- :func:`absolute_distinct`: ``pg_stats.n_distinct`` as a count;
- :func:`stats_reset`: since when the usage counters (index scans, sequential scans) count;
- :data:`PLANNER_SETTINGS` and :func:`planner_settings`: the settings plans and their costs depend on;
- :class:`Cursor`: the slice of a DB-API cursor all of these use.

Why not SQLAlchemy reflection (:meth:`Schema.from_sqlalchemy`)? It issues several queries per table, and
it knows nothing of what the planner knows: row counts, pages, ``pg_stats`` distributions, index sizes and
usage. Here each kind of fact is one query over all tables of the wanted schemas (tables, columns,
constraints, indexes, column statistics), so a database with thousands of tables loads in five round trips.

All queries are plain ``SELECT`` s over ``pg_catalog`` and the statistics views; the caller runs them in a
read-only transaction (see :class:`sqltune.connectors.postgres.PostgresConnection`). The module needs no
driver: it talks to any DB-API-like cursor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqltune.schema import Column, ColumnStats, ForeignKey, Index, Schema, Table, TableStats, normalise_type

__all__ = ["PLANNER_SETTINGS", "Cursor", "absolute_distinct", "load_schema", "planner_settings", "stats_reset"]


class Cursor(Protocol):
    """The slice of a DB-API cursor this module uses (psycopg's ``Cursor`` fits)."""

    def execute(self, query: Any, params: Any = ..., /) -> Any: ...

    def fetchall(self) -> list[Any]: ...


#: Settings that change plans or their costs; :func:`planner_settings` reads these and every ``enable_*``
#: switch.
PLANNER_SETTINGS = (
    "work_mem",
    "hash_mem_multiplier",
    "maintenance_work_mem",
    "shared_buffers",
    "effective_cache_size",
    "effective_io_concurrency",
    "random_page_cost",
    "seq_page_cost",
    "cpu_tuple_cost",
    "cpu_index_tuple_cost",
    "cpu_operator_cost",
    "parallel_setup_cost",
    "parallel_tuple_cost",
    "min_parallel_table_scan_size",
    "min_parallel_index_scan_size",
    "max_parallel_workers_per_gather",
    "max_parallel_workers",
    "max_worker_processes",
    "jit",
    "jit_above_cost",
    "jit_inline_above_cost",
    "jit_optimize_above_cost",
    "default_statistics_target",
    "join_collapse_limit",
    "from_collapse_limit",
    "geqo",
    "geqo_threshold",
    "plan_cache_mode",
    "constraint_exclusion",
    "track_io_timing",
)


# Schemas sqltune never reports on when asked for "all schemas".
# (A regular expression rather than LIKE: a "%" would be taken for a driver placeholder.)
_SYSTEM_SCHEMA_FILTER = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"  # pg_catalog, pg_toast, ...

# Ordinary, partitioned and materialized-view relations: the things queries read and indexes sit on.
_TABLE_KINDS = "('r', 'p', 'm')"

# The counters come from the pg_stat_get_* functions that pg_stat_all_tables is built on: the view would
# compute (and group) them for every relation of the database before the join picks the wanted ones.
_TABLES_SQL = f"""
SELECT c.oid, n.nspname, c.relname, c.reltuples, c.relpages, pg_catalog.pg_table_size(c.oid),
       pg_catalog.pg_stat_get_tuples_inserted(c.oid), pg_catalog.pg_stat_get_tuples_updated(c.oid),
       pg_catalog.pg_stat_get_tuples_deleted(c.oid), pg_catalog.pg_stat_get_numscans(c.oid),
       (SELECT sum(pg_catalog.pg_stat_get_numscans(i.indexrelid))
          FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN {_TABLE_KINDS} AND {{where}}
 ORDER BY n.nspname, c.relname
"""

_COLUMNS_SQL = f"""
SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relkind IN {_TABLE_KINDS} AND a.attnum > 0 AND NOT a.attisdropped AND {{where}}
 ORDER BY a.attrelid, a.attnum
"""

# Key columns in key order (conkey is an array of attnums; ORDINALITY keeps their order).
_CONSTRAINTS_SQL = f"""
SELECT con.conrelid, con.contype, con.conname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, pos)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
              ORDER BY k.pos)::text[],
       rn.nspname, r.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, pos)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
              ORDER BY k.pos)::text[],
       con.condeferrable
  FROM pg_catalog.pg_constraint con
  JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
  LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
 WHERE con.contype IN ('p', 'u', 'f') AND c.relkind IN {_TABLE_KINDS} AND {{where}}
 ORDER BY con.conrelid, con.conname
"""

# pg_get_indexdef(oid, k, true) prints key k as a column name or an expression, the way psql shows it.
# Keys 1..indnkeyatts are the index key; the rest are INCLUDE columns.
_INDEXES_SQL = f"""
SELECT i.indrelid, ic.relname, i.indisunique, i.indisprimary, i.indisvalid AND i.indisready, am.amname,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
               FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k)::text[],
       ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
               FROM generate_series(i.indnkeyatts + 1, i.indnatts) AS k ORDER BY k)::text[],
       pg_catalog.pg_get_expr(i.indpred, i.indrelid, true),
       pg_catalog.pg_relation_size(i.indexrelid), pg_catalog.pg_stat_get_numscans(i.indexrelid)
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_am am ON am.oid = ic.relam
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN {_TABLE_KINDS} AND {{where}}
 ORDER BY i.indrelid, ic.relname
"""

# One row per column. A parent of an inheritance tree or a partitioned table has "inherited" statistics
# (the whole tree, which the planner uses for queries on the parent); prefer those when both exist.
# most_common_vals is anyarray: text[] via text is the portable way to read it.
_STATS_SQL = """
SELECT DISTINCT ON (c.oid, s.attname)
       c.oid, s.attname, s.null_frac, s.avg_width, s.n_distinct, s.correlation,
       s.most_common_vals::text::text[], s.most_common_freqs
  FROM pg_catalog.pg_stats s
  JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
 WHERE {where}
 ORDER BY c.oid, s.attname, s.inherited DESC
"""

_STATS_RESET_SQL = "SELECT stats_reset FROM pg_catalog.pg_stat_database WHERE datname = current_database()"


def absolute_distinct(n_distinct: float | None, rows: float | None) -> float | None:
    """``pg_stats.n_distinct`` as a count: negative values are a fraction of the rows (``-1`` = unique).

    PostgreSQL stores a fraction when it expects the count to grow with the table; sqltune's
    :class:`~sqltune.schema.ColumnStats` always holds a count, so the fraction is applied to ``reltuples``.
    Unknown when the row count is (never analysed).

    >>> absolute_distinct(42.0, 1000.0)
    42.0
    >>> absolute_distinct(-0.25, 1000.0)
    250.0
    >>> absolute_distinct(-1.0, None) is None
    True
    """
    if n_distinct is None:
        return None
    if n_distinct >= 0:
        return float(n_distinct)
    if rows is None:
        return None
    return float(round(-n_distinct * rows))


def load_schema(cursor: Cursor, schemas: Iterable[str] | None = ("public",)) -> Schema:
    """Tables, columns, keys, indexes and statistics of ``schemas`` (``None``: every non-system schema).

    Statistics are what the server has: run ``ANALYZE`` first for fresh ``pg_stats`` and ``reltuples``.
    """
    where, params = _namespace_filter(schemas)
    tables: dict[int, Table] = {}
    row_counts: dict[int, float | None] = {}
    for row in _fetch(cursor, _TABLES_SQL, where, params):
        oid, namespace, name, reltuples, relpages, size, ins, upd, dele, seq, idx = row
        # reltuples is -1 (PostgreSQL 14+) or 0 with relpages 0 (older) until the first VACUUM/ANALYZE.
        rows = None if reltuples is None or reltuples < 0 else float(reltuples)
        row_counts[oid] = rows
        stats = TableStats(rows, _num(relpages), _num(size), _num(ins), _num(upd), _num(dele), _num(seq), _num(idx))
        tables[oid] = Table(name, namespace, stats=stats)

    for oid, name, type_sql, not_null, default, identity in _fetch(cursor, _COLUMNS_SQL, where, params):
        if oid in tables:
            tables[oid].add_column(Column(name, _type(type_sql), not not_null, default, identity in ("a", "d")))

    for oid, kind, name, columns, ref_namespace, ref_name, ref_columns, deferrable in _fetch(
        cursor, _CONSTRAINTS_SQL, where, params
    ):
        table = tables.get(oid)
        if table is None:
            continue
        if kind == "p":
            table.primary_key = tuple(columns)
        elif kind == "u":
            table.unique_keys.append(tuple(columns))
        else:
            ref = f"{ref_namespace}.{ref_name}"
            table.foreign_keys.append(ForeignKey(tuple(columns), ref, tuple(ref_columns), name, bool(deferrable)))

    for row in _fetch(cursor, _INDEXES_SQL, where, params):
        oid, name, unique, primary, valid, method, keys, include, predicate, size, scans = row
        table = tables.get(oid)
        if table is not None:
            table.indexes.append(
                Index(
                    name,
                    table.qualified_name,
                    tuple(keys),
                    unique=bool(unique),
                    primary=bool(primary),
                    method=method,
                    include=tuple(include),
                    where=predicate,
                    valid=bool(valid),
                    size_bytes=_num(size),
                    scans=_num(scans),
                )
            )

    for oid, column_name, null_frac, avg_width, n_distinct, correlation, mcv, mcf in _fetch(
        cursor, _STATS_SQL, where, params
    ):
        table = tables.get(oid)
        column = table.column(column_name) if table is not None else None
        if column is not None:
            column.stats = ColumnStats(
                distinct=absolute_distinct(n_distinct, row_counts.get(oid)),
                null_fraction=_num(null_frac),
                avg_width=_num(avg_width),
                correlation=_num(correlation),
                most_common=list(mcv or ()),
                most_common_freqs=[float(f) for f in mcf or ()],
            )
    return Schema(tables.values())


def stats_reset(cursor: Cursor) -> datetime | None:
    """When this database's activity counters (``idx_scan``, ``seq_scan``, tuple counts) were last reset.

    An index with ``scans == 0`` is "unused since" this moment; ``None`` means never reset (counting
    since the cluster was created).
    """
    cursor.execute(_STATS_RESET_SQL)
    rows = cursor.fetchall()
    value = rows[0][0] if rows else None
    return value if isinstance(value, datetime) else None


def planner_settings(cursor: Cursor) -> dict[str, str]:
    """:data:`PLANNER_SETTINGS` and every ``enable_*`` switch as ``SHOW`` prints them."""
    cursor.execute(
        "SELECT name, current_setting(name) FROM pg_catalog.pg_settings"
        " WHERE name = ANY(%s) OR name ~ '^enable_' ORDER BY name",
        [list(PLANNER_SETTINGS)],
    )
    return {str(name): str(value) for name, value in cursor.fetchall()}


def _namespace_filter(schemas: Iterable[str] | None) -> tuple[str, list[Any]]:
    if schemas is None:
        return _SYSTEM_SCHEMA_FILTER, []
    if isinstance(schemas, str):  # a lone "public" would otherwise be read as six one-letter schemas
        schemas = (schemas,)
    return "n.nspname = ANY(%s)", [list(schemas)]


def _fetch(cursor: Cursor, template: str, where: str, params: Sequence[Any]) -> list[Any]:
    cursor.execute(template.format(where=where), list(params) or None)
    return cursor.fetchall()


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


@lru_cache(maxsize=512)
def _type(type_sql: str) -> str:
    """``character varying(20)`` -> ``VARCHAR(20)``: the same spelling a schema read from DDL has."""
    return normalise_type(type_sql, "postgres")
