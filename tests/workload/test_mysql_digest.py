"""The MariaDB digest table (performance_schema.events_statements_summary_by_digest) through sqltune's
read-only MySQL connector, on a private MariaDB the suite starts (sqltune.testing.mariadb; the machine's
own server is never used or reconfigured), and on the rows recorded by benchmarks/capture/mariadb_logs.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymysql
import pytest

import sqltune
from sqltune.connectors import ConnectionError, QueryTimeout
from sqltune.connectors.mysql import MySQLConnection, connect, resolve_target
from sqltune.connectors.mysql.digest import to_execution
from sqltune.workload import Workload

RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "workloads" / "logs" / "mariadb" / "digest.json"


@pytest.fixture
def database(mariadb: dict[str, Any]) -> Iterator[str]:
    """A fresh database with a small table, and a mix of statements run in it by an application."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    app = pymysql.connect(host="127.0.0.1", port=mariadb["port"], user="root", password="", autocommit=True)
    with app.cursor() as cursor:
        # The suite's private server is shared: other tests' statements may have filled the digest table, after
        # which MariaDB folds new digests into one NULL row. Empty it (this server is the suite's own).
        cursor.execute("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
        cursor.execute(f"CREATE DATABASE {name}")
        cursor.execute(f"USE {name}")
        cursor.execute("CREATE TABLE orders (id INT PRIMARY KEY, customer INT, total DECIMAL(10,2))")
        cursor.execute("INSERT INTO orders VALUES " + ", ".join(f"({i}, {i % 7}, {i}.5)" for i in range(50)))
        for customer in range(7):
            cursor.execute("SELECT id, total FROM orders WHERE customer = %s", (customer,))
        for keys in ((1,), (2, 3), (4, 5, 6)):
            cursor.execute(f"SELECT count(*) FROM orders WHERE id IN ({', '.join(map(str, keys))})")
    try:
        yield name
    finally:
        with app.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name}")
        app.close()


@pytest.fixture
def connection(mariadb: dict[str, Any]) -> Iterator[MySQLConnection]:
    with connect(f"mariadb://root@127.0.0.1:{mariadb['port']}/", statement_timeout="5s") as opened:
        yield opened


def test_live_digest_table(connection: MySQLConnection, database: str) -> None:
    workload = Workload.from_mysql_digest(connection, schema=database)
    assert workload.dialect == "mysql"
    assert workload.sources == [f"mysql-digest:127.0.0.1:{connection._display.split(':')[1]} "
                                "performance_schema.events_statements_summary_by_digest"]  # fmt: skip
    by_text = {t.text: t for t in workload}
    # MariaDB's digest text quotes names in backticks, except those it reads as keywords (ID); in MySQL a
    # backticked plain name is the name, so the template is the one the statement as sent makes.
    select = by_text["select id,total from orders where customer = ?"]
    assert select.calls == 7 and select.timed_calls == 7
    assert select.total_ms > 0 and select.max_ms is not None and 0 < select.max_ms <= select.total_ms
    assert select.rows == 50  # SUM_ROWS_SENT: every row once
    assert len(select.ids["digest"]) == 1 and len(select.ids["digest"][0]) == 32
    assert select.last_seen is not None and select.last_seen.tzinfo is not None
    assert select.first_seen is not None and select.first_seen <= select.last_seen  # FIRST_SEEN, not LAST_SEEN
    # MariaDB's digest already collapses IN lists; ours agrees: one template for three lengths.
    assert by_text["select count(*) from orders where id in(...)"].calls == 3
    # MariaDB 10.x has no QUERY_SAMPLE_TEXT: the example is the digest text.
    assert select.example == "SELECT ID , `total` FROM `orders` WHERE `customer` = ?"


def test_own_statements_are_left_out(connection: MySQLConnection, database: str) -> None:
    for _ in range(2):
        texts = [t.example for t in Workload.from_mysql_digest(connection)]
    assert texts and not [t for t in texts if "sqltune_" in t or "performance_schema` . `setup" in t]
    assert not [t for t in texts if t.startswith(("SET SESSION TRANSACTION READ ONLY", "SET SESSION `time_zone`"))]


def test_session_is_read_only_and_time_limited(mariadb: dict[str, Any], connection: MySQLConnection) -> None:
    # MariaDB before 11.1 calls it tx_read_only (MySQL 8: transaction_read_only).
    row = connection.query("SELECT @@session.tx_read_only AS ro, @@session.max_statement_time AS limit_s")
    assert row == [{"ro": 1, "limit_s": 5.0}]
    with pytest.raises(ValueError, match="only reads"):
        connection.query("CREATE TABLE nope (a INT)")
    hasty = connect(f"mysql://root@127.0.0.1:{mariadb['port']}/", statement_timeout="50ms")
    with hasty, pytest.raises(QueryTimeout, match="max_statement_time"):
        hasty.query("SELECT SLEEP(2)")
    # Only the session was set: the server's global limit is untouched.
    assert connection.query("SELECT @@global.max_statement_time AS g") == [{"g": 0.0}]


