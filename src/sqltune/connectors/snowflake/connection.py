"""The read-only Snowflake connection: lifecycle, plans and operator statistics, and how one is opened.

- :class:`SnowflakeConnection`: every statement goes through its one runner (checked read-only, time-limited,
  errors scrubbed, see :mod:`~sqltune.connectors.snowflake.safety`). It answers ``EXPLAIN USING JSON`` and
  ``GET_QUERY_OPERATOR_STATS`` itself; the workload comes from :mod:`~sqltune.connectors.snowflake.history`,
  the schema and clustering from :mod:`~sqltune.connectors.snowflake.catalog`;
- :func:`connect`: open a connection, or wrap an open ``snowflake.connector`` one, with sqltune's session
  parameters (``STATEMENT_TIMEOUT_IN_SECONDS``, ``QUERY_TAG``); :func:`connect_url` opens one from a
  ``snowflake://`` URL (:mod:`~sqltune.connectors.snowflake.url`).

The driver is looked up as ``snowflake.connector.connect`` at call time; the tests point it at a fakesnow
server (``host=``, ``port=``, ``protocol="http"``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import snowflake.connector
from snowflake.connector import errors as sf_errors

from sqltune.connectors.errors import ConnectionError, QueryError
from sqltune.connectors.lifecycle import Closing
from sqltune.connectors.snowflake.catalog import (
    clustering_cost,
    clustering_information,
    load_schema,
    table_statistics,
)
from sqltune.connectors.snowflake.history import (
    HISTORY_VIEW,
    SnowflakeStatement,
    query_history,
    read_workload,
    table_dml,
)
from sqltune.connectors.snowflake.safety import (
    QUERY_TAG,
    SECRET_OPTIONS,
    check_read_only,
    one_statement,
    timeout_seconds,
    translate,
    variant,
)
from sqltune.connectors.snowflake.url import url_settings
from sqltune.core.source import InputProblem
from sqltune.layout.model import Measured
from sqltune.schema import Schema
from sqltune.workload.model import Execution

__all__ = ["SnowflakeConnection", "connect", "connect_url"]

# Snowflake query ids are UUIDs: 01b2c3d4-0001-8a5e-0000-00012f6e41a9.
_QUERY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


class SnowflakeConnection(Closing):
    """A connection opened by :func:`connect`. Use it as a context manager, or call :meth:`close`.

    A connection sqltune opened is closed by :meth:`close`; one passed in with ``connection=`` belongs to
    the caller and is left open.
    """

    def __init__(self, connection: Any, *, timeout_s: int, secrets: Sequence[str], display: str, owned: bool) -> None:
        self._connection = connection
        self._timeout_s = timeout_s
        self._secrets = tuple(secrets)
        self._display = display
        self._owned = owned

    @property
    def address(self) -> str:
        """``account/database.schema`` (and the warehouse): what messages and snapshots name, no credentials."""
        return self._display

    # -- lifecycle ------------------------------------------------------------------------------------
    def close(self) -> None:
        if self._owned and not self.closed:
            with self._errors():
                self._connection.close()

    @property
    def closed(self) -> bool:
        is_closed = getattr(self._connection, "is_closed", None)
        return bool(is_closed()) if callable(is_closed) else False

    @property
    def timeout_s(self) -> int:
        """The statement timeout in seconds, set on the session and passed with every statement."""
        return self._timeout_s

    def __repr__(self) -> str:
        return f"<SnowflakeConnection {self._display}{' closed' if self.closed else ''}>"

    # -- EXPLAIN and operator statistics ----------------------------------------------------------------
    def explain(self, sql: str) -> dict[str, Any]:
        """The plan of one statement, as ``EXPLAIN USING JSON`` returns it: ``{"GlobalStats": {...},
        "Operations": [[operator, ...], ...]}`` (one list of operators per step).

        The statement is compiled, never executed, so this needs no running warehouse and changes nothing,
        whatever the statement is. ``ValueError`` unless ``sql`` is exactly one statement.
        """
        statement = one_statement(sql)
        rows = self._rows(f"EXPLAIN USING JSON {statement}")
        content = next(iter(rows[0].values()), None) if rows else None
        plan = variant(content)
        if not isinstance(plan, dict) or "Operations" not in plan:
            raise QueryError("EXPLAIN USING JSON did not return a JSON plan with an 'Operations' list")
        return plan

    def operator_stats(self, query_id: str) -> list[dict[str, Any]]:
        """Per-operator statistics of a finished query (run in the last 14 days), one dict per operator,
        with lower-case keys (``query_id``, ``step_id``, ``operator_id``, ``parent_operators``,
        ``operator_type``, ``operator_statistics``, ``execution_time_breakdown``, ``operator_attributes``)
        and the VARIANT columns decoded.

        Needs OPERATE or MONITOR on the warehouse that ran the query.
        """
        if not isinstance(query_id, str) or not _QUERY_ID.match(query_id.strip()):
            raise ValueError(
                f"invalid Snowflake query id {query_id!r}: expected a UUID like 01b2c3d4-0001-8a5e-0000-00012f6e41a9"
            )
        rows = self._rows("SELECT * FROM TABLE(GET_QUERY_OPERATOR_STATS(%s))", [query_id.strip()])
        return [{key: variant(value) for key, value in row.items()} for row in rows]

    # -- the workload ---------------------------------------------------------------------------------
    def query_history(
        self, days: int = 7, limit: int = 50, warehouse: str | None = None, min_elapsed_ms: float = 0
    ) -> list[SnowflakeStatement]:
        """The statements that took the most elapsed time in the last ``days`` days, most first.

        Runs are grouped by ``QUERY_PARAMETERIZED_HASH``; only successful queries, DML and loads count
        (not SHOW, DESCRIBE, DDL or sqltune's own statements, tagged ``QUERY_TAG = 'sqltune'``).
        ``warehouse`` keeps one warehouse's runs; ``min_elapsed_ms`` leaves out statements whose runs
        together took less. ACCOUNT_USAGE lags behind by up to 45 minutes and keeps 365 days.

        Raises :class:`~sqltune.connectors.WorkloadUnavailable` when ACCOUNT_USAGE cannot be read, saying
        which grant is missing.
        """
        return query_history(self._rows, days=days, limit=limit, warehouse=warehouse, min_elapsed_ms=min_elapsed_ms)

    @property
    def dialect(self) -> str:
        return "snowflake"

    def read_workload(self, source: str = "query_history", **options: Any) -> Iterator[Execution | InputProblem]:
        """The workload for :class:`sqltune.Workload`: one execution per ``QUERY_PARAMETERIZED_HASH`` and hour,
        counted, summed and joined with ``ACCESS_HISTORY`` in the warehouse (the SQL is in ``docs/workload.md``).

        Options (see :func:`~sqltune.connectors.snowflake.history.read_workload`): ``days=30``,
        ``bucket="hour"`` (``"day"``, or ``None`` for one row per hash), ``access_history=True``, ``warehouse``,
        ``time="elapsed"`` (or ``"execution"``, the warehouse's share alone). Each execution carries calls,
        total and slowest time, rows, bytes and partitions scanned, the first and last run, and ids
        ``query_parameterized_hash``, ``query_id`` (the first and latest run of the hour), ``base_object`` and
        ``base_column`` (what ``ACCESS_HISTORY`` says the template read, through views). Without Enterprise
        Edition's ``ACCESS_HISTORY`` the workload loads without them, with a notice. Only successful queries,
        DML and loads count; sqltune's own statements are left out.
        """
        if source != "query_history":
            raise ValueError(f"unknown Snowflake workload source {source!r}; expected 'query_history'")
        return read_workload(self._rows, **options)

    def describe_workload(self, source: str = "query_history", days: int = 30, **options: Any) -> str:
        """What :meth:`read_workload` reads, without credentials."""
        return f"snowflake:{self._display} {HISTORY_VIEW} last {days} days"

    # -- clustering -----------------------------------------------------------------------------------
    def clustering_information(self, table: str, columns: Sequence[str] | None = None) -> dict[str, Any]:
        """``SYSTEM$CLUSTERING_INFORMATION`` of ``table`` (``db.schema.table``, or a name the session's
        database and schema resolve), parsed: ``cluster_by_keys``, ``total_partition_count``,
        ``average_overlaps``, ``average_depth``, ``partition_depth_histogram``, and ``notes`` /
        ``clustering_errors`` when Snowflake has any.

        ``columns`` (names or expressions) measures clustering by them instead of the table's clustering
        key, which is how to evaluate a key before defining it; a table without a clustering key needs it.
        """
        return clustering_information(self._rows, table, columns)

    def table_statistics(self, database: str | None = None) -> list[dict[str, Any]]:
        """Every base table's row count, bytes and clustering key (see
        :func:`~sqltune.connectors.snowflake.catalog.table_statistics`)."""
        return table_statistics(self._rows, database)

    def clustering_cost(self, table: str, columns: Sequence[str]) -> dict[str, Any]:
        """``SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS`` of ``table`` clustered by ``columns``, parsed (see
        :func:`~sqltune.connectors.snowflake.catalog.clustering_cost`): the credits to cluster it once and,
        with enough DML history, per day to keep it clustered."""
        return clustering_cost(self._rows, table, columns)

    def table_dml(self, table: str, days: int = 30) -> dict[str, float]:
        """Rows added, removed and updated in ``table`` over the last ``days`` days (``TABLE_DML_HISTORY``;
        see :func:`~sqltune.connectors.snowflake.history.table_dml`)."""
        return table_dml(self._rows, table, days)

    # -- the layout advisor's port (sqltune.layout.ports.ClusteringConnection; dialect is above) ----------

    def layout_sample(self, table: str, columns: Sequence[str], rows: int) -> dict[str, list[Any]]:
        """About ``rows`` rows of ``table`` (``SAMPLE (n ROWS)``: a row sample, in no particular order)."""
        names = [_identifier(column) for column in columns]
        fetched = self._rows(f"SELECT {', '.join(names)} FROM {_identifier(table)} SAMPLE ({int(rows)} ROWS)")
        return {column: [row.get(column.lower()) for row in fetched] for column in columns}

    def layout_facts(self, table: str) -> dict[str, Any]:
        """Nothing beyond the schema: the clustering key is read with it, its depth by
        :meth:`clustering_information`."""
        return {}

    def measure_layout(
        self,
        table: str,
        queries: Sequence[tuple[str, str]],
        ddl: Sequence[str],
        order_by: Sequence[str] = (),
        *,
        timeout_s: float = 300,
    ) -> list[Measured]:
        """Not on Snowflake: this connector never writes (a clustered copy would cost credits to build)."""
        return []

    # -- the schema -----------------------------------------------------------------------------------
    def schema(self, database: str | None = None, schema: str | None = None) -> Schema:
        """Tables of ``database`` (default: the session's) in ``schema`` (default: all but
        INFORMATION_SCHEMA), with columns, declared keys, row counts, bytes and clustering keys.

        Tables are named as Snowflake stores them (upper case unless created quoted), in namespace
        ``DATABASE.SCHEMA``; lookups in :class:`~sqltune.schema.Schema` ignore case. A clustering key
        becomes an :class:`~sqltune.schema.Index` with ``method="clustering"`` named
        ``<table>_clustering_key`` (its expressions as columns): Snowflake has no indexes, and the
        clustering key is the physical order that pruning works with. Views are left out.
        """
        return load_schema(self._rows, database, schema)

    # -- running statements ---------------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one read-only statement; rows as dicts keyed by lower-case column name."""
        check_read_only(sql)
        with self._errors():
            cursor = self._connection.cursor()
            try:
                cursor.execute(sql, params, timeout=self._timeout_s, num_statements=1)
                names = [str(column[0]).lower() for column in cursor.description or ()]
                return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()] if names else []
            finally:
                cursor.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sf_errors.Error as error:
            raise translate(error, self._secrets) from None


