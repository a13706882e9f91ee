"""The application SQL corpus (fixtures/appsql) before and after ``sqltune fix``, on generated data.

    python benchmarks/rewrite_appsql.py --sizes 10000            # PostgreSQL, 10k rows in the big tables
    python benchmarks/rewrite_appsql.py --sizes 10000,1000000 --runs 5
    python benchmarks/rewrite_appsql.py --sizes 10000 --mariadb  # and on a private MariaDB

For each size, the corpus' schemas (Rails structure.sql, Django sqlmigrate) are created in the local
PostgreSQL as ``sqltune_bench_appsql_<schema>_<size>`` (kept and reused on later runs; ``--rebuild`` makes
them again) and filled by ``sqltune.testing.appdata``: ``size`` rows in the tables nothing references
(invoices, tickets, team_members, replies, widget_parts), a tenth in the others, foreign keys skewed (a few
parents own most children). Each case's statement, its sample parameters bound, is rewritten against its
schema's DDL; when a rewrite is APPLIED, both are timed with ``EXPLAIN (ANALYZE, FORMAT JSON)`` (median
execution time of ``--runs`` after a warm-up) and their results compared as multisets (``EXCEPT ALL`` both
ways). With ``--mariadb`` the MySQL cases (and the PostgreSQL ones printed in the MySQL dialect) run on a
private MariaDB (``sqltune.testing.mariadb``, stopped at the end), timed as wall time of execute-and-fetch.
It prints every case, then per rewrite class and per rewrite: cases, rewritten, advised, geometric-mean
speed-up over the rewritten ones, and the result differences (which must be 0). Cases with a ``known_bug``
are skipped (their rewrite is wrong; timing it says nothing).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from sqltune.testing import appsql
from sqltune.testing.appdata import generate, load_postgres
from sqltune.testing.appsql import Case

VERSION = "1"  # bump when the generator or the schemas change


@dataclass
class Timing:
    case: Case
    engine: str
    size: int
    applied: list[str]
    advised: list[str]
    before_ms: float | None = None
    after_ms: float | None = None
    same: bool | None = None
    error: str = ""

    @property
    def speedup(self) -> float | None:
        if self.before_ms is None or self.after_ms is None:
            return None
        return self.before_ms / max(self.after_ms, 0.001)


# -- PostgreSQL --------------------------------------------------------------------------------------------
def pg_build(dsn: str, ref: str, size: int, rebuild: bool) -> str:
    name = f"sqltune_bench_appsql_{ref.replace('-', '_')}_{size}"
    stamp = f"sqltune appsql benchmark v{VERSION}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        found = admin.execute("SELECT obj_description(oid) FROM pg_namespace WHERE nspname = %s", (name,)).fetchone()
        if found and found[0] == stamp and not rebuild:
            return name
        started = time.perf_counter()
        admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.execute(f"CREATE SCHEMA {name}")
        admin.execute(f"SET search_path = {name}")
        admin.execute(appsql.executable_ddl(ref).encode())
        load_postgres(admin, generate(appsql.schema(ref), size))
        admin.execute("ANALYZE")
        admin.execute(f"COMMENT ON SCHEMA {name} IS '{stamp}'")
    print(f"built {name} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return name


def pg_connect(dsn: str, name: str) -> psycopg.Connection[Any]:
    connection = psycopg.connect(dsn, autocommit=True, options=f"-csearch_path={name}")
    connection.execute("SET work_mem = '64MB'")
    connection.execute("SET max_parallel_workers_per_gather = 0")  # steadier timings on a shared machine
    connection.execute("SET statement_timeout = '120s'")
    return connection


def pg_ms(connection: psycopg.Connection[Any], sql: str, runs: int) -> float:
    explain = f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"
    connection.execute(explain.encode())  # warm-up
    times = []
    for _ in range(runs):
        row = connection.execute(explain.encode()).fetchone()
        assert row is not None
        plan = row[0] if not isinstance(row[0], str) else json.loads(row[0])
        times.append(float(plan[0]["Execution Time"]))
    return statistics.median(times)


def pg_same(connection: psycopg.Connection[Any], original: str, rewritten: str) -> bool:
    row = connection.execute(
        f"SELECT (SELECT COUNT(*) FROM (({original}) EXCEPT ALL ({rewritten})) AS a) + "
        f"(SELECT COUNT(*) FROM (({rewritten}) EXCEPT ALL ({original})) AS b)".encode()
    ).fetchone()
    return row is not None and int(row[0]) == 0


# -- MariaDB -------------------------------------------------------------------------------------------------
def maria_build(address: dict[str, Any], ref: str, size: int) -> Any:
    started = time.perf_counter()
    connection = appsql.mysql_world(address, ref, size)
    with connection.cursor() as cursor:
        cursor.execute("SHOW TABLES")
        for (table,) in cursor.fetchall():
            cursor.execute(f"ANALYZE TABLE `{table}`")
            cursor.fetchall()
    print(f"built MariaDB {ref} at {size} rows in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return connection


def maria_rows(connection: Any, sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def maria_ms(connection: Any, sql: str, runs: int) -> float:
    maria_rows(connection, sql)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        maria_rows(connection, sql)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def maria_same(connection: Any, original: str, rewritten: str) -> bool:
    from collections import Counter

    return Counter(maria_rows(connection, original)) == Counter(maria_rows(connection, rewritten))


# -- running -----------------------------------------------------------------------------------------------
def measure(
    case: Case,
    engine: str,
    size: int,
    sqls: tuple[str, str],
    timer: Callable[[str], float],
    same: Callable[[str, str], bool],
    applied: list[str],
    advised: list[str],
) -> Timing:
    timing = Timing(case, engine, size, applied, advised)
    if not applied:
        return timing
    try:
        timing.before_ms, timing.after_ms = timer(sqls[0]), timer(sqls[1])
        timing.same = same(*sqls)
    except Exception as error:
        timing.error = str(error).splitlines()[0][:80]
    return timing


def report(timings: list[Timing]) -> int:
    print(f"\n{'engine':8} {'rows':>8} {'case':58} {'class':27} {'rewrites':12} {'before':>9} {'after':>9} "
          f"{'speedup':>8}  result")  # fmt: skip
    for t in timings:
        if not t.applied:
            continue
        result = t.error or ("same rows" if t.same else "DIFFERENT")
        speed = f"{t.speedup:7.2f}x" if t.speedup else ""
        before = f"{t.before_ms:9.2f}" if t.before_ms is not None else ""
        after = f"{t.after_ms:9.2f}" if t.after_ms is not None else ""
        print(f"{t.engine:8} {t.size:8} {t.case.id[:58]:58} {t.case.fields['exercises']:27} "
              f"{','.join(t.applied):12} {before:>9} {after:>9} {speed:>8}  {result}")  # fmt: skip
    wrong = sum(t.same is False for t in timings)
    for title, key in (("class", lambda t: [str(t.case.fields["exercises"])]), ("rewrite", lambda t: t.applied)):
        groups: dict[tuple[str, int, str], list[Timing]] = defaultdict(list)
        for t in timings:
            for name in key(t) or (["-"] if title == "rewrite" else []):
                groups[(t.engine, t.size, name)].append(t)
        print(f"\nper {title}: {'engine':8} {'rows':>8} {title:27} {'cases':>5} {'rewritten':>9} {'advised':>7} "
              f"{'geo-mean':>9} {'min':>7} {'max':>7}")  # fmt: skip
        for (engine, size, name), group in sorted(groups.items()):
            speeds = [t.speedup for t in group if t.speedup]
            mean = math.exp(sum(math.log(s) for s in speeds) / len(speeds)) if speeds else None
            cells = f"{mean:8.2f}x {min(speeds):6.2f}x {max(speeds):6.2f}x" if mean and speeds else ""
            print(f"{'':13}{engine:8} {size:8} {name:27} {len(group):5} {sum(bool(t.applied) for t in group):9} "
                  f"{sum(bool(t.advised) and not t.applied for t in group):7} {cells}")  # fmt: skip
    print(f"\n{wrong} result differences")
    return 1 if wrong else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dsn", default=None, help="PostgreSQL DSN (default: SQLTUNE_TEST_DSN or the local server)")
    parser.add_argument("--sizes", default="10000,1000000", help="rows in the big tables, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per statement (the median is reported)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the PostgreSQL data even if it exists")
    parser.add_argument("--mariadb", action="store_true", help="also run on a private MariaDB")
    parser.add_argument("--only", default="", help="the cases whose id contains this")
    args = parser.parse_args(argv)
    if args.dsn is None:
        from sqltune.testing.postgres import postgres_dsn

        args.dsn = postgres_dsn()
    cases = [c for c in appsql.load_cases() if args.only in c.id and not c.fields.get("known_bug")]
    skipped = [c.id for c in appsql.load_cases() if c.fields.get("known_bug")]
    outcomes = {c.id: appsql.outcome(c) for c in cases}
    timings: list[Timing] = []
    started = time.perf_counter()
    server = None
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            for ref, (_, dialect) in appsql.SCHEMAS.items():
                if dialect != "postgres":
                    continue
                connection = pg_connect(args.dsn, pg_build(args.dsn, ref, size, args.rebuild))
                for case in (c for c in cases if c.fields["schema"] == ref):
                    now = outcomes[case.id]
                    sqls = (case.bound(), case.bound(now.sql))
                    timings.append(measure(case, "postgres", size, sqls,
                                           lambda sql, c=connection: pg_ms(c, sql, args.runs),
                                           lambda a, b, c=connection: pg_same(c, a, b),
                                           now.applied, now.advised))  # fmt: skip
                connection.close()
            if not args.mariadb:
                continue
            if server is None:
                from sqltune.testing.mariadb import start_server

                server = start_server(slow_log=False)
            for ref, (_, dialect) in appsql.SCHEMAS.items():
                if dialect != "mysql":
                    continue
                connection = maria_build(server.address, ref, size)
                twins = [ref, *(pg for pg, my in appsql.COUNTERPART.items() if my == ref)]
                for case in (c for c in cases if c.fields["schema"] in twins):
                    now = outcomes[case.id]
                    sqls = (case.bound(), case.bound(now.sql))
                    if case.dialect == "postgres":
                        sqls = (appsql.to_mysql(sqls[0]), appsql.to_mysql(sqls[1]))
                    timings.append(measure(case, "mariadb", size, sqls,
                                           lambda sql, c=connection: maria_ms(c, sql, args.runs),
                                           lambda a, b, c=connection: maria_same(c, a, b),
                                           now.applied, now.advised))  # fmt: skip
                appsql.drop_mysql_world(connection)
    finally:
        if server is not None:
            server.terminate()
    status = report(timings)
    print(f"{len(cases)} cases ({len(skipped)} with a known bug skipped: {', '.join(skipped)}); "
          f"{time.perf_counter() - started:.0f}s")  # fmt: skip
    return status


if __name__ == "__main__":
    sys.exit(main())
