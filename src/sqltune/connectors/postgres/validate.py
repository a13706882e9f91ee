"""Check an index plan against measured runtime before recommending it.

Estimated cost is not runtime: an index can halve a query's estimated cost and make it run many times
slower (a nested loop over a misestimated join, say). :func:`measure_regressions` builds the planned indexes
for real inside a transaction that is always rolled back (and analyzes their tables there, so the planner sees
real index statistics), times every query with them (``EXPLAIN ANALYZE``, each under a savepoint and a time
limit) — all of them, since a real plan can pick up an index the hypothetical one ignored — then times each
query whose real plan reads a new index again without them — with a limit of ``factor``
times the new runtime, since only a faster "before" can make "after" a regression. Nothing is left behind.
``CREATE INDEX`` inside the transaction locks the tables against writes until the rollback: this is for
databases sqltune may load (development copies, benchmarks), and runs only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg

from sqltune.connectors.postgres.whatif import plan_index_names
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.plan import RuntimeCheck

if TYPE_CHECKING:  # the connection offers this as a method: a runtime import would run back to it
    from sqltune.connectors.postgres.connection import PostgresConnection

__all__ = ["measure_regressions"]


def _execution(cursor: Any, sql: str, timeout_ms: float) -> tuple[float | None, set[str]]:
    """Runtime of ``sql`` in milliseconds under a savepoint (``None`` when it hit ``timeout_ms``), and the
    index names its plan read (also when it timed out: from the plan without ANALYZE)."""
    cursor.execute("SAVEPOINT sqltune_measure")
    try:
        cursor.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout_ms))}")
        plan = cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}").fetchone()[0]
        return float(plan[0]["Execution Time"]), plan_index_names(plan)
    except psycopg.errors.QueryCanceled:
        cursor.execute("ROLLBACK TO SAVEPOINT sqltune_measure")
        return None, plan_index_names(cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0])
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
    names = {f"sqltune_validate_{number}": spec for number, spec in enumerate(indexes)}
    uses: dict[str, tuple[IndexSpec, ...]] = {}
    with connection.transaction(read_only=False, timeout=f"{int(total_ms)}ms") as cursor:
        for name, spec in names.items():
            cursor.execute(spec.ddl(name, concurrently=False))
        cursor.execute("ANALYZE " + ", ".join(sorted({spec.table for spec in indexes})))
        for query in queries:
            after[query.id], read = _execution(cursor, query.sql, limit_ms)
            uses[query.id] = tuple(names[n] for n in sorted(read) if n in names)
    checks = []
    with connection.transaction(timeout=f"{int(total_ms)}ms") as cursor:
        for query in queries:
            after_ms = after[query.id]
            if not uses[query.id]:
                continue  # its real plan reads no new index: nothing to compare
            bound = limit_ms if after_ms is None else min(limit_ms, (after_ms - slack_ms) / factor)
            before_ms = _execution(cursor, query.sql, bound)[0] if bound > 0 else None
            regressed = after_ms is None and before_ms is not None
            if after_ms is not None and before_ms is not None:
                regressed = after_ms > factor * before_ms + slack_ms
            checks.append(RuntimeCheck(query.id, after_ms, before_ms, bound, regressed, uses[query.id]))
    return checks
