"""The verified mode's runs on PostgreSQL: streamed result fingerprints, timed plans, condition checks.

The rewrite verifier (:mod:`sqltune.rewrites.verifier`) decides; this module only runs what it asks, each
call in its own read-only transaction that is rolled back, under the time limit it is given (the
connection's guarantees: :mod:`sqltune.connectors.postgres`):

- :func:`fetch_digest`: the rows of a query through a server-side cursor, ``FETCH`` by ``FETCH``, into a
  :class:`~sqltune.rewrites.resulthash.ResultHash` -- never the whole result in memory. A server-side cursor
  is planned for its first rows (``cursor_tuple_fraction``); it is set to 1 here so that the query runs
  with the plan it has when run plainly. The time limit covers the whole read: each ``FETCH`` gets what is
  left of it;
- :func:`timed_run`: one ``EXPLAIN (ANALYZE, TIMING OFF)`` (see
  :func:`~sqltune.connectors.postgres.validate.timed_plan`);
- :func:`check_fact`: one check query's boolean.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

from sqltune.connectors.postgres.validate import timed_plan
from sqltune.rewrites.resulthash import ResultHash
from sqltune.rewrites.verification import Fact, Fetch, Run

__all__ = ["check_fact", "fetch_digest", "timed_run"]

#: Rows per FETCH: large enough that round trips do not count, small enough to hold without thinking.
BATCH_ROWS = 5_000


def fetch_digest(cursor: Any, sql: str, hasher: ResultHash, timeout_ms: int, batch: int = BATCH_ROWS) -> Fetch:
    """Stream ``sql``'s rows into ``hasher``; stopped when the whole read exceeds ``timeout_ms``."""
    start = time.perf_counter()

    def elapsed_ms() -> float:
        return (time.perf_counter() - start) * 1000

    cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
    cursor.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
    rows = cursor.connection.cursor(name="sqltune_verify")
    try:
        rows.execute(sql)
        while True:
            left = timeout_ms - elapsed_ms()
            if left <= 0:
                return Fetch(None, None)
            cursor.execute(f"SET LOCAL statement_timeout = {max(1, int(left))}")
            batch_rows = rows.fetchmany(batch)
            if not batch_rows:
                break
            hasher.update(batch_rows)
    except psycopg.errors.QueryCanceled:
        return Fetch(None, None)
    finally:
        if cursor.connection.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            rows.close()
    return Fetch(hasher.digest(), elapsed_ms())


def timed_run(cursor: Any, sql: str, timeout_ms: int) -> Run:
    """One timed run of ``sql`` with its plan (``ms`` is ``None`` when it was stopped at ``timeout_ms``)."""
    ms, plan = timed_plan(cursor, sql, timeout_ms, timing=False)
    return Run(ms, plan)


def check_fact(cursor: Any, sql: str) -> Fact:
    """The boolean a check query returns (``None`` when it returns no row or a NULL)."""
    try:
        row = cursor.execute(sql).fetchone()
    except psycopg.errors.QueryCanceled:
        return Fact(None, "the check ran past the time limit")
    value = row[0] if row else None
    return Fact(None if value is None else bool(value), "checked on the data")
