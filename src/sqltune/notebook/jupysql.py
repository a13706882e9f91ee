"""jupysql's connections, read where jupysql keeps them (``sql.connection.ConnectionManager``).

jupysql (``%load_ext sql``) holds its connections in ``ConnectionManager.connections`` (by alias) and the
active one in ``ConnectionManager.current``. sqltune reads them, never imports jupysql itself (a notebook
that has not loaded it pays nothing), and never runs anything on jupysql's own session: from a SQLAlchemy
connection it takes the engine, whose URL *fields* sqltune's connector reads to open a read-only connection
of its own, so sqltune's rollback guarantees hold and jupysql's transaction is left alone.

- :func:`active`: the active connection when jupysql is loaded, else ``None``;
- :func:`by_alias`: a connection by its alias (``%sql ... --alias NAME``);
- :func:`target`: what sqltune connects with, and the SQL dialect, for one of them.
"""

from __future__ import annotations

import sys
from typing import Any

from sqltune.core.sqlglot import get_dialect

__all__ = ["active", "by_alias", "dialect_of", "target"]

#: SQLAlchemy dialect names that sqlglot spells differently.
_SQLGLOT_NAMES = {"postgresql": "postgres", "mssql": "tsql", "mariadb": "mysql", "awsathena": "athena"}
#: The dialect of a DB-API connection jupysql names none for, by its driver's top-level module.
_DRIVERS = {
    "duckdb": "duckdb",
    "_duckdb": "duckdb",
    "sqlite3": "sqlite",
    "psycopg": "postgres",
    "psycopg2": "postgres",
    "pymysql": "mysql",
    "MySQLdb": "mysql",
    "snowflake": "snowflake",
}


def _manager() -> Any:
    module = sys.modules.get("sql.connection")  # imported by `%load_ext sql`
    return getattr(module, "ConnectionManager", None)


def active(shell: Any) -> Any:
    """jupysql's active connection, when its ``%sql`` magic is registered on ``shell`` and connected."""
    manager = _manager()
    if manager is None or "sql" not in shell.magics_manager.magics["line"]:
        return None
    return manager.current


def by_alias(name: str) -> Any:
    """The jupysql connection called ``name`` (its alias, or its URL when it has none), else ``None``."""
    manager = _manager()
    return None if manager is None else manager.connections.get(name)


def dialect_of(name: str | None) -> str | None:
    """The sqlglot dialect for a SQLAlchemy dialect name, or ``None`` when sqlglot does not know it.

    >>> dialect_of("postgresql"), dialect_of("duckdb"), dialect_of("mssql"), dialect_of("informix")
    ('postgres', 'duckdb', 'tsql', None)
    """
    if not name:
        return None
    dialect = _SQLGLOT_NAMES.get(name, name)
    try:
        get_dialect(dialect)
    except ValueError:
        return None
    return dialect


def target(connection: Any) -> tuple[Any, str | None]:
    """``(engine, dialect)`` of a jupysql connection: the SQLAlchemy engine sqltune can connect with (``None``
    for a DB-API or Spark connection, which carries no URL to open another), and its sqlglot dialect (of a
    DB-API connection jupysql does not name one for, its driver's)."""
    dialect = dialect_of(getattr(connection, "dialect", None))
    if dialect is None:
        driver = type(getattr(connection, "_connection", None)).__module__.split(".")[0]
        dialect = _DRIVERS.get(driver)
    try:
        return connection.connection_sqlalchemy.engine, dialect
    except (AttributeError, NotImplementedError):  # jupysql raises the latter for DB-API and Spark connections
        return None, dialect
