"""Read-only by discipline: what sqltune's Snowflake connector may send, and how errors come back.

Snowflake has no read-only session, so every rule is enforced here:

- :func:`check_read_only`: the only statement kinds ever sent (``SELECT``, with or without ``WITH``, ``SHOW``,
  ``EXPLAIN USING JSON``, ``ALTER SESSION SET`` of sqltune's two session parameters);
  :class:`Run` is a function that sends one;
- :func:`one_statement`: user SQL (which only travels behind ``EXPLAIN``) is exactly one statement;
- :func:`stored` and :func:`quoted`: names as Snowflake stores them, and always quoted where pasted into SQL
  (values are bound parameters);
- :data:`QUERY_TAG` and :func:`timeout_seconds`: the session's tag and time limits;
- :func:`translate`: a driver error as a :class:`~sqltune.connectors.errors.DatabaseError` subclass scrubbed
  of the :data:`SECRET_OPTIONS` in play; :func:`not_authorised` tells a missing grant;
- :func:`variant`: a VARIANT column decoded from the JSON text the connector returns.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from snowflake.connector import errors as sf_errors

from sqltune.connectors.errors import ConnectionError, DatabaseError, QueryError, QueryTimeout
from sqltune.connectors.redact import redact_text
from sqltune.core.sqlglot import TokenError, split_statements, tokenize

__all__ = [
    "QUERY_TAG",
    "SECRET_OPTIONS",
    "TIMEOUT_SQLSTATE",
    "Run",
    "check_read_only",
    "not_authorised",
    "one_statement",
    "quoted",
    "stored",
    "timeout_seconds",
    "translate",
    "variant",
]

#: Tag on every statement sqltune runs, so that QUERY_HISTORY tells them apart from the workload.
QUERY_TAG = "sqltune"

#: Connection options whose values are secrets: kept out of every message sqltune raises.
SECRET_OPTIONS = ("password", "token", "passcode", "private_key_file_pwd", "oauth_client_secret", "proxy_password")

#: Statement cancelled: the server's timeout, or the client's.
TIMEOUT_SQLSTATE = "57014"

# The only statement kinds this module sends. ALTER SESSION only for sqltune's own parameters; WITH only
# before a SELECT (Snowflake's WITH precedes nothing else; the history reader's CTEs are composed here).
_READ_ONLY = re.compile(
    r"^\s*(?:SELECT\b|WITH\b|SHOW\b|EXPLAIN\s+USING\s+JSON\b"
    r"|ALTER\s+SESSION\s+SET\s+(?:STATEMENT_TIMEOUT_IN_SECONDS|QUERY_TAG)\s*=)",
    re.IGNORECASE,
)
_PLAIN_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_TIMEOUT_ERRNOS = {604, 630}  # "SQL execution canceled", "Statement reached its statement ... timeout"


class Run(Protocol):
    """Runs one read-only statement (checked by :func:`check_read_only`); rows as dicts keyed by lower-case
    column name. :class:`~sqltune.connectors.snowflake.SnowflakeConnection` has one."""

    def __call__(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None, /
    ) -> list[dict[str, Any]]: ...


def check_read_only(sql: str) -> None:
    """Refuse to send anything but the statement kinds this module is allowed to (a programming error)."""
    if not _READ_ONLY.match(sql):
        raise AssertionError(f"sqltune's Snowflake connector only reads; refusing to send: {sql[:60]!r}")


def one_statement(sql: str) -> str:
    """The one statement in ``sql`` (without a trailing semicolon); ``ValueError`` for none or several."""
    try:
        pieces = list(split_statements(tokenize(sql, "snowflake")))
    except TokenError as error:
        raise ValueError(f"cannot read the SQL to explain: {error}") from None
    if len(pieces) > 1:
        raise ValueError(f"expected one SQL statement; got {len(pieces)}")
    text = sql[pieces[0].start : pieces[0].end].strip() if pieces else ""
    if not text:
        raise ValueError("expected a SQL statement; got an empty string")
    return text


def stored(name: str) -> str:
    """The name as INFORMATION_SCHEMA stores it: a plain name upper-cased (Snowflake folds unquoted
    identifiers), a double-quoted one as written inside the quotes.

    >>> stored("analytics"), stored('"Mixed Case"'), stored("my-db")
    ('ANALYTICS', 'Mixed Case', 'my-db')
    """
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name.upper() if _PLAIN_IDENTIFIER.match(name) else name


def quoted(name: str) -> str:
    """An exact (stored) name, always quoted."""
    return '"' + name.replace('"', '""') + '"'


def variant(value: Any) -> Any:
    """A VARIANT/ARRAY/OBJECT column: the Python connector returns JSON text; decoded here."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def timeout_seconds(value: Any, name: str) -> int:
    """A time limit in whole seconds (rounded up); ``ValueError`` naming the argument otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 or math.isinf(value):
        raise ValueError(f"invalid {name} {value!r}: expected a positive number of seconds")
    return max(1, math.ceil(value))


def not_authorised(message: str) -> bool:
    """Whether an error message says the role may not read something (or, to the role, it does not exist)."""
    text = message.lower()
    return "not authorized" in text or "insufficient privileges" in text or "does not exist" in text


def _sqlstate(error: sf_errors.Error) -> str | None:
    state = getattr(error, "sqlstate", None)
    return state if isinstance(state, str) and len(state) == 5 else None


def translate(error: sf_errors.Error, secrets: Sequence[str], *, connecting: bool = False) -> DatabaseError:
    """The scrubbed sqltune error for a driver error. Not chained: the driver's text may hold a secret."""
    message = redact_text(str(error).strip(), secrets) or type(error).__name__
    sqlstate = _sqlstate(error)
    errno = getattr(error, "errno", None)
    if sqlstate == TIMEOUT_SQLSTATE or errno in _TIMEOUT_ERRNOS:
        return QueryTimeout(
            f"{message} (sqltune sets STATEMENT_TIMEOUT_IN_SECONDS and a client timeout on every statement: "
            "pass a larger statement_timeout_s= if the statement is expected to take longer)",
            sqlstate=sqlstate,
        )
    if (
        connecting
        or (sqlstate or "")[:2] in {"08", "28"}
        or isinstance(error, sf_errors.OperationalError | sf_errors.InterfaceError)
    ):
        return ConnectionError(message, sqlstate=sqlstate)
    return QueryError(message, sqlstate=sqlstate)
