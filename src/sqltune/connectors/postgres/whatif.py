"""What-if backends on a live PostgreSQL: HypoPG hypothetical indexes, or real ones rolled back.

Both implement :class:`sqltune.indexes.whatif.WhatIfBackend`. Neither leaves anything behind:

- :class:`HypoPGBackend` creates hypothetical indexes with ``hypopg_create_index`` — they exist only in
  sqltune's own database session, are invisible to every other session, and are removed
  (``hypopg_reset()``) when the backend is closed, on every exit path;
- :class:`RealIndexBackend` creates real indexes inside a transaction that is always rolled back, for small or
  embedded databases without HypoPG. ``CREATE INDEX`` locks the table against writes until the rollback, so
  it is meant for development copies, not production.

:func:`plan_cost` and :func:`plan_index_names` read an ``EXPLAIN (FORMAT JSON)`` plan's total cost and the
indexes it reads (the runtime validation in :mod:`~sqltune.connectors.postgres.validate` uses them too).
The connection hands these backends out: :meth:`PostgresConnection.what_if_backend
<sqltune.connectors.postgres.PostgresConnection.what_if_backend>`.

Every statement runs under the connection's statement timeout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import psycopg

from sqltune.connectors.errors import DatabaseError, QueryError
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.whatif import Evaluation, Unplannable

if TYPE_CHECKING:  # the connection builds these backends: a runtime import would run back to it
    from sqltune.connectors.postgres.connection import PostgresConnection

__all__ = ["HypoPGBackend", "Parameters", "RealIndexBackend", "plan_cost", "plan_index_names"]


class Parameters:
    """Representative values for each query's ``$n`` (normalised ``pg_stat_statements`` texts), read once per
    query; see :meth:`PostgresConnection.representative_params
    <sqltune.connectors.postgres.PostgresConnection.representative_params>`."""

    def __init__(self, connection: PostgresConnection) -> None:
        self.connection = connection
        self._known: dict[str, list[Any] | None] = {}

    def of(self, query: WorkloadQuery) -> list[Any] | None:
        if query.sql not in self._known:
            self._known[query.sql] = self.connection.representative_params(query.sql)
        return self._known[query.sql]


def _unplannable(error: QueryError) -> Unplannable:
    """The server's reason, first line (its ``LINE 8: ...`` context points into a text shown elsewhere)."""
    return Unplannable(f"PostgreSQL cannot plan it: {(str(error).splitlines() or [type(error).__name__])[0]}")


def plan_cost(plan: Any) -> float:
    """Total estimated cost of an ``EXPLAIN (FORMAT JSON)`` result."""
    return float(plan[0]["Plan"]["Total Cost"])


def plan_index_names(plan: Any) -> set[str]:
    """Every index name the plan reads."""
    names: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "Index Name" in node:
            names.add(str(node["Index Name"]))
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan[0]["Plan"])
    return names


class HypoPGBackend:
    """Hypothetical indexes through HypoPG in this connection's session."""

    label = "hypopg"
    estimated = False

    def __init__(self, connection: PostgresConnection) -> None:
        self.connection = connection
        self._oids: dict[IndexSpec, int] = {}
        self._names: dict[str, IndexSpec] = {}
        self._sizes: dict[IndexSpec, float] = {}
        self._params = Parameters(connection)
        with connection.transaction() as cursor:
            present = cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'").fetchone()
        if not present:
            raise DatabaseError(
                "HypoPG is not installed in this database: install it (Debian: apt-get install "
                "postgresql-15-hypopg) and run CREATE EXTENSION hypopg, or use the real-index backend"
            )

    def __enter__(self) -> HypoPGBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop every hypothetical index of this session."""
        if not self.connection.closed:
            with self.connection.transaction() as cursor:
                cursor.execute("SELECT hypopg_reset()")
        self._oids.clear()
        self._names.clear()

    def _ensure(self, cursor: Any, indexes: Sequence[IndexSpec]) -> None:
        wanted = set(indexes)
        for spec in [s for s in self._oids if s not in wanted]:
            cursor.execute("SELECT hypopg_drop_index(%s)", (self._oids.pop(spec),))
        for spec in wanted - set(self._oids):
            row = cursor.execute(
                "SELECT indexrelid, indexname FROM hypopg_create_index(%s)", (spec.ddl("x", concurrently=False),)
            ).fetchone()
            assert row is not None
            self._oids[spec] = int(row[0])
            self._names[str(row[1])] = spec

    def evaluate(self, query: WorkloadQuery, indexes: Sequence[IndexSpec]) -> Evaluation:
        with self.connection.transaction() as cursor:
            self._ensure(cursor, indexes)
        # Hypothetical indexes live in the session, so the connection's own EXPLAIN sees them; $n (as
        # pg_stat_statements records statements) are bound to representative values.
        try:
            plan = self.connection.explain(query.sql, settings=False, params=self._params.of(query)).plan_json
        except QueryError as error:
            raise _unplannable(error) from None
        used = frozenset(self._names[n] for n in plan_index_names(plan) if n in self._names)
        return Evaluation(plan_cost(plan), used, plan)

    def size(self, index: IndexSpec) -> float:
        size = self._sizes.get(index)
        if size is None:
            with self.connection.transaction() as cursor:
                self._ensure(cursor, [*self._oids, index])
                row = cursor.execute("SELECT hypopg_relation_size(%s)", (self._oids[index],)).fetchone()
            size = float(row[0]) if row else 0.0
            self._sizes[index] = size
        return size


_NAME = re.compile(r"[^a-z0-9_]")


class RealIndexBackend:
    """Real indexes created inside a transaction that is rolled back after each evaluation."""

    label = "real-index"
    estimated = False

    def __init__(self, connection: PostgresConnection) -> None:
        self.connection = connection
        self._sizes: dict[IndexSpec, float] = {}
        self._params = Parameters(connection)

    def _created(self, cursor: Any, indexes: Sequence[IndexSpec]) -> Iterator[tuple[str, IndexSpec]]:
        for number, spec in enumerate(indexes):
            name = f"sqltune_whatif_{number}_{_NAME.sub('_', spec.name())}"[:63]
            cursor.execute(spec.ddl(name, concurrently=False))
            yield name, spec

    def evaluate(self, query: WorkloadQuery, indexes: Sequence[IndexSpec]) -> Evaluation:
        params = self._params.of(query)
        try:
            with self.connection.transaction(read_only=False) as cursor:
                names = dict(self._created(cursor, indexes))
                # $n placeholders need the raw cursor (the default one binds %s); binary forces one statement.
                raw = psycopg.RawCursor(cursor.connection)
                raw.execute(f"EXPLAIN (FORMAT JSON) {query.sql}", params, binary=True)
                plan = raw.fetchone()[0]  # type: ignore[index]
        except QueryError as error:
            raise _unplannable(error) from None
        used = frozenset(names[n] for n in plan_index_names(plan) if n in names)
        return Evaluation(plan_cost(plan), used, plan)

    def size(self, index: IndexSpec) -> float:
        size = self._sizes.get(index)
        if size is None:
            with self.connection.transaction(read_only=False) as cursor:
                ((name, _),) = list(self._created(cursor, [index]))
                row = cursor.execute("SELECT pg_relation_size(%s::regclass)", (name,)).fetchone()
            size = float(row[0]) if row else 0.0
            self._sizes[index] = size
        return size
