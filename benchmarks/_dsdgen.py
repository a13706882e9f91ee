"""TPC-DS data as CSV files, made by DuckDB's tpcds extension; run by ``tpcds_data.py`` with the Python of a
virtual environment holding ``duckdb`` and ``duckdb-extension-tpcds`` of the same version (the extension
binary is built for one DuckDB release; the project's own DuckDB is another).

    python _dsdgen.py SCALE FOLDER     # FOLDER/<table>.csv for the 24 tables, with a header line
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import duckdb_extension_tpcds


def main(scale: float, folder: Path) -> None:
    extension = next(Path(duckdb_extension_tpcds.__file__).parent.rglob("tpcds.duckdb_extension"))
    connection = duckdb.connect()
    # The binary in the package, never a download.
    connection.execute("SET autoinstall_known_extensions = false")
    connection.execute("SET autoload_known_extensions = false")
    connection.execute(f"LOAD '{extension}'")
    connection.execute(f"CALL dsdgen(sf = {scale})")
    folder.mkdir(parents=True, exist_ok=True)
    for (table,) in connection.execute("SHOW TABLES").fetchall():
        # Written under a temporary name first: a CSV that exists is a whole one.
        part = folder / f"{table}.csv.part"
        connection.execute(f"COPY {table} TO '{part}' (FORMAT csv, HEADER true)")
        part.rename(folder / f"{table}.csv")


if __name__ == "__main__":
    main(float(sys.argv[1]), Path(sys.argv[2]))
