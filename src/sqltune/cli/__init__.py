"""The ``sqltune`` command line. Each command lives in its own module and registers on :data:`main`.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage error, unreadable input or a problem of
sqltune's own (a rule or reporter that crashed). Every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from importlib import import_module
from typing import Any, TypeVar

import click

from sqltune import __version__
from sqltune.connectors.errors import ConnectionError, DatabaseError

__all__ = ["main", "user_errors"]

F = TypeVar("F", bound=Callable[..., Any])

#: Exceptions that mean "the user's input or options are wrong" (they carry a one-line message). Database
#: errors (unreachable server, missing extension, refused statement) are the user's to fix too; their module
#: imports no driver, so listing them costs ``sqltune lint`` nothing.
USER_ERRORS: tuple[type[Exception], ...] = (ValueError, OSError, ImportError, DatabaseError)


def _message(error: Exception) -> str:
    """One line. A connection error keeps libpq's hint lines ("Is the server running on that host...?"),
    joined; other errors keep their first line (PostgreSQL's ``LINE 8: ...`` context is not for a terminal)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return " ".join(lines) if isinstance(error, ConnectionError) else lines[0]


def user_errors(function: F) -> F:
    """Turn a user error raised inside a command into one line on stderr and exit code 2."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except USER_ERRORS as error:
            click.echo(f"sqltune: error: {_message(error)}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


#: Command name -> the module that defines it. Modules are imported only when their command runs, so
#: ``sqltune lint`` never pays for the plan, rewrite or index machinery.
COMMANDS = {
    "baseline": "sqltune.cli.baseline",
    "design": "sqltune.cli.design",
    "explain": "sqltune.cli.plan",
    "fix": "sqltune.cli.fix",
    "indexes": "sqltune.cli.indexes",
    "layout": "sqltune.cli.layout",
    "lint": "sqltune.cli.lint",
    "plan": "sqltune.cli.plan",
    "regressions": "sqltune.cli.snapshot",
    "rule": "sqltune.cli.rules",
    "rules": "sqltune.cli.rules",
    "snapshot": "sqltune.cli.snapshot",
    "workload": "sqltune.cli.workload",
}


class LazyGroup(click.Group):
    """click's documented pattern for lazily loaded subcommands."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            import_module(COMMANDS[name])  # its decorators register the command on `main`
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sqltune")
def main() -> None:
    """Make SQL fast and schemas sound: lint queries and DDL, read plans, rewrite safely, advise indexes."""
