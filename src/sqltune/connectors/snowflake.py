"""A read-only, time-limited, credential-safe connection to Snowflake.

What sqltune reads from an account, and from where:

* **plans**: ``EXPLAIN USING JSON <statement>`` compiles a statement without running it (no warehouse
  time, only cloud-services compilation) and returns the plan with compile-time pruning figures;
* **what a query did**: ``GET_QUERY_OPERATOR_STATS(query_id)``, per operator rows, pruning, spilling and
  time shares of a finished query (the data behind Snowsight's query profile);
* **the workload**: ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY``, grouped by ``QUERY_PARAMETERIZED_HASH`` so
  that one statement run with different literals counts once, most elapsed time first;
* **clustering**: ``SYSTEM$CLUSTERING_INFORMATION``, how well a table's micro-partitions are sorted by
  its clustering key (or by any columns, to try a key before defining it);
* **the schema**: ``INFORMATION_SCHEMA.TABLES``/``COLUMNS`` (row counts, bytes, clustering keys) and
  ``SHOW PRIMARY|UNIQUE|IMPORTED KEYS`` (declared, unenforced, but they document the model).

Plans and operator statistics are returned as the raw payloads (dicts and lists, VARIANT columns decoded);
:mod:`sqltune.plans.snowflake` turns them into plan graphs.

Snowflake has no read-only session, so read-only is this module's own discipline:

* every statement it sends is composed here and is one of ``SELECT``, ``SHOW``, ``EXPLAIN`` or
  ``ALTER SESSION SET`` of sqltune's two session parameters (checked before sending, see
  :func:`_check_read_only`); user SQL only ever travels behind ``EXPLAIN``, which compiles and never
  executes, and must be exactly one statement (checked here, and ``num_statements=1`` makes the server
  refuse a second);
* values (query ids, table names, filters) are bound parameters, never pasted into SQL text;
* the session runs with ``STATEMENT_TIMEOUT_IN_SECONDS`` (server side) and every call also passes the
  connector's client-side ``timeout``; ``QUERY_TAG = 'sqltune'`` marks sqltune's statements in
  QUERY_HISTORY (and :meth:`SnowflakeConnection.query_history` leaves them out);
* driver errors are re-raised as :class:`~sqltune.connectors.DatabaseError` subclasses whose text is
  scrubbed of the password, token and passcode in play, without the driver's exception chained; ``repr()``
  shows the account, database and schema only.

The driver is ``snowflake-connector-python`` (``pip install 'sqltune[snowflake]'``); it is looked up as
``snowflake.connector.connect`` at call time, which is what lets the tests substitute fakesnow.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

try:
    import snowflake.connector
    from snowflake.connector import errors as sf_errors
except ImportError as missing:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the Snowflake connector needs snowflake-connector-python: pip install 'sqltune[snowflake]'"
    ) from missing

from sqltune.connectors import ConnectionError, DatabaseError, QueryError, QueryTimeout, WorkloadUnavailable
from sqltune.connectors.redact import redact_text
from sqltune.core.sqlglot import TokenError, split_statements, tokenize
from sqltune.schema.ddl import normalise_type
from sqltune.schema.model import Column, ForeignKey, Index, Schema, Table, TableStats

__all__ = [
    "QUERY_TAG",
    "SECRET_OPTIONS",
    "SnowflakeConnection",
    "SnowflakeStatement",
    "clustering_columns",
    "column_type",
    "connect",
]

#: Tag on every statement sqltune runs, so that QUERY_HISTORY tells them apart from the workload.
QUERY_TAG = "sqltune"

#: Connection options whose values are secrets: kept out of every message sqltune raises.
SECRET_OPTIONS = ("password", "token", "passcode", "private_key_file_pwd", "oauth_client_secret")

#: How to get ACCOUNT_USAGE read, for the error raised when it cannot be.
ACCOUNT_USAGE_HINT = (
    "reading SNOWFLAKE.ACCOUNT_USAGE needs IMPORTED PRIVILEGES on the SNOWFLAKE database: "
    "GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE TO ROLE <role> (run by ACCOUNTADMIN), "
    "or a role granted the SNOWFLAKE.GOVERNANCE_VIEWER database role"
)

# The only statement kinds this module sends. ALTER SESSION only for sqltune's own parameters.
_READ_ONLY = re.compile(
    r"^\s*(?:SELECT\b|SHOW\b|EXPLAIN\s+USING\s+JSON\b"
    r"|ALTER\s+SESSION\s+SET\s+(?:STATEMENT_TIMEOUT_IN_SECONDS|QUERY_TAG)\s*=)",
    re.IGNORECASE,
)
# Snowflake query ids are UUIDs: 01b2c3d4-0001-8a5e-0000-00012f6e41a9.
_QUERY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_PLAIN_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
# VARCHAR without a length is VARCHAR(16777216): the longest string Snowflake stores.
_MAX_VARCHAR = 16_777_216
_TIMEOUT_SQLSTATE = "57014"  # statement cancelled: the server's timeout, or the client's
_TIMEOUT_ERRNOS = {604, 630}  # "SQL execution canceled", "Statement reached its statement ... timeout"


# -- small pure helpers --------------------------------------------------------------------------------------
def column_type(row: Mapping[str, Any]) -> str:
    """The column's type as sqltune writes it, from an ``INFORMATION_SCHEMA.COLUMNS`` row (lower-case keys).

    Snowflake splits the type over DATA_TYPE, precision, scale and length; the result is normalised the way
    DDL read with ``dialect="snowflake"`` is, so that a live schema and linted DDL agree.

    >>> column_type({"data_type": "NUMBER", "numeric_precision": 12, "numeric_scale": 2})
    'DECIMAL(12, 2)'
    >>> column_type({"data_type": "TEXT", "character_maximum_length": 20})
    'VARCHAR(20)'
    >>> column_type({"data_type": "TEXT", "character_maximum_length": 16777216})
    'VARCHAR'
    >>> column_type({"data_type": "TIMESTAMP_NTZ"})
    'TIMESTAMPNTZ'
    """
    kind = str(row.get("data_type") or "").upper()
    if not kind:
        return ""
    precision, scale, length = (
        row.get("numeric_precision"),
        row.get("numeric_scale"),
        row.get("character_maximum_length"),
    )
    if kind in {"NUMBER", "DECIMAL", "NUMERIC"} and precision is not None:
        text = f"NUMBER({int(precision)},{int(scale or 0)})"
    elif kind in {"TEXT", "VARCHAR", "STRING"}:
        text = f"VARCHAR({int(length)})" if length is not None and int(length) < _MAX_VARCHAR else "VARCHAR"
    else:
        text = kind
    return normalise_type(text, "snowflake")


def clustering_columns(key: str | None) -> tuple[str, ...]:
    """The expressions of a clustering key as ``INFORMATION_SCHEMA.TABLES.CLUSTERING_KEY`` shows it.

    >>> clustering_columns("LINEAR(event_date, TO_DATE(created_at), region)")
    ('event_date', 'TO_DATE(created_at)', 'region')
    >>> clustering_columns(None)
    ()
    """
    if not key:
        return ()
    text = key.strip()
    match = re.match(r"^LINEAR\s*\((?P<body>.*)\)$", text, re.IGNORECASE | re.DOTALL)
    body = match.group("body") if match else text.strip("()")
    parts: list[str] = []
    depth, start, quote = 0, 0, ""
    for position, char in enumerate(body):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:position].strip())
            start = position + 1
    parts.append(body[start:].strip())
    return tuple(part for part in parts if part)


def _stored(name: str) -> str:
    """The name as INFORMATION_SCHEMA stores it: a plain name upper-cased (Snowflake folds unquoted
    identifiers), a double-quoted one as written inside the quotes.

    >>> _stored("analytics"), _stored('"Mixed Case"'), _stored("my-db")
    ('ANALYTICS', 'Mixed Case', 'my-db')
    """
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name.upper() if _PLAIN_IDENTIFIER.match(name) else name


def _quoted(name: str) -> str:
    """An exact (stored) name, always quoted."""
    return '"' + name.replace('"', '""') + '"'


def _variant(value: Any) -> Any:
    """A VARIANT/ARRAY/OBJECT column: the Python connector returns JSON text; decoded here."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _one_statement(sql: str) -> str:
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


