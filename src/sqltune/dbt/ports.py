"""What the dbt step needs from a live database, as protocols a connector implements.

The step sits below the connectors and never imports one: it is handed a connection
(:class:`sqltune.connectors.postgres.PostgresConnection` is one) and calls these methods. EXPLAIN runs
without ANALYZE, so nothing is executed; the connector also runs it read-only and rolls it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqltune.schema import Schema

__all__ = ["ExplainedPlan", "PlanConnection"]


class ExplainedPlan(Protocol):
    @property
    def plan_json(self) -> Any:
        """The server's ``EXPLAIN (FORMAT JSON)`` output, as loaded JSON."""
        ...


class PlanConnection(Protocol):
    """A live connection as the dbt step uses it."""

    @property
    def server_version(self) -> int: ...

    def explain(self, sql: str, *, analyze: bool = ...) -> ExplainedPlan:
        """The plan of one statement (``analyze=False``: planned, never run)."""
        ...

    def settings(self) -> dict[str, str]:
        """Planner settings as ``SHOW`` prints them."""
        ...

    def schema(self, schemas: Iterable[str] | None = ...) -> Schema:
        """Tables, keys, indexes and statistics of ``schemas``."""
        ...
