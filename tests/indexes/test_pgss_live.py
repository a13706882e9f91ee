"""``sqltune indexes --workload pg_stat_statements`` on the suite's own PostgreSQL, right after a reset.

The 22 TPC-H queries run with their constants, so pg_stat_statements records them normalised (``date $6``,
``sum(CASE ... THEN $3 ELSE $4 END)``, ``extract($1 FROM ...)``); sqltune's own catalog reads land in the
view too. The advice must plan every TPC-H query, leave sqltune's statements out, and list the one
statement that cannot be planned (its table is gone) as skipped. Each test has a database of its own, so
the reset touches nobody else's statistics.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import make_conninfo

from sqltune.cli import main

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
TPCH = sorted((ROOT / "fixtures" / "workloads" / "tpch").glob("q*.sql"))

# A small TPC-H: enough rows for the planner to prefer indexes, loaded in a second or two.
DATA = """
INSERT INTO region SELECT g, 'R' || g, '' FROM generate_series(0, 4) g;
INSERT INTO nation SELECT g, 'N' || g, g % 5, '' FROM generate_series(0, 24) g;
INSERT INTO supplier SELECT g, 'S' || g, '', g % 25, '', g, '' FROM generate_series(1, 100) g;
INSERT INTO customer
    SELECT g, 'C' || g, '', g % 25, (10 + g % 25) || '-' || g, g, (ARRAY['BUILDING', 'MACHINERY'])[1 + g % 2], ''
    FROM generate_series(1, 1500) g;
INSERT INTO part
    SELECT g, 'green ' || g, 'M', 'Brand#' || (g % 50), (ARRAY['PROMO X', 'STANDARD Y'])[1 + g % 2], g % 50,
        'SM BOX', g, ''
    FROM generate_series(1, 2000) g;
INSERT INTO partsupp SELECT p, 1 + (p + k) % 100, 10, 1, '' FROM generate_series(1, 2000) p, generate_series(1, 4) k;
INSERT INTO orders
    SELECT g, 1 + g % 1500, 'F', g, date '1992-01-01' + g % 2500, (ARRAY['1-URGENT', '2-HIGH', '3-MEDIUM'])[1 + g % 3],
        'Clerk', 0, ''
    FROM generate_series(1, 15000) g;
INSERT INTO lineitem
    SELECT o, 1 + (o + l) % 2000, 1 + (1 + (o + l) % 2000 + 1) % 100, l, l, 100, 0.05, 0.01, 'R', 'F',
        date '1992-01-01' + o % 2500, date '1992-01-05' + o % 2500, date '1992-01-09' + o % 2500, 'NONE',
        (ARRAY['MAIL', 'SHIP', 'AIR'])[1 + l % 3], ''
    FROM generate_series(1, 15000) o, generate_series(1, 4) l;
"""


@pytest.fixture
def database(pg_dsn: str, hypopg: None) -> Iterator[str]:
    """A fresh database with the extensions; its DSN."""
    name = f"sqltune_pgss_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    dsn = make_conninfo(pg_dsn, dbname=name)
    try:
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute("CREATE EXTENSION pg_stat_statements")
            db.execute("CREATE EXTENSION hypopg")
        yield dsn
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def tpch(database: str) -> str:
    """The TPC-H schema and data, pg_stat_statements reset, then the 22 queries and one on a table dropped
    since (it can never be planned again)."""
    with psycopg.connect(database, autocommit=True) as db:
        db.execute((ROOT / "fixtures" / "schemas" / "tpch.sql").read_text())
        db.execute(DATA)
        db.execute("CREATE TABLE gone (id int, note text)")
        db.execute("ANALYZE")
        db.execute(
            "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
        )
        for query in TPCH:
            db.execute(query.read_text()).fetchall()
        db.execute("SELECT count(*) FROM gone WHERE id = 42").fetchall()
        db.execute("DROP TABLE gone")
    return database


def advise(dsn: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["indexes", "--dsn", dsn, "--workload", "pg_stat_statements", "--format", "json"], catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_first_run_after_a_reset_plans_the_normalised_tpch_queries(tpch: str) -> None:
    code, out, err = advise(tpch)
    assert code == 0, err
    plan = json.loads(out)
    planned = [q["sql"] for q in plan["queries"]]
    # The normalised texts that failed to plan: q12's CASE branches, q14's `date $n`, q08/q09's extract.
    q12 = [sql for sql in planned if "high_line_count" in sql]
    q14 = [sql for sql in planned if "promo_revenue" in sql]
    assert len(q12) == 1 and re.search(r"THEN\s+\$\d+\s+ELSE\s+\$\d+", q12[0])
    assert len(q14) == 1 and "::date" in q14[0]
    assert len([sql for sql in planned if "extract(year FROM" in sql]) == 3  # q07, q08, q09
    assert len(planned) == len(TPCH)  # every TPC-H query, and nothing of sqltune's own
    assert not [sql for sql in planned if "pg_catalog" in sql or "hypopg" in sql]
    (skipped,) = plan["skipped"]
    assert "FROM gone" in skipped["sql"]
    assert skipped["reason"] == 'PostgreSQL cannot plan it: relation "gone" does not exist'
    assert plan["create"] and plan["cost_after"] < plan["cost_before"]


def test_second_run_sees_the_same_workload(tpch: str) -> None:
    """The first run's own statements are in the view now; they stay out of the second run's advice."""
    first = json.loads(advise(tpch)[1])
    code, out, err = advise(tpch)
    assert code == 0, err
    second = json.loads(out)
    assert sorted(q["sql"] for q in second["queries"]) == sorted(q["sql"] for q in first["queries"])
    assert len(second["skipped"]) == 1


def test_skipped_statements_are_listed_in_the_text_report(tpch: str) -> None:
    result = CliRunner().invoke(main, ["indexes", "--dsn", tpch, "--workload", "pg_stat_statements"])
    assert result.exit_code == 0, result.stderr
    assert "Skipped (1 statements not advised on):" in result.stdout
    assert 'PostgreSQL cannot plan it: relation "gone" does not exist' in result.stdout


def test_a_database_without_the_extension_is_one_line_with_the_fix(pg_dsn: str) -> None:
    name = f"sqltune_noext_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        result = CliRunner().invoke(
            main, ["indexes", "--dsn", make_conninfo(pg_dsn, dbname=name), "--workload", "pg_stat_statements"]
        )
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sqltune: error: pg_stat_statements is not installed in database '{name}'")
    assert "CREATE EXTENSION pg_stat_statements" in line


def test_an_unreachable_server_is_one_line_with_the_hint() -> None:
    dsn = "host=127.0.0.1 port=1 dbname=nowhere user=nobody connect_timeout=3"
    result = CliRunner().invoke(main, ["indexes", "--dsn", dsn, "--workload", "pg_stat_statements"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    (line,) = result.stderr.splitlines()
    assert line.startswith("sqltune: error: cannot connect to 127.0.0.1:1/nowhere:")
    assert "Connection refused" in line and "Is the server running" in line