def _check_read_only(sql: str) -> None:
    """Refuse to send anything but the statement kinds this module is allowed to (a programming error)."""
    if not _READ_ONLY.match(sql):
        raise AssertionError(f"sqltune's Snowflake connector only reads; refusing to send: {sql[:60]!r}")


# -- the workload ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SnowflakeStatement:
    """One statement of the workload: all successful runs with the same ``QUERY_PARAMETERIZED_HASH`` (the
    same text once literals are replaced), or one run when Snowflake gave it no hash.

    The first six fields mirror :class:`sqltune.connectors.workload.WorkloadStatement`, so code ranking a
    PostgreSQL workload ranks this one too; ``queryid`` is the parameterized hash. ``query`` and
    ``query_id`` are those of the latest run: pass ``query_id`` to
    :meth:`SnowflakeConnection.operator_stats`. Times are milliseconds, sizes bytes.
    """

    query: str
    calls: int
    total_time_ms: float
    mean_time_ms: float
    rows: int
    queryid: str | None
    query_id: str
    query_type: str | None
    warehouse: str | None
    warehouse_size: str | None
    database: str | None
    schema: str | None
    max_time_ms: float
    compilation_ms: float
    queued_ms: float
    bytes_scanned: int
    partitions_scanned: int
    partitions_total: int
    bytes_spilled_local: int
    bytes_spilled_remote: int
    last_run: datetime | None

    @property
    def scanned_fraction(self) -> float | None:
        """Micro-partitions scanned over those in the tables read: near 1.0 means pruning did nothing.

        >>> SnowflakeStatement("q", 1, 1.0, 1.0, 0, None, "id", None, None, None, None, None, 1.0, 0.0, 0.0, 0,
        ...     90, 100, 0, 0, None).scanned_fraction
        0.9
        """
        return self.partitions_scanned / self.partitions_total if self.partitions_total else None


