"""The one place sqltune touches sqlglot.

sqlglot's minor releases change node classes and parser internals, so every other module imports
``exp`` and the helpers below from here. The version window is checked at import time: a sqlglot outside
it gets one clear error instead of wrong findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokens import Token, TokenType

__all__ = [
    "SUPPORTED_SQLGLOT",
    "Dialect",
    "ParseError",
    "StatementTokens",
    "Token",
    "TokenError",
    "TokenType",
    "dialect_names",
    "exp",
    "get_dialect",
    "parse_one",
    "parse_tokens",
    "split_statements",
    "sqlglot_compiled",
    "sqlglot_version",
    "tokenize",
]

#: The window of sqlglot minor versions the test suite runs against (inclusive lower, exclusive upper). Versions
#: before 30.30 hang (their error highlighter loops) on ``COPY t FROM STDIN WITH CSV FORCE NOT NULL c``.
SUPPORTED_SQLGLOT = ((30, 30), (30, 32))


def sqlglot_version() -> tuple[int, int]:
    major, minor = (int(part) for part in sqlglot.__version__.split(".")[:2])
    return major, minor


def sqlglot_compiled() -> bool:
    """Whether sqlglot's parser is the compiled one (``sqlglotc``, a core dependency where a wheel exists: its
    extension modules shadow the pure-Python ones). Both behave the same; the compiled one parses faster.

    >>> isinstance(sqlglot_compiled(), bool)
    True
    """
    return not sqlglot.parser.__file__.endswith(".py")


def _check_version() -> None:
    low, high = SUPPORTED_SQLGLOT
    if not low <= sqlglot_version() < high:
        raise ImportError(
            f"sqltune needs sqlglot >={low[0]}.{low[1]},<{high[0]}.{high[1]}; "
            f"found {sqlglot.__version__}. Install a supported version: pip install 'sqlglot>={low[0]}.{low[1]},"
            f"<{high[0]}.{high[1]}'"
        )


_check_version()


@cache
def dialect_names() -> tuple[str, ...]:
    """Every dialect sqlglot knows, by the name users pass (``postgres``, ``snowflake``, ...)."""
    from sqlglot.dialects import DIALECTS

    return tuple(sorted(name.lower() for name in DIALECTS))


@cache
def get_dialect(name: str | None) -> Dialect:
    """The sqlglot dialect for ``name``; ``None`` or ``""`` means sqlglot's generic ANSI-ish dialect.

    Raises ``ValueError`` naming the known dialects when the name is unknown.
    """
    try:
        return Dialect.get_or_raise(name or "")
    except ValueError:
        known = ", ".join(dialect_names())
        raise ValueError(f"unknown dialect {name!r}; expected one of: {known}") from None


def tokenize(sql: str, dialect: str | None) -> list[Token]:
    return list(get_dialect(dialect).tokenize(sql))


@dataclass(frozen=True, slots=True)
class StatementTokens:
    """The tokens of one statement in a file, without its terminating semicolon."""

    tokens: list[Token]
    start: int  # offset of the first character of the first token
    end: int  # offset one past the last character of the last token


def split_statements(tokens: list[Token]) -> Iterator[StatementTokens]:
    """Cut a token stream at top-level semicolons; empty statements (``;;``) are dropped.

    The semicolons are found in one pass and each statement is a slice (no per-token appends).

    >>> [(piece.start, piece.end) for piece in split_statements(tokenize("SELECT 1;; SELECT 22", None))]
    [(0, 8), (11, 20)]
    """
    semicolon = TokenType.SEMICOLON
    start = 0
    for cut in [index for index, token in enumerate(tokens) if token.token_type == semicolon]:
        if cut > start:
            yield StatementTokens(tokens[start:cut], tokens[start].start, tokens[cut - 1].end + 1)
        start = cut + 1
    if start < len(tokens):
        yield StatementTokens(tokens[start:], tokens[start].start, tokens[-1].end + 1)


def parse_tokens(statement: StatementTokens, sql: str, dialect: str | None) -> exp.Expression | None:
    """Parse one statement's tokens; node positions stay relative to the whole ``sql`` text.

    Raises :class:`ParseError` with line and column of the offending token.
    """
    parser = get_dialect(dialect).parser(error_level=ErrorLevel.RAISE)
    expressions = parser.parse(statement.tokens, sql)
    return expressions[0] if expressions else None


def parse_one(sql: str, dialect: str | None = None) -> exp.Expression:
    """Parse a single statement (for examples, tests and rewrites)."""
    return sqlglot.parse_one(sql, read=get_dialect(dialect))


from sqlglot.optimizer.scope import Scope, traverse_scope  # noqa: E402  (after the version check)

__all__ += ["Scope", "traverse_scope"]

from sqlglot.optimizer.qualify import qualify  # noqa: E402  (after the version check)

__all__ += ["qualify"]
