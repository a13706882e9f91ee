"""Star-schema designer benchmark on TPC-H scale factor 1 in the local PostgreSQL.

    python benchmarks/star_design.py                  # SF1: design, dbt build, 22 queries on both schemas
    python benchmarks/star_design.py --scale 0.1 --timeout 60
    python benchmarks/star_design.py --scale 0.01 --runs 1   # a check in a minute or two

1. Design: ``sqltune.design_star_schema`` on ``fixtures/schemas/tpch.sql`` and the 22 queries (timed).
2. Build: the generated dbt project with ``dbt build`` (dbt-core and dbt-postgres from the ``dbt`` extra, in
   the private venv the tests use, ``~/.cache/sqltune/venv-dbt-1.11``, made on first use), sources in
   ``public`` of the TPC-H database (``benchmarks/tpch_data.py`` loads it), the star in schema
   ``sqltune_star`` (timed; models and tests must pass).
3. Queries: each of the 22 timed on the normalised schema and, when the star answers it, rewritten on the
   star (one warm-up, then the median of ``--runs``), results compared as multisets. A query over the
   statement timeout counts as the timeout. The star's tables carry indexes on their grain and references
   (the dbt models' PostgreSQL ``indexes`` config); the normalised schema has its primary keys only.

Prints the design, build, per-query and total times, and how many results were compared and matched; exits
non-zero when a rewritten query returns other rows than the original.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tpch_data import ensure_tpch

from sqltune.design import design_star_schema
from sqltune.design.emit import write_outputs
from sqltune.schema import Schema
from sqltune.testing.dbt import ensure_dbt
from sqltune.testing.star import dbt_build, result_multiset
from sqltune.workload import Workload

ROOT = Path(__file__).resolve().parent.parent
STAR = "sqltune_star"


def timed(dsn: str, schema: str, query: str, runs: int, timeout_s: float) -> float | None:
    """Median seconds of ``runs`` executions after one warm-up; None when it hits the timeout."""
    times = []
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"SET search_path = {schema}")
        connection.execute(f"SET statement_timeout = {int(timeout_s * 1000)}")
        for run in range(runs + 1):
            started = time.perf_counter()
            try:
                connection.execute(query).fetchall()
            except psycopg.errors.QueryCanceled:
                return None
            if run:
                times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1, help="TPC-H scale factor (0.01 for a quick check)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300, help="statement timeout per query, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the star schema afterwards")
    args = parser.parse_args()
    dbt = ensure_dbt()
    dsn = ensure_tpch(args.scale)

    started = time.perf_counter()
    schema = Schema.load(ROOT / "fixtures/schemas/tpch.sql", "postgres")
    workload = Workload.from_sql(ROOT / "fixtures/workloads/tpch", dialect="postgres")
    result = design_star_schema(schema, workload)
    design_s = time.perf_counter() - started
    print(f"design: {design_s:.2f} s; {len(result.coverage.answered)} of 22 queries answered")
    for query in result.coverage.queries:
        if query.rewritten is None:
            print(f"  {query.template} not answered: {query.reason}")

    out = Path(tempfile.mkdtemp(prefix="sqltune-star-"))
    try:
        write_outputs(result.design, schema, out, result.coverage)
        started = time.perf_counter()
        built = dbt_build(dbt, out / "dbt", dsn, "public", STAR, timeout_s=7200)
        build_s = time.perf_counter() - started
        summary = next((line for line in built.stdout.splitlines() if "Done. PASS=" in line), built.stdout[-2000:])
        print(f"dbt build: {build_s:.1f} s; {summary.split('  ')[-1].strip()}")
        if built.returncode != 0:
            sys.exit(built.stdout[-4000:])

        print(f"\n{'query':8} {'normalised s':>13} {'star s':>9} {'joins':>7}  result")
        totals = [0.0, 0.0]
        compared = same_rows = 0
        for query in sorted(result.coverage.queries, key=lambda q: q.template):
            before = timed(dsn, "public", query.original, args.runs, args.timeout)
            before_s = args.timeout if before is None else before
            if query.rewritten is None:
                mark = "*" if before is None else " "
                print(f"{query.template:8} {before_s:13.3f}{mark} {'-':>9} {'-':>7}  not answered")
                continue
            after = timed(dsn, STAR, query.rewritten, args.runs, args.timeout)
            after_s = args.timeout if after is None else after
            totals[0] += before_s
            totals[1] += after_s
            if before is None or after is None:
                same = "not compared (timeout)"
            else:
                compared += 1
                alike = result_multiset(dsn, "public", query.original, int(args.timeout * 1000)) == result_multiset(
                    dsn, STAR, query.rewritten, int(args.timeout * 1000)
                )
                same_rows += alike
                same = "same rows" if alike else "DIFFERENT ROWS"
            joins = f"{query.joins_before}->{query.joins_after}"
            print(
                f"{query.template:8} {before_s:13.3f}{'*' if before is None else ' '}"
                f" {after_s:8.3f}{'*' if after is None else ' '} {joins:>7}  {same}"
            )
        print(f"\nanswered queries, total: normalised {totals[0]:.2f} s, star {totals[1]:.2f} s (* = timeout)")
        print(f"results compared: {compared}, the same rows: {same_rows}")
        if same_rows != compared:
            sys.exit(1)
    finally:
        shutil.rmtree(out, ignore_errors=True)
        if not args.keep:
            with psycopg.connect(dsn, autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA IF EXISTS {STAR} CASCADE")


if __name__ == "__main__":
    main()
