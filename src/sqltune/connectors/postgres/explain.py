"""EXPLAIN on PostgreSQL, inside a transaction the connection opened (and always rolls back).

- :class:`ExplainResult`: the JSON plan (and its text form) of one statement, and how parameters were handled;
- :func:`check_arguments`, :func:`explain_options`, :func:`explain_method`: what to ask EXPLAIN for, refused
  before anything is sent when the server or the arguments cannot give it;
- :func:`explain_statement`: the EXPLAIN itself, sent with the extended query protocol (one statement only).
  Statements with ``$n`` and no values get a generic plan: ``EXPLAIN (GENERIC_PLAN)`` on PostgreSQL 16+,
  else :func:`explain_prepared` (``PREPARE`` + ``EXPLAIN EXECUTE ...(NULL, ...)`` under a forced generic plan);
- :func:`prepared`: a ``PREPARE`` d statement, always ``DEALLOCATE`` d (session state a rollback keeps);
- :func:`run_explain`, :func:`run_text`: one EXPLAIN sent, its JSON or text plan read.

The public entry point is :meth:`PostgresConnection.explain <sqltune.connectors.postgres.PostgresConnection.explain>`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from typing import Any

import psycopg

from sqltune.connectors.errors import QueryError
from sqltune.connectors.postgres.safety import Statement

__all__ = [
    "ExplainResult",
    "check_arguments",
    "explain_method",
    "explain_options",
    "explain_prepared",
    "explain_statement",
    "prepared",
    "run_explain",
    "run_text",
]

_statement_names = count(1)


@dataclass(frozen=True, slots=True)
class ExplainResult:
    """What EXPLAIN said about one statement.

    ``plan_json`` is the server's ``FORMAT JSON`` output as Python objects (a one-element list holding
    ``{"Plan": ..., "Planning Time": ..., "Settings": ...}``), ready for :mod:`sqltune.plans`. ``text`` is the
    same plan in the familiar text form; it is only produced without ``analyze`` (getting it would mean
    running the statement twice). ``method`` says how parameters were handled: ``"plain"``, ``"bound"``
    (``params`` were sent with the statement: a custom plan for those values), ``"generic_plan"``
    (``EXPLAIN (GENERIC_PLAN)``, PostgreSQL 16+) or ``"prepared"`` (PREPARE + EXPLAIN EXECUTE with a forced
    generic plan, older servers).
    """

    plan_json: list[dict[str, Any]]
    text: str | None
    server_version: int
    analyzed: bool
    method: str = "plain"


def check_arguments(statement: Statement, *, analyze: bool, wal: bool, params: Sequence[Any] | None) -> None:
    """Refuse argument combinations no server can explain (``ValueError``)."""
    if wal and not analyze:
        raise ValueError("wal=True needs analyze=True: WAL usage is only known after running the statement")
    if params is not None and len(params) < statement.parameters:
        raise ValueError(f"the statement uses ${statement.parameters} but {len(params)} params were given")
    if analyze and statement.parameters and params is None:
        raise ValueError(
            f"analyze=True runs the statement, which needs values for $1..${statement.parameters}: pass params="
        )


def explain_options(
    version: int, *, analyze: bool, buffers: bool | None, settings: bool, verbose: bool, wal: bool
) -> list[str]:
    """The EXPLAIN options, ``FORMAT JSON`` first; ``buffers`` defaults to ``analyze``.

    >>> explain_options(160000, analyze=True, buffers=None, settings=True, verbose=False, wal=True)
    ['FORMAT JSON', 'ANALYZE', 'BUFFERS', 'SETTINGS', 'WAL']
    """
    options = ["FORMAT JSON"]
    if analyze:
        options.append("ANALYZE")
    if buffers if buffers is not None else analyze:
        if not analyze and version < 130000:
            raise ValueError("buffers=True without analyze needs PostgreSQL 13 or later")
        options.append("BUFFERS")
    if settings and version >= 120000:
        options.append("SETTINGS")
    if verbose:
        options.append("VERBOSE")
    if wal:
        options.append("WAL")
    return options


def explain_method(statement: Statement, params: Sequence[Any] | None, version: int) -> str:
    """How the statement's parameters are handled (see :class:`ExplainResult`)."""
    method = "plain" if params is None else "bound"
    if statement.parameters and params is None:
        method = "generic_plan" if version >= 160000 else "prepared"
        if version < 120000:  # no plan_cache_mode: the NULLs would be planned as constants
            raise ValueError("explaining $n parameters without values needs PostgreSQL 12 or later: pass params=")
    return method


