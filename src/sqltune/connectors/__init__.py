"""Live database access: the only part of sqltune that opens connections.

The core (parsing, schema, rules, engine, reporters) never imports a driver; everything that talks to a
server lives here, behind :func:`connect`. The errors below are importable without a driver installed, so
callers can catch them without depending on psycopg. Their messages are scrubbed of passwords: driver
messages can echo a connection string, and these errors end up in logs and CI output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "ConnectionError",
    "DatabaseError",
    "QueryError",
    "QueryTimeout",
    "WorkloadUnavailable",
    "connect",
]

if TYPE_CHECKING:
    from sqltune.connectors.postgres import PostgresConnection, Timeout


class DatabaseError(Exception):
    """A database operation failed. ``str(error)`` never contains a password.

    ``sqlstate`` is PostgreSQL's five-character error code when the server sent one (``"57014"`` for a
    cancelled statement), so callers can branch on it without parsing messages.
    """

    def __init__(self, message: str, *, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class ConnectionError(DatabaseError):  # shadows the builtin (an OSError) inside this package only
    """The connection could not be made or was lost: bad connection string, unreachable host, auth failure."""


class QueryError(DatabaseError):
    """A statement sqltune sent failed (syntax error in the explained SQL, missing table, permission...)."""


class QueryTimeout(QueryError):
    """A statement ran longer than its ``statement_timeout`` and the server cancelled it."""


class WorkloadUnavailable(DatabaseError):
    """The workload cannot be read here (pg_stat_statements, Snowflake's SNOWFLAKE.ACCOUNT_USAGE); the message
    says how to enable it."""


def connect(
    target: Any = None,
    *,
    statement_timeout: Timeout = "30s",
    application_name: str = "sqltune",
    connect_timeout: int = 10,
) -> PostgresConnection:
    """Open a read-only PostgreSQL connection; see :func:`sqltune.connectors.postgres.connect`.

    A thin wrapper so that ``import sqltune`` and ``import sqltune.connectors`` (for the error classes) do
    not import psycopg: the driver is loaded on the first call.
    """
    from sqltune.connectors.postgres import connect as connect_postgres

    return connect_postgres(
        target,
        statement_timeout=statement_timeout,
        application_name=application_name,
        connect_timeout=connect_timeout,
    )
