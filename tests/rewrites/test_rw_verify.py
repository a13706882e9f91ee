"""The verified mode on a real PostgreSQL: kept when faster with the same results, refused otherwise.

One schema of data for the module (dropped at the end), small enough to stay within seconds:

- ``o`` (600 rows) and ``l`` (100,000 rows, no index on ``o_id``): a correlated aggregate re-scans ``l`` per
  row of ``o`` (20 of them, or all for an original stopped at its timeout); decorrelated (RW003) it reads
  ``l`` once -- the faster rewrite;
- ``big`` (100,000 rows in 10 groups): a CTE that aggregates it, referenced four times; ``NOT MATERIALIZED``
  (RW013) aggregates it four times -- the slower one;
- ``n1``/``n2`` (nullable columns without NULLs) and ``m1``/``m2`` (with a NULL): NOT IN -> NOT EXISTS
  (RW001), an advisory that holds on the first and is false on the second. Sessions with ``work_mem`` at
  64kB (``small_memory``) cannot hash ``n2``: NOT IN then scans it once per row of ``n1`` (its classic
  catastrophe), where NOT EXISTS is a hash anti-join in batches;
- ``l.f`` float: ``f + 0.1 > 0.3`` folded to ``f > 0.2`` (RW006) keeps ``0.2`` out -- results that differ.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import sqltune
import sqltune.cli.fix  # registers the command
from sqltune.cli import main
from sqltune.connectors.postgres import PostgresConnection, connect
from sqltune.rewrites import Change, RewriteReport
from sqltune.rewrites.resulthash import ResultHash
from sqltune.rewrites.verification import Verdict, Verification

SETUP = """
CREATE TABLE o (id int PRIMARY KEY, region text);
CREATE TABLE l (id int PRIMARY KEY, o_id int, x numeric, f float8);
INSERT INTO o SELECT g, 'r' || (g % 5) FROM generate_series(1, 600) g;
INSERT INTO l SELECT g, g % 400, (g % 1000) / 10.0, (g % 7) / 10.0 FROM generate_series(1, 100000) g;
CREATE TABLE big (k int, v int);
INSERT INTO big SELECT g % 10, g FROM generate_series(1, 100000) g;
CREATE TABLE n1 (id int PRIMARY KEY, x int);
CREATE TABLE n2 (y int);
INSERT INTO n1 SELECT g, g FROM generate_series(1, 100) g;
INSERT INTO n2 SELECT g * 2 FROM generate_series(1, 20000) g;
CREATE TABLE m1 (id int PRIMARY KEY, x int);
CREATE TABLE m2 (y int);
INSERT INTO m1 SELECT g, g FROM generate_series(1, 100) g;
INSERT INTO m2 SELECT g * 2 FROM generate_series(1, 100) g;
INSERT INTO m2 VALUES (NULL);
ANALYZE;
"""

FASTER = "SELECT o.id, (SELECT sum(l.x) FROM l WHERE l.o_id = o.id) AS total FROM o WHERE o.id <= 20"
SLOWER = (
    "WITH b AS (SELECT k, sum(v) AS s FROM big GROUP BY k) SELECT w.k FROM b AS w JOIN b AS x ON x.k = w.k "
    "JOIN b AS y ON y.k = x.k JOIN b AS z ON z.k = y.k WHERE w.s > 0"
)
DIFFERENT = "SELECT id FROM l WHERE f + 0.1 > 0.3 ORDER BY id"
NULLS = "SELECT id FROM m1 WHERE x NOT IN (SELECT y FROM m2)"
HOLDS = "SELECT id FROM n1 WHERE x NOT IN (SELECT y FROM n2)"
PASSWORD = "hunter2-do-not-print"


@pytest.fixture(scope="module")
def dsn(pg_dsn: str) -> Iterator[str]:
    """The DSN of a schema holding the data above (with a password the trust-auth server ignores, which
    must never be printed)."""
    name = f"verify_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
        admin.execute(f"SET search_path = {name}")
        admin.execute(SETUP)  # type: ignore[arg-type]
    options = f"{conninfo_to_dict(pg_dsn).get('options', '')} -csearch_path={name}".strip()
    try:
        yield make_conninfo(pg_dsn, options=options, password=PASSWORD)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture
def pg(dsn: str) -> Iterator[PostgresConnection]:
    with connect(dsn) as connection:
        yield connection


@pytest.fixture
def small_memory(dsn: str) -> str:
    options = f"{conninfo_to_dict(dsn)['options']} -cwork_mem=64kB"
    return make_conninfo(dsn, options=options)


def verified(pg: PostgresConnection, sql: str, **options: Any) -> RewriteReport:
    return sqltune.rewrite(sql, connection=pg, verify=True, **options)


def decided(report: RewriteReport, rewrite: str, verdict: Verdict) -> tuple[Change, Verification]:
    """The report's one change: by ``rewrite``, with ``verdict``, written exactly when kept."""
    (change,) = report.changes
    evidence = change.verification
    assert change.rewrite == rewrite and evidence is not None, change
    assert evidence.verdict is verdict, evidence.describe()
    assert change.applied is (verdict is Verdict.KEPT) and report.changed is change.applied
    return change, evidence


