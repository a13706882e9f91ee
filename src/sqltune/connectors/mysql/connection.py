"""The read-only MySQL/MariaDB connection, and how a target becomes one.

- :class:`MySQLConnection`: lifecycle, facts about the server (flavour, version), the one runner every
  statement goes through (checked read-only, time-limited by the session, errors scrubbed), and the
  workload port (:class:`~sqltune.workload.ports.WorkloadConnection`): the digest table
  (:mod:`~sqltune.connectors.mysql.digest`);
- :func:`connect`: open one from a ``mysql://`` / ``mariadb://`` URL or a mapping of PyMySQL arguments;
- :func:`resolve_target`: those arguments, and the secrets among them to keep out of messages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pymysql
import pymysql.cursors

from sqltune.connectors.errors import ConnectionError, WorkloadUnavailable
from sqltune.connectors.lifecycle import Closing
from sqltune.connectors.mysql.digest import DIGEST_TABLE, ENABLE_HINT, digest_query, to_execution
from sqltune.connectors.mysql.safety import check_read_only, session_settings, translate
from sqltune.connectors.redact import redact_text
from sqltune.connectors.timeouts import Timeout, timeout_ms
from sqltune.core.source import InputProblem
from sqltune.workload.model import Execution

__all__ = ["SCHEMES", "MySQLConnection", "connect", "resolve_target"]

#: URL schemes :func:`connect` takes (SQLAlchemy's driver suffixes too: ``mysql+pymysql://``).
SCHEMES = ("mysql", "mariadb")


class MySQLConnection(Closing):
    """A connection opened by :func:`connect`. Use it as a context manager, or call :meth:`close`."""

    def __init__(self, connection: Any, *, secrets: Sequence[str], display: str) -> None:
        self._connection = connection
        self._secrets = tuple(secrets)
        self._display = display
        self._version = ""

    # -- lifecycle ------------------------------------------------------------------------------------
    def close(self) -> None:
        if self._connection.open:
            self._connection.close()

    @property
    def closed(self) -> bool:
        return not self._connection.open

    def __repr__(self) -> str:
        return f"<MySQLConnection {self._display}{' closed' if self.closed else ' ' + self.server_version}>"

    # -- facts about the server -----------------------------------------------------------------------
    @property
    def server_version(self) -> str:
        """``VERSION()`` as the server says it: ``10.11.6-MariaDB-0+deb12u1``, ``8.0.36``."""
        if not self._version:
            self._version = str(self.query("SELECT VERSION()")[0]["VERSION()"])
        return self._version

    @property
    def mariadb(self) -> bool:
        return "mariadb" in self.server_version.lower()

    @property
    def dialect(self) -> str:
        """The sqlglot dialect of the statements it reports."""
        return "mysql"

    # -- running statements ---------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """The rows of one read-only statement (``%s`` parameters), as dictionaries by column name."""
        check_read_only(sql)
        try:
            with self._connection.cursor(pymysql.cursors.DictCursor) as cursor:
                cursor.execute(sql, tuple(params) if params is not None else None)
                return list(cursor.fetchall())
        except pymysql.MySQLError as error:
            raise translate(error, self._secrets) from None

    # -- the workload (sqltune.workload.ports.WorkloadConnection) ----------------------------------------
    def read_workload(
        self,
        source: str = "digest",
        *,
        schema: str | None = None,
        limit: int | None = None,
        min_calls: int = 1,
        **options: Any,
    ) -> Iterator[Execution | InputProblem]:
        """The digest table's statements as aggregated executions, most total time first (see
        :mod:`~sqltune.connectors.mysql.digest`); ``schema`` keeps one default database's."""
        if source != "digest":
            raise ValueError(f"unknown MySQL workload source {source!r}; expected 'digest'")
        self._check_digests()
        sample = self._has_sample_text()
        sql, params = digest_query(sample_text=sample, schema=schema, limit=limit, min_calls=min_calls)
        where = f"{self._display} {DIGEST_TABLE}"
        for row in self.query(sql, params):
            yield to_execution(row, where)

    def describe_workload(self, source: str = "digest", **options: Any) -> str:
        """What :meth:`read_workload` reads (no credentials)."""
        return f"mysql-digest:{self._display} {DIGEST_TABLE}"

    def _check_digests(self) -> None:
        enabled = self.query("SELECT @@performance_schema AS sqltune_on")
        if not enabled or not int(enabled[0]["sqltune_on"]):
            raise WorkloadUnavailable(f"performance_schema is off on {self._display}: {ENABLE_HINT}")
        consumer = self.query(
            "SELECT ENABLED AS sqltune_enabled FROM performance_schema.setup_consumers WHERE NAME = 'statements_digest'"
        )
        if consumer and str(consumer[0]["sqltune_enabled"]).upper() != "YES":
            raise WorkloadUnavailable(
                f"the statements_digest consumer is disabled on {self._display}: enable it with UPDATE "
                "performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME = 'statements_digest'"
            )

    def _has_sample_text(self) -> bool:
        rows = self.query(
            "SELECT COUNT(*) AS sqltune_columns FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
            "'performance_schema' AND TABLE_NAME = 'events_statements_summary_by_digest' "
            "AND COLUMN_NAME = 'QUERY_SAMPLE_TEXT'"
        )
        return bool(rows and int(rows[0]["sqltune_columns"]))


