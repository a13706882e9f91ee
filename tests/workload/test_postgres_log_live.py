"""The ``postgres-log`` reader on a live server's logs, and the agreement with ``pg_stat_statements``.

The logging server is the workload tests' own (``conftest.py``): its ``log_line_prefix`` uses every escape,
so the reader is checked against PostgreSQL's rendering of each. Each test runs statements in a database of
its own, waits until the logging collector wrote them, and reads the three files.
"""

from __future__ import annotations

import collections
import uuid
from pathlib import Path

import psycopg
import pytest

from sqltune.connectors.postgres import connect
from sqltune.core.source import InputProblem
from sqltune.workload import Execution, Workload
from sqltune.workload.sources import one_by_one, postgres_log

from .conftest import PREFIX, LoggedDatabase

pytestmark = pytest.mark.postgres


def executions(path: Path, database: str, **options: object) -> list[Execution]:
    found = []
    for record in one_by_one(postgres_log.read(path, "postgres-log", **options)):
        assert not isinstance(record, InputProblem), record
        if record.database == database:
            found.append(record)
    return found


def run_workload(dsn: str, marker: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE TABLE {marker} (id int PRIMARY KEY, label text, score numeric)")
        connection.execute(f"INSERT INTO {marker} SELECT i, 'l' || i, i / 10.0 FROM generate_series(1, 500) i")
        for key in (1, 2, 3):  # simple protocol, literals in the text
            connection.execute(f"SELECT label FROM {marker} WHERE id = {key}").fetchall()
        for key in (4, 5):  # extended protocol: execute <unnamed> with DETAIL: parameters
            connection.execute(f"SELECT label FROM {marker} WHERE id = %s", [key]).fetchall()
        for key in (6, 7, 8):  # a prepared statement: execute _pg3_0
            connection.execute(f"SELECT score FROM {marker} WHERE id = %s AND label <> %s", [key, "a'b"], prepare=True)
        connection.execute(f"SELECT count(*)\n  FROM {marker}\n WHERE label LIKE 'l1%'\n   AND score > 1").fetchall()
        connection.execute(f"UPDATE {marker} SET score = score + 1 WHERE id IN (1, 2, 3)")


@pytest.mark.parametrize("kind", ["stderr", "csvlog", "jsonlog"])
def test_live_log_has_every_execution(logged_database: LoggedDatabase, kind: str) -> None:
    marker = f"t_{uuid.uuid4().hex[:8]}"
    run_workload(logged_database.dsn, marker)
    logged_database.flush()
    options = {"log_line_prefix": PREFIX} if kind == "stderr" else {}
    found = executions(logged_database.logs[kind], logged_database.name, **options)
    workload = Workload().extend(e for e in found if marker in e.sql)
    by_text = {t.readable: t for t in workload}
    lookup = by_text[f"select label from {marker} where id = ?"]
    assert lookup.calls == 5 and lookup.samples == [("1",), ("2",), ("3",), ("4",), ("5",)]
    assert len(lookup.ids["queryid"]) == 2  # literals (simple) and $1 (extended) are two query trees
    prepared = by_text[f"select score from {marker} where id = ? and label <> ?"]
    assert prepared.calls == 3 and prepared.samples[0] == ("6", "a'b")
    counting = by_text[f"select count(*) from {marker} where label like ? and score > ?"]
    assert counting.calls == 1 and "\n  FROM" in counting.example
    assert by_text[f"update {marker} set score = score + ? where id in (...)"].calls == 1
    first = next(e for e in found if marker in e.sql)
    assert first.user == "postgres" and first.database == logged_database.name
    assert first.at is not None and first.at.tzinfo is not None and first.duration_ms is not None
    assert all(e.ids and e.ids[0][0] == "queryid" for e in found if marker in e.sql)


def test_prefix_detection_falls_back_to_the_time(logged_database: LoggedDatabase) -> None:
    """This prefix is not a common one: without the option the reader still finds every entry by its
    severity and its time, only not the fields of the prefix."""
    marker = f"t_{uuid.uuid4().hex[:8]}"
    run_workload(logged_database.dsn, marker)
    logged_database.flush()
    explicit = [e for e in executions(logged_database.logs["stderr"], logged_database.name, log_line_prefix=PREFIX)]
    detected = [e for e in one_by_one(postgres_log.read(logged_database.logs["stderr"])) if isinstance(e, Execution)]
    ours = [e for e in detected if marker in e.sql]
    assert [e.sql for e in ours] == [e.sql for e in explicit if marker in e.sql]
    assert all(e.at is not None for e in ours)


def test_log_statement_and_log_duration_are_paired(logged_database: LoggedDatabase) -> None:
    """log_statement = 'all' and log_duration = on log the statement and its duration on separate lines
    (the duration after the parse and bind phases' own); the reader joins them by backend."""
    marker = f"t_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(logged_database.dsn, autocommit=True) as connection:
        connection.execute(f"CREATE TABLE {marker} (id int)")
        connection.execute("SET log_min_duration_statement = -1")
        connection.execute("SET log_statement = 'all'")
        connection.execute("SET log_duration = on")
        with psycopg.connect(logged_database.dsn, autocommit=True) as other:  # interleaved, another backend
            other.execute(f"SELECT count(*) FROM {marker} WHERE id = 0").fetchall()
            for key in (1, 2):
                connection.execute(f"SELECT count(*) FROM {marker} WHERE id = {key}").fetchall()
                connection.execute(f"SELECT id FROM {marker} WHERE id > %s", [key]).fetchall()
    logged_database.flush()
    for kind in ("stderr", "csvlog", "jsonlog"):
        options = {"log_line_prefix": PREFIX} if kind == "stderr" else {}
        ours = [e for e in executions(logged_database.logs[kind], logged_database.name, **options) if marker in e.sql]
        texts = collections.Counter(e.sql for e in ours)
        assert texts[f"SELECT count(*) FROM {marker} WHERE id = 1"] == 1
        assert texts[f"SELECT id FROM {marker} WHERE id > '2'"] == 1
        paired = [e for e in ours if "WHERE id > '" in e.sql or "WHERE id = 1" in e.sql or "WHERE id = 2" in e.sql]
        assert len(paired) == 4 and all(e.duration_ms is not None for e in paired), kind


def test_agreement_with_pg_stat_statements(logged_database: LoggedDatabase) -> None:
    """Captured both in the server log (with %Q) and in pg_stat_statements: every queryid's executions in
    the log are the calls pg_stat_statements counted, and every queryid lies in one template."""
    marker = f"t_{uuid.uuid4().hex[:8]}"
    run_workload(logged_database.dsn, marker)
    with connect(logged_database.dsn) as connection:
        rows = list(connection.read_workload())
    logged_database.flush()
    pgss_calls = {dict(row.ids)["queryid"]: row.calls for row in rows}
    assert len(pgss_calls) == len(rows)  # one row per queryid: one user, one database, top level only
    log_calls: collections.Counter[str] = collections.Counter()
    for execution in executions(logged_database.logs["jsonlog"], logged_database.name):
        if "sqltune_workload_read" in execution.sql:
            break  # sqltune's read of the view: what ran after it (its own ROLLBACK) is not in what it read
        for _, queryid in execution.ids:
            log_calls[queryid] += 1
    agree = [queryid for queryid, calls in pgss_calls.items() if log_calls[queryid] == calls]
    logged = Workload().extend(executions(logged_database.logs["stderr"], logged_database.name))
    owner: dict[str, str] = {}
    for template in logged:
        for queryid in template.ids.get("queryid", []):
            assert owner.setdefault(queryid, template.text) == template.text  # a queryid is in one template
    print(f"\nagreement: {len(agree)} of {len(pgss_calls)} pg_stat_statements entries have the log's executions")
    differ = [(row.sql, row.calls, log_calls[dict(row.ids)["queryid"]]) for row in rows]
    assert [d for d in differ if d[1] != d[2]] == [] and len(agree) >= 8
    assert not any("sqltune_workload_read" in row.sql for row in rows)  # the read does not list itself
    recorded = Workload(dialect="postgres").extend(rows)
    ours = {t.readable: t.calls for t in recorded if marker in t.text}
    assert ours[f"select label from {marker} where id = ?"] == 5  # $1 from both protocols: one template
