"""Live database access: the only part of sqltune that opens connections.

The core (parsing, schema, rules, engine, reporters) never imports a driver; everything that talks to a
server lives here, behind :func:`connect`:

- :mod:`~sqltune.connectors.errors`: :class:`DatabaseError` and its subclasses, importable without a driver
  installed (so callers can catch them without psycopg) and scrubbed of passwords; re-exported here;
- :mod:`~sqltune.connectors.redact`: keeping passwords out of everything sqltune prints, logs or raises;
- :mod:`~sqltune.connectors.postgres`: the read-only PostgreSQL connection (EXPLAIN, catalog,
  ``pg_stat_statements``, the index advisor's what-if and validation backends, applying a plan);
- :mod:`~sqltune.connectors.snowflake`: the read-only Snowflake connection (plans, query history and the
  workload, schema and clustering);
- :mod:`~sqltune.connectors.bigquery`: the read-only, cost-capped BigQuery connection (the workload in
  ``INFORMATION_SCHEMA.JOBS``, the layout advisor's port);
- :mod:`~sqltune.connectors.rows`: warehouse rows as workload records (shared by the two above);
- :mod:`~sqltune.connectors.mysql`: the read-only MySQL/MariaDB connection (the digest table's workload);
- :mod:`~sqltune.connectors.timeouts`: the spellings of a time limit, shared by the connectors;
- :mod:`~sqltune.connectors.lifecycle`: the context-manager behaviour every connection shares;
- :mod:`~sqltune.connectors.engines`: which engine a target names, from its text alone (what the commands
  check before connecting);
- :func:`connect`: a PostgreSQL connection, a MySQL/MariaDB one for ``mysql://`` and ``mariadb://`` URLs, a
  Snowflake one for ``snowflake://user@account/database/schema`` URLs, or a BigQuery one for
  ``bigquery://project[/dataset]`` URLs, with the driver loaded only on the first call.

The modules of this package import :mod:`~sqltune.connectors.errors` (never this package itself), so
this file may import them without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqltune.connectors.engines import engine_of
from sqltune.connectors.errors import ConnectionError, DatabaseError, QueryError, QueryTimeout, WorkloadUnavailable

__all__ = [
    "ConnectionError",
    "DatabaseError",
    "QueryError",
    "QueryTimeout",
    "WorkloadUnavailable",
    "connect",
]

if TYPE_CHECKING:
    from sqltune.connectors.bigquery import BigQueryConnection
    from sqltune.connectors.mysql import MySQLConnection
    from sqltune.connectors.postgres import PostgresConnection
    from sqltune.connectors.snowflake import SnowflakeConnection
    from sqltune.connectors.timeouts import Timeout


def connect(
    target: Any = None,
    *,
    statement_timeout: Timeout | None = None,
    application_name: str = "sqltune",
    connect_timeout: int | None = None,
) -> PostgresConnection | MySQLConnection | SnowflakeConnection | BigQueryConnection:
    """Open a read-only PostgreSQL connection (see :func:`sqltune.connectors.postgres.connect`), a MySQL/
    MariaDB one for a ``mysql://`` or ``mariadb://`` URL (see :func:`sqltune.connectors.mysql.connect`), a
    Snowflake one for a ``snowflake://user[:password]@account[/database[/schema]]`` URL (see
    :func:`sqltune.connectors.snowflake.connect_url`), or a BigQuery one for a ``bigquery://project[/dataset]``
    URL (see :func:`sqltune.connectors.bigquery.connect_url`; ``statement_timeout`` does not apply: the URL's
    ``timeout_s`` does).

    ``statement_timeout`` and ``connect_timeout`` (seconds) default to each engine's own: 30 s and 10 s on
    PostgreSQL and MySQL; on Snowflake the URL's ``STATEMENT_TIMEOUT_IN_SECONDS`` (else 120 s) and
    ``login_timeout`` (else 60 s).

    A thin wrapper so that ``import sqltune`` and ``import sqltune.connectors`` (for the error classes) do
    not import a driver: it is loaded on the first call.
    """
    limits: dict[str, Any] = {}
    if statement_timeout is not None:
        limits["statement_timeout"] = statement_timeout
    if connect_timeout is not None:
        limits["connect_timeout"] = connect_timeout
    engine = engine_of(target)
    if engine == "bigquery":
        from sqltune.connectors.bigquery import connect_url

        return connect_url(target.strip())
    if engine == "snowflake":
        from sqltune.connectors.snowflake import connect_url as connect_snowflake
        from sqltune.connectors.timeouts import timeout_ms

        seconds = -(-timeout_ms(statement_timeout) // 1000) if statement_timeout is not None else None
        return connect_snowflake(target, statement_timeout_s=seconds, login_timeout_s=connect_timeout or 60)
    if engine == "mysql":
        from sqltune.connectors.mysql import connect as connect_mysql

        return connect_mysql(target, **limits)
    from sqltune.connectors.postgres import connect as connect_postgres

    return connect_postgres(target, application_name=application_name, **limits)
