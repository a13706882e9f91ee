"""A read-only, time-limited, credential-safe connection to a live PostgreSQL.

sqltune is pointed at production databases, so the connection is built to be harmless there:

* **Nothing is ever committed.** Every unit of work runs in an explicit transaction that ends in
  ``ROLLBACK``. The session also sets ``default_transaction_read_only``, and every transaction that only
  reads says ``SET TRANSACTION READ ONLY``, so the server itself refuses writes.
* **EXPLAIN does not execute** unless ``analyze=True`` is asked for. With ``analyze=True`` a query runs in a
  read-only transaction; a data-modifying statement (INSERT/UPDATE/DELETE/MERGE, ``SELECT ... FOR UPDATE``,
  ``SELECT INTO``) cannot run read-only, so it runs read-write and is rolled back. Rolled back means table
  contents are unchanged, but the work was done: rows were locked while it ran, triggers fired, and sequences
  advanced (``nextval`` is never rolled back).
* **Every statement has a time limit**: the session's ``statement_timeout`` and a ``SET LOCAL`` one in each
  transaction; a cancelled statement raises :class:`~sqltune.connectors.QueryTimeout`.
* **One statement per EXPLAIN**: user SQL is sent with the extended query protocol, which the server refuses
  to run with more than one command, so ``SELECT 1; DROP TABLE t`` cannot slip through. (The one exception,
  ``EXPLAIN (GENERIC_PLAN)``, is first checked by ``PREPARE``-ing the text, which goes the extended way.)
* **No password in any message**: errors are re-raised as :class:`~sqltune.connectors.DatabaseError`
  subclasses whose text is scrubbed, without the driver's exception chained; ``repr()`` shows host and
  database only.

Queries with ``$1``-style parameters (as ``pg_stat_statements`` records them) and no values are explained
with a *generic* plan: ``EXPLAIN (GENERIC_PLAN)`` on PostgreSQL 16+, else ``PREPARE`` plus
``EXPLAIN EXECUTE ...(NULL, ...)`` under ``plan_cache_mode = force_generic_plan`` (the NULLs are never
looked at: a generic plan is built for any value). ``analyze=True`` needs real values (``params=``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from types import TracebackType
from typing import Any

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg.conninfo import conninfo_to_dict
except ImportError as missing:  # pragma: no cover - depends on the installed extras
    raise ImportError("the PostgreSQL connector needs psycopg 3: pip install 'sqltune[postgres]'") from missing

from sqltune.connectors import ConnectionError, DatabaseError, QueryError, QueryTimeout
from sqltune.connectors.catalog import load_schema, stats_reset
from sqltune.connectors.redact import SECRET_KEYS, find_secrets, redact_text
from sqltune.connectors.workload import WorkloadStatement, extension_schema, read_statements, unavailable
from sqltune.core.sqlglot import ParseError, TokenError, exp, parse_one, split_statements, tokenize
from sqltune.schema.model import Schema

__all__ = ["PLANNER_SETTINGS", "ExplainResult", "PostgresConnection", "Timeout", "connect", "timeout_ms"]

#: A time limit: seconds (``30``, ``0.5``), a ``timedelta``, or PostgreSQL's spelling (``"30s"``, ``"500ms"``,
#: ``"2min"``; a bare number in a string is milliseconds, as in ``SET statement_timeout``).
Timeout = str | int | float | timedelta

#: Settings that change plans or their costs; :meth:`PostgresConnection.settings` reads these and every
#: ``enable_*`` switch.
PLANNER_SETTINGS = (
    "work_mem",
    "hash_mem_multiplier",
    "maintenance_work_mem",
    "shared_buffers",
    "effective_cache_size",
    "effective_io_concurrency",
    "random_page_cost",
    "seq_page_cost",
    "cpu_tuple_cost",
    "cpu_index_tuple_cost",
    "cpu_operator_cost",
    "parallel_setup_cost",
    "parallel_tuple_cost",
    "min_parallel_table_scan_size",
    "min_parallel_index_scan_size",
    "max_parallel_workers_per_gather",
    "max_parallel_workers",
    "max_worker_processes",
    "jit",
    "jit_above_cost",
    "jit_inline_above_cost",
    "jit_optimize_above_cost",
    "default_statistics_target",
    "join_collapse_limit",
    "from_collapse_limit",
    "geqo",
    "geqo_threshold",
    "plan_cache_mode",
    "constraint_exclusion",
    "track_io_timing",
)

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0}
_TIMEOUT_TEXT = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>us|ms|s|min|h|d)?\s*$")
_URL_SCHEME = re.compile(r"^\s*(?P<scheme>[a-z][a-z0-9+.\-]*)://", re.IGNORECASE)
_PARAMETER = re.compile(r"\$(\d+)")

# Nodes that make a statement write (or lock rows), so that EXPLAIN ANALYZE cannot run it read-only.
# Anything else, including what sqlglot only knows as a generic Command, is analysed read-only: if it does
# write, the server refuses, which is the safe way to be wrong.
_WRITING_NODES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Lock, exp.Into)

_statement_names = count(1)


def timeout_ms(value: Timeout) -> int:
    """A time limit in whole milliseconds (rounded up); zero or negative is refused, since sqltune never
    runs a statement without a limit.

    >>> timeout_ms("30s"), timeout_ms("250ms"), timeout_ms(1.5), timeout_ms(timedelta(minutes=2)), timeout_ms("40")
    (30000, 250, 1500, 120000, 40)
    >>> timeout_ms("soon")
    Traceback (most recent call last):
    ...
    ValueError: invalid timeout 'soon': expected seconds (30), a timedelta, or text like '30s', '500ms', '2min'
    """
    if isinstance(value, timedelta):
        milliseconds = value.total_seconds() * 1000
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"invalid timeout {value!r}: expected seconds, a timedelta, or text like '30s'")
    elif isinstance(value, str):
        match = _TIMEOUT_TEXT.match(value)
        if match is None:
            raise ValueError(
                f"invalid timeout {value!r}: expected seconds (30), a timedelta, or text like '30s', '500ms', '2min'"
            )
        milliseconds = float(match.group("number")) * _UNITS_MS[match.group("unit") or "ms"]
    else:
        milliseconds = float(value) * 1000
    if not milliseconds > 0 or math.isinf(milliseconds):
        raise ValueError(f"invalid timeout {value!r}: must be a positive, finite duration")
    return max(1, math.ceil(milliseconds))


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


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str  # the one statement, without a trailing semicolon or comments around it
    writes: bool  # needs a read-write transaction to run (only matters with ANALYZE)
    parameters: int  # highest $n, 0 when none


def _statement(sql: str) -> _Statement:
    """Check ``sql`` is one statement and find out whether it writes and which ``$n`` it uses.

    Where sqlglot cannot parse the statement, it is assumed not to write (so ANALYZE runs it read-only and
    the server refuses if it does) and ``$n`` are found textually.

    >>> _statement("UPDATE t SET a = $2 WHERE id = $1;  -- trailing comment")
    _Statement(sql='UPDATE t SET a = $2 WHERE id = $1', writes=True, parameters=2)
    >>> _statement("WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone").writes
    True
    >>> _statement("SELECT * FROM t WHERE note = '$1'")
    _Statement(sql="SELECT * FROM t WHERE note = '$1'", writes=False, parameters=0)
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
        return _Statement(text, False, max(numbers, default=0))
    writes = any(isinstance(node, _WRITING_NODES) for node in tree.walk())
    numbers = [int(node.name) for node in tree.find_all(exp.Parameter) if node.name.isdigit()]
    return _Statement(text, writes, max(numbers, default=0))


