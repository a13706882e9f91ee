"""How much faster ``sqltune fix`` makes slow query patterns, and proof that results stay the same.

    python benchmarks/rewrite_speedup.py                 # build (or reuse) the data, time every query
    python benchmarks/rewrite_speedup.py --runs 5 --rebuild --only corr

Builds TPC-H-like tables with ``generate_series`` in the schema ``sqltune_bench_rewrite`` of the local
PostgreSQL (20k customers and parts, 200k orders, 600k line items, with keys, foreign keys and the indexes
an application would have), reused on later runs. For each query of the suite -- correlated subqueries,
NOT IN, COUNT(*) > 0, functions on indexed columns, OR across columns, needless DISTINCT/UNION/joins... --
``sqltune.rewrites.rewrite`` produces the proven (APPLIED) rewrite against the schema's DDL; the script
times original and rewrite with ``EXPLAIN (ANALYZE, FORMAT JSON)`` (median execution time of ``--runs``
runs after a warm-up) and checks that both return the same multiset of rows (``EXCEPT ALL`` both ways).
It prints per-query speedups, the geometric mean over the queries a rewrite changed, how many got at least
2x faster, and the number of result differences (which must be 0).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import psycopg

from sqltune.rewrites import rewrite
from sqltune.schema import Schema

SCHEMA = "sqltune_bench_rewrite"
VERSION = "3"  # bump when the data or DDL below change

DDL = """
CREATE TABLE customer (
    c_custkey integer PRIMARY KEY, c_name text NOT NULL, c_nationkey integer NOT NULL,
    c_mktsegment text NOT NULL, c_acctbal numeric(12, 2) NOT NULL, c_phone text);
CREATE TABLE part (
    p_partkey integer PRIMARY KEY, p_name text NOT NULL, p_brand text NOT NULL, p_size integer NOT NULL,
    p_retailprice numeric(12, 2) NOT NULL);
CREATE TABLE orders (
    o_orderkey integer PRIMARY KEY, o_custkey integer NOT NULL REFERENCES customer (c_custkey),
    o_orderstatus char(1) NOT NULL, o_totalprice numeric(12, 2) NOT NULL, o_orderdate date NOT NULL,
    o_orderpriority text NOT NULL, o_created timestamp NOT NULL, o_comment text);
CREATE TABLE lineitem (
    l_orderkey integer NOT NULL REFERENCES orders (o_orderkey), l_linenumber integer NOT NULL,
    l_partkey integer NOT NULL REFERENCES part (p_partkey), l_quantity integer NOT NULL,
    l_extendedprice numeric(12, 2) NOT NULL, l_discount numeric(4, 2) NOT NULL, l_shipdate date NOT NULL,
    l_returnflag char(1) NOT NULL, PRIMARY KEY (l_orderkey, l_linenumber));
CREATE INDEX orders_custkey ON orders (o_custkey);
CREATE INDEX orders_orderdate ON orders (o_orderdate);
CREATE INDEX orders_created ON orders (o_created);
CREATE INDEX orders_priority ON orders (o_orderpriority);
CREATE INDEX lineitem_partkey ON lineitem (l_partkey);
CREATE INDEX lineitem_shipdate ON lineitem (l_shipdate);
CREATE INDEX customer_nation ON customer (c_nationkey);
CREATE INDEX customer_phone ON customer (c_phone);
CREATE INDEX part_brand ON part (p_brand);
CREATE INDEX part_size ON part (p_size);
"""

LOAD = """
INSERT INTO customer
SELECT g, 'Customer#' || g, g % 25, (ARRAY['AUTOMOBILE','BUILDING','FURNITURE','HOUSEHOLD','MACHINERY'])[1 + g % 5],
       ((g * 7919) % 1000000) / 100.0 - 1000, CASE WHEN g % 10 = 0 THEN NULL ELSE '555-' || g END
FROM generate_series(1::bigint, 20000) AS g;
INSERT INTO part
SELECT g, 'part ' || g, 'Brand#' || (1 + g % 25), 1 + g % 50, 900 + (g % 1000) / 10.0
FROM generate_series(1::bigint, 20000) AS g;
INSERT INTO orders
SELECT g, 1 + (g * 7919) % 18000, (ARRAY['F','O','P'])[1 + g % 3], ((g * 104729) % 50000000) / 100.0,
       DATE '2018-01-01' + ((g * 37) % 2555)::int,
       (ARRAY['1-URGENT','2-HIGH','3-MEDIUM','4-NOT SPECIFIED','5-LOW'])[1 + (g * 7) % 5],
       TIMESTAMP '2018-01-01' + ((g * 37) % 2555) * INTERVAL '1 day' + (g % 86400) * INTERVAL '1 second',
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'comment ' || (g % 1000) END
FROM generate_series(1::bigint, 200000) AS g;
INSERT INTO lineitem
SELECT 1 + (g - 1) / 3, 1 + (g - 1) % 3, 1 + (g * 104729) % 20000, 1 + g % 50, ((g * 7907) % 10000000) / 100.0,
       (g % 11) / 100.0, DATE '2018-01-01' + ((g * 13) % 2585)::int, (ARRAY['A','N','R'])[1 + g % 3]
