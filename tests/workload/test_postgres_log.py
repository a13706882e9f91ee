"""The ``postgres-log`` reader on real captures (``benchmarks/capture/postgres_logs.py``): one run of pgbench
(simple, extended and prepared protocol), the 22 TPC-H queries and a few parameterised statements, logged by
PostgreSQL 15 in stderr, csvlog and jsonlog at once, with the ``pg_stat_statements`` rows of the same run.

Damaged logs are the captured ones with lines cut, garbled or rewritten (another ``log_line_prefix``, another
time zone), so every case is still PostgreSQL's own output around the damage.
"""

from __future__ import annotations

import collections
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sqltune.core.parsing import parse_source
from sqltune.core.source import InputProblem, Source
from sqltune.workload import Execution, Workload
from sqltune.workload.fingerprint import normalize
from sqltune.workload.sources import FORMATS, one_by_one, postgres_log

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = ROOT / "fixtures" / "workloads" / "logs" / "postgres"
LOGS = {
    "stderr": CAPTURE / "postgresql.log",
    "csvlog": CAPTURE / "postgresql.csv",
    "jsonlog": CAPTURE / "postgresql.json",
}
PGSS = json.loads((CAPTURE / "pg_stat_statements.json").read_text())
PREFIX = "%m [%p] %q%u@%d %Q "


def records(path: Path, **options: object) -> tuple[list[Execution], list[InputProblem]]:
    executions, problems = [], []
    for record in one_by_one(postgres_log.read(path, "postgres-log", **options)):
        (problems if isinstance(record, InputProblem) else executions).append(record)
    return executions, problems


def calls_by_queryid(executions: list[Execution]) -> collections.Counter[str | None]:
    return collections.Counter(dict(e.ids).get("queryid") for e in executions)


@pytest.mark.parametrize("kind", LOGS)
def test_sniffed_and_registered(kind: str) -> None:
    path = LOGS[kind]
    head = path.read_bytes()[:8192].decode()
    assert postgres_log._format_of(head) == kind
    assert postgres_log.sniff("postgres-log", path, head)
    assert FORMATS["postgres-log"].load() is postgres_log
    for other in ("pg_stat_statements.json",):
        text = (CAPTURE / other).read_text()[:8192]
        assert not postgres_log.sniff("postgres-log", CAPTURE / other, text)


@pytest.mark.parametrize("kind", LOGS)
def test_every_execution_agrees_with_pg_stat_statements(kind: str) -> None:
    """The run was logged with log_min_duration_statement = 0 between a reset and a read of
    pg_stat_statements: the executions of every queryid are exactly the calls pg_stat_statements counted
    (parse and bind lines are not executions)."""
    executions, problems = records(LOGS[kind])
    assert problems == []
    counted = calls_by_queryid(executions)
    expected = {row["queryid"]: row["calls"] for row in PGSS}
    # The server logs query id 0 for simple-protocol BEGIN; and END; after a session's first, and
    # pg_stat_statements does not count those either: they are the only executions without a queryid.
    unidentified = {e.sql for e in executions if not e.ids}
    assert unidentified <= {"BEGIN;", "END;"}
    del counted[None]
    assert dict(counted) == expected
    times = collections.defaultdict(float)
    for execution in executions:
        times[dict(execution.ids).get("queryid")] += execution.duration_ms or 0.0
    for row in PGSS:  # the log's duration includes parse analysis and planning: never less than execution
        assert times[row["queryid"]] >= row["total_exec_time"] * 0.95 - 0.05, row["query"]


