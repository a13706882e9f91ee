"""Capture real PostgreSQL server logs (stderr, csvlog, jsonlog) and the pg_stat_statements rows of the same run.

    python benchmarks/capture/postgres_logs.py                     # writes fixtures/workloads/logs/postgres/
    python benchmarks/capture/postgres_logs.py --out /tmp/capture  # elsewhere
    python benchmarks/capture/postgres_logs.py --transactions 200  # longer pgbench runs

It starts a private PostgreSQL (``sqltune.testing.postgres.start_server``, never the machine's server) with

    logging_collector = on, log_destination = 'stderr,csvlog,jsonlog', log_min_duration_statement = 0,
    compute_query_id = on, log_line_prefix = '%m [%p] %q%u@%d %Q '

then, between ``pg_stat_statements_reset()`` and the read of ``pg_stat_statements``:

1. ``pgbench -i -s 1`` (the pgbench tables);
2. ``pgbench -t N`` with ``-M simple``, ``-M extended`` and ``-M prepared`` (the TPC-B-like script);
3. the 22 TPC-H queries of ``fixtures/workloads/tpch`` (each statement of each file, simple protocol) on
   the TPC-H tables of ``fixtures/schemas/tpch.sql`` with a few rows each;
4. a few statements through psycopg with parameters (extended protocol), one of them multi-line with a
   multi-line parameter value, and one that fails (an ERROR entry with its STATEMENT).

The three log files are cut to the window between the reset and the read (so every logged execution is one
that ``pg_stat_statements`` counted) and copied as ``postgresql.log``, ``postgresql.csv`` and
``postgresql.json``; ``pg_stat_statements.json`` holds the rows of the same window (queryid, query, calls,
total/max execution time, rows). The tests read all four (``tests/workload/test_postgres_log.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.testing.postgres import start_server

ROOT = Path(__file__).resolve().parents[2]
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
PREFIX = "%m [%p] %q%u@%d %Q "
SETTINGS = {
    "logging_collector": "on",
    "log_destination": "'stderr,csvlog,jsonlog'",
    "log_min_duration_statement": "0",
    "compute_query_id": "on",
    "log_line_prefix": f"'{PREFIX}'",
    "log_filename": "'postgresql.log'",  # one file per destination: postgresql.log, .csv, .json
    "log_rotation_age": "0",
    "log_rotation_size": "0",
    "log_timezone": "'UTC'",
    "log_min_messages": "warning",
}
START, END = "sqltune_capture_start", "sqltune_capture_end"


def _pgbench(dsn: str, *arguments: str) -> None:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    command = [PGBENCH, "-h", str(params["host"]), "-p", str(params["port"]), "-U", "postgres", *arguments, "test"]
    subprocess.run(command, check=True, capture_output=True, text=True)


def _tpch(connection: psycopg.Connection[object]) -> None:
    schema = (ROOT / "fixtures" / "schemas" / "tpch.sql").read_text()
    for statement in parse_source(Source("tpch.sql", schema), "postgres"):
        connection.execute(statement.text)
    rows = {
        "region": "(0, 'AFRICA', 'x'), (1, 'AMERICA', 'x'), (2, 'ASIA', 'x'), (3, 'EUROPE', 'x')",
        "nation": "(0, 'ALGERIA', 0, 'x'), (6, 'FRANCE', 3, 'x'), (7, 'GERMANY', 3, 'x'),"
        " (24, 'UNITED STATES', 1, 'x')",
        "supplier": "(1, 'Supplier#1', 'a', 6, '16-123', 100.00, 'x'), (2, 'Supplier#2', 'b', 7, '17-123', 10.00, 'x')",
        "customer": "(1, 'Customer#1', 'a', 7, '17-555', 200.00, 'BUILDING', 'x')",
        "part": "(1, 'forest green', 'Manufacturer#1', 'Brand#12', 'ECONOMY BRUSHED BRASS', 15, 'SM BOX', 900.00, 'x')",
        "partsupp": "(1, 1, 100, 10.00, 'x'), (1, 2, 50, 12.00, 'x')",
        "orders": "(1, 1, 'O', 1000.00, '1995-03-10', '1-URGENT', 'Clerk#1', 0, 'x')",
        "lineitem": "(1, 1, 1, 1, 10, 1000.00, 0.05, 0.02, 'N', 'O', '1995-03-20', '1995-03-15', '1995-03-25',"
        " 'DELIVER IN PERSON', 'MAIL', 'x')",
    }
    for table, values in rows.items():
        connection.execute(f"INSERT INTO {table} VALUES {values}")
    connection.execute("ANALYZE")
    for path in sorted((ROOT / "fixtures" / "workloads" / "tpch").glob("q*.sql")):
        for statement in parse_source(Source(path.name, path.read_text()), "postgres"):
            cursor = connection.execute(statement.text)
            if cursor.description:
                cursor.fetchall()


def _extended(connection: psycopg.Connection[object]) -> None:
    for key in (3, 1, 4):
        connection.execute("SELECT n_name FROM nation WHERE n_nationkey = %s AND n_comment <> %s", [key, "it's"])
    connection.execute(
        "SELECT o_orderkey,\n       o_comment\n  FROM orders\n WHERE o_comment = %s\n    AND o_custkey = %s",
        ["two\nlines", None],
    )
    with contextlib.suppress(psycopg.errors.UndefinedColumn):
        connection.execute("SELECT no_such_column FROM region")


def _window(lines: list[str]) -> list[str]:
    """The lines between the one naming START and the one naming END (exclusive)."""
    starts = [i for i, line in enumerate(lines) if START in line]
    ends = [i for i, line in enumerate(lines) if END in line]
    return lines[starts[0] + 1 : ends[-1]]


def _cut_text(text: str) -> str:
    """A stderr or JSON log cut to the window (an entry's continuation lines stay with it)."""
    lines = text.splitlines(keepends=True)
    return "".join(_window(lines))


def _cut_csv(text: str) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    starts = [i for i, row in enumerate(rows) if START in row[13]]
    ends = [i for i, row in enumerate(rows) if END in row[13]]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows[starts[0] + 1 : ends[-1]])
    return out.getvalue()


