"""Check an index plan against measured runtime before recommending it.

Estimated cost is not runtime: an index can halve a query's estimated cost and make it run many times
slower (a nested loop over a misestimated join, say). :func:`measure_regressions` builds the planned indexes
for real inside a transaction that is always rolled back, times each query with them (``EXPLAIN ANALYZE``,
each under a savepoint and a time limit), then times it again without them — with a limit of ``factor``
times the new runtime, since only a faster "before" can make "after" a regression. Nothing is left behind.
``CREATE INDEX`` inside the transaction locks the tables against writes until the rollback: this is for
databases sqltune may load (development copies, benchmarks), and runs only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from sqltune.connectors.postgres import PostgresConnection
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.plan import RuntimeCheck

__all__ = ["measure_regressions"]


def _execution_ms(cursor: Any, sql: str, timeout_ms: float) -> float | None:
    """Runtime of ``sql`` in milliseconds under a savepoint, or ``None`` when it hit ``timeout_ms``."""
    cursor.execute("SAVEPOINT sqltune_measure")
    try:
        cursor.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout_ms))}")
        plan = cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}").fetchone()[0]
        return float(plan[0]["Execution Time"])
    except psycopg.errors.QueryCanceled:
        return None
    finally:
        cursor.execute("ROLLBACK TO SAVEPOINT sqltune_measure")


def measure_regressions(
    connection: PostgresConnection,
    queries: Sequence[WorkloadQuery],
    indexes: Sequence[IndexSpec],
    *,
    timeout_s: float = 300,
    factor: float = 1.5,
    slack_ms: float = 50,
) -> list[RuntimeCheck]:
    """Runtime with and without ``indexes`` for each query; ``regressed`` when "after" is more than
    ``factor`` times "before" (plus ``slack_ms``, so that millisecond noise on fast queries is not flagged)."""
    limit_ms = timeout_s * 1000
    after: dict[str, float | None] = {}
    total_ms = limit_ms * (len(queries) + 1) + 3_600_000  # index builds get an hour on top
    with connection.transaction(read_only=False, timeout=f"{int(total_ms)}ms") as cursor:
        for number, spec in enumerate(indexes):
            cursor.execute(spec.ddl(f"sqltune_validate_{number}", concurrently=False))
        for query in queries:
            after[query.id] = _execution_ms(cursor, query.sql, limit_ms)
    checks = []
    with connection.transaction(timeout=f"{int(total_ms)}ms") as cursor:
        for query in queries:
            after_ms = after[query.id]
            bound = limit_ms if after_ms is None else min(limit_ms, (after_ms - slack_ms) / factor)
            before_ms = _execution_ms(cursor, query.sql, bound) if bound > 0 else None
            regressed = after_ms is None and before_ms is not None
            if after_ms is not None and before_ms is not None:
                regressed = after_ms > factor * before_ms + slack_ms
            checks.append(RuntimeCheck(query.id, after_ms, before_ms, bound, regressed))
    return checks