class PostgresConnection:
    """A connection opened by :func:`connect`. Use it as a context manager, or call :meth:`close`."""

    def __init__(
        self, connection: psycopg.Connection[Any], *, timeout: int, secrets: Sequence[str], display: str
    ) -> None:
        self._connection = connection
        self._timeout = timeout
        self._secrets = tuple(secrets)
        self._display = display

    # -- lifecycle ------------------------------------------------------------------------------------
    def __enter__(self) -> PostgresConnection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    @property
    def closed(self) -> bool:
        return bool(self._connection.closed)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"server {self.server_version}"
        return f"<PostgresConnection {self._display} {state}>"

    # -- facts about the server -----------------------------------------------------------------------
    @property
    def server_version(self) -> int:
        """PostgreSQL's version number: ``150020`` for 15.20, ``160004`` for 16.4."""
        return int(self._connection.info.server_version)

    @property
    def database(self) -> str:
        return str(self._connection.info.dbname)

    def settings(self) -> dict[str, str]:
        """Planner-relevant settings as ``SHOW`` prints them (``{"work_mem": "4MB", "jit": "on", ...}``).

        Plans and their costs depend on these; a plan read elsewhere is only comparable under the same ones.
        """
        with self._transaction() as cursor:
            cursor.execute(
                "SELECT name, current_setting(name) FROM pg_catalog.pg_settings"
                " WHERE name = ANY(%s) OR name ~ '^enable_' ORDER BY name",
                [list(PLANNER_SETTINGS)],
            )
            return {str(name): str(value) for name, value in cursor.fetchall()}

    def schema(self, schemas: Iterable[str] | None = ("public",)) -> Schema:
        """Tables, columns, keys, indexes and statistics of ``schemas`` (``None``: all non-system schemas).

        Read in one REPEATABLE READ snapshot, so the pieces agree with each other. See
        :mod:`sqltune.connectors.catalog` for what is read.
        """
        with self._transaction(snapshot=True) as cursor:
            return load_schema(cursor, schemas)

    def stats_reset(self) -> datetime | None:
        """When this database's usage counters (``Index.scans``, ``TableStats.seq_scans``...) started counting;
        ``None`` when they never were reset. "Unused index" means unused since then."""
        with self._transaction() as cursor:
            return stats_reset(cursor)

    def statements(self, limit: int = 100, min_calls: int = 1) -> list[WorkloadStatement]:
        """The ``limit`` statements of this database with the most total execution time, from
        ``pg_stat_statements``; raises :class:`~sqltune.connectors.WorkloadUnavailable` telling how to enable
        the extension when it is missing."""
        with self._transaction() as cursor:
            schema = extension_schema(cursor)
        if schema is None:
            raise unavailable(self.database, created=False)
        try:
            with self._transaction() as cursor:
                return read_statements(
                    cursor, server_version=self.server_version, schema=schema, limit=limit, min_calls=min_calls
                )
        except QueryError as error:
            if error.sqlstate == "55000":  # object_not_in_prerequisite_state: not in shared_preload_libraries
                raise unavailable(self.database, created=True) from None
            raise

    def query(
        self, sql: str, params: Sequence[Any] | None = None, *, timeout: Timeout | None = None
    ) -> list[tuple[Any, ...]]:
        """The rows of one statement, run read-only and rolled back (``$1``-style ``params``).

        For callers that need a catalog fact or a function call this module does not wrap, e.g. HypoPG's
        ``SELECT * FROM hypopg_create_index($1)`` (a hypothetical index lives in the session, so it survives
        the rollback and later :meth:`explain` calls see it). Results come in binary form: types psycopg
        does not know arrive as ``bytes``; cast them to ``text`` in the query.
        """
        statement = _statement(sql)
        limit = self._timeout if timeout is None else timeout_ms(timeout)
        with self._transaction(timeout=limit):
            raw = psycopg.RawCursor(self._connection)
            raw.execute(statement.sql, list(params) if params is not None else None, binary=True)
            return [tuple(row) for row in raw.fetchall()] if raw.description else []

    # -- EXPLAIN --------------------------------------------------------------------------------------
    def explain(
        self,
        sql: str,
        *,
        analyze: bool = False,
        buffers: bool | None = None,
        settings: bool = True,
        verbose: bool = False,
        wal: bool = False,
        params: Sequence[Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ExplainResult:
        """The plan of one statement. Nothing is executed unless ``analyze=True``; nothing is ever committed.

        ``buffers`` defaults to on with ``analyze`` (block hits and reads are most of what makes a plan
        slow) and off without it. ``settings`` lists non-default planner settings in the plan; ``wal`` needs
        ``analyze``. ``params`` are values for ``$1``, ``$2``...; without them a statement using ``$n`` is
        explained with a generic plan (see the module documentation). ``timeout`` replaces the connection's
        ``statement_timeout`` for this call.
        """
        statement = _statement(sql)
        if wal and not analyze:
            raise ValueError("wal=True needs analyze=True: WAL usage is only known after running the statement")
        if params is not None and len(params) < statement.parameters:
            raise ValueError(f"the statement uses ${statement.parameters} but {len(params)} params were given")
        if analyze and statement.parameters and params is None:
            raise ValueError(
                f"analyze=True runs the statement, which needs values for $1..${statement.parameters}: pass params="
            )
        version = self.server_version
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
        limit = self._timeout if timeout is None else timeout_ms(timeout)
        read_only = not (analyze and statement.writes)

        method = "plain" if params is None else "bound"
        if statement.parameters and params is None:
            method = "generic_plan" if version >= 160000 else "prepared"
            if version < 120000:  # no plan_cache_mode: the NULLs would be planned as constants
                raise ValueError("explaining $n parameters without values needs PostgreSQL 12 or later: pass params=")
        if method == "generic_plan":
            options.append("GENERIC_PLAN")

        with self._transaction(read_only=read_only, timeout=limit):
            raw = psycopg.RawCursor(self._connection)
            if method == "prepared":
                return self._explain_prepared(raw, statement, options, version)
            values = list(params) if params is not None else None
            # $n without values cannot go through the extended protocol (it would demand values for them),
            # and the simple one runs any number of statements: let PREPARE, which is sent with the extended
            # protocol, check with the server's own lexer that the text is one statement.
            simple = method == "generic_plan"
            if simple:
                with self._prepared(raw, statement):
                    pass
            plan = self._run_explain(raw, f"EXPLAIN ({', '.join(options)}) {statement.sql}", values, simple)
            text = None
            if not analyze:
                text_options = ", ".join(["FORMAT TEXT", *options[1:]])
                text = self._run_text(raw, f"EXPLAIN ({text_options}) {statement.sql}", values, simple)
            return ExplainResult(plan, text, version, analyze, method)

    @contextmanager
    def _prepared(self, raw: psycopg.RawCursor[Any], statement: _Statement) -> Iterator[tuple[str, int]]:
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
            connection = self._connection
            if not connection.closed:
                if connection.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
                    connection.execute("ROLLBACK")  # an aborted transaction accepts nothing else
                connection.execute(f"DEALLOCATE {name}")

    def _explain_prepared(
        self, raw: psycopg.RawCursor[Any], statement: _Statement, options: list[str], version: int
    ) -> ExplainResult:
        """PREPARE + EXPLAIN EXECUTE name(NULL, ...) with a forced generic plan: the NULLs are not planned
        with, so this is the same plan ``EXPLAIN (GENERIC_PLAN)`` gives on PostgreSQL 16+."""
        with self._prepared(raw, statement) as (name, parameters):
            raw.execute("SET LOCAL plan_cache_mode = force_generic_plan", None, binary=True)
            nulls = ", ".join(["NULL"] * parameters)
            execute = f"EXECUTE {name}({nulls})" if nulls else f"EXECUTE {name}"
            plan = self._run_explain(raw, f"EXPLAIN ({', '.join(options)}) {execute}", None)
            text = self._run_text(raw, f"EXPLAIN ({', '.join(['FORMAT TEXT', *options[1:]])}) {execute}", None)
        return ExplainResult(plan, text, version, False, "prepared")

    @staticmethod
    def _run_explain(
        raw: psycopg.RawCursor[Any], query: str, params: list[Any] | None, simple: bool = False
    ) -> list[dict[str, Any]]:
        # binary=True forces the extended query protocol even without parameters: one statement only.
        raw.execute(query, params, binary=not simple)
        row = raw.fetchone()
        plan = row[0] if row else None
        if not isinstance(plan, list):  # json arrives decoded; text would mean an unexpected server setup
            raise QueryError("EXPLAIN (FORMAT JSON) did not return a JSON plan")
        return plan

    @staticmethod
    def _run_text(raw: psycopg.RawCursor[Any], query: str, params: list[Any] | None, simple: bool = False) -> str:
        raw.execute(query, params, binary=not simple)
        return "\n".join(str(line) for (line,) in raw.fetchall())

    # -- transactions and errors ----------------------------------------------------------------------
    def transaction(
        self, *, read_only: bool = True, timeout: Timeout | None = None
    ) -> AbstractContextManager[psycopg.Cursor[Any]]:
        """A psycopg cursor in a transaction that is **always rolled back**, for sqltune code that needs
        several statements together (the what-if index backends). ``read_only=False`` allows writes that
        are undone at the end, e.g. a real ``CREATE INDEX`` to plan with; it holds its locks until then.
        Driver errors become scrubbed :class:`~sqltune.connectors.DatabaseError` s.
        """
        return self._transaction(read_only=read_only, timeout=None if timeout is None else timeout_ms(timeout))

    @contextmanager
    def _transaction(
        self, *, read_only: bool = True, timeout: int | None = None, snapshot: bool = False
    ) -> Iterator[psycopg.Cursor[Any]]:
        """A transaction that is always rolled back, read-only unless told otherwise, with a time limit.

        Driver errors raised inside become scrubbed :class:`DatabaseError` s.
        """
        connection = self._connection
        with self._errors():
            cursor = connection.cursor()
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ" if snapshot else "BEGIN")
            try:
                cursor.execute("SET TRANSACTION READ ONLY" if read_only else "SET TRANSACTION READ WRITE")
                cursor.execute(f"SET LOCAL statement_timeout = {int(timeout or self._timeout)}")
                yield cursor
            finally:
                if not connection.closed and connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    connection.execute("ROLLBACK")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as error:
            raise _translate(error, self._secrets, broken=self.closed) from None


def _translate(error: psycopg.Error, secrets: Sequence[str], *, broken: bool = False) -> DatabaseError:
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


# -- connecting ---------------------------------------------------------------------------------------------
def _secrets_of(params: Mapping[str, Any], raw: str | None) -> list[str]:
    """Every secret in play: parsed passwords, the raw text after ``password=`` or in a URL's userinfo (a
    malformed string may not parse), and ``$PGPASSWORD``."""
    secrets = [str(params[key]) for key in SECRET_KEYS if params.get(key)]
    if raw:
        secrets += find_secrets(raw)
    secrets += [os.environ[name] for name in ("PGPASSWORD", "PGSSLPASSWORD") if os.environ.get(name)]
    return [s for s in dict.fromkeys(secrets) if s]


def _from_string(target: str) -> tuple[dict[str, Any], list[str]]:
    scheme = _URL_SCHEME.match(target)
    conninfo = target
    if scheme is not None:
        name = scheme.group("scheme").lower()
        if name.split("+", 1)[0] not in {"postgresql", "postgres"}:
            raise ConnectionError(f"unsupported URL scheme {name!r}: expected postgresql:// (or postgresql+psycopg://)")
        conninfo = "postgresql://" + target[scheme.end() :]  # SQLAlchemy's postgresql+driver:// -> libpq's
    secrets = _secrets_of({}, target)
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error as error:
        detail = redact_text(str(error).strip(), secrets)
        raise ConnectionError(f"invalid connection string: {detail}") from None
    return params, _secrets_of(params, target)


def _from_sqlalchemy(url: Any) -> dict[str, Any]:
    """libpq keywords from a SQLAlchemy ``URL`` (its fields, never its rendered text)."""
    driver = str(url.drivername)
    if driver.split("+", 1)[0] not in {"postgresql", "postgres"}:
        raise ConnectionError(f"not a PostgreSQL engine: its dialect is {driver!r}")
    fields = {"user": url.username, "password": url.password, "host": url.host, "port": url.port}
    params = {key: str(value) for key, value in fields.items() if value is not None}
    if url.database:
        params["dbname"] = str(url.database)
    for key, value in dict(url.query).items():
        params[key] = str(value[-1] if isinstance(value, tuple) else value)
    return params


def resolve_target(target: Any) -> tuple[dict[str, Any], list[str]]:
    """libpq keyword arguments and the secrets among them, from whatever the user pointed sqltune at."""
    if target is None:
        return {}, _secrets_of({}, None)  # libpq defaults: PGHOST, PGDATABASE... from the environment
    if isinstance(target, str):
        return _from_string(target)
    if isinstance(target, Mapping):
        params = {str(k): v for k, v in target.items() if v is not None}
        return params, _secrets_of(params, None)
    url = None
    if hasattr(target, "drivername"):  # sqlalchemy.engine.URL
        url = target
    elif hasattr(getattr(target, "url", None), "drivername"):  # Engine
        url = target.url
    elif hasattr(getattr(getattr(target, "engine", None), "url", None), "drivername"):  # Connection
        url = target.engine.url
    if url is None:
        raise TypeError(
            f"cannot connect to a {type(target).__name__}: expected a libpq DSN or postgresql:// URL string, "
            "a mapping of libpq keywords, or a SQLAlchemy Engine/URL"
        )
    params = _from_sqlalchemy(url)
    return params, _secrets_of(params, None)


def _display(params: Mapping[str, Any]) -> str:
    host = str(params.get("host") or params.get("hostaddr") or "localhost")
    port = params.get("port")
    database = params.get("dbname") or params.get("user") or ""
    return f"{host}{':' + str(port) if port else ''}/{database}"


def connect(
    target: Any = None,
    *,
    statement_timeout: Timeout = "30s",
    application_name: str = "sqltune",
    connect_timeout: int = 10,
) -> PostgresConnection:
    """Open a read-only connection to PostgreSQL.

    ``target`` is a libpq DSN (``"host=db dbname=shop user=me"``), a URL (``"postgresql://me@db/shop"``,
    SQLAlchemy's ``"postgresql+psycopg://..."`` too), a mapping of libpq keywords, a SQLAlchemy ``Engine``,
    ``Connection`` or ``URL`` (only its URL is used: sqltune connects with psycopg itself, and the engine's
    ``connect_args`` are not carried over), or ``None`` for libpq's environment defaults.

    ``statement_timeout`` limits every statement sqltune runs (see :func:`timeout_ms` for the spellings);
    ``connect_timeout`` (seconds) limits connecting, unless the target sets its own.

    Raises :class:`~sqltune.connectors.ConnectionError` with a message free of passwords.
    """
    limit = timeout_ms(statement_timeout)
    params, secrets = resolve_target(target)
    params = dict(params, application_name=application_name)
    params.setdefault("connect_timeout", connect_timeout)
    display = _display(params)
    try:
        raw = psycopg.connect(autocommit=True, prepare_threshold=None, **params)
    except psycopg.Error as error:
        message = redact_text(str(error).strip(), secrets)
        raise ConnectionError(f"cannot connect to {display}: {message}", sqlstate=error.sqlstate) from None
    connection = PostgresConnection(raw, timeout=limit, secrets=secrets, display=_display(_live(raw, params)))
    try:
        with connection._errors():
            raw.execute(f"SET statement_timeout = {limit}")
            raw.execute("SET default_transaction_read_only = on")
    except BaseException:
        connection.close()
        raise
    return connection


def _live(raw: psycopg.Connection[Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Host, port and database as actually connected (the defaults resolved), for ``repr``."""
    info = raw.info
    return {"host": info.host or params.get("host"), "port": info.port, "dbname": info.dbname}
