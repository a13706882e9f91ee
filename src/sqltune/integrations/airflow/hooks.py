"""A read-only sqltune connection from an Airflow connection id.

The credentials are read through Airflow's own hooks, so whatever Airflow resolves them from (its metadata
database, ``AIRFLOW_CONN_*`` variables, a secrets backend) works unchanged:

- a ``postgres`` connection through ``PostgresHook``: host, port, login, password, schema (the database) and
  the libpq options among its extras (``sslmode``, ``sslrootcert``, ``options``...), the hook's IAM token
  where the extras ask for one;
- a ``snowflake`` connection through ``SnowflakeHook.get_conn()`` (every authenticator the hook knows), the
  open connection then wrapped by sqltune's read-only Snowflake connection.

The credentials go straight to the driver: never into a log line, a return value or an exception (sqltune's
connections scrub them from their errors, and Airflow masks the connection's password in task logs).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException

__all__ = ["ENGINES", "SqlTuneHook"]

#: Airflow connection types sqltune reads, and the engine each one is.
ENGINES = {"postgres": "postgres", "postgresql": "postgres", "snowflake": "snowflake"}
#: Extras of a postgres connection that configure Airflow's hook, not libpq.
OWN_EXTRAS = frozenset({"enable_log_db_messages"})


class SqlTuneHook(BaseHook):
    """Open sqltune's read-only connection for Airflow connection ``conn_id``.

    ``database`` overrides the connection's database (PostgreSQL); ``statement_timeout_s`` limits every
    statement sqltune sends.
    """

    conn_name_attr = "conn_id"
    default_conn_name = "sqltune_default"
    hook_name = "sqltune"

    def __init__(self, conn_id: str, *, database: str | None = None, statement_timeout_s: float = 30.0) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.database = database
        self.statement_timeout_s = statement_timeout_s

    @property
    def engine(self) -> str:
        """``postgres`` or ``snowflake``, from the connection's type."""
        conn_type = (self.get_connection(self.conn_id).conn_type or "").lower()
        if conn_type not in ENGINES:
            raise AirflowException(
                f"connection {self.conn_id!r} is of type {conn_type or 'unknown'!r}: sqltune reads "
                f"{', '.join(sorted(set(ENGINES) - {'postgresql'}))} connections"
            )
        return ENGINES[conn_type]

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """sqltune's connection (a ``PostgresConnection`` or ``SnowflakeConnection``), closed on exit."""
        if self.engine == "snowflake":
            with self._snowflake() as connection:
                yield connection
            return
        from sqltune.connectors import connect

        limit = f"{self.statement_timeout_s}s"
        with connect(
            self._postgres_params(), statement_timeout=limit, application_name="sqltune-airflow"
        ) as connection:
            yield connection

    def _postgres_params(self) -> dict[str, Any]:
        """libpq keywords as ``PostgresHook.get_conn`` builds them (extras the hook keeps to itself left out)."""
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        hook = PostgresHook(postgres_conn_id=self.conn_id)
        conn = copy.deepcopy(hook.connection)
        extras = conn.extra_dejson
        if extras.get("iam", False):
            conn.login, conn.password, conn.port = hook.get_iam_token(conn)
        params: dict[str, Any] = {
            "host": conn.host,
            "port": conn.port,
            "user": conn.login,
            "password": conn.password,
            "dbname": self.database or conn.schema,
        }
        params.update(
            (key, str(value)) for key, value in extras.items() if key not in hook.ignored_extra_options | OWN_EXTRAS
        )
        return {key: value for key, value in params.items() if value not in (None, "")}

    @contextmanager
    def _snowflake(self) -> Iterator[Any]:
        try:
            from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook
        except ImportError:
            raise AirflowException(
                f"connection {self.conn_id!r} is a Snowflake connection: "
                "pip install apache-airflow-providers-snowflake 'sqltune[snowflake]'"
            ) from None
        from sqltune.connectors.snowflake import connect

        raw = SnowflakeHook(snowflake_conn_id=self.conn_id).get_conn()
        try:
            # A connection passed in stays the caller's: closed here, not by sqltune.
            yield connect(connection=raw, statement_timeout_s=self.statement_timeout_s)
        finally:
            raw.close()