def test_credentials_never_printed(mariadb: dict[str, Any]) -> None:
    url = f"mysql://root:Hunter2secret@127.0.0.1:{mariadb['port']}/"
    with pytest.raises(ConnectionError) as raised:
        sqltune.connect(url)
    assert "Hunter2secret" not in str(raised.value) and "Access denied" in str(raised.value)
    assert raised.value.__cause__ is None
    params, secrets = resolve_target(url)
    assert secrets == ["Hunter2secret"] and params["port"] == mariadb["port"]
    with sqltune.connect(f"mariadb://root@127.0.0.1:{mariadb['port']}/") as opened:
        assert isinstance(opened, MySQLConnection) and "MariaDB" in repr(opened)


def test_unknown_source_and_option() -> None:
    with pytest.raises(ValueError, match="unknown MySQL connection option"):
        resolve_target("mysql://root@db/shop?sslmode=require")
    with pytest.raises(ValueError, match="not a MySQL/MariaDB URL"):
        resolve_target("postgresql://u:pw@db/shop")


def test_recorded_rows_and_sample_text() -> None:
    recorded = json.loads(RECORDED.read_text())
    assert recorded["server"].startswith("10.11") and len(recorded["rows"]) > 30
    workload = Workload("mysql")
    for row in recorded["rows"]:
        row = dict(row, LAST_SEEN=datetime.fromisoformat(row["LAST_SEEN"]))
        workload.add(to_execution(row, str(RECORDED)))
    assert workload.calls == sum(int(r["COUNT_STAR"]) for r in recorded["rows"])
    assert workload.total_ms == pytest.approx(sum(r["SUM_TIMER_WAIT"] for r in recorded["rows"]) / 1e9)
    # One digest per default database (tpch and tpch_eu ran the same mix): one template each.
    assert len(workload) < len(recorded["rows"])
    # MySQL 8.0.3+ has QUERY_SAMPLE_TEXT: a real statement is a better example than the digest text.
    mysql_row = {
        "SCHEMA_NAME": "shop",
        "DIGEST": "a" * 64,
        "DIGEST_TEXT": "SELECT * FROM `orders` WHERE `id` = ?",
        "COUNT_STAR": 3,
        "SUM_TIMER_WAIT": 3_000_000_000,
        "MAX_TIMER_WAIT": 2_000_000_000,
        "SUM_ROWS_SENT": 3,
        "FIRST_SEEN": datetime(2024, 2, 1, 9, 0),
        "LAST_SEEN": datetime(2024, 3, 1, 10, 0),
        "sqltune_sample": "SELECT * FROM orders WHERE id = 42",
    }
    execution = to_execution(mysql_row, "recorded")
    assert (execution.first_at, execution.at) == (
        datetime(2024, 2, 1, 9, 0, tzinfo=UTC),
        datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
    )
    assert (execution.sql, execution.calls, execution.duration_ms, execution.max_ms) == (
        "SELECT * FROM orders WHERE id = 42",
        3,
        3.0,
        2.0,
    )


def test_digest_and_slow_log_templates_are_one() -> None:
    """The digest table writes names in backticks and qualified names as ``c . c_custkey``; the slow log as the
    client sent them. Captured together (benchmarks/capture/mariadb_logs.py), every statement the digest
    does not rewrite is one template in both; the digest's own rewrites (types made canonical, CREATE
    DATABASE as CREATE SCHEMA, select lists of literals folded, user variables as ``@?``) are the rest."""
    recorded = json.loads(RECORDED.read_text())
    digests = Workload("mysql")
    for row in recorded["rows"]:
        digests.add(to_execution(dict(row, LAST_SEEN=datetime.fromisoformat(row["LAST_SEEN"])), str(RECORDED)))
    slow = Workload.from_mysql_slow_log(RECORDED.parent / "slow.log")
    shared = {t.text for t in digests} & {t.text for t in slow}
    only_digest = sorted(t.text.split("(")[0] for t in digests if t.text not in shared)
    assert only_digest == [
        "create schema tpch",
        "create schema tpch_eu",
        *[f"create table {name}" for name in ("customer", "lineitem", "nation", "orders", "region")],
        "execute by_key using @?",
        "select ?,... from dual",
        "set @? = ?",
    ]
    assert len(shared) == 23
    assert "select count(*) from orders o join customer c on c.c_custkey = o.o_custkey" in shared
