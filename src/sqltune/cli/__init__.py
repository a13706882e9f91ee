"""The ``sqltune`` command line. Each command lives in its own module and registers on :data:`main`.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage error or unreadable input. Every error a
user can cause is one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from sqltune import __version__

__all__ = ["main", "user_errors"]

F = TypeVar("F", bound=Callable[..., Any])

#: Exceptions that mean "the user's input or options are wrong" (they carry a one-line message).
USER_ERRORS: tuple[type[Exception], ...] = (ValueError, OSError, ImportError)


def user_errors(function: F) -> F:
    """Turn a user error raised inside a command into one line on stderr and exit code 2."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except USER_ERRORS as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            click.echo(f"sqltune: error: {message}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sqltune")
def main() -> None:
    """Make SQL fast and schemas sound: lint queries and DDL, read plans, rewrite safely, advise indexes."""


from sqltune.cli import baseline as _baseline  # noqa: E402,F401
from sqltune.cli import fix as _fix  # noqa: E402,F401
from sqltune.cli import indexes as _indexes  # noqa: E402,F401
from sqltune.cli import lint as _lint  # noqa: E402,F401  (each import registers its commands)
from sqltune.cli import plan as _plan  # noqa: E402,F401
from sqltune.cli import rules as _rules  # noqa: E402,F401