def test_a_faster_rewrite_is_kept_with_its_evidence(pg: PostgresConnection) -> None:
    report = verified(pg, FASTER)
    change, evidence = decided(report, "RW003", Verdict.KEPT)
    assert evidence.results is not None and evidence.results.match is True and not evidence.results.ordered
    assert evidence.results.before is not None and evidence.results.before.rows == 20
    assert evidence.before is not None and evidence.after is not None
    assert len(evidence.before.runs_ms) == len(evidence.after.runs_ms) == 3
    speedup = evidence.speedup
    assert speedup is not None and speedup.at_least(1.5), evidence.describe()  # a SubPlan per row, one scan
    assert "LEFT JOIN" in report.sql
    data = change.to_dict()["verification"]
    assert isinstance(data, dict) and data["verdict"] == "kept" and data["speedup_bound"] == "exact"
    assert "Execution Time" in data["before"]["plan"][0]  # type: ignore[index]  # the full EXPLAIN ANALYZE
    summary = "\n".join(data["before"]["plan_summary"])  # type: ignore[index]
    assert "Aggregate" in summary and "Seq Scan on l" in summary  # the SubPlan, run per row
    (statement,) = report.verified
    assert statement.written and statement.rewrites == ("RW003",) and statement.line == 1


def test_a_slower_rewrite_is_never_written(pg: PostgresConnection) -> None:
    """RW013's NOT MATERIALIZED is proven safe on PostgreSQL 12+ and only its benefit is unknown: measured
    slower here (the CTE is aggregated once per reference), it is refused, even with --unsafe."""
    for unsafe in (False, True):
        report = verified(pg, SLOWER, unsafe=unsafe)
        _, evidence = decided(report, "RW013", Verdict.SLOWER)
        assert "slower" in evidence.reason and not report.verified[0].written


def test_a_proven_rewrite_of_unknown_benefit_is_applied_when_measured_faster(pg: PostgresConnection) -> None:
    """RW013's NOT MATERIALIZED is only advice offline; here each reference reads one row of l through its
    primary key instead of materializing all 100,000, so it is applied -- without --unsafe."""
    sql = (
        "WITH b AS (SELECT id, o_id FROM l) "
        "SELECT x.id, y.o_id FROM b AS x JOIN b AS y ON y.id = x.id + 1 WHERE x.id = 5"
    )
    report = verified(pg, sql)
    change, evidence = decided(report, "RW013", Verdict.KEPT)
    assert change.status.value == "advised" and change.data_dependent
    assert "NOT MATERIALIZED" in report.sql
    version, benefit = evidence.conditions
    assert version.holds is True and benefit.holds is None and benefit.condition.kind == "benefit"


def test_results_that_differ_are_refused(pg: PostgresConnection) -> None:
    """RW006 folds ``f + 0.1 > 0.3`` to ``f > 0.2``: for f = 0.2 the float sum is 0.30000000000000004."""
    _, evidence = decided(verified(pg, DIFFERENT, unsafe=True), "RW006", Verdict.RESULTS_DIFFER)
    assert evidence.results is not None and evidence.results.ordered  # ORDER BY id fixes the order
    assert evidence.results.before is not None and evidence.results.after is not None
    assert evidence.results.before.rows > evidence.results.after.rows


