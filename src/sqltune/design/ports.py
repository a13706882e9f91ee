"""What the designer needs from a live database, as a protocol the connectors implement.

The designer sits below the connectors and never imports one. With a connection it samples the data to
check an inferred relationship (every child value found in the parent, the parent's columns unique) and
to count distinct values of candidate flags; :class:`sqltune.connectors.postgres.PostgresConnection`
implements :class:`DesignConnection` (its ``query`` runs read-only, under a statement timeout).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["DesignConnection"]


class DesignConnection(Protocol):
    """A live connection as the designer uses it: read-only queries with a timeout."""

    def query(self, sql: str, params: Sequence[Any] | None = ..., *, timeout: Any = ...) -> Sequence[Sequence[Any]]:
        """The rows of one read-only statement, cancelled after ``timeout`` (seconds or "2s")."""
        ...
