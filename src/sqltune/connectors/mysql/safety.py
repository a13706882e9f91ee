"""What keeps sqltune's MySQL/MariaDB statements harmless: a read-only session, time limits, scrubbed errors.

- :func:`session_settings`: the ``SET SESSION`` statements a new connection runs, per flavour (MariaDB's
  ``max_statement_time`` is in seconds and limits every statement; MySQL's ``max_execution_time`` is in
  milliseconds and limits ``SELECT``, the only statement sqltune runs there that could take long);
- :func:`check_read_only`: the statement kinds sqltune sends at all;
- :func:`translate`: a PyMySQL error as a :class:`~sqltune.connectors.errors.DatabaseError` subclass whose
  message is scrubbed of the secrets in play (see :mod:`sqltune.connectors.redact`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pymysql

from sqltune.connectors.errors import ConnectionError, DatabaseError, QueryError, QueryTimeout
from sqltune.connectors.redact import redact_text

__all__ = ["check_read_only", "session_settings", "translate"]

# MariaDB: ER_STATEMENT_TIMEOUT; MySQL: ER_QUERY_TIMEOUT, and ER_QUERY_INTERRUPTED for a killed statement.
_TIMEOUT_CODES = frozenset({1969, 3024, 1317})
# ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
_READ_ONLY_CODE = 1792
# Access denied, unknown database, and the client's CR_* codes (2000-2999): the connection, not a statement.
_CONNECTION_CODES = frozenset({1044, 1045, 1049, 1130, 1698})
_SENT = re.compile(r"^\s*(?:SELECT\b|SHOW\b|SET\s+SESSION\s+(?:TRANSACTION\s+READ\s+ONLY|\w+\s*=))", re.IGNORECASE)


def session_settings(mariadb: bool, timeout_ms: int) -> list[str]:
    """The statements that make a new session read-only, time-limited and in UTC (so that timestamps such as
    the digest table's ``LAST_SEEN`` read the same wherever the server is)."""
    limit = f"max_statement_time = {timeout_ms / 1000:.3f}" if mariadb else f"max_execution_time = {timeout_ms}"
    return ["SET SESSION TRANSACTION READ ONLY", f"SET SESSION {limit}", "SET SESSION time_zone = '+00:00'"]


def check_read_only(sql: str) -> str:
    """``sql`` when it is a kind sqltune may send (``SELECT``, ``SHOW``, its own ``SET SESSION``); else
    ValueError, so that a bug can never make the connector write."""
    if not _SENT.match(sql):
        raise ValueError(f"sqltune's MySQL connector only reads; refusing to send: {sql[:60]!r}")
    return sql


def translate(error: pymysql.MySQLError, secrets: Sequence[str]) -> DatabaseError:
    """The scrubbed sqltune error for a driver error. Not chained: the driver's text may hold a secret."""
    code = error.args[0] if error.args and isinstance(error.args[0], int) else None
    text = str(error.args[1]) if len(error.args) > 1 else str(error)
    message = redact_text(f"{text.strip()}{f' (MySQL error {code})' if code else ''}", secrets)
    sqlstate = None  # PyMySQL does not pass the server's SQLSTATE on; the error number is in the message
    if code in _TIMEOUT_CODES:
        return QueryTimeout(
            f"{message}: sqltune limits every statement (pass a larger statement_timeout= if it is expected to "
            "take longer)",
            sqlstate=sqlstate,
        )
    if code == _READ_ONLY_CODE:
        return QueryError(f"{message} (sqltune only reads: the statement tried to write)", sqlstate=sqlstate)
    if (
        code in _CONNECTION_CODES
        or (code is not None and 2000 <= code < 3000)
        or isinstance(error, pymysql.err.InterfaceError)
    ):
        return ConnectionError(message, sqlstate=sqlstate)
    return QueryError(message, sqlstate=sqlstate)
