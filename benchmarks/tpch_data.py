"""TPC-H data for the benchmarks: generated with ``tpchgen-cli``, loaded into PostgreSQL once and reused.

    python benchmarks/tpch_data.py --scale 1            # database sqltune_tpch_sf1 (primary keys only)
    python benchmarks/tpch_data.py --scale 1 --no-keys  # database sqltune_tpch_sf1_nokeys

A database is reused when its ``sqltune_meta`` row says it holds the requested scale; the CSV files are kept
under ``benchmarks/.data/`` (git-ignored) so a reload does not regenerate them.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / ".data"
SCHEMA = ROOT / "fixtures" / "schemas" / "tpch.sql"
TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")
ADMIN_DSN = "host=127.0.0.1 port=5432 dbname=postgres user=postgres"


def database_name(scale: float, keys: bool) -> str:
    label = f"{scale:g}".replace(".", "_")
    return f"sqltune_tpch_sf{label}" + ("" if keys else "_nokeys")


def dsn_for(database: str, admin_dsn: str = ADMIN_DSN) -> str:
    return re.sub(r"dbname=\S+", f"dbname={database}", admin_dsn)


def generate(scale: float) -> Path:
    folder = DATA / f"tpch-sf{scale:g}"
    if all((folder / f"{table}.csv").is_file() for table in TABLES):
        return folder
    if shutil.which("tpchgen-cli") is None:
        sys.exit("tpchgen-cli is not installed: pip install tpchgen-cli")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tpchgen-cli", "csv", "-s", f"{scale:g}", f"--output-dir={folder}"], check=True)
    return folder


def _statements(keys: bool) -> tuple[list[str], list[str]]:
    text = SCHEMA.read_text(encoding="utf-8")
    statements = [s.strip() for s in text.split(";") if s.strip()]
    creates = [s for s in statements if s.upper().startswith("CREATE TABLE")]
    primary = [s for s in statements if "PRIMARY KEY" in s.upper()] if keys else []
    return creates, primary


def ensure_tpch(scale: float = 1, keys: bool = True, admin_dsn: str = ADMIN_DSN) -> str:
    """DSN of a database holding TPC-H at ``scale``; generated and loaded on first use."""
    database = database_name(scale, keys)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    dsn = dsn_for(database, admin_dsn)
    with psycopg.connect(dsn, autocommit=True) as connection:
        loaded = (
            connection.execute("SELECT 1 FROM pg_tables WHERE tablename = 'sqltune_meta'").fetchone()
            and connection.execute("SELECT scale FROM sqltune_meta").fetchone()
        )
        if loaded and float(loaded[0]) == scale:
            return dsn
        folder = generate(scale)
        started = time.perf_counter()
        creates, primary = _statements(keys)
        for table in (*TABLES, "sqltune_meta"):
            connection.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table)))
        for statement in creates:
            connection.execute(statement)
        for table in TABLES:
            with connection.cursor() as cursor:
                copy = sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv, HEADER true)").format(sql.Identifier(table))
                with cursor.copy(copy) as writer, open(folder / f"{table}.csv", "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        writer.write(chunk)
        for statement in primary:
            connection.execute(statement)
        connection.execute("VACUUM ANALYZE")
        connection.execute("CREATE TABLE sqltune_meta (scale numeric, loaded_at timestamptz DEFAULT now())")
        connection.execute("INSERT INTO sqltune_meta (scale) VALUES (%s)", (scale,))
        print(f"loaded TPC-H SF{scale:g} into {database} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return dsn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--no-keys", action="store_true", help="load without primary keys")
    args = parser.parse_args()
    print(ensure_tpch(args.scale, keys=not args.no_keys))


if __name__ == "__main__":
    main()