# -- connecting ---------------------------------------------------------------------------------------------
def _display(account: Any, database: Any, schema: Any, warehouse: Any) -> str:
    where = ".".join(str(part) for part in (database, schema) if part) or "-"
    return f"{account or '?'}/{where}" + (f" warehouse={warehouse}" if warehouse else "")


def connect(
    account: str | None = None,
    user: str | None = None,
    password: str | None = None,
    *,
    authenticator: str | None = None,
    warehouse: str | None = None,
    role: str | None = None,
    database: str | None = None,
    schema: str | None = None,
    connection: Any = None,
    statement_timeout_s: float = 120,
    login_timeout_s: float = 60,
    **options: Any,
) -> SnowflakeConnection:
    """Open a read-only Snowflake connection, or wrap an open ``snowflake.connector`` connection.

    ``authenticator`` is the connector's (``"externalbrowser"``, ``"SNOWFLAKE_JWT"`` with
    ``private_key_file=``, ``"oauth"`` with ``token=``, ...); further ``options`` go to
    ``snowflake.connector.connect`` unchanged (``host``, ``private_key_file``, ``connection_name``...).

    The session gets ``STATEMENT_TIMEOUT_IN_SECONDS = statement_timeout_s`` and ``QUERY_TAG = 'sqltune'``:
    as session parameters of a new connection, or by ``ALTER SESSION SET`` on a connection passed in
    (which is then the caller's to close). Raises :class:`~sqltune.connectors.ConnectionError` with a
    message free of secrets.
    """
    timeout_s = timeout_seconds(statement_timeout_s, "statement_timeout_s")
    secrets = [str(v) for k, v in options.items() if k in SECRET_OPTIONS and isinstance(v, str) and v]
    if password:
        secrets.insert(0, password)
    if connection is not None:
        given = [name for name, value in (("account", account), ("user", user), ("password", password)) if value]
        if given or options:
            raise ValueError(
                f"pass either connection= or connection settings, not both (got {', '.join(given or options)})"
            )
        if not callable(getattr(connection, "cursor", None)):
            raise TypeError(
                f"connection= must be an open snowflake.connector connection; got {type(connection).__name__}"
            )
        wrapped = SnowflakeConnection(
            connection,
            timeout_s=timeout_s,
            secrets=secrets,
            display=_display(
                getattr(connection, "account", None),
                getattr(connection, "database", None),
                getattr(connection, "schema", None),
                getattr(connection, "warehouse", None),
            ),
            owned=False,
        )
        wrapped._rows(f"ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = {timeout_s}")
        wrapped._rows(f"ALTER SESSION SET QUERY_TAG = '{QUERY_TAG}'")
        return wrapped
    if not account and "connection_name" not in options and "host" not in options:
        raise ValueError("account= is required (the account identifier, like 'myorg-myaccount'), or pass connection=")
    settings: dict[str, Any] = {
        "account": account,
        "user": user,
        "password": password,
        "authenticator": authenticator,
        "warehouse": warehouse,
        "role": role,
        "database": database,
        "schema": schema,
    }
    settings = {key: value for key, value in settings.items() if value is not None}
    settings.update(options)
    parameters = dict(settings.pop("session_parameters", None) or {})
    parameters.update({"STATEMENT_TIMEOUT_IN_SECONDS": timeout_s, "QUERY_TAG": QUERY_TAG})
    settings["session_parameters"] = parameters
    settings.setdefault("login_timeout", timeout_seconds(login_timeout_s, "login_timeout_s"))
    display = _display(account or options.get("connection_name") or options.get("host"), database, schema, warehouse)
    try:
        raw = snowflake.connector.connect(**settings)
    except sf_errors.Error as error:
        detail = translate(error, secrets, connecting=True)
        raise ConnectionError(f"cannot connect to Snowflake {display}: {detail}", sqlstate=detail.sqlstate) from None
    return SnowflakeConnection(raw, timeout_s=timeout_s, secrets=secrets, display=display, owned=True)