FROM generate_series(1::bigint, 600000) AS g;
"""


@dataclass(frozen=True)
class Query:
    name: str
    pattern: str
    sql: str


QUERIES = [
    # -- correlated scalar subqueries (TPC-H Q2/Q17/Q22-like) ---------------------------------------------
    Query(
        "corr_count",
        "correlated COUNT per customer",
        "SELECT c.c_custkey, (SELECT COUNT(*) FROM orders AS o WHERE o.o_custkey = c.c_custkey) AS n "
        "FROM customer AS c WHERE c.c_nationkey < 10",
    ),
    Query(
        "corr_sum",
        "correlated SUM per order",
        "SELECT o.o_orderkey, (SELECT SUM(l.l_extendedprice) FROM lineitem AS l WHERE l.l_orderkey = o.o_orderkey) "
        "AS total FROM orders AS o WHERE o.o_orderdate >= DATE '2023-01-01'",
    ),
    Query(
        "corr_avg_where",
        "TPC-H Q17-like: quantity below the part's average",
        "SELECT l.l_orderkey, l.l_partkey FROM lineitem AS l WHERE l.l_shipdate >= DATE '2024-09-01' AND "
        "l.l_quantity < (SELECT AVG(l2.l_quantity) * 0.2 FROM lineitem AS l2 WHERE l2.l_partkey = l.l_partkey)",
    ),
    Query(
        "corr_max",
        "latest order date per customer",
        "SELECT c.c_custkey, c.c_name, (SELECT MAX(o.o_orderdate) FROM orders AS o WHERE o.o_custkey = c.c_custkey) "
        "AS last_order FROM customer AS c",
    ),
    Query(
        "corr_min_filter",
        "customers whose first order is recent",
        "SELECT c.c_custkey FROM customer AS c WHERE (SELECT MIN(o.o_orderdate) FROM orders AS o "
        "WHERE o.o_custkey = c.c_custkey) > DATE '2018-01-20'",
    ),
    # -- COUNT(*) > 0 and NOT IN ----------------------------------------------------------------------------
    Query(
        "count_gt_zero",
        "COUNT(*) > 0 instead of EXISTS",
        "SELECT c.c_custkey FROM customer AS c WHERE (SELECT COUNT(*) FROM orders AS o "
        "WHERE o.o_custkey = c.c_custkey AND o.o_orderstatus = 'F') > 0",
    ),
    Query(
        "count_eq_zero",
        "COUNT(*) = 0 instead of NOT EXISTS",
        "SELECT c.c_custkey, c.c_name FROM customer AS c WHERE (SELECT COUNT(*) FROM orders AS o "
        "WHERE o.o_custkey = c.c_custkey) = 0",
    ),
    Query(
        "count_parts",
        "parts ever ordered in quantity 50",
        "SELECT p.p_partkey FROM part AS p WHERE (SELECT COUNT(*) FROM lineitem AS l "
        "WHERE l.l_partkey = p.p_partkey AND l.l_quantity = 50) >= 1",
    ),
    Query(
        "not_in_orders",
        "customers without orders (NOT IN)",
        "SELECT c.c_custkey FROM customer AS c WHERE c.c_custkey NOT IN (SELECT o.o_custkey FROM orders AS o)",
    ),
    Query(
        "not_in_lineitem",
        "parts never sold (NOT IN over 600k rows)",
        "SELECT p.p_partkey, p.p_name FROM part AS p WHERE p.p_partkey NOT IN (SELECT l.l_partkey FROM lineitem AS l "
        "WHERE l.l_returnflag = 'R')",
    ),
    Query(
        "not_in_urgent",
        "orders without an urgent sibling",
        "SELECT o.o_orderkey FROM orders AS o WHERE o.o_orderdate >= DATE '2024-01-01' AND o.o_custkey NOT IN "
        "(SELECT o2.o_custkey FROM orders AS o2 WHERE o2.o_orderpriority = '1-URGENT')",
    ),
    # -- functions and arithmetic on indexed columns ----------------------------------------------------------
    Query(
        "trunc_day",
        "date_trunc('day') on an indexed timestamp",
        "SELECT o_orderkey, o_totalprice FROM orders WHERE date_trunc('day', o_created) = '2021-06-15'",
    ),
    Query(
        "trunc_month",
        "date_trunc('month') on an indexed date",
        "SELECT COUNT(*) FROM lineitem WHERE date_trunc('month', l_shipdate) = '2020-02-01'",
    ),
    Query(
        "extract_year",
        "EXTRACT(YEAR) on an indexed date",
        "SELECT o_orderkey FROM orders WHERE EXTRACT(YEAR FROM o_orderdate) = 2024 AND o_orderstatus = 'F'",
    ),
    Query(
        "cast_date",
        "timestamp cast to date",
        "SELECT o_orderkey FROM orders WHERE CAST(o_created AS DATE) = '2022-03-01'",
    ),
    Query(
        "cast_date_range",
        "timestamp::date in a range",
        "SELECT COUNT(*) FROM orders WHERE o_created::date >= '2024-12-01'",
    ),
    Query(
        "arith_key",
        "arithmetic on the primary key",
        "SELECT o_orderkey, o_totalprice FROM orders WHERE o_orderkey + 1 = 150001",
    ),
    Query(
        "arith_range",
        "arithmetic on an indexed column in a range",
        "SELECT l_orderkey FROM lineitem WHERE l_partkey - 10 < 5",
    ),
    Query(
        "cast_widen", "widening cast on the key", "SELECT o_orderkey FROM orders WHERE CAST(o_custkey AS BIGINT) = 4242"
    ),
    # -- OR across columns -------------------------------------------------------------------------------------
    Query(
        "or_two_columns",
        "OR across two indexed columns",
        "SELECT o_orderkey, o_totalprice FROM orders WHERE o_custkey = 77 OR o_orderdate = DATE '2019-05-05'",
    ),
    Query(
        "or_three_columns",
        "OR across three indexed columns",
        "SELECT c_custkey FROM customer WHERE c_nationkey = 3 OR c_phone = '555-42' OR c_custkey = 19999",
    ),
    # -- needless work ------------------------------------------------------------------------------------------
    Query(
        "distinct_pk",
        "DISTINCT over a primary key",
        "SELECT DISTINCT o.o_orderkey, o.o_totalprice, o.o_orderdate FROM orders AS o",
    ),
    Query(
        "distinct_join",
        "DISTINCT over a to-one join",
        "SELECT DISTINCT l.l_orderkey, l.l_linenumber, p.p_brand FROM lineitem AS l JOIN part AS p "
        "ON p.p_partkey = l.l_partkey WHERE l.l_shipdate < DATE '2019-01-01'",
    ),
    Query(
        "union_disjoint",
        "UNION of disjoint branches",
        "SELECT o_orderkey, o_totalprice FROM orders WHERE o_orderstatus = 'F' "
        "UNION SELECT o_orderkey, o_totalprice FROM orders WHERE o_orderstatus = 'O'",
    ),
    Query(
        "union_tagged",
        "UNION of tagged branches",
        "SELECT 'order' AS kind, o_orderkey AS id FROM orders UNION SELECT 'part', p_partkey FROM part",
    ),
    Query(
        "join_elim_fk",
        "inner join to an unused parent (foreign key)",
        "SELECT l.l_orderkey, l.l_quantity FROM lineitem AS l JOIN orders AS o ON o.o_orderkey = l.l_orderkey "
        "JOIN part AS p ON p.p_partkey = l.l_partkey WHERE l.l_shipdate >= DATE '2024-06-01'",
    ),
    Query(
        "join_elim_count",
        "count over an unused join",
        "SELECT COUNT(*) FROM orders AS o JOIN customer AS c ON c.c_custkey = o.o_custkey",
    ),
    Query(
        "order_in_derived",
        "ORDER BY inside a derived table",
        "SELECT s.o_orderpriority, COUNT(*) FROM (SELECT o_orderpriority FROM orders ORDER BY o_totalprice) AS s "
        "GROUP BY s.o_orderpriority",
    ),
    # -- patterns PostgreSQL already optimizes itself (included to report them honestly) ---------------------
    Query(
        "in_to_join",
        "IN over a primary key",
        "SELECT o.o_orderkey FROM orders AS o WHERE o.o_custkey IN (SELECT c.c_custkey FROM customer AS c "
        "WHERE c.c_mktsegment = 'BUILDING')",
    ),
    Query(
        "outer_to_inner",
        "LEFT JOIN filtered on the inner side",
        "SELECT c.c_custkey, o.o_orderkey FROM customer AS c LEFT JOIN orders AS o ON o.o_custkey = c.c_custkey "
        "WHERE o.o_orderstatus = 'P' AND c.c_nationkey = 1",
    ),
    Query(
        "having_to_where",
        "HAVING on a grouping column",
        "SELECT o_custkey, SUM(o_totalprice) FROM orders GROUP BY o_custkey HAVING o_custkey < 100",
    ),
    Query(
        "pushdown",
        "filter over a grouped derived table",
        "SELECT s.o_custkey, s.n FROM (SELECT o_custkey, COUNT(*) AS n FROM orders GROUP BY o_custkey) AS s "
        "WHERE s.o_custkey = 42",
    ),
    Query(
        "cte_inline",
        "single-use CTE",
        "WITH recent AS (SELECT o_orderkey, o_orderdate FROM orders) SELECT o_orderkey FROM recent "
        "WHERE o_orderdate = DATE '2020-02-02'",
    ),
]


def connect(dsn: str) -> psycopg.Connection[tuple[Any, ...]]:
    connection = psycopg.connect(dsn, autocommit=True, options=f"-csearch_path={SCHEMA}")
    # Large enough that NOT IN over 200k keys runs as a hashed SubPlan (else it re-scans: hours, not seconds).
    connection.execute("SET work_mem = '64MB'")
    connection.execute("SET max_parallel_workers_per_gather = 0")  # steadier timings on a shared machine
    return connection


def build(dsn: str, rebuild: bool) -> None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        found = admin.execute("SELECT obj_description(oid) FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone()
        if found and found[0] == f"sqltune rewrite benchmark v{VERSION}" and not rebuild:
            return
        started = time.perf_counter()
        admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        admin.execute(f"CREATE SCHEMA {SCHEMA}")
        admin.execute(f"SET search_path = {SCHEMA}")
        for statement in (DDL + LOAD).split(";"):
            if statement.strip():
                admin.execute(statement)
        admin.execute("ANALYZE")
        admin.execute(f"COMMENT ON SCHEMA {SCHEMA} IS 'sqltune rewrite benchmark v{VERSION}'")
        print(f"built {SCHEMA} in {time.perf_counter() - started:.1f}s", file=sys.stderr)


def execution_ms(connection: psycopg.Connection[tuple[Any, ...]], sql: str, runs: int) -> float:
    explain = f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"
    connection.execute(explain)  # warm-up: caches and the plan cache
    times = []
    for _ in range(runs):
        row = connection.execute(explain).fetchone()
        assert row is not None
        plan = row[0] if not isinstance(row[0], str) else json.loads(row[0])
        times.append(float(plan[0]["Execution Time"]))
    return statistics.median(times)


def differences(connection: psycopg.Connection[tuple[Any, ...]], original: str, rewritten: str) -> int:
    """Rows in one result but not the other, counted as multisets."""
    row = connection.execute(
        f"SELECT (SELECT COUNT(*) FROM (({original}) EXCEPT ALL ({rewritten})) AS a) + "
        f"(SELECT COUNT(*) FROM (({rewritten}) EXCEPT ALL ({original})) AS b)"
    ).fetchone()
    assert row is not None
    return int(row[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dsn", default=os.environ.get("SQLTUNE_BENCH_DSN"), help="PostgreSQL DSN (default: local)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per query (median is reported)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the tables even if they exist")
    parser.add_argument("--only", default="", help="run the queries whose name contains this")
    args = parser.parse_args(argv)
    if args.dsn is None:
        from sqltune.testing.postgres import postgres_dsn

        args.dsn = postgres_dsn()
    build(args.dsn, args.rebuild)
    schema = Schema.from_ddl(DDL, dialect="postgres")
    connection = connect(args.dsn)
    speedups: list[float] = []
    wrong = 0
    started = time.perf_counter()
    print(f"{'query':18} {'rewrites':26} {'before ms':>10} {'after ms':>10} {'speedup':>8}  result")
    for query in QUERIES:
        if args.only and args.only not in query.name:
            continue
        report = rewrite(query.sql, dialect="postgres", schema=schema)
        applied = sorted({change.rewrite for change in report.applied})
        before = execution_ms(connection, query.sql, args.runs)
        if not applied:
            print(f"{query.name:18} {'-':26} {before:10.1f} {'':>10} {'':>8}  (no proven rewrite)")
            continue
        after = execution_ms(connection, report.sql, args.runs)
        diff = differences(connection, query.sql, report.sql)
        wrong += diff > 0
        speedup = before / max(after, 0.001)
        speedups.append(speedup)
        result = "same rows" if diff == 0 else f"DIFFERENT ({diff} rows)"
        print(f"{query.name:18} {','.join(applied):26} {before:10.1f} {after:10.1f} {speedup:7.2f}x  {result}")
    if speedups:
        mean = math.exp(sum(math.log(s) for s in speedups) / len(speedups))
        faster = sum(s >= 2 for s in speedups)
        print(
            f"\n{len(speedups)} queries rewritten: geometric-mean speedup {mean:.2f}x, {faster} at least 2x faster, "
            f"{wrong} with different results; {time.perf_counter() - started:.0f}s"
        )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