def test_templates_map_to_queryids() -> None:
    """The agreement: every queryid is in one template; a template with several queryids is one
    pg_stat_statements itself records under several ids with the same normalised text (constants of the
    simple protocol and $n of the extended one are different query trees; PostgreSQL 15 identifies utility
    statements such as BEGIN and begin by their exact text)."""
    workload = Workload.from_postgres_log(LOGS["stderr"])
    text_of = {row["queryid"]: row["query"] for row in PGSS}
    owner: dict[str, str] = {}
    one, several = 0, []
    for template in workload:
        queryids = template.ids.get("queryid", [])
        for queryid in queryids:
            assert owner.setdefault(queryid, template.text) == template.text, queryid
        if len(queryids) == 1:
            one += 1
        elif len(queryids) > 1:
            several.append(template)
            assert len({normalize(text_of[q]) for q in queryids}) == 1, template.text
    assert set(owner) == set(text_of)
    print(
        f"\nagreement: {len(workload)} templates, {len(owner)} queryids; every queryid in exactly one template;"
        f" {one} templates have one queryid, {len(several)} have several that pg_stat_statements records with"
        f" the same text: {[t.readable for t in several]}"
    )
    assert one >= 70 and len(several) <= 6


def test_formats_read_alike() -> None:
    workloads = {kind: Workload.from_postgres_log(path) for kind, path in LOGS.items()}
    reference = workloads["stderr"]
    for kind, workload in workloads.items():
        assert [(t.text, t.calls, round(t.total_ms, 3), t.max_ms, t.ids) for t in workload] == [
            (t.text, t.calls, round(t.total_ms, 3), t.max_ms, t.ids) for t in reference
        ], kind
        assert [t.samples for t in workload] == [t.samples for t in reference], kind
        assert workload.problems == []


@pytest.mark.parametrize("kind", LOGS)
def test_first_entry_fields(kind: str) -> None:
    line = LOGS["stderr"].read_text().split("\n", 1)[0]
    stamp, _pid, who, queryid, duration, sql = re.fullmatch(
        r"(\S+ \S+) UTC \[(\d+)\] (\S+) (-?\d+) LOG:  duration: ([\d.]+) ms  statement: (.*)", line
    ).groups()  # type: ignore[union-attr]
    first = records(LOGS[kind])[0][0]
    assert first.sql == sql and first.duration_ms == float(duration) and first.calls == 1
    assert first.at == datetime.fromisoformat(stamp).replace(tzinfo=UTC) and first.at.tzinfo is not None
    assert (first.user, first.database) == tuple(who.split("@"))
    assert first.ids == (("queryid", queryid),)
    assert first.location == f"{LOGS[kind]}:1"


@pytest.mark.parametrize("kind", LOGS)
def test_multi_line_statements_are_whole(kind: str) -> None:
    """Each TPC-H statement is read back exactly as it was sent, newlines and indentation included."""
    sent = []
    for path in sorted((ROOT / "fixtures" / "workloads" / "tpch").glob("q*.sql")):
        sent += [s.text for s in parse_source(Source(path.name, path.read_text()), "postgres")]
    read = {e.sql for e in records(LOGS[kind])[0]}
    assert len(sent) >= 22 and all("\n" in s for s in sent)
    missing = [s for s in sent if s not in read]
    assert missing == []


@pytest.mark.parametrize("kind", LOGS)
def test_extended_protocol_parameters_are_bound(kind: str) -> None:
    executions = records(LOGS[kind])[0]
    nation = [e for e in executions if "FROM nation WHERE n_nationkey" in e.sql]
    assert [e.sql for e in nation] == [
        f"SELECT n_name FROM nation WHERE n_nationkey = '{key}' AND n_comment <> 'it''s'" for key in (3, 1, 4)
    ]
    workload = Workload().extend(executions)
    template = workload.template_of(nation[0].sql)
    assert template is not None and template.calls == 3
    assert template.samples == [("3", "it's"), ("1", "it's"), ("4", "it's")]
    assert template.text == normalize("SELECT n_name FROM nation WHERE n_nationkey = $1 AND n_comment <> $2")
    # A multi-line value is one literal; a NULL keeps its $n (``= NULL`` would be another template).
    (orders,) = [e for e in executions if "o_comment = " in e.sql and "o_custkey" in e.sql]
    assert orders.sql.endswith("WHERE o_comment = 'two\nlines'\n    AND o_custkey = $2")


