"""What the layout advisor asks of a live database, as a protocol the connectors implement (the advisor never
imports a connector or a driver). :class:`sqltune.connectors.postgres.PostgresConnection` is one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqltune.layout.model import Measured
from sqltune.schema import Schema

__all__ = ["ClusteringConnection", "LayoutConnection"]


class LayoutConnection(Protocol):
    @property
    def dialect(self) -> str: ...

    def schema(self, schemas: Iterable[str] | None = ...) -> Schema:
        """Tables, columns, indexes and statistics (sizes, distinct counts, correlation, write counters)."""
        ...

    def layout_sample(self, table: str, columns: Sequence[str], rows: int) -> dict[str, list[Any]]:
        """About ``rows`` rows of ``table`` (a page sample), in the table's physical order, per column."""
        ...

    def layout_facts(self, table: str) -> dict[str, Any]:
        """The current layout: ``partition_key`` (columns), ``clustered_on`` (columns of the CLUSTER index),
        ``memory_bytes`` (what the server caches: effective_cache_size)."""
        ...

    def measure_layout(
        self,
        table: str,
        queries: Sequence[tuple[str, str]],
        ddl: Sequence[str],
        order_by: Sequence[str] = (),
        *,
        timeout_s: float = 300,
    ) -> list[Measured]:
        """Each ``(id, sql)`` timed on a copy of ``table`` (in a schema of sqltune's own, never kept), before
        and after the copy is reordered by ``order_by`` and ``ddl`` is run on it."""
        ...


class ClusteringConnection(LayoutConnection, Protocol):
    """A warehouse that measures clustering itself (Snowflake)."""

    def clustering_information(self, table: str, columns: Sequence[str] | None = None) -> dict[str, Any]:
        """``SYSTEM$CLUSTERING_INFORMATION`` of ``table`` by its key, or by ``columns``, parsed from JSON."""
        ...
