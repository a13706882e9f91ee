"""TPC-H data for the benchmarks: generated with ``tpchgen-cli``, loaded into PostgreSQL once and reused.

    python benchmarks/tpch_data.py --scale 1            # database sqltune_tpch_sf1 (primary keys only)
    python benchmarks/tpch_data.py --scale 1 --no-keys  # database sqltune_tpch_sf1_nokeys

A database is reused when its ``sqltune_meta`` row says it holds the requested scale; the CSV files are kept
under ``benchmarks/.data/`` (git-ignored) so a reload does not regenerate them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from _pgload import ADMIN_DSN, DATA, ROOT, ensure_database, main
from _pgload import database_name as _database_name

SCHEMA = ROOT / "fixtures" / "schemas" / "tpch.sql"
TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")


def database_name(scale: float, keys: bool) -> str:
    return _database_name("tpch", scale, keys)


def generate(scale: float) -> Path:
    folder = DATA / f"tpch-sf{scale:g}"
    if all((folder / f"{table}.csv").is_file() for table in TABLES):
        return folder
    if shutil.which("tpchgen-cli") is None:
        sys.exit("tpchgen-cli is not installed: pip install tpchgen-cli")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tpchgen-cli", "csv", "-s", f"{scale:g}", f"--output-dir={folder}"], check=True)
    return folder


def ensure_tpch(scale: float = 1, keys: bool = True, admin_dsn: str = ADMIN_DSN) -> str:
    """DSN of a database holding TPC-H at ``scale``; generated and loaded on first use."""
    return ensure_database("tpch", scale, SCHEMA, TABLES, lambda: generate(scale), keys, admin_dsn)


if __name__ == "__main__":
    main(__doc__, ensure_tpch)
