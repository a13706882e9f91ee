"""The options of ``%sqltune`` and ``%%sqltune``, and splitting a magic's line into options and SQL.

Options come first; the line magic's SQL is the rest of the line, taken verbatim (no shell-style unquoting
of the SQL, so ``'it''s'`` and ``"Quoted Name"`` stay as written). An option value may be quoted
(``--dsn 'host=db dbname=shop'``), and each option word gets ``{var}`` substitution on its own, so a
substituted DSN with blanks stays one value.

>>> options, sql = parse_line("--explain -o plan SELECT * FROM orders WHERE note = 'a b'", {})
>>> options.action, options.output, sql
('explain', 'plan', "SELECT * FROM orders WHERE note = 'a b'")
>>> parse_line("--dsn {dsn} --analyze SELECT 1", {"dsn": "host=db dbname=shop"})[0].dsn
'host=db dbname=shop'
>>> parse_line("-- a comment is SQL, not an option\\nSELECT 1", {})[1]
'-- a comment is SQL, not an option\\nSELECT 1'
>>> parse_line("--fix --indexes SELECT 1", {})
Traceback (most recent call last):
...
sqltune.notebook.options.UsageError: choose one of --explain, --fix and --indexes (--analyze implies --explain)
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqltune.notebook.substitution import substitute

__all__ = ["OPTIONS", "MagicOptions", "Option", "UsageError", "help_text", "parse_line"]


class UsageError(ValueError):
    """The magic's options are wrong: an unknown option, a missing value, two actions at once."""


class Option(NamedTuple):
    flags: tuple[str, ...]
    dest: str
    metavar: str | None  # None: a flag without a value
    help: str


#: Every option, in the order ``%sqltune?`` lists them (a test checks each is documented in docs/notebook.md).
OPTIONS = (
    Option(("--dialect",), "dialect", "NAME", "SQL dialect (postgres, snowflake, bigquery, mysql, duckdb, ...)."),
    Option(("--dsn",), "dsn", "DSN", "Database to connect to: a libpq DSN or a URL (postgresql://, mysql://, ...)."),
    Option(
        ("--connection",),
        "connection",
        "NAME",
        "A named connection: a jupysql connection alias, or a notebook variable holding a DSN, a URL, a "
        "mapping of libpq keywords or a SQLAlchemy engine.",
    ),
    Option(("--schema",), "schema", "PATH", "DDL file or JSON schema snapshot the SQL is checked against."),
    Option(("--explain",), "explain", None, "EXPLAIN each statement on PostgreSQL and diagnose its plan."),
    Option(
        ("--analyze",),
        "analyze",
        None,
        "EXPLAIN ANALYZE: run each statement to measure it, always in a transaction that is rolled back.",
    ),
    Option(("--fix",), "fix", None, "Show the rewrites proven not to change results (and those advised)."),
    Option(("--indexes",), "indexes", None, "Advise indexes for the statements (what-if costs with a connection)."),
    Option(("-o", "--output"), "output", "NAME", "Also store the result object in the notebook variable NAME."),
)

_ACTIONS = ("explain", "fix", "indexes")


@dataclass(frozen=True)
class MagicOptions:
    """The parsed options. ``action`` is ``lint`` unless ``--explain``, ``--fix`` or ``--indexes`` is given."""

    dialect: str | None = None
    dsn: str | None = None
    connection: str | None = None
    schema: str | None = None
    analyze: bool = False
    action: str = "lint"
    output: str | None = None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print usage and exit the kernel's process
        raise UsageError(message)


def _parser() -> _Parser:
    parser = _Parser(prog="%sqltune", usage=argparse.SUPPRESS, add_help=False, allow_abbrev=False)
    for option in OPTIONS:
        if option.metavar is None:
            parser.add_argument(*option.flags, dest=option.dest, action="store_true", help=option.help)
        else:
            parser.add_argument(*option.flags, dest=option.dest, metavar=option.metavar, help=option.help)
    return parser


def help_text() -> str:
    """The options as ``%sqltune?`` shows them."""
    return _parser().format_help().strip()


# An option starts with "-" or "--" and a letter; "-- comment" and "-1" are SQL.
_OPTION = re.compile(r"--?[A-Za-z]")
# One shell-style word: runs of unquoted characters and quoted strings.
_WORD = re.compile(r"""(?:[^\s'"]+|'[^']*'|"[^"]*")+""")
_TAKES_VALUE = {flag for option in OPTIONS if option.metavar is not None for flag in option.flags}


def parse_line(line: str, namespace: Mapping[str, Any]) -> tuple[MagicOptions, str]:
    """The options at the start of ``line`` (values ``{var}``-substituted from ``namespace``) and the rest of
    the line, verbatim: the line magic's SQL."""
    words: list[str] = []
    position = 0
    wants_value = False
    while True:
        position = len(line) - len(line[position:].lstrip()) if position < len(line) else position
        if position >= len(line) or not (wants_value or _OPTION.match(line, position)):
            break
        word = _WORD.match(line, position)
        if word is None:
            raise UsageError(f"unclosed quote in the magic's options: {line[position:].split()[0]}")
        position = word.end()
        try:
            (text,) = shlex.split(word.group())
        except ValueError as error:
            raise UsageError(f"cannot read {word.group()!r}: {error}") from None
        words.append(substitute(text, namespace, "<options>"))
        wants_value = not wants_value and text in _TAKES_VALUE
    return _options(_parser().parse_args(words)), line[position:].strip()


def _options(parsed: argparse.Namespace) -> MagicOptions:
    if parsed.output is not None and not parsed.output.isidentifier():
        raise UsageError(f"-o needs a Python variable name, not {parsed.output!r}")
    chosen = [action for action in _ACTIONS if getattr(parsed, action)]
    if parsed.analyze and "explain" not in chosen:
        chosen.insert(0, "explain")
    if len(chosen) > 1:
        raise UsageError("choose one of --explain, --fix and --indexes (--analyze implies --explain)")
    if parsed.dsn is not None and parsed.connection is not None:
        raise UsageError("give --dsn or --connection, not both")
    return MagicOptions(
        dialect=parsed.dialect,
        dsn=parsed.dsn,
        connection=parsed.connection,
        schema=parsed.schema,
        analyze=parsed.analyze,
        action=chosen[0] if chosen else "lint",
        output=parsed.output,
    )
