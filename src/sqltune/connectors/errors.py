"""The connectors' errors, importable without a driver installed so callers can catch them without psycopg.

Their messages are scrubbed of passwords: driver messages can echo a connection string, and these errors end
up in logs and CI output. :class:`DatabaseError` is the base (with the server's ``sqlstate``):

- :class:`ConnectionError`: the connection could not be made or was lost;
- :class:`QueryError`, and its :class:`QueryTimeout`: a statement failed, or ran out of time;
- :class:`WorkloadUnavailable`: the workload cannot be read here, and how to enable it.

Every module of :mod:`sqltune.connectors` imports them from here; the package re-exports them.
"""

from __future__ import annotations

__all__ = ["ConnectionError", "DatabaseError", "QueryError", "QueryTimeout", "WorkloadUnavailable"]


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
