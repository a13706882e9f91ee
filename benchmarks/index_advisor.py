"""Index advisor benchmark on TPC-H scale factor 1 in the local PostgreSQL with HypoPG.

    python benchmarks/index_advisor.py                 # selection tables + measured runtime (~25 min)
    python benchmarks/index_advisor.py --no-runtime    # selection tables only (~10 min)

Part 1 — selection. For budgets of 250 MB, 500 MB, 1 GB and 2 GB (HypoPG-estimated sizes, decimal units),
index width 2, it prints the estimated workload cost relative to no new indexes, the wall time and the number
of what-if calls (optimizer calls not answered from the cache) of:

- sqltune's selection (``sqltune.indexes.selection``),
- Extend (Schlosser et al., ICDE 2019), reimplemented in ``sqltune.indexes.baselines``, run through the same
  cached evaluator and, like sqltune, never proposing an index an existing one already serves,
- a Dexter-style per-query greedy with single- and two-column candidates,

on the 19 queries the literature uses (all but 2, 17 and 20) and on all 22, on a database with primary keys
and on one without (the published Extend figures were measured without keys; they are printed alongside).

Part 2 — runtime. The 1 GB plan for all 22 queries (on the database with primary keys) is checked against
measured runtime (``validate=True``), its indexes are then created for real, and every query is timed without
and with them (statement timeout 300 s; a timeout counts as 300 s). Without indexes each query runs once
(Q17 and Q20 time out) and the times are kept in ``benchmarks/.data/`` for later runs (``--remeasure`` times
them again); with them, the median of three runs. The indexes are dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tpch_data import ensure_tpch

from sqltune.connectors.postgres import connect
from sqltune.connectors.postgres.whatif import HypoPGBackend
from sqltune.indexes.advisor import advise_indexes, load_workload
from sqltune.indexes.baselines import extend, per_query_greedy
from sqltune.indexes.candidates import generate_candidates
from sqltune.indexes.selection import select_indexes
from sqltune.indexes.whatif import CostEvaluator

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "fixtures" / "workloads" / "tpch"
BUDGETS_MB = (250, 500, 1000, 2000)
LITERATURE = {"extend": {250: (0.642, 953), 500: (0.557, 1970), 1000: (0.517, 3045), 2000: (0.508, 3935)}}
TIMEOUT_S = 300


def workload(schema, all_22: bool):  # type: ignore[no-untyped-def]
    files = sorted(QUERIES.glob("q*.sql"))
    if not all_22:
        files = [f for f in files if f.stem not in ("q02", "q17", "q20")]
    return load_workload([str(f) for f in files], schema=schema)


def selection_table(dsn: str, label: str, all_22: bool) -> None:
    with connect(dsn, statement_timeout=f"{TIMEOUT_S}s") as connection:
        schema = connection.schema(None)
        queries = workload(schema, all_22)
        print(f"\n## {label}, {len(queries)} queries, width 2 (relative cost / what-if calls / seconds)")
        header = f"{'budget':>8} | {'sqltune':^26} | {'Extend':^26} | {'per-query greedy':^26}"
        if not all_22 and "without keys" in label:
            header += " | published Extend"
        print(header)
        with HypoPGBackend(connection) as backend:
            candidates = generate_candidates(queries, schema, max_width=2)
            for budget in BUDGETS_MB:
                cells = []
                results = {}
                for name in ("sqltune", "extend", "greedy"):
                    evaluator = CostEvaluator(backend)
                    started = time.perf_counter()
                    if name == "sqltune":
                        limit = budget * 1e6
                        result = select_indexes(queries, candidates, evaluator, budget_bytes=limit, schema=schema)
                    elif name == "extend":
                        result = extend(queries, evaluator, budget_bytes=budget * 1e6, schema=schema)
                    else:
                        result = per_query_greedy(queries, evaluator, budget_bytes=budget * 1e6, schema=schema)
                    seconds = time.perf_counter() - started
                    results[name] = result
                    cells.append(f"{result.relative_cost:7.1%} {result.what_if_calls:6d} {seconds:7.1f}s")
                line = f"{budget:>6}MB | " + " | ".join(f"{c:^26}" for c in cells)
                if not all_22 and "without keys" in label:
                    cost, calls = LITERATURE["extend"][budget]
                    line += f" | {cost:.1%} {calls:5d}"
                ours, theirs = results["sqltune"], results["extend"]
                verdict = "ok" if ours.cost_with <= theirs.cost_with * 1.0005 else "ABOVE Extend"
                calls = ours.what_if_calls / max(theirs.what_if_calls, 1)
                print(line + f"   [{verdict}; calls {calls:.0%} of Extend's]")
                sys.stdout.flush()


def run_queries(dsn: str, files: list[Path], runs: int) -> dict[str, float]:
    """Median wall time in seconds per query (a timeout counts as the timeout)."""
    times: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"SET statement_timeout = '{TIMEOUT_S}s'")
        for path in files:
            sql = path.read_text()
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                try:
                    connection.execute(sql).fetchall()
                    samples.append(time.perf_counter() - started)
                except psycopg.errors.QueryCanceled:
                    samples.append(float(TIMEOUT_S))
            times[path.stem] = statistics.median(samples)
            print(f"  {path.stem}: {times[path.stem]:8.2f} s", file=sys.stderr)
    return times


def runtime_check(dsn: str, remeasure: bool) -> None:
    files = sorted(QUERIES.glob("q*.sql"))
    print("\n## Measured runtime, all 22 queries, 1 GB plan (database with primary keys)")
    started = time.perf_counter()
    with connect(dsn, statement_timeout=f"{TIMEOUT_S}s") as connection:
        plan = advise_indexes([str(f) for f in files], connection, budget="1GB", validate=True, hygiene=False)
    print(f"advisor: {time.perf_counter() - started:.0f} s including validation, {plan.what_if_calls} what-if calls")
    for note in plan.notes:
        print(f"  note: {note}")
    for index in plan.create:
        print(f"  {index.statement}")
    cache = ROOT / "benchmarks" / ".data" / "tpch_runtime_without_indexes.json"
    database = dsn.split("dbname=")[1].split()[0]
    known = json.loads(cache.read_text()).get(database, {}) if cache.is_file() else {}
    if remeasure or len(known) != len(files):
        print("timing without the new indexes (one run each) ...", file=sys.stderr)
        before = run_queries(dsn, files, runs=1)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({database: before}, indent=1))
    else:
        print(f"times without the new indexes: from {cache.name} (--remeasure to time them again)")
        before = known
    names = []
    with psycopg.connect(dsn, autocommit=True) as connection:
        for number, index in enumerate(plan.create):
            name = f"sqltune_bench_{number}"
            connection.execute(index.spec.ddl(name, concurrently=False))  # type: ignore[arg-type]
            names.append(name)
        connection.execute("ANALYZE")
    try:
        print("timing with them (median of three) ...", file=sys.stderr)
        after = run_queries(dsn, files, runs=3)
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            for name in names:
                connection.execute(f"DROP INDEX IF EXISTS {name}")  # type: ignore[arg-type]
    print(f"{'query':>6} {'before s':>10} {'after s':>10} {'after/before':>13}")
    for key in before:
        print(f"{key:>6} {before[key]:10.2f} {after[key]:10.2f} {after[key] / before[key]:12.2f}x")
    total_before, total_after = sum(before.values()), sum(after.values())
    worst = max(before, key=lambda k: after[k] / before[k])
    print(f"{'total':>6} {total_before:10.1f} {total_after:10.1f}   speed-up {total_before / total_after:.1f}x")
    print(f"slowest relative to before: {worst} at {after[worst] / before[worst]:.2f}x (target: at most 1.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-runtime", action="store_true", help="skip part 2 (measured runtime)")
    parser.add_argument("--no-selection", action="store_true", help="skip part 1 (selection tables)")
    parser.add_argument("--remeasure", action="store_true", help="time the queries without indexes again")
    args = parser.parse_args()
    keys = ensure_tpch(1, keys=True)
    nokeys = ensure_tpch(1, keys=False)
    for dsn in (keys, nokeys):
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
    if not args.no_selection:
        selection_table(nokeys, "TPC-H SF1 without keys", all_22=False)
        selection_table(keys, "TPC-H SF1 with primary keys", all_22=False)
        selection_table(keys, "TPC-H SF1 with primary keys", all_22=True)
    if not args.no_runtime:
        runtime_check(keys, args.remeasure)


if __name__ == "__main__":
    main()
