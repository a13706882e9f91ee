"""Errors in a cell: one short paragraph, never a traceback wall.

A magic that fails raises :class:`CellError`, whose ``_render_traceback_`` (the hook IPython and ipykernel
call instead of formatting a traceback) is the paragraph alone. Raising, rather than printing, keeps the
cell marked as failed, so "Run all" stops there instead of running later cells without the result.

- :func:`brief`: the paragraph for an error: the user's to fix (bad SQL, options, connection, a missing
  file or driver) in sqltune's words, anything else as an internal error with a hint to report it.
"""

from __future__ import annotations

from sqltune.connectors.errors import ConnectionError, DatabaseError

__all__ = ["USER_ERRORS", "CellError", "brief"]

#: What is the user's to fix; each carries a message fit to show (database errors are scrubbed of passwords).
USER_ERRORS: tuple[type[Exception], ...] = (ValueError, OSError, ImportError, DatabaseError)

_REPORT_HINT = (
    "this is a sqltune bug: please report it with the SQL and options of the cell "
    "(`%config SqlTune.show_traceback = True` shows the traceback)"
)


class CellError(Exception):
    """A magic failed; IPython shows only the message."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def brief(error: BaseException) -> str:
    """One paragraph for ``error``.

    >>> brief(ValueError("unknown dialect 'postgress'\\nmore detail"))
    "sqltune: error: unknown dialect 'postgress'"
    >>> brief(ConnectionError("cannot connect to db:5432/shop: connection refused\\n\\tIs the server running?"))
    'sqltune: error: cannot connect to db:5432/shop: connection refused Is the server running?'
    >>> brief(KeyError("node"))[:65]
    "sqltune: internal error (KeyError: 'node'); this is a sqltune bug"
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if isinstance(error, USER_ERRORS):
        # libpq's hint lines ("Is the server running on that host...?") belong to a connection error; other
        # errors keep their first line (PostgreSQL's "LINE 8: ..." context does not read well here).
        text = " ".join(lines) if isinstance(error, ConnectionError) else (lines[0] if lines else "")
        return f"sqltune: error: {text or type(error).__name__}"
    detail = f": {lines[0]}" if lines else ""
    return f"sqltune: internal error ({type(error).__name__}{detail}); {_REPORT_HINT}"