def capture(out: Path, transactions: int) -> None:
    service = start_server(settings=SETTINGS)
    try:
        dsn = str(service.address["dsn"])
        data = Path(str(service.address["data"]))
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"SELECT pg_stat_statements_reset() AS {START}")
            _pgbench(dsn, "-i", "-s", "1", "-q")
            for mode in ("simple", "extended", "prepared"):
                _pgbench(dsn, "-M", mode, "-t", str(transactions), "-c", "2", "-n")
            _tpch(connection)
            _extended(connection)
            rows = connection.execute(
                "SELECT s.queryid::text AS queryid, s.query, s.calls, s.total_exec_time, s.max_exec_time,"
                f" s.rows, d.datname AS {END} FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                " WHERE s.query NOT LIKE '%pg_stat_statements_reset%' ORDER BY s.queryid"
            ).fetchall()
        time.sleep(1.5)  # the logging collector writes asynchronously
        out.mkdir(parents=True, exist_ok=True)
        logs = data / "log"
        (out / "postgresql.log").write_text(_cut_text((logs / "postgresql.log").read_text()))
        (out / "postgresql.json").write_text(_cut_text((logs / "postgresql.json").read_text()))
        (out / "postgresql.csv").write_text(_cut_csv((logs / "postgresql.csv").read_text()), newline="")
        statements = [
            {
                "queryid": queryid,
                "query": query,
                "calls": calls,
                "total_exec_time": total,
                "max_exec_time": slowest,
                "rows": count,
                "database": database,
            }
            for queryid, query, calls, total, slowest, count, database in rows
        ]
        (out / "pg_stat_statements.json").write_text(json.dumps(statements, indent=1) + "\n")
        for name in ("postgresql.log", "postgresql.csv", "postgresql.json", "pg_stat_statements.json"):
            lines = (out / name).read_text().count("\n")
            print(f"{out / name}: {lines} lines", file=sys.stderr)
    finally:
        service.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "fixtures" / "workloads" / "logs" / "postgres")
    parser.add_argument("--transactions", type=int, default=20, help="pgbench transactions per client and mode")
    arguments = parser.parse_args()
    capture(arguments.out, arguments.transactions)


if __name__ == "__main__":
    main()
