"""What the index advisor needs from a live database, as protocols the connectors implement.

The advisor sits below the connectors and never imports one: it calls methods of the connection it was
handed (:class:`sqltune.connectors.postgres.PostgresConnection` is one).

- :class:`AdvisorConnection`: the schema and search path, the recorded workload, usage-counter resets, a
  what-if backend for costs (:class:`~sqltune.indexes.whatif.WhatIfBackend`) and runtime validation;
- :class:`RecordedStatement`: one statement of the database's own workload (``pg_stat_statements``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.progress import Progress
from sqltune.indexes.runtime import RuntimeCheck
from sqltune.indexes.whatif import WhatIfBackend
from sqltune.schema import Schema

__all__ = ["AdvisorConnection", "RecordedStatement"]


class RecordedStatement(Protocol):
    """A normalised statement and what its runs cost, as the database recorded them."""

    @property
    def query(self) -> str: ...

    @property
    def calls(self) -> int: ...

    @property
    def rows(self) -> int: ...

    @property
    def total_time_ms(self) -> float: ...


class AdvisorConnection(Protocol):
    """A live connection as the index advisor uses it."""

    def query(self, sql: str) -> Sequence[Sequence[Any]]:
        """The rows of one read-only statement."""
        ...

    def schema(self, schemas: Iterable[str] | None = ...) -> Schema:
        """Tables, keys, indexes and statistics of ``schemas``."""
        ...

    def statements(self, limit: int = ...) -> Sequence[RecordedStatement]:
        """The ``limit`` statements with the most total execution time."""
        ...

    def stats_reset(self) -> datetime | None:
        """Since when the usage counters (index scans...) count."""
        ...

    def what_if_backend(self, kind: str) -> WhatIfBackend:
        """What-if costs from the database's planner: ``"hypopg"`` (hypothetical indexes) or ``"real"``
        (real indexes inside a rolled-back transaction)."""
        ...

    def measure_regressions(
        self,
        queries: Sequence[WorkloadQuery],
        indexes: Sequence[IndexSpec],
        *,
        timeout_s: float,
        progress: Progress | None = ...,
    ) -> list[RuntimeCheck]:
        """Each query's measured runtime with and without ``indexes``; ``progress`` hears of each step."""
        ...
