"""The log readers' block fast paths read exactly what their entry-by-entry paths read.

The PostgreSQL stderr reader and the MySQL slow log reader read a block of regular entries with one
``findall`` into columns (``_columns``); any other block entry by entry (or line by line). Each test reads a
log both ways -- the fast path allowed, and disabled -- with blocks small enough that many block boundaries
fall inside it, and asserts the same executions (every field) and the same problems, and that the fast path
did read some of it (so that the comparison is not vacuous).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sqltune.core.source import InputProblem
from sqltune.testing.workloads import generate, write_mysql_slow_log, write_postgres_log
from sqltune.workload.model import Execution
from sqltune.workload.sources import mysql_slow_log, one_by_one, postgres_log

LOGS = Path(__file__).resolve().parents[2] / "fixtures" / "workloads" / "logs"


def fields(records: Iterator[Any]) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    for record in one_by_one(records):
        if isinstance(record, Execution):
            place = (record.location, record.database, record.user)
            found.append((record.sql, record.duration_ms, record.at, record.rows, record.ids, *place))
        else:
            assert isinstance(record, InputProblem)
            found.append((record.path, record.line, record.message))
    return found


def both_ways(
    monkeypatch: pytest.MonkeyPatch, module: Any, read: Callable[[], Iterator[Any]], chunk: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    """What ``read`` gives with the fast path, without it, and how many blocks the fast path read."""
    monkeypatch.setattr(module, "_CHUNK", chunk)
    columns = module._columns
    used = 0

    def counting(*args: Any) -> Any:
        nonlocal used
        result = columns(*args)
        used += bool(result)
        return result

    monkeypatch.setattr(module, "_columns", counting)
    fast = fields(read())
    monkeypatch.setattr(module, "_columns", lambda *args: None if module is mysql_slow_log else False)
    slow = fields(read())
    return fast, slow, used


POSTGRES_STATEMENTS = """\
2024-05-01 10:00:00.100 UTC [7] app@shop LOG:  duration: 1.500 ms  statement: SELECT 1
2024-05-01 10:00:00.200 UTC [7] app@shop LOG:  duration: 0.250 ms  statement: SELECT *
\tFROM t
\tWHERE a = 'x
\ty'
2024-05-01 10:00:01.300 UTC [8] app@shop LOG:  duration: 2.000 ms  statement: UPDATE t SET a = 2
"""
POSTGRES_OTHER = """\
2024-05-01 10:00:02.000 UTC [9] app@shop LOG:  statement: SELECT 2
2024-05-01 10:00:02.100 UTC [9] app@shop LOG:  duration: 3.000 ms
2024-05-01 10:00:02.200 UTC [7] app@shop ERROR:  relation "nope" does not exist
2024-05-01 10:00:02.300 UTC [7] app@shop LOG:  duration: 0.100 ms  execute <unnamed>: SELECT $1
2024-05-01 10:00:02.300 UTC [7] app@shop DETAIL:  parameters: $1 = '5'
garbage line
2024-05-01 10:00:03.000 +03 [7] app@shop LOG:  duration: 1.000 ms  statement: SELECT 3
"""


@pytest.mark.parametrize("chunk", [64, 256, 4096])
def test_postgres_fast_path_on_mixed_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    log = tmp_path / "postgresql.log"
    log.write_text(POSTGRES_STATEMENTS * 3 + POSTGRES_OTHER + POSTGRES_STATEMENTS * 3)
    fast, slow, used = both_ways(
        monkeypatch, postgres_log, lambda: postgres_log.read(log, log_line_prefix="%m [%p] %q%u@%d "), chunk
    )
    assert fast == slow
    assert used and len(fast) == 22


@pytest.mark.parametrize("path", sorted((LOGS / "postgres").glob("postgresql.*")), ids=lambda p: p.name)
def test_postgres_fast_path_on_captured_logs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow, _ = both_ways(monkeypatch, postgres_log, lambda: postgres_log.read(path), 2048)
    assert fast == slow and fast


def test_postgres_fast_path_on_a_generated_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "postgresql.log"
    write_postgres_log(log, generate(3000, templates=200, seed=3))
    fast, slow, used = both_ways(monkeypatch, postgres_log, lambda: postgres_log.read(log), 50_000)
    assert fast == slow
    assert used >= 5 and len(fast) == 3000


MYSQL_ODD = """\
# Time: 2024-03-01T10:15:03.000100Z
# User@Host: app[app] @ web1 [10.0.0.5]  Id:    12
# Query_time: 0.000012  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0
SET timestamp=1709288103;
# administrator command: Quit;
# Time: 2024-03-01T10:15:04.000100Z
# User@Host: app[app] @ web1 [10.0.0.5]  Id:    12
# Query_time: 0.5  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0
SET timestamp=1709288104;
SELECT 'without a semicolon'
"""


@pytest.mark.parametrize("chunk", [200, 1000, 100_000])
def test_mysql_fast_path_on_fixtures_and_damage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    mariadb = (LOGS / "mariadb" / "slow.log").read_text()
    mysql = (LOGS / "mysql" / "slow-8.0-docs.log").read_text()
    log = tmp_path / "slow.log"
    log.write_text(mysql + mariadb + MYSQL_ODD + mysql)
    fast, slow, used = both_ways(monkeypatch, mysql_slow_log, lambda: mysql_slow_log.read(log, "mysql-slow-log"), chunk)
    assert fast == slow
    assert used and any(len(record) == 3 for record in fast)  # the damage is reported both ways


def test_mysql_fast_path_on_a_generated_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "slow.log"
    write_mysql_slow_log(log, generate(3000, templates=200, seed=4))
    fast, slow, used = both_ways(
        monkeypatch, mysql_slow_log, lambda: mysql_slow_log.read(log, "mysql-slow-log"), 60_000
    )
    assert fast == slow
    assert used >= 5 and len(fast) == 3000


@given(st.integers(0, 10**9), st.integers(0, 999_999))
def test_mysql_query_time_is_read_exactly(seconds: int, micro: int) -> None:
    text = f"{seconds}.{micro:06d}".encode()
    assert mysql_slow_log._milliseconds(text) == float(Decimal(text.decode()) * 1000)
