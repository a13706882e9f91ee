"""Check an index plan against measured runtime before recommending it.

Estimated cost is not runtime: an index can halve a query's estimated cost and make it run many times
slower (a nested loop over a misestimated join, say). :func:`measure_regressions` builds the planned indexes
for real inside a transaction that is always rolled back (and analyzes their tables there, so the planner sees
real index statistics), times every query with them (``EXPLAIN ANALYZE``, each under a savepoint and a time
limit) — all of them, since a real plan can pick up an index the hypothetical one ignored — then times each
query whose real plan reads a new index again without them. "Before" runs until it is ``speedup_cap`` times
the new time (at least ``min_bound_ms``, at most the time limit): enough to see any regression (only a
faster "before" makes "after" one) and to print how much faster the query became, or, when "before" is
stopped at its bound, a lower bound on it (``≥ 14× faster``: the old plan took at least the bound). Times
are planning plus execution, as ``EXPLAIN ANALYZE`` reports them, so that a stopped statement's bound
(``statement_timeout`` counts both) and a measured time compare alike. Nothing is left behind.
``CREATE INDEX`` inside the transaction locks the tables against writes until the rollback: this is for
databases sqltune may load (development copies, benchmarks), and runs only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg

from sqltune.connectors.postgres.whatif import plan_index_names
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.progress import VALIDATING, Progress, Silent, each
from sqltune.indexes.runtime import RuntimeCheck

if TYPE_CHECKING:  # the connection offers this as a method: a runtime import would run back to it
    from sqltune.connectors.postgres.connection import PostgresConnection

__all__ = ["measure_regressions", "timed_plan"]


def timed_plan(cursor: Any, sql: str, timeout_ms: int, *, timing: bool = True) -> tuple[float | None, Any]:
    """Planning plus execution time of ``sql`` in milliseconds under a savepoint (``None`` when it hit
    ``timeout_ms``), and its ``EXPLAIN (FORMAT JSON)`` plan: with ANALYZE, or without it when it timed out.
    ``timing=False`` leaves out the per-operator clock reads (``TIMING OFF``), which slow down plans that
    run an operator many times, so that two plans compare by their own cost."""
    options = "ANALYZE, FORMAT JSON" if timing else "ANALYZE, TIMING OFF, FORMAT JSON"
    cursor.execute("SAVEPOINT sqltune_measure")
    try:
        cursor.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
        plan = cursor.execute(f"EXPLAIN ({options}) {sql}").fetchone()[0]
        return float(plan[0].get("Planning Time", 0.0)) + float(plan[0]["Execution Time"]), plan
    except psycopg.errors.QueryCanceled:
        cursor.execute("ROLLBACK TO SAVEPOINT sqltune_measure")
        return None, cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0]
    finally:
        cursor.execute("ROLLBACK TO SAVEPOINT sqltune_measure")


def _execution(cursor: Any, sql: str, timeout_ms: int) -> tuple[float | None, set[str]]:
    """:func:`timed_plan`'s time, and the index names its plan read (also when it timed out)."""
    ms, plan = timed_plan(cursor, sql, timeout_ms)
    return ms, plan_index_names(plan)


def measure_regressions(
    connection: PostgresConnection,
    queries: Sequence[WorkloadQuery],
    indexes: Sequence[IndexSpec],
    *,
    timeout_s: float = 300,
    factor: float = 1.5,
    slack_ms: float = 50,
    speedup_cap: float = 50,
    min_bound_ms: float = 250,
    progress: Progress | None = None,
) -> list[RuntimeCheck]:
    """Time with and without ``indexes`` for each query whose real plan reads one; ``regressed`` when "after"
    is more than ``factor`` times "before" (plus ``slack_ms``, so that millisecond noise on fast queries is
    not flagged). ``progress`` hears of each index built and each query timed."""
    progress = progress or Silent()
    limit_ms = max(1, int(timeout_s * 1000))
    after: dict[str, float | None] = {}
    total_ms = limit_ms * (len(queries) + 1) + 3_600_000  # index builds get an hour on top
    names = {f"sqltune_validate_{number}": spec for number, spec in enumerate(indexes)}
    uses: dict[str, tuple[IndexSpec, ...]] = {}
    with connection.transaction(read_only=False, timeout=f"{int(total_ms)}ms") as cursor:
        progress.phase(f"{VALIDATING}: building the indexes", len(names))
        for name, spec in each(names.items(), progress):
            cursor.execute(spec.ddl(name, concurrently=False))
        cursor.execute("ANALYZE " + ", ".join(sorted({spec.table for spec in indexes})))
        progress.phase(f"{VALIDATING}: timing with the new indexes", len(queries))
        for query in each(queries, progress):
            after[query.id], read = _execution(cursor, query.sql, limit_ms)
            uses[query.id] = tuple(names[n] for n in sorted(read) if n in names)
    compared = [query for query in queries if uses[query.id]]  # the others' real plans read no new index
    checks = []
    with connection.transaction(timeout=f"{int(total_ms)}ms") as cursor:
        progress.phase(f"{VALIDATING}: timing without them", len(compared))
        for query in each(compared, progress):
            after_ms = after[query.id]
            # Far enough for a speed-up (or its lower bound) and any regression: (after - slack) / factor
            # is below it.
            bound = limit_ms if after_ms is None else min(limit_ms, int(max(speedup_cap * after_ms, min_bound_ms)))
            before_ms = _execution(cursor, query.sql, bound)[0]
            regressed = after_ms is None and before_ms is not None
            if after_ms is not None and before_ms is not None:
                regressed = after_ms > factor * before_ms + slack_ms
            checks.append(RuntimeCheck(query.id, after_ms, before_ms, bound, regressed, uses[query.id]))
    return checks
