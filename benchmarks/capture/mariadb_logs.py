"""Capture a real MariaDB slow query log and digest table for the workload fixtures.

Starts a private MariaDB (``sqltune.testing.mariadb``: ``long_query_time = 0``, so every statement is logged;
``performance_schema`` on), creates a small TPC-H-like schema in two databases and runs a mix of statements:
single-line and multi-line ones, literals of every kind, IN lists of several lengths, comments, server-side
prepared statements through the driver (Perl DBD::mysql with ``mysql_server_prepare=1``, which ships with
percona-toolkit; PyMySQL has no binary protocol) and SQL ``PREPARE``/``EXECUTE``, a statement that fails,
``log_slow_verbosity`` lines, and ``FLUSH LOGS`` halfway so the server's banner recurs mid-log. Then copies:

- the slow log to ``fixtures/workloads/logs/mariadb/slow.log``;
- the digest table's rows (``SELECT * FROM performance_schema.events_statements_summary_by_digest``) to
  ``fixtures/workloads/logs/mariadb/digest.json`` (recorded rows: times in picoseconds, timestamps ISO).

Run: ``python benchmarks/capture/mariadb_logs.py`` (needs mariadb-server, PyMySQL, perl's DBD::mysql).
The server is stopped and deleted at the end; the machine's own MariaDB is never touched.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pymysql

from sqltune.testing.mariadb import start_server

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "workloads" / "logs" / "mariadb"

SCHEMA = """
CREATE TABLE region (r_regionkey INT PRIMARY KEY, r_name CHAR(25) NOT NULL);
CREATE TABLE nation (n_nationkey INT PRIMARY KEY, n_name CHAR(25) NOT NULL, n_regionkey INT NOT NULL);
CREATE TABLE customer (c_custkey INT PRIMARY KEY, c_name VARCHAR(25) NOT NULL, c_nationkey INT NOT NULL,
  c_acctbal DECIMAL(15,2) NOT NULL, c_mktsegment CHAR(10) NOT NULL);
CREATE TABLE orders (o_orderkey INT PRIMARY KEY, o_custkey INT NOT NULL, o_orderstatus CHAR(1) NOT NULL,
  o_totalprice DECIMAL(15,2) NOT NULL, o_orderdate DATE NOT NULL, o_orderpriority CHAR(15) NOT NULL,
  KEY orders_cust (o_custkey));
CREATE TABLE lineitem (l_orderkey INT NOT NULL, l_linenumber INT NOT NULL, l_quantity DECIMAL(15,2) NOT NULL,
  l_extendedprice DECIMAL(15,2) NOT NULL, l_discount DECIMAL(15,2) NOT NULL, l_shipdate DATE NOT NULL,
  l_returnflag CHAR(1) NOT NULL, PRIMARY KEY (l_orderkey, l_linenumber));