def connect_url(
    url: str,
    *,
    statement_timeout_s: float | None = None,
    login_timeout_s: float = 60,
    environ: Mapping[str, str] | None = None,
) -> SnowflakeConnection:
    """Open a read-only connection from a URL as snowflake-sqlalchemy writes them,
    ``snowflake://user[:password]@account[/database[/schema]][?warehouse=...&role=...]`` (the options and the
    password's sources: :mod:`~sqltune.connectors.snowflake.url`; ``SNOWFLAKE_PASSWORD`` is read from
    ``environ``, the process environment by default).

    The statement timeout is ``statement_timeout_s`` when given, else the URL's
    ``STATEMENT_TIMEOUT_IN_SECONDS``, else 120 seconds; the URL's ``login_timeout`` wins over ``login_timeout_s``.
    """
    settings = url_settings(url, os.environ if environ is None else environ)
    from_url = settings.pop("statement_timeout_s", None)
    timeout = statement_timeout_s if statement_timeout_s is not None else from_url or 120
    return connect(**settings, statement_timeout_s=timeout, login_timeout_s=login_timeout_s)


def _identifier(name: str) -> str:
    """A plain name as written (Snowflake folds it), anything else double-quoted, each part of a dotted name."""
    parts = name.split(".")
    return ".".join(p if re.match(r"^[A-Za-z_][A-Za-z0-9_$]*$", p) else '"' + p.replace('"', '""') + '"' for p in parts)
