"""Loading of the TPC data scripts (``tpch_data.py``, ``tpcds_data.py``): one PostgreSQL database per benchmark
and scale, filled from CSV files once and reused while its ``sqltune_meta`` row says it holds that scale.

The DDL comes from ``fixtures/schemas/``: its CREATE TABLE statements make the tables; its ``ALTER TABLE ... ADD
CONSTRAINT ... PRIMARY KEY`` statements are added after the load when keys are asked for (its foreign keys,
if any, never are: the benchmarks run on primary keys only, as the TPC runs do).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / ".data"
ADMIN_DSN = "host=127.0.0.1 port=5432 dbname=postgres user=postgres"


def database_name(benchmark: str, scale: float, keys: bool = True) -> str:
    """``sqltune_tpch_sf1``, ``sqltune_tpcds_sf0_01``, ``sqltune_tpch_sf1_nokeys``."""
    label = f"{scale:g}".replace(".", "_")
    return f"sqltune_{benchmark}_sf{label}" + ("" if keys else "_nokeys")


def dsn_for(database: str, admin_dsn: str = ADMIN_DSN) -> str:
    return re.sub(r"dbname=\S+", f"dbname={database}", admin_dsn)


def ddl_statements(schema: Path, keys: bool) -> tuple[list[str], list[str]]:
    """The CREATE TABLE statements of ``schema`` and, with ``keys``, its primary-key constraints."""
    text = schema.read_text(encoding="utf-8")
    statements = [re.sub(r"^(\s*--[^\n]*\n)+", "", s).strip() for s in text.split(";")]
    creates = [s for s in statements if s.upper().startswith("CREATE TABLE")]
    primary = [s for s in statements if "PRIMARY KEY" in s.upper()] if keys else []
    return creates, primary


def loaded_scale(dsn: str) -> float | None:
    with psycopg.connect(dsn, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_tables WHERE tablename = 'sqltune_meta'").fetchone():
            return None
        row = connection.execute("SELECT scale FROM sqltune_meta").fetchone()
    return float(row[0]) if row else None


def copy_csv(connection: psycopg.Connection[tuple[object, ...]], table: str, path: Path) -> None:
    """COPY a CSV file with a header line into ``table``, its columns named by the header."""
    with open(path, "rb") as handle:
        columns = handle.readline().decode("utf-8").strip().split(",")
        handle.seek(0)
        copy = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with connection.cursor() as cursor, cursor.copy(copy) as writer:
            while chunk := handle.read(1 << 20):
                writer.write(chunk)


def ensure_database(
    benchmark: str,
    scale: float,
    schema: Path,
    tables: Sequence[str],
    generate: Callable[[], Path],
    keys: bool = True,
    admin_dsn: str = ADMIN_DSN,
) -> str:
    """DSN of the database of ``benchmark`` (``tpch``, ``tpcds``) holding ``tables`` at ``scale``: created,
    filled from the CSV files (``table.csv`` in the folder ``generate()`` returns), keyed and analyzed on first
    use."""
    database = database_name(benchmark, scale, keys)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    dsn = dsn_for(database, admin_dsn)
    if loaded_scale(dsn) == scale:
        return dsn
    folder = generate()
    started = time.perf_counter()
    creates, primary = ddl_statements(schema, keys)
    with psycopg.connect(dsn, autocommit=True) as connection:
        for table in (*tables, "sqltune_meta"):
            connection.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table)))
        for statement in creates:
            connection.execute(statement)
        for table in tables:
            copy_csv(connection, table, folder / f"{table}.csv")
        for statement in primary:
            connection.execute(statement)
        connection.execute("VACUUM ANALYZE")
        connection.execute("CREATE TABLE sqltune_meta (scale numeric, loaded_at timestamptz DEFAULT now())")
        connection.execute("INSERT INTO sqltune_meta (scale) VALUES (%s)", (scale,))
    seconds = time.perf_counter() - started
    name = benchmark.upper().replace("TPC", "TPC-")
    print(f"loaded {name} SF{scale:g} into {database} in {seconds:.0f} s", file=sys.stderr)
    return dsn


def main(description: str | None, ensure: Callable[..., str]) -> None:
    """The command line of a data script: ``--scale``, ``--no-keys``; prints the DSN."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--no-keys", action="store_true", help="load without primary keys")
    args = parser.parse_args()
    print(ensure(args.scale, keys=not args.no_keys))