# -- targets ------------------------------------------------------------------------------------------
_ARGUMENTS = {"host", "port", "user", "password", "database", "unix_socket", "charset", "ssl_ca", "ssl_disabled"}


def resolve_target(target: Any) -> tuple[dict[str, Any], list[str]]:
    """PyMySQL's ``connect()`` arguments and the secrets among them, from a ``mysql://user:password@host:port
    /database`` URL (``mariadb://`` and ``mysql+pymysql://`` too; ``?unix_socket=...&charset=...``) or a
    mapping of those arguments (``db``/``dbname`` and ``passwd`` are accepted as their aliases)."""
    if isinstance(target, str):
        parts = urlsplit(target.strip())
        if parts.scheme.split("+", 1)[0].lower() not in SCHEMES:
            raise ValueError(
                f"not a MySQL/MariaDB URL: {redact_text(target)!r}; expected mysql://user:password@host:port/database"
            )
        params: dict[str, Any] = {}
        if parts.hostname:
            params["host"] = parts.hostname
        if parts.port:
            params["port"] = parts.port
        if parts.username:
            params["user"] = unquote(parts.username)
        if parts.password is not None:
            params["password"] = unquote(parts.password)
        if parts.path.strip("/"):
            params["database"] = unquote(parts.path.strip("/"))
        for key, value in parse_qsl(parts.query):
            params[key] = int(value) if key == "port" else value
    elif isinstance(target, Mapping):
        aliases = {"db": "database", "dbname": "database", "passwd": "password"}
        params = {aliases.get(str(k), str(k)): v for k, v in target.items() if v is not None}
    else:
        raise TypeError(f"cannot connect to a {type(target).__name__}: expected a mysql:// URL or a mapping")
    unknown = sorted(set(params) - _ARGUMENTS)
    if unknown:
        known = ", ".join(sorted(_ARGUMENTS))
        raise ValueError(f"unknown MySQL connection option(s) {', '.join(unknown)}; expected: {known}")
    secrets = [str(params["password"])] if params.get("password") else []
    return params, secrets


def _display(params: Mapping[str, Any]) -> str:
    where = params.get("unix_socket") or f"{params.get('host') or 'localhost'}:{params.get('port') or 3306}"
    return f"{where}/{params.get('database') or ''}"


def connect(target: Any, *, statement_timeout: Timeout = "30s", connect_timeout: int = 10) -> MySQLConnection:
    """Open a read-only connection to MySQL or MariaDB.

    ``target`` is a URL (``mysql://me:secret@db:3306/shop``, ``mariadb://...``) or a mapping of PyMySQL
    arguments. ``statement_timeout`` limits every statement (see
    :func:`~sqltune.connectors.timeouts.timeout_ms` for the spellings). Raises
    :class:`~sqltune.connectors.ConnectionError` with a message free of passwords.
    """
    limit = timeout_ms(statement_timeout)
    params, secrets = resolve_target(target)
    display = _display(params)
    try:
        raw = pymysql.connect(**{"charset": "utf8mb4", **params}, connect_timeout=connect_timeout, autocommit=True)
    except pymysql.MySQLError as error:
        raise ConnectionError(f"cannot connect to {display}: {translate(error, secrets)}") from None
    connection = MySQLConnection(raw, secrets=secrets, display=display)
    try:
        for statement in session_settings(connection.mariadb, limit):
            connection.query(statement)
    except BaseException:
        connection.close()
        raise
    return connection