def test_pgbench_protocols_are_one_template() -> None:
    workload = Workload.from_postgres_log(LOGS["stderr"])
    template = workload.template_of("SELECT abalance FROM pgbench_accounts WHERE aid = 1;")
    assert template is not None
    # 2 clients x 20 transactions x 3 modes (simple, extended, prepared), each run once per transaction.
    assert template.calls == 120 and len(template.ids["queryid"]) == 2 and len(template.samples) == 5
    errors = [t for t in workload if "no_such_column" in t.text]
    assert errors == []  # an ERROR entry is not an execution


def test_explicit_prefix_reads_like_detection() -> None:
    detected = records(LOGS["stderr"])[0]
    explicit = records(LOGS["stderr"], log_line_prefix=PREFIX)[0]
    assert [(e.sql, e.at, e.ids) for e in explicit] == [(e.sql, e.at, e.ids) for e in detected]


def test_pgbadger_style_prefix_and_time_zone(tmp_path: Path) -> None:
    """The same log rewritten to pgBadger's recommended prefix with times in CEST is detected and read with
    the same executions at the same instants."""
    counter = iter(range(1, 10**6))
    pattern = re.compile(r"^(\S+ \S+) UTC \[(\d+)\] (?:(\S+)@(\S+) (-?\d+) )?", re.MULTILINE)

    def rewrite(match: re.Match[str]) -> str:
        moment = datetime.fromisoformat(match[1]) + timedelta(hours=2)
        prefix = f"{moment:%Y-%m-%d %H:%M:%S} CEST [{match[2]}]: [{next(counter)}-1] "
        return prefix + f"user={match[3] or ''},db={match[4] or ''},app=pgbench,client=127.0.0.1 "

    path = tmp_path / "pgbadger.log"
    path.write_text(pattern.sub(rewrite, LOGS["stderr"].read_text()))
    original = records(LOGS["stderr"])[0]
    rewritten, problems = records(path)
    assert problems == []
    assert [e.sql for e in rewritten] == [e.sql for e in original]
    assert all(e.ids == () for e in rewritten)  # no %Q in this prefix
    first, again = original[0], rewritten[0]
    assert again.at is not None and again.at.utcoffset() == timedelta(hours=2)
    assert first.at is not None and again.at == first.at.replace(microsecond=0)  # %t has no milliseconds
    assert (again.user, again.database) == ("postgres", "test")
    explicit = records(path, log_line_prefix="%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ")[0]
    assert [e.at for e in explicit] == [e.at for e in rewritten]


def test_unknown_time_zone_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "zone.log"
    path.write_text(LOGS["stderr"].read_text().replace(" UTC [", " XYZT ["))
    executions, problems = records(path)
    assert len(problems) == 1 and "time zone 'XYZT'" in problems[0].message and problems[0].line == 1
    assert executions[0].at is not None and executions[0].at.tzinfo is UTC
    executions, problems = records(path, timezone="Europe/Paris")
    assert problems == [] and executions[0].at is not None and executions[0].at.utcoffset() == timedelta(hours=1)


def test_corrupt_stderr_lines_are_problems_and_the_rest_loads(tmp_path: Path) -> None:
    lines = LOGS["stderr"].read_text().split("\n")
    assert lines[-1] == ""
    lines[9] = "### not a log line"  # line 10
    lines[19] = re.sub(r"duration: [\d.]+ ms", "duration: 1.2.3 ms", lines[19])  # line 20
    text = "\n".join(lines[:-1])
    cut = text.rfind("LOG:  duration: ")  # the last LOG entry, cut in the middle of its statement
    path = tmp_path / "damaged.log"
    path.write_text(text[: cut + 40])
    executions, problems = records(path)
    assert [(p.path, p.line) for p in problems] == [
        (str(path), 10),
        (str(path), 20),
        (str(path), text.count("\n", 0, cut) + 1),
    ]
    assert "expected a line starting with the log_line_prefix" in problems[0].message
    assert "expected 'duration: <milliseconds> ms'" in problems[1].message
    assert "cut off at the end of the file" in problems[2].message
    whole = records(LOGS["stderr"])[0]
    assert len(executions) == len(whole) - 3
    workload = Workload.from_postgres_log(path)
    assert len(workload.problems) == 3 and workload.calls == len(executions)