def test_a_condition_false_on_the_data_is_refused(pg: PostgresConnection) -> None:
    _, evidence = decided(verified(pg, NULLS, unsafe=True), "RW001", Verdict.CONDITION_FAILS)
    assert "m2.y is never NULL" in evidence.reason
    assert [check.holds for check in evidence.conditions] == [True, False]
    assert evidence.before is None  # refused before anything ran


def test_holds_on_todays_data_names_the_constraint_that_proves_it(small_memory: str) -> None:
    with connect(small_memory) as pg:
        _, evidence = decided(verified(pg, HOLDS), "RW001", Verdict.HOLDS_ON_DATA)
        written = verified(pg, HOLDS, unsafe=True)  # --unsafe writes it (it is measurably faster)
    assert evidence.proving_ddl == [
        "ALTER TABLE n1 ALTER COLUMN x SET NOT NULL",
        "ALTER TABLE n2 ALTER COLUMN y SET NOT NULL",
    ]
    assert evidence.results is not None and evidence.results.match is True
    assert written.changes[0].applied and "NOT EXISTS" in written.sql


def test_a_stopped_original_gives_a_lower_bound(pg: PostgresConnection) -> None:
    """All 600 rows of o take seconds, several times the 500 ms timeout; the decorrelated query some ms."""
    report = verified(pg, FASTER.replace(" WHERE o.id <= 20", ""), timeout="500ms", runs=1)
    _, evidence = decided(report, "RW003", Verdict.KEPT)
    assert evidence.before is not None and evidence.before.stopped
    speedup = evidence.speedup
    assert speedup is not None and speedup.kind == "at_least" and speedup.text().startswith("≥ ")
    assert evidence.results is not None and evidence.results.match is None  # proven: kept on its proof


def test_a_limit_through_ties_is_compared_without_it(pg: PostgresConnection, dsn: str) -> None:
    """ORDER BY region LIMIT 3 keeps 3 of 8 tied rows: the two plans keep different ones, both correct.

    (PostgreSQL runs the SubPlan for the 3 rows the sort keeps only: the rewrite gains nothing here, and
    whether it is measured as fast or slower is noise.)"""
    sql = FASTER.replace("o.id <= 20", "o.id <= 40 ORDER BY o.region LIMIT 3")
    (change,) = verified(pg, sql).changes
    evidence = change.verification
    assert evidence is not None and evidence.verdict is not Verdict.RESULTS_DIFFER, evidence  # speed: noise
    with psycopg.connect(dsn) as plain:  # the premise: as written, the two return different tied rows
        after = change.after_tree.sql(dialect="postgres")
        rows = [sorted(plain.execute(query).fetchall()) for query in (sql, after)]
        assert [row[0] for row in rows[0]] != [row[0] for row in rows[1]]
    assert evidence.results is not None and evidence.results.match is True
    assert evidence.results.note == "compared without the LIMIT, whose ORDER BY leaves ties"


def test_fingerprints_on_the_server(pg: PostgresConnection) -> None:
    """Streamed in batches (12,000 rows > one FETCH), any order, Decimal scale ignored; a stopped query."""

    def digest(sql: str, ordered: bool = False) -> Any:
        fetched = pg.verify_fetch(sql, ResultHash(ordered=ordered), timeout_ms=10_000)
        assert fetched.error is None and fetched.ms is not None
        return fetched.digest

    rows = "SELECT g, g::numeric(10, 2) / 4, 'x' || g FROM generate_series(1, 12000) g"
    assert digest(rows + " ORDER BY 1") == digest(rows + " ORDER BY 1 DESC")
    assert digest(rows + " ORDER BY 1", True) != digest(rows + " ORDER BY 1 DESC", True)
    assert digest("SELECT 1.0::numeric, NULL::int") == digest("SELECT 1.000::numeric(8, 3), NULL::text")
    assert digest("SELECT 1.0::numeric") != digest("SELECT 1.01::numeric")
    assert digest(rows).rows == 12000
    stopped = pg.verify_fetch("SELECT pg_sleep(2)", ResultHash(), timeout_ms=100)
    assert stopped.ms is None and stopped.digest is None and stopped.error is None
    failed = pg.verify_fetch("SELECT nope FROM nowhere", ResultHash(), timeout_ms=1000)
    assert failed.error is not None and "nowhere" in failed.error
    with pytest.raises(ValueError, match="read-only"):
        pg.verify_fetch("DELETE FROM o", ResultHash(), timeout_ms=1000)
    assert pg.verify_fact("SELECT NOT EXISTS (SELECT 1 FROM m2 WHERE y IS NULL)", timeout_ms=1000).holds is False


