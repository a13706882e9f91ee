"""Which database a run of the magic uses, and opening sqltune's own read-only connection to it.

The first of: ``--dsn``; ``--connection NAME`` (a jupysql alias, else a notebook variable holding a DSN, a
URL, a mapping of libpq keywords, a SQLAlchemy engine or a jupysql connection); ``%config SqlTune.dsn``;
jupysql's active connection (unless ``%config SqlTune.reuse_jupysql = False``). None of them: ``--explain``
connects with libpq's environment (``PGHOST``, ``PGDATABASE``... as the CLI does), ``--indexes`` works
offline. Messages name where the target came from, never the target itself (it may hold a password).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqltune.connectors.engines import ENGINES, engine_of
from sqltune.notebook import jupysql
from sqltune.notebook.config import SqlTune
from sqltune.notebook.options import MagicOptions, UsageError

__all__ = ["Target", "open_connection", "resolve_target"]


@dataclass(frozen=True)
class Target:
    """A database to connect to. ``value`` is what :func:`sqltune.connect` takes (``None``: a jupysql
    connection sqltune cannot open again); ``label`` says where it came from; ``dialect`` is its engine's SQL
    dialect; ``explicit`` is false when it was only picked up from jupysql."""

    value: Any
    label: str
    dialect: str | None
    explicit: bool = True


def resolve_target(options: MagicOptions, defaults: SqlTune, shell: Any) -> Target | None:
    """The database this run uses, or ``None`` when nothing names one."""
    if options.dsn is not None:
        return _given(options.dsn, "--dsn")
    if options.connection is not None:
        return _named(options.connection, shell.user_ns)
    if defaults.dsn:
        return _given(defaults.dsn, "SqlTune.dsn")
    if defaults.reuse_jupysql:
        current = jupysql.active(shell)
        if current is not None:
            engine, dialect = jupysql.target(current)
            return Target(engine, "jupysql's active connection", dialect, explicit=False)
    return None


def _given(value: Any, label: str) -> Target:
    if isinstance(value, str | Mapping):
        return Target(value, label, engine_of(value))
    if hasattr(value, "connection_sqlalchemy"):  # a jupysql connection object
        engine, dialect = jupysql.target(value)
        return Target(engine, label, dialect)
    dialect = getattr(value, "dialect", None)  # a SQLAlchemy engine or connection
    if dialect is None or not hasattr(dialect, "name"):
        raise UsageError(
            f"{label} is a {type(value).__name__}; expected a DSN, a URL, a mapping of libpq keywords, "
            "a SQLAlchemy engine or a jupysql connection"
        )
    return Target(value, label, jupysql.dialect_of(dialect.name))


def _named(name: str, namespace: Mapping[str, Any]) -> Target:
    connection = jupysql.by_alias(name)
    if connection is not None:
        engine, dialect = jupysql.target(connection)
        return Target(engine, f"jupysql connection {name!r}", dialect)
    if name in namespace:
        return _given(namespace[name], f"connection {name!r}")
    raise UsageError(f"--connection {name}: no jupysql connection has that alias and no notebook variable that name")


def _engine_name(dialect: str) -> str:
    engine = ENGINES.get(dialect)
    return engine.name if engine else dialect


def open_connection(target: Target | None, what: str, timeout: str) -> Any:
    """sqltune's read-only PostgreSQL connection for ``what`` (an option, for messages): ``target``'s, or
    libpq's environment defaults when there is none."""
    if target is not None and target.dialect not in ("postgres", None):
        raise UsageError(f"{what} needs PostgreSQL (postgresql://…); {target.label} is {_engine_name(target.dialect)}")
    if target is not None and target.value is None:
        raise UsageError(
            f"{what}: {target.label} is not a SQLAlchemy connection, so sqltune cannot open its own "
            "connection from it; pass --dsn"
        )
    from sqltune.connectors.postgres import connect

    return connect(None if target is None else target.value, statement_timeout=timeout)
