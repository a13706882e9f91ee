"""The read-only PostgreSQL connection, and how a target becomes one.

- :class:`PostgresConnection`: lifecycle, facts about the server, and the one place that opens
  transactions (always rolled back, read-only unless asked, time-limited) and turns driver errors into
  scrubbed sqltune errors. What it reads is done by the modules of this package: EXPLAIN
  (:mod:`~sqltune.connectors.postgres.explain`), the catalog (:mod:`~sqltune.connectors.postgres.catalog`),
  ``pg_stat_statements`` (:mod:`~sqltune.connectors.postgres.workload`), and for the index advisor the
  what-if backends (:mod:`~sqltune.connectors.postgres.whatif`) and runtime validation
  (:mod:`~sqltune.connectors.postgres.validate`);
- :func:`connect`: open one from a DSN, URL, mapping of libpq keywords or SQLAlchemy object;
- :func:`resolve_target`: those libpq keywords, and the secrets among them to keep out of messages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from sqltune.connectors.errors import ConnectionError, QueryError
from sqltune.connectors.lifecycle import Closing
from sqltune.connectors.postgres.catalog import load_schema, planner_settings, stats_reset
from sqltune.connectors.postgres.explain import (
    ExplainResult,
    check_arguments,
    explain_method,
    explain_options,
    explain_statement,
)
from sqltune.connectors.postgres.layout import layout_facts, measure_layout, sample_rows
from sqltune.connectors.postgres.parameters import representative_params
from sqltune.connectors.postgres.safety import Timeout, check_statement, timeout_ms, translate
from sqltune.connectors.postgres.validate import measure_regressions as measure_with_real_indexes
from sqltune.connectors.postgres.verify import check_fact, fetch_digest, timed_run
from sqltune.connectors.postgres.whatif import HypoPGBackend, RealIndexBackend
from sqltune.connectors.postgres.workload import (
    WorkloadStatement,
    executions,
    extension_schema,
    read_statements,
    unavailable,
)
from sqltune.connectors.redact import SECRET_KEYS, find_secrets, redact_text
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.progress import Progress
from sqltune.indexes.runtime import RuntimeCheck
from sqltune.indexes.whatif import WhatIfBackend
from sqltune.layout.model import Measured
from sqltune.rewrites.resulthash import ResultHash
from sqltune.rewrites.verification import Fact, Fetch, Run
from sqltune.schema import Schema
from sqltune.workload.model import Execution

__all__ = ["PostgresConnection", "connect", "resolve_target"]

_URL_SCHEME = re.compile(r"^\s*(?P<scheme>[a-z][a-z0-9+.\-]*)://", re.IGNORECASE)


class PostgresConnection(Closing):
    """A connection opened by :func:`connect`. Use it as a context manager, or call :meth:`close`."""

    def __init__(
        self, connection: psycopg.Connection[Any], *, timeout: int, secrets: Sequence[str], display: str
    ) -> None:
        self._connection = connection
        self._timeout = timeout
        self._secrets = tuple(secrets)
        self._display = display

    # -- lifecycle ------------------------------------------------------------------------------------
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

    @property
    def address(self) -> str:
        """``host:port/database`` as connected: what messages and snapshots name, never a user or password."""
        return self._display

    def settings(self) -> dict[str, str]:
        """Planner-relevant settings as ``SHOW`` prints them (``{"work_mem": "4MB", "jit": "on", ...}``).

        Plans and their costs depend on these; a plan read elsewhere is only comparable under the same ones.
        """
        with self._transaction() as cursor:
            return planner_settings(cursor)

    def schema(self, schemas: Iterable[str] | None = ("public",)) -> Schema:
        """Tables, columns, keys, indexes and statistics of ``schemas`` (``None``: all non-system schemas).

        Read in one REPEATABLE READ snapshot, so the pieces agree with each other. See
        :mod:`sqltune.connectors.postgres.catalog` for what is read.
        """
        with self._transaction(snapshot=True) as cursor:
            return load_schema(cursor, schemas)

    def stats_reset(self) -> datetime | None:
        """When this database's usage counters (``Index.scans``, ``TableStats.seq_scans``...) started counting;
        ``None`` when they never were reset. "Unused index" means unused since then."""
        with self._transaction() as cursor:
            return stats_reset(cursor)

    def statements(self, limit: int | None = 100, min_calls: int = 1) -> list[WorkloadStatement]:
        """The ``limit`` statements of this database with the most total execution time (``None``: all),
        from ``pg_stat_statements``; raises :class:`~sqltune.connectors.WorkloadUnavailable` telling how to
        enable the extension when it is missing."""
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

    # -- the workload's port (sqltune.workload.ports.WorkloadConnection) --------------------------------
    @property
    def dialect(self) -> str:
        return "postgres"

    def read_workload(
        self, source: str = "pg_stat_statements", limit: int | None = None, min_calls: int = 1, **options: Any
    ) -> Iterator[Execution]:
        """This database's ``pg_stat_statements`` rows as workload records, one per row with its ``calls``,
        total and max execution time, rows, ``queryid``, database and user (see
        :func:`~sqltune.connectors.postgres.workload.executions`). ``limit`` keeps the rows with the most
        total time. Texts are the recorded ones, repaired to plan (``date $1`` -> ``$1::date``)."""
        if source != "pg_stat_statements":
            raise ValueError(f"unknown PostgreSQL workload source {source!r}; expected pg_stat_statements")
        return executions(self.statements(limit=limit, min_calls=min_calls))

    def describe_workload(self, source: str = "pg_stat_statements", **options: Any) -> str:
        """``pg_stat_statements:host:port/database`` (no credentials)."""
        return f"{source}:{self._display}"

    def representative_params(self, sql: str) -> list[Any] | None:
        """Typed values for the ``$n`` of a normalised statement, from the column types and ``pg_stats``, so
        it is planned as a real run would be (``None`` when it has no parameters); see
        :mod:`sqltune.connectors.postgres.parameters`."""
        count = check_statement(sql).parameters
        if not count:
            return None
        with self._transaction() as cursor:
            return representative_params(cursor, sql, count)

    # -- the index advisor's port (sqltune.indexes.ports.AdvisorConnection) -----------------------------
    def what_if_backend(self, kind: str = "hypopg") -> WhatIfBackend:
        """The index advisor's what-if costs on this server: HypoPG's hypothetical indexes in this session
        (``"hypopg"``), or real indexes built inside a rolled-back transaction (``"real"``).

        See :mod:`sqltune.connectors.postgres.whatif`. The HypoPG backend has a ``close()`` that drops its
        hypothetical indexes.
        """
        if kind == "hypopg":
            return HypoPGBackend(self)
        if kind == "real":
            return RealIndexBackend(self)
        raise ValueError(f"unknown what-if backend {kind!r}; expected hypopg or real")

    def measure_regressions(
        self,
        queries: Sequence[WorkloadQuery],
        indexes: Sequence[IndexSpec],
        *,
        timeout_s: float = 300,
        progress: Progress | None = None,
    ) -> list[RuntimeCheck]:
        """Each query's measured runtime with and without ``indexes``, built for real inside a transaction
        that is rolled back; see :func:`sqltune.connectors.postgres.validate.measure_regressions`."""
        return measure_with_real_indexes(self, queries, indexes, timeout_s=timeout_s, progress=progress)

    # -- the layout advisor's port (sqltune.layout.ports.LayoutConnection) -------------------------------
    def layout_sample(self, table: str, columns: Sequence[str], rows: int) -> dict[str, list[Any]]:
        """About ``rows`` rows of ``table`` in physical order (``TABLESAMPLE SYSTEM``), per column."""
        with self._transaction() as cursor:
            return sample_rows(cursor, table, columns, rows)

    def layout_facts(self, table: str) -> dict[str, Any]:
        """``partition_key``, ``clustered_on`` and ``memory_bytes`` (effective_cache_size) of ``table``."""
        with self._transaction() as cursor:
            return layout_facts(cursor, table)

    def measure_layout(
        self,
        table: str,
        queries: Sequence[tuple[str, str]],
        ddl: Sequence[str],
        order_by: Sequence[str] = (),
        *,
        timeout_s: float = 300,
    ) -> list[Measured]:
        """Templates timed on a rolled-back copy of ``table`` before and after a layout; see
        :func:`sqltune.connectors.postgres.layout.measure_layout`."""
        return measure_layout(self, table, queries, ddl, order_by, timeout_s=timeout_s)

    # -- the rewrite verifier's port (sqltune.rewrites.verification.VerifyConnection) --------------------
    def verify_fetch(self, sql: str, hasher: ResultHash, *, timeout_ms: int) -> Fetch:
        """Run one query read-only and stream its rows into ``hasher`` (a server-side cursor, batch by batch);
        see :func:`sqltune.connectors.postgres.verify.fetch_digest`. A query the database refuses is a
        :class:`~sqltune.rewrites.verification.Fetch` with its (scrubbed) error."""
        text = _query_only(sql)
        try:
            with self._transaction(timeout=timeout_ms) as cursor:
                return fetch_digest(cursor, text, hasher, timeout_ms)
        except QueryError as error:
            return Fetch(None, None, _first_line(error))

    def verify_run(self, sql: str, *, timeout_ms: int) -> Run:
        """Time one query (``EXPLAIN (ANALYZE, TIMING OFF)``, rolled back) with its plan."""
        text = _query_only(sql)
        try:
            with self._transaction(timeout=timeout_ms) as cursor:
                return timed_run(cursor, text, timeout_ms)
        except QueryError as error:
            return Run(None, None, _first_line(error))

    def verify_fact(self, sql: str, *, timeout_ms: int) -> Fact:
        """The boolean of one read-only check query (``holds`` is ``None`` when it failed or timed out)."""
        try:
            with self._transaction(timeout=timeout_ms) as cursor:
                return check_fact(cursor, check_statement(sql).sql)
        except QueryError as error:
            return Fact(None, _first_line(error))

    # -- running statements (also the star designer's port, sqltune.design.ports.DesignConnection) ------
    def query(
        self, sql: str, params: Sequence[Any] | None = None, *, timeout: Timeout | None = None
    ) -> list[tuple[Any, ...]]:
        """The rows of one statement, run read-only and rolled back (``$1``-style ``params``).

        For callers that need a catalog fact or a function call this module does not wrap, e.g. HypoPG's
        ``SELECT * FROM hypopg_create_index($1)`` (a hypothetical index lives in the session, so it survives
        the rollback and later :meth:`explain` calls see it). Results come in binary form: types psycopg
        does not know arrive as ``bytes``; cast them to ``text`` in the query.
        """
        statement = check_statement(sql)
        limit = self._timeout if timeout is None else timeout_ms(timeout)
        with self._transaction(timeout=limit):
            raw = psycopg.RawCursor(self._connection)
            raw.execute(statement.sql, list(params) if params is not None else None, binary=True)
            return [tuple(row) for row in raw.fetchall()] if raw.description else []

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
        explained with a generic plan (see :mod:`sqltune.connectors.postgres.explain`). ``timeout`` replaces
        the connection's ``statement_timeout`` for this call.
        """
        statement = check_statement(sql)
        check_arguments(statement, analyze=analyze, wal=wal, params=params)
        version = self.server_version
        options = explain_options(
            version, analyze=analyze, buffers=buffers, settings=settings, verbose=verbose, wal=wal
        )
        limit = self._timeout if timeout is None else timeout_ms(timeout)
        read_only = not (analyze and statement.writes)
        method = explain_method(statement, params, version)
        with self._transaction(read_only=read_only, timeout=limit):
            raw = psycopg.RawCursor(self._connection)
            return explain_statement(raw, statement, options, method, params, analyze=analyze, version=version)

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
            raise translate(error, self._secrets, broken=self.closed) from None


def _query_only(sql: str) -> str:
    """``sql`` as one statement that only reads (the verified mode runs nothing else, not even rolled back)."""
    statement = check_statement(sql)
    if statement.writes or statement.parameters:
        raise ValueError("only read-only queries without parameters can be verified")
    return statement.sql


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


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