def run_fix(*args: str) -> Any:
    return CliRunner().invoke(main, ["fix", *args])


def test_cli_writes_only_the_kept_rewrites_and_never_the_password(small_memory: str, tmp_path: Path) -> None:
    path = tmp_path / "queries.sql"
    text = f"{FASTER};\n\n{SLOWER};\n\n{NULLS};\n\n{HOLDS};\n"
    path.write_text(text, encoding="utf-8")
    result = run_fix(str(path), "--dsn", small_memory, "--verify", "--runs", "2")
    assert result.exit_code == 1, result.output  # the advisory that holds on today's data is left to review
    written = path.read_text(encoding="utf-8")
    assert "LEFT JOIN" in written  # the faster one
    assert SLOWER in written and NULLS in written and HOLDS in written  # the others as they were
    err = result.stderr
    assert f"kept: {path}:1:1: RW003" in err and "plan before" in err and "plan after" in err
    assert f"refused: {path}:3:1: RW013" in err and "slower" in err
    assert f"refused: {path}:5:1: RW001" in err and "condition fails" in err
    assert f"holds on today's data: {path}:7:1: RW001" in err
    assert "a proof: ALTER TABLE n1 ALTER COLUMN x SET NOT NULL" in err
    assert f"fixed {path}: 1 rewrite(s) applied (verified)" in err
    assert PASSWORD not in result.output


def test_cli_json_carries_the_evidence(dsn: str, tmp_path: Path) -> None:
    path = tmp_path / "q.sql"
    path.write_text(f"{FASTER};\n{DIFFERENT};\n", encoding="utf-8")
    result = run_fix(str(path), "--dsn", dsn, "--verify", "--runs", "1", "--diff", "--format", "json")
    assert result.exit_code == 1, result.output
    assert PASSWORD not in result.output
    document = json.loads(result.stdout)
    assert document["verify"]["runs"] == 1 and document["verify"]["min_speedup"] == 1.2
    (file,) = document["files"]
    assert "LEFT JOIN" in file["diff"]
    verdicts = {change["rewrite"]: change["verification"]["verdict"] for change in file["changes"]}
    assert verdicts == {"RW003": "kept", "RW006": "results differ"}
    kept = next(change for change in file["changes"] if change["rewrite"] == "RW003")["verification"]
    assert {"speedup", "speedup_bound", "speedup_text", "before", "after", "results", "conditions"} <= set(kept)
    assert kept["results"]["match"] is True and kept["after"]["median_ms"] > 0
    assert [statement["written"] for statement in file["verified"]] == [True, False]
    assert path.read_text(encoding="utf-8") == f"{FASTER};\n{DIFFERENT};\n"  # --diff writes nothing


def test_cli_connection_errors_hide_the_password(tmp_path: Path) -> None:
    path = tmp_path / "q.sql"
    path.write_text(FASTER + ";\n", encoding="utf-8")
    bad = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/nowhere?connect_timeout=2"
    result = run_fix(str(path), "--dsn", bad, "--verify")
    assert result.exit_code == 2 and "sqltune: error:" in result.stderr
    assert PASSWORD not in result.output


def test_without_verify_data_dependent_rewrites_are_marked_unverified(tmp_path: Path) -> None:
    path = tmp_path / "q.sql"
    path.write_text("SELECT id FROM t WHERE a = 1 OR b = 2;\n", encoding="utf-8")
    result = run_fix(str(path))
    assert result.exit_code == 0
    assert "(unverified: --dsn URL --verify checks results and speed first)" in result.stderr
    assert f"unverified: {path}:1:1: RW004 or-to-union-all: whether it is faster depends on the data" in result.stderr