def test_corrupt_csv_rows(tmp_path: Path) -> None:
    text = LOGS["csvlog"].read_text()
    lines = text.split("\n")
    lines[4] = lines[4].split(",LOG,")[0]  # a row cut short (line 5)
    damaged = "\n".join(lines)
    damaged = damaged[: damaged.rfind('"duration: ') + 30]  # the last row cut inside its message
    path = tmp_path / "damaged.csv"
    path.write_text(damaged)
    executions, problems = records(path)
    assert [p.line for p in problems] == [5, damaged.count("\n", 0, damaged.rfind('"duration: ')) + 1]
    assert all("expected a csvlog row of 26 columns" in p.message for p in problems)
    assert len(executions) == len(records(LOGS["csvlog"])[0]) - 2


def test_corrupt_json_lines(tmp_path: Path) -> None:
    lines = LOGS["jsonlog"].read_text().split("\n")
    lines[2] = lines[2][:50]
    lines[3] = lines[3].replace('"message":', '"msg":')
    path = tmp_path / "damaged.json"
    path.write_text("\n".join(lines))
    executions, problems = records(path)
    assert [p.line for p in problems] == [3, 4]
    assert "expected a JSON object on one line" in problems[0].message or "jsonlog object" in problems[0].message
    assert "no 'message' field" in problems[1].message
    assert len(executions) == len(records(LOGS["jsonlog"])[0]) - 2


def test_time_window_and_progress(tmp_path: Path) -> None:
    executions = records(LOGS["stderr"])[0]
    times = sorted(e.at for e in executions if e.at is not None)
    middle = times[len(times) // 2]
    seen: list[int] = []
    later = records(LOGS["stderr"], since=middle, progress=seen.append)[0]
    earlier = records(LOGS["stderr"], until=middle)[0]
    assert len(later) + len(earlier) == len(executions)
    assert all(e.at is not None and e.at >= middle for e in later)
    assert seen and seen == sorted(seen) and seen[-1] == LOGS["stderr"].stat().st_size


def test_not_a_log() -> None:
    path = ROOT / "fixtures" / "workloads" / "tpch" / "q01.sql"
    assert not postgres_log.sniff("postgres-log", path, path.read_text())
    executions, problems = records(path)
    assert executions == [] and len(problems) == 1
    assert (
        "not a PostgreSQL log: expected stderr lines with a log_line_prefix, csvlog or jsonlog" in problems[0].message
    )


def test_prefix_escapes() -> None:
    with pytest.raises(postgres_log.PrefixError, match="unknown escape %y"):
        postgres_log.prefix_pattern("%y ")
    pattern = postgres_log.prefix_pattern("%n [%-6p] %c %l %x %v %e %i %q%a %u@%d %h %r %b %P %s %Q ")
    line = (
        "1733606058.917 [42    ] 6b1721aa.6d61 7 0 3/12 00000 SELECT psql postgres@test 10.0.0.1"
        " 10.0.0.1(5555) client backend  2024-12-07 21:14:18 UTC 123 LOG:  statement: SELECT 1"
    )
    match = pattern.match(line)
    assert match is not None
    assert (match["epoch"], match["pid"], match["session"], match["user"], match["db"], match["qid"]) == (
        "1733606058.917",
        "42",
        "6b1721aa.6d61",
        "postgres",
        "test",
        "123",
    )
    background = pattern.match("1733606058.917 [42    ] 6b1721aa.6d61 1 0  00000  LOG:  checkpoint starting: time")
    assert background is not None and background["user"] is None


def test_unknown_timezone_option() -> None:
    executions, problems = records(LOGS["stderr"], timezone="Mars/Olympus")
    assert executions == [] and [p.message for p in problems] == [
        "unknown time zone 'Mars/Olympus'; expected a name such as UTC"
    ]


def test_empty_log(tmp_path: Path) -> None:
    path = tmp_path / "postgresql.log"
    path.write_text("")
    assert records(path) == ([], [])