_HISTORY_SQL = """
SELECT
    MAX_BY(query_text, start_time) AS query_text,
    MAX_BY(query_id, start_time) AS query_id,
    MAX(query_parameterized_hash) AS query_parameterized_hash,
    MAX_BY(query_type, start_time) AS query_type,
    MAX_BY(warehouse_name, start_time) AS warehouse_name,
    MAX_BY(warehouse_size, start_time) AS warehouse_size,
    MAX_BY(database_name, start_time) AS database_name,
    MAX_BY(schema_name, start_time) AS schema_name,
    COUNT(*) AS calls,
    SUM(total_elapsed_time) AS total_elapsed_ms,
    MAX(total_elapsed_time) AS max_elapsed_ms,
    SUM(compilation_time) AS compilation_ms,
    SUM(queued_overload_time + queued_provisioning_time) AS queued_ms,
    SUM(rows_produced) AS rows_produced,
    SUM(bytes_scanned) AS bytes_scanned,
    SUM(partitions_scanned) AS partitions_scanned,
    SUM(partitions_total) AS partitions_total,
    SUM(bytes_spilled_to_local_storage) AS bytes_spilled_local,
    SUM(bytes_spilled_to_remote_storage) AS bytes_spilled_remote,
    MAX(start_time) AS last_run
FROM snowflake.account_usage.query_history
WHERE start_time >= DATEADD('day', -%(days)s, CURRENT_TIMESTAMP())
  AND execution_status = 'SUCCESS'
  AND query_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CREATE_TABLE_AS_SELECT',
                     'MULTI_TABLE_INSERT', 'COPY')
  AND COALESCE(query_tag, '') <> %(tag)s{warehouse}
GROUP BY COALESCE(query_parameterized_hash, query_id)
HAVING SUM(total_elapsed_time) >= %(min_elapsed_ms)s
ORDER BY total_elapsed_ms DESC
LIMIT %(limit)s
"""


