"""Workload ingest: executions per second and peak memory of sqltune beside pgBadger and pt-query-digest.

    python benchmarks/workload_ingest.py                       # 100k and 1M executions, 3 runs each
    python benchmarks/workload_ingest.py --sizes 100000 --runs 1
    python benchmarks/workload_ingest.py --micro               # fingerprint + Workload.add only, in-process

A PostgreSQL stderr log (``log_line_prefix = '%m [%p] %q%u@%d '``, ``duration: X ms  statement: ...``,
multi-line statements) and a MySQL 8 slow log are generated from the same executions
(:mod:`sqltune.testing.workloads`: about 5,000 templates, Zipf-distributed frequencies, fresh literals, IN lists
of 1-30 values, request-id comments on 5 %), at each size. Every tool runs as a subprocess on one core, as
users run it:

- **sqltune**: ``Workload.from_postgres_log`` / ``Workload.from_mysql_slow_log`` (read, fingerprint,
  aggregate), printing its template count;
- **pgBadger** (Debian ``pgbadger``) on the PostgreSQL log: ``-j 1 -f stderr --prefix ... -x json``; its
  templates are the keys of ``normalyzed_info``;
- **pt-query-digest** (Debian ``percona-toolkit``) on the slow log: ``--output json --limit 100000``; its
  templates are its ``classes``.

Figures, medians over ``--runs``: executions per CPU second of the tool (user + system: the machine may be
shared, and CPU time is what one core gives), per wall second, and the tool's peak resident memory, all as
GNU ``/usr/bin/time`` reports them (Debian package ``time``). The "generated" column is how many distinct templates the
log really holds. Targets (issue 10): >= 10x both baselines' throughput, >= 100,000 executions/s on one core,
the same peak memory at 100k and at 1M. Last, the agreement of a PostgreSQL log captured together with
pg_stat_statements (``--agreement`` prints only that).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TIME = "/usr/bin/time"  # GNU time (Debian: time): the peak RSS of the tool alone

from sqltune.testing.workloads import POSTGRES_PREFIX, generate, write_mysql_slow_log, write_postgres_log  # noqa: E402

SQLTUNE = """
import json, sys
from sqltune.workload import Workload
path, kind = sys.argv[1], sys.argv[2]
load = Workload.from_postgres_log if kind == "postgres" else Workload.from_mysql_slow_log
workload = load(path)
print(json.dumps({"templates": len(workload), "calls": workload.calls, "problems": len(workload.problems)}))
"""


@dataclass
class Run:
    cpu: float
    wall: float
    rss_mb: float
    templates: int | None
    note: str = ""


def run_child(command: list[str], env: dict[str, str] | None = None) -> tuple[Run, str]:
    """Run one tool under /usr/bin/time: its CPU time and peak RSS are the tool's own. (The rusage of a child
    of this process would count this process's memory too: a forked child starts with the parent's pages.)"""
    start = time.perf_counter()
    with tempfile.NamedTemporaryFile("r") as measured, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        timed = [TIME, "-f", "%U %S %M", "-o", measured.name, *command]
        child = subprocess.run(timed, stdout=out, stderr=err, env=env, check=False)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        user, system, rss_kb = measured.read().split()[-3:]
    run = Run(float(user) + float(system), wall, int(rss_kb) / 1024, None)
    if child.returncode != 0:
        run.note = (stderr.strip().splitlines() or ["failed"])[-1][:120]
    return run, stdout


def sqltune_run(path: Path, kind: str) -> Run:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT / "src")]))}
    run, stdout = run_child([sys.executable, "-c", SQLTUNE, str(path), kind], env)
    if not run.note:
        run.templates = json.loads(stdout)["templates"]
    return run


def pgbadger_run(path: Path, work: Path) -> Run:
    out = work / "pgbadger.json"
    command = ["pgbadger", "-j", "1", "-f", "stderr", "--prefix", POSTGRES_PREFIX, "-x", "json", "-o", str(out)]
    run, _ = run_child([*command, "--quiet", "--outdir", str(work), str(path)])
    if not run.note:
        info = json.loads(out.read_text())["normalyzed_info"]
        run.templates = len({query for queries in info.values() for query in queries})
    return run


def pt_query_digest_run(path: Path, work: Path) -> Run:
    run, stdout = run_child(["pt-query-digest", "--output", "json", "--limit", "1000000", str(path)])
    if not run.note:
        run.templates = len(json.loads(stdout)["classes"])
    return run


def median_run(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.cpu for r in runs),
        statistics.median(r.wall for r in runs),
        statistics.median(r.rss_mb for r in runs),
        runs[0].templates,
        runs[0].note,
    )


def generate_logs(size: int, folder: Path, templates: int) -> tuple[Path, Path, int]:
    """Both logs of one size, streamed (the same seed gives the same executions twice): this process stays
    small, and the logs are kept in ``folder`` for the next run."""
    postgres, mysql = folder / f"postgresql-{size}.log", folder / f"mysql-slow-{size}.log"
    truth = folder / f"templates-{size}.txt"
    if not (postgres.exists() and mysql.exists() and truth.exists()):
        write_postgres_log(postgres, generate(size, templates=templates, seed=0))
        write_mysql_slow_log(mysql, generate(size, templates=templates, seed=0))
        truth.write_text(str(len({run.template for run in generate(size, templates=templates, seed=0)})))
    return postgres, mysql, int(truth.read_text())


def micro(size: int, templates: int, rounds: int) -> None:
    """Fingerprint + Workload.add in this process on generated executions (no reading)."""
    from sqltune.workload import Workload
    from sqltune.workload.model import Execution

    executions = [
        Execution(run.sql, run.duration_ms, run.at, rows=run.rows, location=f"gen.log:{index}")
        for index, run in enumerate(generate(size, templates=templates, seed=0))
    ]
    timings = []
    for _ in range(rounds):
        workload = Workload("postgres")
        start = time.process_time()
        for execution in executions:
            workload.add(execution)
        timings.append((time.process_time() - start) / len(executions))
    per = statistics.median(timings)
    print(
        f"fingerprint + Workload.add: {per * 1e6:.2f} µs per execution (median of {rounds}, CPU time), "
        f"{1 / per:,.0f} executions/s on one core; {len(workload)} templates"
    )


CAPTURE = ROOT / "fixtures" / "workloads" / "logs" / "postgres"


def agreement() -> None:
    """The log <-> pg_stat_statements agreement on a run captured both ways (benchmarks/capture: pgbench in the
    simple, extended and prepared protocols and the TPC-H queries, between a reset and a read of the view)."""
    from collections import Counter

    from sqltune.workload import Execution, Workload
    from sqltune.workload.fingerprint import normalize
    from sqltune.workload.sources import one_by_one, postgres_log

    view = json.loads((CAPTURE / "pg_stat_statements.json").read_text())
    calls = {row["queryid"]: row["calls"] for row in view}
    text_of = {row["queryid"]: normalize(row["query"]) for row in view}
    print("\nagreement of the captured PostgreSQL log with pg_stat_statements (fixtures/workloads/logs/postgres)")
    for name in ("postgresql.log", "postgresql.csv", "postgresql.json"):
        workload = Workload.from_postgres_log(CAPTURE / name)
        owner: dict[str, set[str]] = {}
        for template in workload:
            for queryid in template.ids.get("queryid", []):
                owner.setdefault(queryid, set()).add(template.text)
        records = one_by_one(postgres_log.read(CAPTURE / name))
        counted = Counter(dict(e.ids).get("queryid") for e in records if isinstance(e, Execution))
        one_each = sum(1 for texts in owner.values() if len(texts) == 1)
        same_calls = sum(1 for queryid, number in calls.items() if counted.get(queryid) == number)
        several = [t for t in workload if len(t.ids.get("queryid", [])) > 1]
        same_text = all(len({text_of[q] for q in t.ids["queryid"]}) == 1 for t in several)
        print(
            f"  {name:<16} {len(workload)} templates, {len(owner)} of {len(calls)} queryids seen, "
            f"{one_each} in exactly one template; calls equal for {same_calls} of {len(calls)} queryids; "
            f"{len(workload) - len(several)} templates with one queryid or none, {len(several)} with several "
            f"({'each the same text in pg_stat_statements' if same_text else 'NOT the same text'})"
        )


def table(size: int, truth: int, rows: list[tuple[str, str, Run]]) -> None:
    print(f"\n{size:,} executions ({truth:,} templates generated)")
    header = (
        f"  {'log':<10} {'tool':<16} {'exec/s (CPU)':>13} {'exec/s (wall)':>14} {'peak RSS MB':>12} {'templates':>10}"
    )
    print(header)
    for log, tool, run in rows:
        if run.note:
            print(f"  {log:<10} {tool:<16} {'n/a':>13} {'':>14} {'':>12} {'':>10}  ({run.note})")
            continue
        print(
            f"  {log:<10} {tool:<16} {size / run.cpu:>13,.0f} {size / run.wall:>14,.0f} {run.rss_mb:>12.1f}"
            f" {run.templates if run.templates is not None else '?':>10}"
        )
    ours = {log: run for log, tool, run in rows if tool == "sqltune" and not run.note}
    for log, tool, run in rows:
        if tool != "sqltune" and not run.note and log in ours:
            print(f"  {log}: sqltune is {run.cpu / ours[log].cpu:.1f}x the throughput of {tool} (CPU time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="executions per log, comma-separated")
    parser.add_argument("--templates", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and size (medians are printed)")
    parser.add_argument("--baseline-runs", type=int, help="runs of pgBadger/pt-query-digest (default: --runs)")
    parser.add_argument("--logs", type=Path, help="folder to keep the generated logs in (default: a temporary one)")
    parser.add_argument("--skip-baselines", action="store_true", help="sqltune only")
    parser.add_argument("--micro", action="store_true", help="only fingerprint + Workload.add, in this process")
    parser.add_argument("--agreement", action="store_true", help="only the log <-> pg_stat_statements agreement")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.micro:
        for size in sizes:
            micro(min(size, 200_000), args.templates, args.runs)
        return
    if args.agreement:
        agreement()
        return
    load = os.getloadavg()
    print(f"workload ingest: {os.cpu_count()} CPUs, load average {load[0]:.1f} at start; medians of {args.runs} runs")
    tools = {"pgBadger": shutil.which("pgbadger"), "pt-query-digest": shutil.which("pt-query-digest")}
    for name, found in tools.items():
        if not found and not args.skip_baselines:
            print(f"  {name} not found (Debian: apt-get install pgbadger percona-toolkit): left out")
    folder = args.logs or Path(tempfile.mkdtemp(prefix="sqltune-ingest-"))
    folder.mkdir(parents=True, exist_ok=True)
    baseline_runs = args.baseline_runs or args.runs
    try:
        for size in sizes:
            postgres, mysql, truth = generate_logs(size, folder, args.templates)
            work = Path(tempfile.mkdtemp(prefix="out-", dir=folder))
            rows = [
                ("postgres", "sqltune", median_run([sqltune_run(postgres, "postgres") for _ in range(args.runs)])),
                ("mysql", "sqltune", median_run([sqltune_run(mysql, "mysql") for _ in range(args.runs)])),
            ]
            if not args.skip_baselines and tools["pgBadger"]:
                runs = [pgbadger_run(postgres, work) for _ in range(baseline_runs)]
                rows.insert(1, ("postgres", "pgBadger", median_run(runs)))
            if not args.skip_baselines and tools["pt-query-digest"]:
                rows.append(
                    (
                        "mysql",
                        "pt-query-digest",
                        median_run([pt_query_digest_run(mysql, work) for _ in range(baseline_runs)]),
                    )
                )
            table(size, truth, rows)
            shutil.rmtree(work, ignore_errors=True)
    finally:
        if args.logs is None:
            shutil.rmtree(folder, ignore_errors=True)
    agreement()
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
