"""Layout advisor benchmark on TPC-H (scale 1 by default) in the local PostgreSQL.

    python benchmarks/layout_advisor.py                  # everything (~5 min on 2 cores at SF1)
    python benchmarks/layout_advisor.py --scale 0.1      # a quick run
    python benchmarks/layout_advisor.py --no-postgres    # the simulator part only
    python benchmarks/layout_advisor.py --no-simulator   # the PostgreSQL part only

Workload: the 22 TPC-H queries of ``fixtures/workloads/tpch``, each executed five times with its dates moved
by the same random whole number of months (kept inside 1992-1998, as qgen would), so every template carries
five real literal samples; every execution counts 1 s (the 22 queries weigh the same).

Part 1 — the advisor's key against brute force. For lineitem and orders, a page sample (``--sample-rows``) is
laid out in 1,000 simulated partitions; the advisor's key (``advise_layout``) is scored beside every 1- and
2-column key (both orders) of the candidate columns (the columns the workload filters, joins, groups or orders
by). Targets: the advisor's key is the brute-force best or within 5 % of its scanned partitions; the
date-filtered templates scan at least 10x fewer simulated partitions than in load order. Simulator speed:
one layout of 6,000,000 rows with a 2-column key and all templates scored.

Part 2 — PostgreSQL. lineitem as TPC-H loads it (l_orderkey order) gets no BRIN and the plan says why; a copy
stored in l_shipdate order (schema ``layout_bench``, as an append-only event table is) gets BRIN on l_shipdate,
validated for real on a rolled-back copy with Q1, Q6, Q14 and Q15 timed before and after; then partitioning
with the memory gate lowered by configuration.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tpch_data import ensure_tpch

from sqltune.connectors.postgres import connect
from sqltune.layout.advisor import advise_layout, score_keys
from sqltune.layout.candidates import key_columns
from sqltune.layout.model import LayoutConfig
from sqltune.layout.probes import bound_columns, probes, scanned_fraction
from sqltune.layout.simulate import ColumnData, Layout, Sample
from sqltune.workload import Execution, Workload

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "fixtures" / "workloads" / "tpch"
DATE = re.compile(r"'(\d{4})-(\d{2})-(\d{2})'")
PARTITIONS = 1000
DATE_FILTERED = {"q01", "q03", "q04", "q05", "q06", "q07", "q08", "q10", "q12", "q14", "q15", "q20"}


def _shift(text: str, months: int) -> str:
    def move(match: re.Match[str]) -> str:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        total = year * 12 + month - 1 + months
        return f"'{date(total // 12, total % 12 + 1, min(day, 28)).isoformat()}'"

    return DATE.sub(move, text)


def tpch_workload(seed: int = 7, runs: int = 5) -> Workload:
    rng = random.Random(seed)
    workload = Workload("postgres")
    for path in sorted(QUERIES.glob("q*.sql")):
        text = path.read_text(encoding="utf-8")
        years = [int(m[1]) * 12 + int(m[2]) - 1 for m in DATE.finditer(text)]
        for run in range(runs):
            months = 0
            if years and run:
                low, high = 1992 * 12 - min(years), 1998 * 12 + 7 - max(years)
                months = rng.randint(min(low, 0), max(high, 0))
            workload.add(Execution(_shift(text, months), 1000.0, location=path.stem))
    return workload


def part1(dsn: str, workload: Workload, sample_rows: int) -> None:
    print("== Part 1: the advisor's key against brute force (simulated, 1,000 partitions) ==")
    config = LayoutConfig(brin_min_bytes=0, sample_rows=sample_rows)
    with connect(dsn) as connection:
        schema = connection.schema(("public",))
        usage = workload.usage(schema)
        templates = [t for t in workload.templates if t.fingerprint in usage.graphs]
        for name in ("lineitem", "orders"):
            table = schema.table(name)
            assert table is not None and table.stats is not None
            distinct = {c: (col.stats.distinct if col.stats else None) for c, col in table.columns.items()}
            columns = key_columns(usage, name, distinct, table.stats.rows)
            needed = sorted({c.column for c in columns} | bound_columns(templates, usage, name))
            started = time.perf_counter()
            raw = connection.layout_sample(name, needed, sample_rows)
            fetched = time.perf_counter() - started
            sample = Sample.from_columns(raw)
            found = probes(templates, usage, name, sample, timed=True)
            rows = -(-sample.rows // PARTITIONS)
            keys = [(c,) for c in columns] + [(a, b) for a in columns for b in columns if a is not b]
            started = time.perf_counter()
            brute = score_keys(sample, found, keys, rows)
            took = time.perf_counter() - started
            plan = advise_layout(workload, connection, tables=[name], config=config)
            rec = plan.recommendations[0]
            advisor_key = next(k for k, _ in rec.candidates) if rec.candidates else rec.key
            by_text = {tuple(c.text for c in key): key for key, _ in brute}
            advisor_parts = by_text.get(advisor_key)
            if advisor_parts is None:  # a 3-column key: score it the same way
                wanted = {c.text: c for c in columns}
                advisor_parts = tuple(wanted[t] for t in advisor_key)
            advisor = scanned_fraction(Layout(sample, tuple(c.part for c in advisor_parts), rows), found)
            load = scanned_fraction(Layout(sample, (), rows), found)
            best_key, best = brute[0]
            print(
                f"\n{name}: sample {sample.rows:,} rows ({fetched:.1f} s to fetch), {len(columns)} candidate "
                f"columns, {len(keys)} brute-force keys scored in {took:.1f} s"
            )
            for key, fraction in brute[:5]:
                print(f"  brute force  ({', '.join(c.text for c in key)}): weighted scanned fraction {fraction:.4f}")
            gap = advisor[0] / best - 1 if best else 0.0
            print(
                f"  advisor      ({', '.join(advisor_key)}): {advisor[0]:.4f}  ({gap:+.1%} vs brute-force best "
                f"({', '.join(c.text for c in best_key)}); target <= +5%) -> {'MET' if gap <= 0.05 else 'MISSED'}"
            )
            print(f"  load order   : {load[0]:.4f}")
            # Rows the filters keep (partitions of one row): no layout can scan fewer partitions than this share.
            exact = Layout(sample, (), 1)
            dated = [
                (p, b, a) for p, b, a in zip(found, load[1], advisor[1], strict=True) if p.location in DATE_FILTERED
            ]
            for probe, b, a in sorted(dated, key=lambda item: item[0].location):
                share = exact.scanned(probe) / sample.rows
                print(
                    f"    {probe.location}: {b:7.1f} -> {a:7.1f} partitions ({b / max(a, 1e-9):5.1f}x); "
                    f"rows kept {share:6.1%} (best possible {1 / max(share, 1e-9):6.1f}x)"
                )
            narrow = [(b, a) for p, b, a in dated if exact.scanned(p) / sample.rows <= 0.05]
            before, after = sum(b for b, _ in narrow), sum(a for _, a in narrow)
            ratio = before / max(after, 1e-9)
            print(
                f"  date-filtered templates keeping <= 5% of rows, together: {before:.0f} -> {after:.0f} partitions "
                f"({ratio:.1f}x; target >= 10x) -> {'MET' if ratio >= 10 else 'MISSED'}"
            )
            if name == "lineitem":
                speed(found, sample, tuple(c.part for c in advisor_parts))


def speed(found: list, sample: Sample, key: tuple) -> None:  # type: ignore[type-arg]
    """One 6,000,000-row layout with a 2-column key, every probe scored (rows resampled from the sample)."""
    rng = np.random.default_rng(1)
    pick = rng.integers(0, sample.rows, 6_000_000)
    big = Sample(
        {name: ColumnData(column.values[pick], column.kind, column.labels) for name, column in sample.columns.items()},
        6_000_000,
    )
    started = time.perf_counter()
    layout = Layout(big, key, 6_000)
    sorted_at = time.perf_counter()
    for column in sorted({c.column for p in found for reads in p.samples for cs in reads for c in cs}):
        layout.bounds(column)
    bounded_at = time.perf_counter()
    fraction = scanned_fraction(layout, found)[0]
    done = time.perf_counter()
    print(
        f"\nsimulator: 6,000,000 rows, key {key}, {layout.partitions} partitions, {len(found)} templates x 5 "
        f"samples: {done - started:.2f} s (sort {sorted_at - started:.2f} s, min/max {bounded_at - sorted_at:.2f} s, "
        f"probes {done - bounded_at:.2f} s; fraction {fraction:.3f}; load average {os.getloadavg()[0]:.1f})"
    )


def part2(dsn: str, workload: Workload) -> None:
    print("\n== Part 2: PostgreSQL ==")
    config = LayoutConfig(brin_min_bytes=0, sample_rows=200_000)
    with connect(dsn) as connection:
        rec = advise_layout(workload, connection, tables=["lineitem"], config=config).recommendations[0]
    print(f"lineitem in load order: {rec.kind} on ({', '.join(rec.key)})")
    for note in rec.notes:
        if note.startswith("no BRIN"):
            print(f"  {note}")
    with psycopg.connect(dsn, autocommit=True) as admin:
        exists = admin.execute("SELECT to_regclass('layout_bench.lineitem')").fetchone()
        if not exists or exists[0] is None:
            started = time.perf_counter()
            admin.execute("CREATE SCHEMA IF NOT EXISTS layout_bench")
            admin.execute("CREATE TABLE layout_bench.lineitem AS SELECT * FROM public.lineitem ORDER BY l_shipdate")
            admin.execute("VACUUM ANALYZE layout_bench.lineitem")
            print(f"  (copied lineitem in l_shipdate order in {time.perf_counter() - started:.0f} s)")
    ordered = f"{dsn} options='-csearch_path=layout_bench,public'"
    dated = Workload("postgres")
    for template in workload.templates:
        if template.location in ("q01", "q06", "q14", "q15"):
            dated.add(Execution(template.example, template.total_ms, location=template.location))
    with connect(ordered) as connection:
        started = time.perf_counter()
        plan = advise_layout(
            dated, connection, tables=["lineitem"], schemas=("layout_bench",), config=config, validate=True
        )
        took = time.perf_counter() - started
    rec = plan.recommendations[0]
    print(f"lineitem in l_shipdate order: {rec.kind} on ({', '.join(rec.key)}) in {took:.0f} s with validation")
    print("  " + "\n  ".join(rec.ddl))
    names = {e.fingerprint: (e.location, e) for e in rec.evidence}
    for measured in rec.measured:
        location, evidence = names[measured.fingerprint]
        print(
            f"  {location}: simulated {evidence.before:g} -> {evidence.after:g} of {evidence.partitions} ranges; "
            f"measured {measured.before_ms:.0f} ms -> {measured.after_ms:.0f} ms "
            f"({(measured.before_ms or 0) / max(measured.after_ms or 1e-9, 1e-9):.1f}x)"
        )
    lowered = LayoutConfig(brin_min_bytes=0, sample_rows=200_000, pg_partition_min_bytes=1e6)
    with connect(ordered) as connection:
        rec = advise_layout(
            dated, connection, tables=["lineitem"], schemas=("layout_bench",), config=lowered
        ).recommendations[0]
    print(
        f"with the memory gate lowered to 1 MB: {rec.kind} on ({', '.join(rec.key)}), "
        f"{sum(1 for s in rec.ddl if 'PARTITION OF' in s and 'DEFAULT' not in s)} range partitions"
    )
    for warning in rec.warnings:
        print(f"  warning: {warning}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--sample-rows", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true", help="skip part 2")
    parser.add_argument("--no-simulator", action="store_true", help="skip part 1")
    args = parser.parse_args()
    dsn = ensure_tpch(args.scale)
    workload = tpch_workload()
    if not args.no_simulator:
        part1(dsn, workload, args.sample_rows)
    if not args.no_postgres:
        part2(dsn, workload)


if __name__ == "__main__":
    main()
