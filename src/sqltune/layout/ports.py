"""What the layout advisor asks of a live database, as protocols the connectors implement (the advisor never
imports a connector or a driver): :class:`LayoutConnection` (``sqltune.connectors.postgres.PostgresConnection``),
:class:`ClusteringConnection` (Snowflake's) and :class:`JobUsageConnection` (BigQuery's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqltune.layout.model import Measured
from sqltune.schema import Schema

__all__ = ["ClusteringConnection", "JobUsageConnection", "LayoutConnection"]


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

    def clustering_cost(self, table: str, columns: Sequence[str]) -> dict[str, Any]:
        """``SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS`` of ``table`` clustered by ``columns``, parsed."""
        ...

    def table_dml(self, table: str, days: int = 30) -> dict[str, float]:
        """Rows ``added``, ``removed`` and ``updated`` in ``table`` over the last ``days`` days (DML history)."""
        ...


class JobUsageConnection(LayoutConnection, Protocol):
    """A warehouse that bills by bytes scanned and reports what each template's jobs cost (BigQuery)."""

    def table_jobs(self, table: str, days: int = 30) -> list[dict[str, Any]]:
        """Per template key: ``calls``, ``total_bytes_processed``, ``total_bytes_billed``, ``total_slot_ms`` of
        the jobs of the last ``days`` days that read ``table``."""
        ...