"""


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def _load(cursor: Any, rnd: random.Random) -> None:
    cursor.executemany("INSERT INTO region VALUES (%s, %s)", [(i, f"REGION{i}") for i in range(5)])
    cursor.executemany("INSERT INTO nation VALUES (%s, %s, %s)", [(i, f"NATION{i}", i % 5) for i in range(25)])
    cursor.executemany(
        "INSERT INTO customer VALUES (%s, %s, %s, %s, %s)",
        [
            (i, f"Customer#{i}", i % 25, rnd.randint(-999, 9999), rnd.choice(["BUILDING", "MACHINERY"]))
            for i in range(300)
        ],
    )
    cursor.executemany(
        "INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s)",
        [
            (i, rnd.randrange(300), rnd.choice("OFP"), rnd.randint(100, 50000), date(1995, 1 + i % 12, 1 + i % 28),
             rnd.choice(["1-URGENT", "2-HIGH", "5-LOW"]))
            for i in range(1000)
        ],
    )  # fmt: skip
    cursor.executemany(
        "INSERT INTO lineitem VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [
            (o, n, rnd.randint(1, 50), rnd.randint(100, 9000), rnd.choice([0, 0.05, 0.1]), date(1995, 1 + o % 12, 2),
             rnd.choice("ANR"))
            for o in range(1000) for n in range(1, 4)
        ],
    )  # fmt: skip


def _workload(cursor: Any, rnd: random.Random) -> None:
    """The statement mix: each template several times with different literals."""
    for _ in range(40):
        cursor.execute(f"SELECT o_orderkey, o_totalprice FROM orders WHERE o_custkey = {rnd.randrange(300)}")
        cursor.execute("SELECT c_name, c_acctbal FROM customer WHERE c_custkey = %s", (rnd.randrange(300),))
        keys = ", ".join(str(rnd.randrange(1000)) for _ in range(rnd.randint(1, 6)))
        cursor.execute(f"SELECT count(*) FROM lineitem WHERE l_orderkey IN ({keys})")
    for _ in range(15):
        cursor.execute(
            "SELECT l_returnflag,\n       sum(l_quantity) AS sum_qty,\n       avg(l_extendedprice) AS avg_price\n"
            "  FROM lineitem\n WHERE l_shipdate <= %s\n GROUP BY l_returnflag\n ORDER BY l_returnflag",
            (date(1995, rnd.randint(1, 12), 1),),
        )
        cursor.execute(
            "/* revenue by nation */ SELECT n_name, sum(o_totalprice) AS revenue\n"
            "FROM customer JOIN orders ON o_custkey = c_custkey\n"
            "JOIN nation ON n_nationkey = c_nationkey -- the customer's nation\n"
            "WHERE c_mktsegment = %s AND o_orderdate >= %s\nGROUP BY n_name ORDER BY revenue DESC",
            (rnd.choice(["BUILDING", "MACHINERY"]), date(1995, rnd.randint(1, 6), 1)),
        )
    for _ in range(10):
        key = rnd.randrange(1000)
        cursor.execute("UPDATE orders SET o_orderpriority = %s WHERE o_orderkey = %s", ("3-MEDIUM", key))
        cursor.execute(
            "INSERT INTO region (r_regionkey, r_name) VALUES (%s, %s), (%s, %s)",
            (1000 + 2 * key, "X", 1001 + 2 * key, "Y"),
        )
        cursor.execute("DELETE FROM region WHERE r_regionkey >= %s", (1000,))
    cursor.execute("SELECT c_name FROM customer WHERE c_name LIKE 'Customer#1%' AND c_acctbal > -100.5 LIMIT 5")
    cursor.execute("SELECT 'it''s', \"double\", 0x1F, 1e3, NULL FROM dual")
    cursor.execute("PREPARE by_key FROM 'SELECT o_totalprice FROM orders WHERE o_orderkey = ?'")
    for key in (1, 2, 3):
        cursor.execute(f"SET @k = {key}")
        cursor.execute("EXECUTE by_key USING @k")
    cursor.execute("DEALLOCATE PREPARE by_key")
    try:
        cursor.execute("SELECT no_such_column FROM orders WHERE o_orderkey = 1")
    except pymysql.MySQLError as error:
        print(f"expected error: {error}")


def _server_prepared(port: int, database: str) -> None:
    """Binary-protocol prepared statements, as an application driver sends them."""
    script = (
        "use DBI; my $d = DBI->connect('DBI:mysql:database=" + database + ";host=127.0.0.1;port=" + str(port)
        + ";mysql_server_prepare=1', 'root', '', {RaiseError => 1});"
        " my $s = $d->prepare('SELECT c_name FROM customer WHERE c_custkey = ? AND c_nationkey = ?');"
        " for my $i (1 .. 12) { $s->execute($i, $i % 25); $s->fetchall_arrayref; } $s->finish; $d->disconnect;"
    )  # fmt: skip
    subprocess.run(["perl", "-e", script], check=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def main() -> int:
    rnd = random.Random(10)
    service = start_server(slow_log=True)
    try:
        port = int(service.address["port"])
        connection = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", autocommit=True)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE performance_schema.events_statements_summary_by_digest")
            for database in ("tpch", "tpch_eu"):
                cursor.execute(f"CREATE DATABASE {database}")
                cursor.execute(f"USE {database}")
                for statement in _statements(SCHEMA):
                    cursor.execute(statement)
                _load(cursor, rnd)
            cursor.execute("USE tpch")
            _workload(cursor, rnd)
            cursor.execute("SET SESSION log_slow_verbosity = 'query_plan,explain'")
            cursor.execute("SELECT count(*) FROM orders o JOIN customer c ON c.c_custkey = o.o_custkey")
            cursor.execute("SET SESSION log_slow_verbosity = ''")
            cursor.execute("FLUSH LOGS")  # the slow log is reopened: the server's banner is written again
            cursor.execute("USE tpch_eu")
            _workload(cursor, rnd)
        _server_prepared(port, "tpch_eu")
        with connection.cursor(pymysql.cursors.DictCursor) as cursor:
            cursor.execute(
                "SELECT * FROM performance_schema.events_statements_summary_by_digest ORDER BY SUM_TIMER_WAIT DESC"
            )
            digest = [{k: _jsonable(v) for k, v in row.items()} for row in cursor.fetchall()]
            cursor.execute("SELECT VERSION() AS version")
            version = cursor.fetchone()["version"]
        connection.close()
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(service.address["slow_log"], OUT / "slow.log")
        (OUT / "digest.json").write_text(
            json.dumps({"server": version, "table": "events_statements_summary_by_digest", "rows": digest}, indent=1)
            + "\n"
        )
        lines = sum(1 for _ in (OUT / "slow.log").open())
        print(f"{OUT / 'slow.log'}: {lines} lines; {OUT / 'digest.json'}: {len(digest)} digests ({version})")
    finally:
        service.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
