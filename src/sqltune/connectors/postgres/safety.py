"""What keeps sqltune's PostgreSQL statements harmless: time limits, one statement at a time, scrubbed errors.

- :data:`Timeout` and :func:`timeout_ms` (from :mod:`sqltune.connectors.timeouts`, driver-free): the spellings
  of a time limit, and the milliseconds sent as ``statement_timeout`` (sqltune never runs a statement without
  one);
- :class:`Statement` and :func:`check_statement`: user SQL checked to be exactly one statement, whether it
  writes (so that ``EXPLAIN ANALYZE`` knows it cannot run read-only) and the ``$n`` parameters it uses;
- :func:`translate`: a driver error as a :class:`~sqltune.connectors.errors.DatabaseError` subclass whose
  message is scrubbed of every secret in play (see :mod:`sqltune.connectors.redact`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors

from sqltune.connectors.errors import ConnectionError, DatabaseError, QueryError, QueryTimeout
from sqltune.connectors.redact import redact_text
from sqltune.connectors.timeouts import Timeout, timeout_ms
from sqltune.core.sqlglot import ParseError, TokenError, exp, parse_one, split_statements, tokenize

__all__ = ["Statement", "Timeout", "check_statement", "timeout_ms", "translate"]

_PARAMETER = re.compile(r"\$(\d+)")

# Nodes that make a statement write (or lock rows), so that EXPLAIN ANALYZE cannot run it read-only.
# Anything else, including what sqlglot only knows as a generic Command, is analysed read-only: if it does
# write, the server refuses, which is the safe way to be wrong.
_WRITING_NODES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Lock, exp.Into)


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of user SQL, as :func:`check_statement` found it."""

    sql: str  # the one statement, without a trailing semicolon or comments around it
    writes: bool  # needs a read-write transaction to run (only matters with ANALYZE)
    parameters: int  # highest $n, 0 when none


def check_statement(sql: str) -> Statement:
    """Check ``sql`` is one statement and find out whether it writes and which ``$n`` it uses.

    Where sqlglot cannot parse the statement, it is assumed not to write (so ANALYZE runs it read-only and
    the server refuses if it does) and ``$n`` are found textually.

    >>> check_statement("UPDATE t SET a = $2 WHERE id = $1;  -- trailing comment")
    Statement(sql='UPDATE t SET a = $2 WHERE id = $1', writes=True, parameters=2)
    >>> check_statement("WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone").writes
    True
    >>> check_statement("SELECT * FROM t WHERE note = '$1'")
    Statement(sql="SELECT * FROM t WHERE note = '$1'", writes=False, parameters=0)
    """
    try:
        pieces = list(split_statements(tokenize(sql, "postgres")))
    except TokenError:
        pieces = []
    if len(pieces) > 1:
        raise ValueError(f"expected one SQL statement; got {len(pieces)}")
    text = sql[pieces[0].start : pieces[0].end] if pieces else sql.strip().rstrip(";").strip()
    if not text:
        raise ValueError("expected a SQL statement; got an empty string")
    try:
        tree = parse_one(text, "postgres")
    except (ParseError, TokenError):
        numbers = [int(n) for n in _PARAMETER.findall(text)]
        return Statement(text, False, max(numbers, default=0))
    writes = any(isinstance(node, _WRITING_NODES) for node in tree.walk())
    numbers = [int(node.name) for node in tree.find_all(exp.Parameter) if node.name.isdigit()]
    return Statement(text, writes, max(numbers, default=0))


def translate(error: psycopg.Error, secrets: Sequence[str], *, broken: bool = False) -> DatabaseError:
    """The scrubbed sqltune error for a driver error. Not chained: the driver's text may hold a secret."""
    message = redact_text(str(error).strip(), secrets) or type(error).__name__
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(error, pg_errors.QueryCanceled):
        return QueryTimeout(
            f"{message} (sqltune sets statement_timeout on every statement: pass a larger timeout= if the "
            "statement is expected to take longer)",
            sqlstate=sqlstate,
        )
    if isinstance(error, pg_errors.ReadOnlySqlTransaction):
        return QueryError(f"{message} (sqltune only reads: the statement tried to write)", sqlstate=sqlstate)
    if broken or (sqlstate or "")[:2] in {"08", "28", "57"} or isinstance(error, psycopg.InterfaceError):
        return ConnectionError(message, sqlstate=sqlstate)
    return QueryError(message, sqlstate=sqlstate)
