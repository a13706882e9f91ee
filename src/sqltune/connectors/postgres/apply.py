"""Apply an index plan — the one place sqltune writes to a user database, and only when asked (``--apply``).

``CREATE INDEX CONCURRENTLY`` and ``DROP INDEX CONCURRENTLY`` cannot run inside a transaction, so this opens
its own autocommit session (read-write, unlike every other sqltune session), runs each statement under the
statement timeout and stops at the first failure. A failed concurrent build leaves an INVALID index behind;
the error says so, and which statement to run to remove it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from sqltune.connectors.errors import QueryError
from sqltune.connectors.postgres.connection import resolve_target
from sqltune.connectors.postgres.safety import timeout_ms
from sqltune.connectors.redact import redact_text

__all__ = ["apply_statements"]


def apply_statements(
    target: Any,
    statements: Sequence[str],
    *,
    statement_timeout: str = "2h",
    progress: Callable[[str], None] | None = None,
) -> int:
    """Run ``statements`` one by one; returns how many ran. Raises a scrubbed :class:`QueryError`."""
    params, secrets = resolve_target(target)
    done = 0
    with psycopg.connect(autocommit=True, **dict(params, application_name="sqltune-apply")) as connection:
        connection.execute(f"SET statement_timeout = {timeout_ms(statement_timeout)}")
        for statement in statements:
            if progress is not None:
                progress(statement)
            try:
                connection.execute(statement)
            except psycopg.Error as error:
                message = redact_text(str(error).strip(), secrets)
                hint = ""
                if "CONCURRENTLY" in statement.upper() and statement.upper().startswith("CREATE"):
                    hint = " (a failed concurrent build leaves an INVALID index: drop it before retrying)"
                raise QueryError(f"{statement}: {message}{hint}", sqlstate=error.sqlstate) from None
            done += 1
    return done
