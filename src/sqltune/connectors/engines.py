"""Which engine a connection target names, told from its text alone: no driver loaded, nothing opened.

:func:`~sqltune.connectors.connect` dispatches on it, and the commands use it to refuse a connection they
cannot use before anything is read or opened (``sqltune indexes`` needs PostgreSQL, say).

- :data:`ENGINES`: each engine's name as users know it and the form of its URL;
- :func:`engine_of`: the engine a target names (a URL's scheme; anything else is PostgreSQL's);
- :func:`require_engine`: that engine, or a one-line ``ValueError`` naming what is supported instead.

>>> engine_of("snowflake://me@myorg-myaccount/ANALYTICS"), engine_of("host=db dbname=shop"), engine_of(None)
('snowflake', 'postgres', 'postgres')
>>> require_engine("bigquery://acme/shop", ("postgres",), "sqltune indexes")
Traceback (most recent call last):
...
ValueError: sqltune indexes: BigQuery connections are not supported; it needs PostgreSQL (postgresql://…)
>>> try:
...     require_engine("mysql://me@db/shop", ("postgres", "snowflake", "bigquery"), "sqltune layout")
... except ValueError as error:
...     print(str(error).split("; ")[1])
it needs PostgreSQL (postgresql://…), Snowflake (snowflake://…) or BigQuery (bigquery://…)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = ["ENGINES", "Engine", "engine_of", "require_engine"]


class Engine(NamedTuple):
    name: str  # as users know it
    url: str  # the form of its URL, for messages


ENGINES = {
    "postgres": Engine("PostgreSQL", "postgresql://…"),
    "mysql": Engine("MySQL/MariaDB", "mysql://…"),
    "snowflake": Engine("Snowflake", "snowflake://…"),
    "bigquery": Engine("BigQuery", "bigquery://…"),
}

# Scheme prefixes, SQLAlchemy's driver suffixes included (``mysql+pymysql://``).
_SCHEMES = {
    "bigquery": ("bigquery:",),
    "snowflake": ("snowflake:",),
    "mysql": ("mysql:", "mysql+", "mariadb:", "mariadb+"),
}


def engine_of(target: Any) -> str:
    """``"bigquery"``, ``"snowflake"``, ``"mysql"`` (MySQL and MariaDB) or ``"postgres"``: a URL by its scheme;
    anything else (a libpq DSN, a mapping, a SQLAlchemy engine, ``None``) is PostgreSQL's, as ``connect`` takes it.
    """
    if isinstance(target, str):
        text = target.strip().lower()
        for engine, prefixes in _SCHEMES.items():
            if text.startswith(prefixes):
                return engine
    return "postgres"


def require_engine(target: Any, supported: Sequence[str], what: str) -> str:
    """The engine of ``target`` when ``what`` (a command, an option) supports it; else ``ValueError`` in one line
    that names the engine given and those supported. Never quotes the target: it may hold a password."""
    engine = engine_of(target)
    if engine not in supported:
        named = [f"{ENGINES[name].name} ({ENGINES[name].url})" for name in supported]
        needs = ", ".join(named[:-1]) + " or " + named[-1] if len(named) > 1 else named[0]
        raise ValueError(f"{what}: {ENGINES[engine].name} connections are not supported; it needs {needs}")
    return engine