def _statement(row: Mapping[str, Any]) -> SnowflakeStatement:
    def number(key: str) -> float:
        value = row.get(key)
        return float(value) if value is not None else 0.0

    def text(key: str) -> str | None:
        value = row.get(key)
        return str(value) if value is not None else None

    calls = int(row["calls"])
    total = number("total_elapsed_ms")
    last = row.get("last_run")
    return SnowflakeStatement(
        query=str(row.get("query_text") or ""),
        calls=calls,
        total_time_ms=total,
        mean_time_ms=total / calls if calls else 0.0,
        rows=int(number("rows_produced")),
        queryid=text("query_parameterized_hash"),
        query_id=str(row.get("query_id") or ""),
        query_type=text("query_type"),
        warehouse=text("warehouse_name"),
        warehouse_size=text("warehouse_size"),
        database=text("database_name"),
        schema=text("schema_name"),
        max_time_ms=number("max_elapsed_ms"),
        compilation_ms=number("compilation_ms"),
        queued_ms=number("queued_ms"),
        bytes_scanned=int(number("bytes_scanned")),
        partitions_scanned=int(number("partitions_scanned")),
        partitions_total=int(number("partitions_total")),
        bytes_spilled_local=int(number("bytes_spilled_local")),
        bytes_spilled_remote=int(number("bytes_spilled_remote")),
        last_run=last if isinstance(last, datetime) else None,
    )


