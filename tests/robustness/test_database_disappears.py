"""The database goes away in the middle of ``sqltune explain``: the statements already explained keep their
plans, the rest are named with the error, and the run exits 2 without a traceback."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from robustness_support import invoke

pytestmark = pytest.mark.postgres

STATEMENTS = 4


def _terminate_when_sleeping(dsn: str, stop: threading.Event) -> None:
    """Kill the backend that runs the second ``pg_sleep`` statement (the first has finished by then)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        while not stop.is_set():
            row = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%pg_sleep(0.4), 2%'"
            ).fetchone()
            if row:
                connection.execute("SELECT pg_terminate_backend(%s)", row)
                return
            time.sleep(0.02)


def test_explain_survives_a_terminated_connection(pg_dsn: str, tmp_path: Path) -> None:
    path = tmp_path / "sleepy.sql"
    path.write_text("".join(f"SELECT pg_sleep(0.4), {i};\n" for i in range(1, STATEMENTS + 1)), encoding="utf-8")
    stop = threading.Event()
    killer = threading.Thread(target=_terminate_when_sleeping, args=(pg_dsn, stop), daemon=True)
    killer.start()
    try:
        result = invoke("explain", "--dsn", pg_dsn, "--analyze", "--format", "json", str(path))
    finally:
        stop.set()
        killer.join(timeout=5)
    assert result.exit_code == 2, result.stderr
    # The first statement was explained before the connection died; the second names the lost connection.
    assert '"sleepy.sql' in result.stdout or "sleepy.sql" in result.stdout, result.stdout[:2000]
    assert "sleepy.sql:2" in result.stderr, result.stderr


def test_explain_against_a_server_that_is_not_there(tmp_path: Path) -> None:
    path = tmp_path / "q.sql"
    path.write_text("SELECT 1;\n", encoding="utf-8")
    result = invoke("explain", "--dsn", "host=127.0.0.1 port=1 dbname=x connect_timeout=2", str(path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") <= 2, result.stderr
