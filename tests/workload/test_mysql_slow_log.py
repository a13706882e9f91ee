"""The mysql-slow-log reader on a real MariaDB 10.11 capture (benchmarks/capture/mariadb_logs.py), a MySQL 8
log written from MySQL's documentation (no MySQL server is installable here), damaged copies of both, and
agreement with pt-query-digest (percona-toolkit) on the capture."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sqltune.core.source import InputProblem
from sqltune.workload import Execution, Workload
from sqltune.workload.sources import mysql_slow_log, one_by_one

LOGS = Path(__file__).resolve().parents[2] / "fixtures" / "workloads" / "logs"
MARIADB = LOGS / "mariadb" / "slow.log"
MYSQL8 = LOGS / "mysql" / "slow-8.0-docs.log"
_LEADING_COMMENT = re.compile(r"^\s*/\*.*?\*/\s*", re.DOTALL)


def records(path: Path, **options: object) -> list[Execution | InputProblem]:
    return list(one_by_one(mysql_slow_log.read(path, "mysql-slow-log", **options)))


def executions(path: Path) -> list[Execution]:
    found = records(path)
    assert not [r for r in found if isinstance(r, InputProblem)]
    return [r for r in found if isinstance(r, Execution)]


def test_sniffs_both_flavours_and_nothing_else(tmp_path: Path) -> None:
    for path in (MARIADB, MYSQL8):
        assert mysql_slow_log.sniff("mysql-slow-log", path, path.read_text()[:8192])
    other = tmp_path / "q.sql"
    other.write_text("SELECT 1;\n# Query_time is not a header here\n")
    assert not mysql_slow_log.sniff("mysql-slow-log", other, other.read_text())


def test_mariadb_capture_templates_calls_and_fields() -> None:
    workload = Workload.from_mysql_slow_log(MARIADB)
    assert workload.problems == []
    assert workload.calls == 430 and len(workload) == 38
    by_text = {t.text: t for t in workload}
    # 40 runs in each of two databases, literals inlined by the client: one template.
    assert by_text["select o_orderkey,o_totalprice from orders where o_custkey = ?"].calls == 80
    # IN lists of 1 to 6 keys: one template.
    assert by_text["select count(*) from lineitem where l_orderkey in(...)"].calls == 80
    # Server-side prepared statements (binary protocol, DBD::mysql): logged with their values inlined.
    assert by_text["select c_name from customer where c_custkey = ? and c_nationkey = ?"].calls == 12
    # SQL PREPARE/EXECUTE: the EXECUTE is logged as the prepared statement.
    assert by_text["select o_totalprice from orders where o_orderkey = ?"].calls == 6
    # A statement that failed (unknown column) is logged and read like any other.
    assert by_text["select no_such_column from orders where o_orderkey = ?"].calls == 2
    # "use db" as a statement (after SET timestamp) is a statement, "use `db`;" before it only a header.
    assert by_text["use tpch"].calls == 2
    template = by_text["select l_returnflag,sum(l_quantity) as sum_qty,avg(l_extendedprice) as avg_price from lineitem"
    " where l_shipdate <= ? group by l_returnflag order by l_returnflag"]  # fmt: skip
    assert template.calls == 30 and template.timed_calls == 30 and template.total_ms > 0
    assert "\n" in template.example  # a multi-line statement, kept as written
    assert template.rows is not None and 30 <= template.rows <= 30 * 3  # Rows_sent: up to three return flags
    assert template.first_seen is not None and template.first_seen.tzinfo is not None


def test_mariadb_capture_entry_fields() -> None:
    found = executions(MARIADB)
    assert len(found) == 430
    first = found[0]
    assert first.user == "root" and first.database is None  # "Schema:   QC_hit: No": no default database
    assert first.location == f"{MARIADB}:10"
    assert first.at == datetime.fromtimestamp(int(MARIADB.read_text().split("SET timestamp=")[1][:10]), UTC)
    assert {e.database for e in found} == {None, "tpch", "tpch_eu"}
    revenue = [e for e in found if e.sql.startswith("/* revenue by nation */")]
    assert len(revenue) == 30 and {e.database for e in revenue} == {"tpch", "tpch_eu"}
    assert revenue[0].sql.endswith("ORDER BY revenue DESC")  # the closing ";" is not part of the statement
    # log_slow_verbosity=query_plan,explain adds "# explain:" and "#" lines to the header: still one entry.
    explained = [e for e in found if e.sql.startswith("SELECT count(*) FROM orders o JOIN")]
    assert len(explained) == 1 and explained[0].rows == 1
    # FLUSH LOGS writes the banner again mid-log: skipped, the entries around it read whole.
    assert "started with:" in MARIADB.read_text().split("\n", 3)[3]
    assert not [e for e in found if "started with" in e.sql or "Tcp port" in e.sql]
    assert [e.sql for e in found if e.sql == "FLUSH LOGS"] == ["FLUSH LOGS"]


def test_mysql8_documented_format() -> None:
    found = executions(MYSQL8)
    # Two administrator commands (Quit, Prepare) are not queries.
    assert [e.sql.split()[0] for e in found] == ["SELECT", "SELECT", "SELECT"]
    first, _, report = found
    assert (first.duration_ms, first.rows, first.user, first.database) == (1.234, 1, "app", "shop")
    assert first.at == datetime(2024, 3, 1, 10, 15, 2, tzinfo=UTC)
    # log_slow_extra's longer Query_time line; "SET last_insert_id=..,insert_id=..,timestamp=..".
    assert (report.duration_ms, report.rows, report.user, report.database) == (1500.0, 3, "report", "reporting")
    assert report.at == datetime(2024, 3, 1, 10, 15, 3, tzinfo=UTC)
    assert report.sql.splitlines()[-1] == " GROUP BY status"
    assert found[1].database == "shop"  # MySQL writes "use" only when it changes: it carries over


def test_time_window_and_progress() -> None:
    start = datetime(2024, 3, 1, 10, 15, 3, tzinfo=UTC)
    assert [e.sql[:20] for e in records(MYSQL8, since=start)] == ["SELECT status, count"]  # type: ignore[union-attr]
    assert len(records(MYSQL8, until=start)) == 2
    seen: list[int] = []
    executions_read = sum(1 for _ in one_by_one(mysql_slow_log.read(MARIADB, "mysql-slow-log", progress=seen.append)))
    assert executions_read == 430 and seen and seen[-1] == MARIADB.stat().st_size


def test_corrupt_entries_are_problems_with_file_and_line_and_the_rest_loads(tmp_path: Path) -> None:
    lines = MARIADB.read_text().splitlines(keepends=True)
    query_times = [i for i, line in enumerate(lines) if line.startswith("# Query_time:")]
    broken_time = query_times[5]
    lines[broken_time] = "# Query_time: soon  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\n"
    garbage = 3  # after the banner, before the first entry: text outside any entry
    lines.insert(garbage, "this line is no part of a slow log\n")
    broken_time += 1
    damaged = tmp_path / "slow.log"
    # The last entry is cut in the middle of its statement, as a log copied while being written.
    text = "".join(lines)
    damaged.write_text(text[: text.rindex(";", 0, len(text) - 2) - 3])
    found = records(damaged)
    problems = [r for r in found if isinstance(r, InputProblem)]
    assert [(p.path, p.line) for p in problems] == [
        (str(damaged), garbage + 1),
        (str(damaged), broken_time + 1),
        (str(damaged), len(damaged.read_text().splitlines())),
    ]
    assert "expected a slow log entry" in problems[0].message
    assert "expected '# Query_time: SECONDS" in problems[1].message
    assert "truncated" in problems[2].message
    assert len([r for r in found if isinstance(r, Execution)]) == 430 - 2  # the broken and the cut entry


def test_entry_without_statement_and_unterminated_statement(tmp_path: Path) -> None:
    log = tmp_path / "slow.log"
    log.write_text(
        "# User@Host: a[a] @ h [1.2.3.4]\n# Query_time: 0.1  Lock_time: 0.0 Rows_sent: 0  Rows_examined: 0\n"
        "SET timestamp=1700000000;\nSELECT 1\n"
        "# User@Host: a[a] @ h [1.2.3.4]\n# Query_time: 0.1  Lock_time: 0.0 Rows_sent: 0  Rows_examined: 0\n"
        "# User@Host: a[a] @ h [1.2.3.4]\n# Query_time: 0.2  Lock_time: 0.0 Rows_sent: 5  Rows_examined: 0\n"
        "SET timestamp=1700000001;\nSELECT 2\n# a hash comment inside the statement\nFROM dual;\n"
    )
    found = records(log)
    assert [getattr(r, "line", "execution") for r in found] == [4, 5, "execution"]
    assert "ends without ';'" in found[0].message  # type: ignore[union-attr]
    assert "no statement" in found[1].message  # type: ignore[union-attr]
    assert found[2].sql == "SELECT 2\n# a hash comment inside the statement\nFROM dual"  # type: ignore[union-attr]
    assert found[2].rows == 5  # type: ignore[union-attr]


# -- agreement with pt-query-digest ----------------------------------------------------------------------
def _pt(*arguments: str, stdin: str | None = None) -> str:
    tool = shutil.which(arguments[0])
    if tool is None:
        pytest.fail(f"{arguments[0]} is not installed: apt-get install percona-toolkit (.ci/setup-packages.sh)")
    result = subprocess.run([tool, *arguments[1:]], input=stdin, capture_output=True, text=True, check=True)
    return result.stdout


def _pt_fingerprints(statements: list[str]) -> list[str]:
    """pt-fingerprint of each statement (one call: a file of statements, each ending with ";\\n"). It skips a
    statement that does not start with a word, so a leading comment (which its fingerprint drops) goes first."""
    output = _pt("pt-fingerprint", stdin="".join(_LEADING_COMMENT.sub("", s) + ";\n" for s in statements))
    lines = output.splitlines()
    assert len(lines) == len(statements)
    return lines


def test_agreement_with_pt_query_digest() -> None:
    """The same events and calls as pt-query-digest; where the templates differ, exactly why.

    pt-query-digest 3.2.1 (Debian 12) is compared per its own fingerprint: each of our executions is
    fingerprinted by pt-fingerprint, and the calls per fingerprint must equal pt-query-digest's classes,
    with one known difference of reading: pt's banner pattern wants ``mysqld, Version`` and does not know
    ``mariadbd``, so at a mid-log banner it reads the statement before, the banner and the next entry as
    one event (we read two executions). The templates then map one to one, except:

    - ``use tpch`` and ``use tpch_eu`` are two templates here (database names are identifiers) and one
      ``use ?`` in pt;
    - pt reads the apostrophe in ``-- the customer's nation`` as opening a string, so the literals after it
      stay in its fingerprint and one template here is two classes there (one per market segment).
    """
    digest = json.loads(
        _pt("pt-query-digest", "--output", "json", "--limit", "100%", "--no-version-check", str(MARIADB))
    )
    pt_calls = Counter({c["fingerprint"]: int(c["query_count"]) for c in digest["classes"]})
    found = executions(MARIADB)
    ours = _pt_fingerprints([e.sql for e in found])
    merged = [fp for fp in pt_calls if "started with:" in fp]
    assert len(merged) == 1  # one mid-log banner (FLUSH LOGS)
    example = next(c for c in digest["classes"] if c["fingerprint"] == merged[0])["example"]["query"]
    before, after = example.split(";\n", 1)[0], example.rsplit(";\n", 1)[1]
    for fingerprint in _pt_fingerprints([before, after]):
        pt_calls[fingerprint] += pt_calls[merged[0]]
    del pt_calls[merged[0]]
    assert Counter(ours) == pt_calls
    assert digest["global"]["query_count"] == len(found) - 1

    workload = Workload.from_mysql_slow_log(MARIADB)
    pairs = {(workload.template_of(e.sql).text, fp) for e, fp in zip(found, ours, strict=True)}  # type: ignore[union-attr]
    per_template: dict[str, set[str]] = {}
    per_class: dict[str, set[str]] = {}
    for text, fingerprint in pairs:
        per_template.setdefault(text, set()).add(fingerprint)
        per_class.setdefault(fingerprint, set()).add(text)
    split = {t: fps for t, fps in per_template.items() if len(fps) > 1}
    joined = {fp: texts for fp, texts in per_class.items() if len(texts) > 1}
    assert [t.split(" from ")[0] for t in split] == ["select n_name,sum(o_totalprice) as revenue"]
    assert all("the customer?" in fp for fps in split.values() for fp in fps)
    assert joined == {"use ?": {"use tpch", "use tpch_eu"}}
    assert len(per_template) == len(workload) == 38