def explain_statement(
    raw: psycopg.RawCursor[Any],
    statement: Statement,
    options: Sequence[str],
    method: str,
    params: Sequence[Any] | None,
    *,
    analyze: bool,
    version: int,
) -> ExplainResult:
    """EXPLAIN ``statement`` with ``options`` on ``raw``, in the caller's transaction."""
    options = [*options, "GENERIC_PLAN"] if method == "generic_plan" else list(options)
    if method == "prepared":
        return explain_prepared(raw, statement, options, version)
    values = list(params) if params is not None else None
    # $n without values cannot go through the extended protocol (it would demand values for them),
    # and the simple one runs any number of statements: let PREPARE, which is sent with the extended
    # protocol, check with the server's own lexer that the text is one statement.
    simple = method == "generic_plan"
    if simple:
        with prepared(raw, statement):
            pass
    plan = run_explain(raw, f"EXPLAIN ({', '.join(options)}) {statement.sql}", values, simple)
    text = None
    if not analyze:
        text_options = ", ".join(["FORMAT TEXT", *options[1:]])
        text = run_text(raw, f"EXPLAIN ({text_options}) {statement.sql}", values, simple)
    return ExplainResult(plan, text, version, analyze, method)


@contextmanager
def prepared(raw: psycopg.RawCursor[Any], statement: Statement) -> Iterator[tuple[str, int]]:
    """``PREPARE`` the statement; yields its name and number of parameters. PREPARE is session state,
    which a rollback does not undo, so it is always DEALLOCATEd."""
    name = f"sqltune_explain_{next(_statement_names)}"
    raw.execute(f"PREPARE {name} AS {statement.sql}", None, binary=True)
    try:
        raw.execute(
            "SELECT cardinality(parameter_types) FROM pg_catalog.pg_prepared_statements WHERE name = $1", [name]
        )
        row = raw.fetchone()
        yield name, int(row[0] if row and row[0] is not None else statement.parameters)
    finally:
        connection = raw.connection
        if not connection.closed:
            if connection.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
                connection.execute("ROLLBACK")  # an aborted transaction accepts nothing else
            connection.execute(f"DEALLOCATE {name}")


def explain_prepared(
    raw: psycopg.RawCursor[Any], statement: Statement, options: list[str], version: int
) -> ExplainResult:
    """PREPARE + EXPLAIN EXECUTE name(NULL, ...) with a forced generic plan: the NULLs are not planned
    with, so this is the same plan ``EXPLAIN (GENERIC_PLAN)`` gives on PostgreSQL 16+."""
    with prepared(raw, statement) as (name, parameters):
        raw.execute("SET LOCAL plan_cache_mode = force_generic_plan", None, binary=True)
        nulls = ", ".join(["NULL"] * parameters)
        execute = f"EXECUTE {name}({nulls})" if nulls else f"EXECUTE {name}"
        plan = run_explain(raw, f"EXPLAIN ({', '.join(options)}) {execute}", None)
        text = run_text(raw, f"EXPLAIN ({', '.join(['FORMAT TEXT', *options[1:]])}) {execute}", None)
    return ExplainResult(plan, text, version, False, "prepared")


def run_explain(
    raw: psycopg.RawCursor[Any], query: str, params: list[Any] | None, simple: bool = False
) -> list[dict[str, Any]]:
    """The JSON plan of one ``EXPLAIN (FORMAT JSON ...)``."""
    # binary=True forces the extended query protocol even without parameters: one statement only.
    raw.execute(query, params, binary=not simple)
    row = raw.fetchone()
    plan = row[0] if row else None
    if not isinstance(plan, list):  # json arrives decoded; text would mean an unexpected server setup
        raise QueryError("EXPLAIN (FORMAT JSON) did not return a JSON plan")
    return plan


def run_text(raw: psycopg.RawCursor[Any], query: str, params: list[Any] | None, simple: bool = False) -> str:
    """The text plan of one ``EXPLAIN (FORMAT TEXT ...)``."""
    raw.execute(query, params, binary=not simple)
    return "\n".join(str(line) for (line,) in raw.fetchall())