# -- the connection --------------------------------------------------------------------------------------
class SnowflakeConnection:
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

    # -- lifecycle ------------------------------------------------------------------------------------
    def __enter__(self) -> SnowflakeConnection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

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
        statement = _one_statement(sql)
        rows = self._rows(f"EXPLAIN USING JSON {statement}")
        content = next(iter(rows[0].values()), None) if rows else None
        plan = _variant(content)
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
        return [{key: _variant(value) for key, value in row.items()} for row in rows]

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
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            raise ValueError(f"days must be a whole number from 1 to 365 (ACCOUNT_USAGE keeps a year); got {days!r}")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number >= 1; got {limit!r}")
        if not isinstance(min_elapsed_ms, int | float) or min_elapsed_ms < 0 or math.isnan(min_elapsed_ms):
            raise ValueError(f"min_elapsed_ms must be a number >= 0; got {min_elapsed_ms!r}")
        params: dict[str, Any] = {"days": days, "tag": QUERY_TAG, "min_elapsed_ms": min_elapsed_ms, "limit": limit}
        clause = ""
        if warehouse is not None:
            params["warehouse"] = _stored(warehouse)
            clause = "\n  AND warehouse_name = %(warehouse)s"
        try:
            rows = self._rows(_HISTORY_SQL.format(warehouse=clause), params)
        except QueryError as error:
            if error.sqlstate == _TIMEOUT_SQLSTATE or not _not_authorised(str(error)):
                raise
            raise WorkloadUnavailable(
                f"cannot read SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY ({error}): {ACCOUNT_USAGE_HINT}"
            ) from None
        return [_statement(row) for row in rows]

    # -- clustering -----------------------------------------------------------------------------------
    def clustering_information(self, table: str, columns: Sequence[str] | None = None) -> dict[str, Any]:
        """``SYSTEM$CLUSTERING_INFORMATION`` of ``table`` (``db.schema.table``, or a name the session's
        database and schema resolve), parsed: ``cluster_by_keys``, ``total_partition_count``,
        ``average_overlaps``, ``average_depth``, ``partition_depth_histogram``, and ``notes`` /
        ``clustering_errors`` when Snowflake has any.

        ``columns`` (names or expressions) measures clustering by them instead of the table's clustering
        key, which is how to evaluate a key before defining it; a table without a clustering key needs it.
        """
        if not isinstance(table, str) or not table.strip():
            raise ValueError("expected a table name like 'analytics.public.events'")
        params: list[str] = [table.strip()]
        sql = "SELECT SYSTEM$CLUSTERING_INFORMATION(%s)"
        if columns is not None:
            if isinstance(columns, str):
                columns = [columns]
            names = [str(column).strip() for column in columns]
            if not names or not all(names):
                raise ValueError("columns must name at least one column or expression")
            params.append("(" + ", ".join(names) + ")")
            sql = "SELECT SYSTEM$CLUSTERING_INFORMATION(%s, %s)"
        try:
            rows = self._rows(sql, params)
        except QueryError as error:
            if columns is None and "not clustered" in str(error).lower():
                raise QueryError(
                    f"{error} (table {table} has no clustering key: pass columns=[...] to measure by columns)",
                    sqlstate=error.sqlstate,
                ) from None
            raise
        content = next(iter(rows[0].values()), None) if rows else None
        info = _variant(content)
        if not isinstance(info, dict):
            raise QueryError(f"SYSTEM$CLUSTERING_INFORMATION did not return a JSON object for {table}")
        return info

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
        # CURRENT_DATABASE() gives the stored name; a name passed in is resolved as Snowflake would.
        stored_database = _stored(database) if database else self._current("CURRENT_DATABASE()")
        if not stored_database:
            raise ValueError("no database: pass database= or connect with database=")
        catalog = _quoted(stored_database)
        where = "TABLE_SCHEMA <> 'INFORMATION_SCHEMA'"
        params: list[str] = []
        if schema is not None:
            where = "TABLE_SCHEMA = %s"
            params = [_stored(schema)]
        tables: dict[tuple[str, str], Table] = {}
        for row in self._rows(
            "SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ROW_COUNT, BYTES, CLUSTERING_KEY"
            f" FROM {catalog}.INFORMATION_SCHEMA.TABLES WHERE {where} AND TABLE_TYPE <> 'VIEW'"
            " ORDER BY TABLE_SCHEMA, TABLE_NAME",
            params,
        ):
            namespace = f"{row['table_catalog']}.{row['table_schema']}"
            stats = TableStats(
                rows=float(row["row_count"]) if row.get("row_count") is not None else None,
                size_bytes=float(row["bytes"]) if row.get("bytes") is not None else None,
            )
            table = Table(str(row["table_name"]), namespace, stats=stats)
            key = clustering_columns(row.get("clustering_key"))
            if key:
                table.indexes.append(
                    Index(f"{table.name}_clustering_key", table.qualified_name, key, method="clustering")
                )
            tables[(str(row["table_schema"]), table.name)] = table
        for row in self._rows(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, IS_NULLABLE,"
            " COLUMN_DEFAULT, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, IS_IDENTITY"
            f" FROM {catalog}.INFORMATION_SCHEMA.COLUMNS WHERE {where}"
            " ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
            params,
        ):
            found = tables.get((str(row["table_schema"]), str(row["table_name"])))
            if found is not None:
                found.add_column(
                    Column(
                        str(row["column_name"]),
                        column_type(row),
                        nullable=str(row.get("is_nullable") or "YES").upper() == "YES",
                        default=str(row["column_default"]) if row.get("column_default") is not None else None,
                        identity=str(row.get("is_identity") or "NO").upper() == "YES",
                    )
                )
        for schema_name in sorted({s for s, _ in tables}):
            scope = f"{catalog}.{_quoted(schema_name)}"
            self._keys(scope, schema_name, tables)
        return Schema(tables.values())

    def _keys(self, scope: str, schema_name: str, tables: Mapping[tuple[str, str], Table]) -> None:
        """Declared primary, unique and foreign keys of one schema (``SHOW ... KEYS``: one row per column)."""
        for kind in ("PRIMARY", "UNIQUE"):
            grouped: dict[tuple[str, str], list[tuple[int, str]]] = {}
            for row in self._rows(f"SHOW {kind} KEYS IN SCHEMA {scope}"):
                if str(row.get("schema_name") or schema_name) != schema_name:
                    continue
                constraint = (str(row["table_name"]), str(row.get("constraint_name") or ""))
                grouped.setdefault(constraint, []).append((int(row.get("key_sequence") or 0), str(row["column_name"])))
            for (table_name, _), columns in grouped.items():
                table = tables.get((schema_name, table_name))
                if table is None:
                    continue
                key = tuple(column for _, column in sorted(columns))
                if kind == "PRIMARY":
                    table.primary_key = key
                elif key not in table.unique_keys:
                    table.unique_keys.append(key)
        foreign: dict[tuple[str, str], list[tuple[int, str, str, str]]] = {}
        for row in self._rows(f"SHOW IMPORTED KEYS IN SCHEMA {scope}"):
            referenced = ".".join(
                str(row.get(k) or "") for k in ("pk_database_name", "pk_schema_name", "pk_table_name")
            )
            if not row.get("pk_table_name") or str(row.get("fk_schema_name") or schema_name) != schema_name:
                continue  # nothing to point at (an emulator's placeholder row), or another schema's key
            foreign.setdefault((str(row["fk_table_name"]), str(row.get("fk_name") or referenced)), []).append(
                (int(row.get("key_sequence") or 0), str(row["fk_column_name"]), str(row["pk_column_name"]), referenced)
            )
        for (table_name, fk_name), parts in foreign.items():
            table = tables.get((schema_name, table_name))
            if table is None:
                continue
            parts.sort()
            table.foreign_keys.append(
                ForeignKey(tuple(p[1] for p in parts), parts[0][3], tuple(p[2] for p in parts), name=fk_name or None)
            )

    # -- running statements ---------------------------------------------------------------------------
    def _current(self, function: str) -> str | None:
        rows = self._rows(f"SELECT {function} AS value")
        value = next(iter(rows[0].values()), None) if rows else None
        return str(value) if value else None

    def _rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one read-only statement; rows as dicts keyed by lower-case column name."""
        _check_read_only(sql)
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
            raise _translate(error, self._secrets) from None


def _not_authorised(message: str) -> bool:
    text = message.lower()
    return "not authorized" in text or "insufficient privileges" in text or "does not exist" in text


def _sqlstate(error: sf_errors.Error) -> str | None:
    state = getattr(error, "sqlstate", None)
    return state if isinstance(state, str) and len(state) == 5 else None


def _translate(error: sf_errors.Error, secrets: Sequence[str], *, connecting: bool = False) -> DatabaseError:
    """The scrubbed sqltune error for a driver error. Not chained: the driver's text may hold a secret."""
    message = redact_text(str(error).strip(), secrets) or type(error).__name__
    sqlstate = _sqlstate(error)
    errno = getattr(error, "errno", None)
    if sqlstate == _TIMEOUT_SQLSTATE or errno in _TIMEOUT_ERRNOS:
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


# -- connecting ---------------------------------------------------------------------------------------------
def _timeout_seconds(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 or math.isinf(value):
        raise ValueError(f"invalid {name} {value!r}: expected a positive number of seconds")
    return max(1, math.ceil(value))


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
    timeout_s = _timeout_seconds(statement_timeout_s, "statement_timeout_s")
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
    settings.setdefault("login_timeout", _timeout_seconds(login_timeout_s, "login_timeout_s"))
    display = _display(account or options.get("connection_name") or options.get("host"), database, schema, warehouse)
    try:
        raw = snowflake.connector.connect(**settings)
    except sf_errors.Error as error:
        detail = _translate(error, secrets, connecting=True)
        raise ConnectionError(f"cannot connect to Snowflake {display}: {detail}", sqlstate=detail.sqlstate) from None
    return SnowflakeConnection(raw, timeout_s=timeout_s, secrets=secrets, display=display, owned=True)
