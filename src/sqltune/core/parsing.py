"""From a :class:`~sqltune.core.source.Source` to :class:`Statement` objects, one per SQL statement.

The file is tokenized once and cut at top-level semicolons; each statement is parsed on its own, so one
that does not parse becomes a :class:`ParseFailure` with its line, column and what was expected while the
statements around it are still analysed. Node positions are offsets into the whole file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqltune.core.source import Source, Span
from sqltune.core.sqlglot import (
    ParseError,
    StatementTokens,
    TokenError,
    exp,
    parse_tokens,
    split_statements,
    tokenize,
)
from sqltune.core.templating import has_template, render

__all__ = ["ParseFailure", "Statement", "node_span", "parse_source"]


def _not_command_fallback(record: logging.LogRecord) -> bool:
    """sqlglot logs a warning each time it keeps an unsupported statement (``CREATE FUNCTION ... $$``) as an
    opaque command. That is not a problem in the user's SQL, and on a terminal it would interleave with the
    report, so the linter drops exactly that message."""
    return "Falling back to parsing as a 'Command'" not in str(record.msg)


logging.getLogger("sqlglot").addFilter(_not_command_fallback)


@dataclass(frozen=True, slots=True)
class ParseFailure:
    message: str
    span: Span


@dataclass(slots=True)
class Statement:
    """One statement of a source: its expression, or why it could not be parsed."""

    source: Source
    span: Span
    index: int  # 0-based position in its source
    expression: exp.Expression | None = None
    error: ParseFailure | None = None

    @property
    def text(self) -> str:
        return self.source.text[self.span.start : self.span.end]

    def node_span(self, node: exp.Expression | None) -> Span:
        """Where ``node`` stands in the source (the whole statement when it carries no position)."""
        return node_span(self.source, node, self.span) if node is not None else self.span


def node_span(source: Source, node: exp.Expression, fallback: Span) -> Span:
    """The smallest span covering every token of ``node`` that sqlglot recorded a position for."""
    start = end = -1
    for child in node.walk():
        meta = child._meta  # sqlglot keeps token offsets here; .meta would allocate a dict per node
        if meta and "start" in meta:
            if start < 0 or meta["start"] < start:
                start = meta["start"]
            if meta["end"] + 1 > end:
                end = meta["end"] + 1
    if start < 0:
        return fallback
    # A quoted identifier's recorded range excludes its closing quote.
    if end < len(source.text) and source.text[end : end + 1] in "\"'`]":
        end += 1
    return source.span(start, end)


_TOKEN_REPR = re.compile(
    r"<Token token_type: TokenType\.(\w+), text: (.*?), line: \d+, col: \d+, start: \d+, end: \d+, comments: \[.*?\]>"
)
_MISSING = re.compile(r"Required keyword: '(\w+)' missing for <class 'sqlglot\.expressions\.[\w.]*?(\w+)'>")


_EXPECTING = re.compile(r"^Expecting (\S+)$")
_CONDITION_CLAUSES = {"WHERE", "HAVING", "QUALIFY", "JOIN", "ON"}


def _clean_message(description: str, near: str = "") -> str:
    """sqlglot's parser messages, with token and class reprs turned into what a user wrote, and each saying
    what was expected."""
    if description.startswith("Invalid expression / Unexpected token"):
        found = f"unexpected {near!r}" if near else "unexpected token"
        return f"{found}; expected an expression, a clause keyword or the end of the statement"
    expecting = _EXPECTING.match(description.strip())
    if expecting:
        return f"expected {expecting.group(1)!r}" + (f" before {near!r}" if near else "")
    if description.startswith("Failed to parse any statement following CTE"):
        return "expected a SELECT, INSERT, UPDATE or DELETE after the WITH clause"
    missing = _MISSING.search(description)
    if missing:
        kind = missing.group(2).upper()
        if kind in _CONDITION_CLAUSES:
            return f"incomplete {kind} clause: expected a condition after {kind}"
        after = f" after {near!r}" if near else ""
        return f"incomplete {kind} expression: expected its {_ARGUMENTS.get(missing.group(1), missing.group(1))}{after}"
    message = _TOKEN_REPR.sub(lambda m: repr(m.group(2)) if m.group(2) else m.group(1), description)
    message = message.replace("but got 'SENTINEL'", "but the statement ended")
    return message[:1].lower() + message[1:].rstrip(".") if message[:2] != message[:2].upper() else message.rstrip(".")


_ARGUMENTS = {"this": "operand", "expression": "right-hand operand", "expressions": "list of items"}


def _failure(source: Source, error: ParseError, statement: StatementTokens) -> ParseFailure:
    detail = error.errors[0] if error.errors else {}
    line, column = detail.get("line"), detail.get("col")
    if line and column:
        # sqlglot's column is that of the token's last character; point at its first.
        highlight = detail.get("highlight") or ""
        offset = max(statement.start, source.offset(line, column) - max(len(highlight) - 1, 0))
    else:
        offset = statement.start
    message = _clean_message(detail.get("description") or str(error).split("\n")[0], detail.get("highlight") or "")
    return ParseFailure(f"syntax error: {message}", source.span(offset, offset + 1))


def _unterminated(text: str, start: int, end: int) -> int:
    """The offset of the quote or comment opener left open in ``text[start:end]``, or ``start``."""
    position = start
    openers = {"'": "'", '"': '"', "`": "`", "/*": "*/", "$$": "$$", "[": "]"}
    while position < end:
        for opener, closer in openers.items():
            if text.startswith(opener, position):
                close = text.find(closer, position + len(opener))
                if close == -1 or close >= end:
                    return position
                position = close + len(closer)
                break
        else:
            if text.startswith("--", position):
                newline = text.find("\n", position)
                position = end if newline == -1 else newline + 1
            else:
                position += 1
    return start


_OPENERS = {
    "/*": "unterminated comment; expected a closing */",
    "$$": "unterminated dollar-quoted string; expected a closing $$",
    "'": "unterminated string literal; expected a closing '",
    '"': 'unterminated quoted identifier; expected a closing "',
    "`": "unterminated quoted identifier; expected a closing `",
    "[": "unterminated bracketed identifier; expected a closing ]",
}


def _unterminated_message(text: str, at: int) -> str:
    for opener, message in _OPENERS.items():
        if text.startswith(opener, at):
            return f"syntax error: {message}"
    return "syntax error: unterminated string, quoted identifier or comment; expected its closing quote"


def _naive_pieces(text: str) -> Iterator[tuple[int, int]]:
    """Cut at every semicolon: the fallback when the tokenizer fails on the file as a whole."""
    start = 0
    for match in re.finditer(";", text):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def parse_source(source: Source, dialect: str | None = None) -> list[Statement]:
    """Every statement of ``source``, parsed; never raises for bad SQL."""
    text = render(source.text) if has_template(source.text) else source.text
    try:
        chunks = [(text, list(split_statements(tokenize(text, dialect))))]
    except (TokenError, ValueError, IndexError, AttributeError):
        chunks = []
        for start, end in _naive_pieces(text):
            # Tokenize each piece in place (padded), so offsets stay those of the file.
            padded = " " * start + text[start:end]
            try:
                chunks.append((padded, list(split_statements(tokenize(padded, dialect)))))
            except (TokenError, ValueError, IndexError, AttributeError):
                if text[start:end].strip():
                    at = _unterminated(text, start, end)
                    failure = ParseFailure(_unterminated_message(text, at), source.span(at, at + 1))
                    chunks.append((padded, [failure]))  # type: ignore[list-item]
    statements: list[Statement] = []
    for chunk_text, pieces in chunks:
        for piece in pieces:
            index = len(statements)
            if isinstance(piece, ParseFailure):
                statements.append(Statement(source, piece.span, index, error=piece))
                continue
            span = source.span(piece.start, piece.end)
            try:
                expression = parse_tokens(piece, chunk_text, dialect)
            except ParseError as error:
                statements.append(Statement(source, span, index, error=_failure(source, error, piece)))
                continue
            except Exception as error:  # sqlglot's parser has internal errors on odd input
                failure = ParseFailure(
                    f"syntax error: the {dialect or 'generic'} parser cannot read this statement "
                    f"({type(error).__name__}); expected valid SQL",
                    source.span(piece.start, piece.start + 1),
                )
                statements.append(Statement(source, span, index, error=failure))
                continue
            if expression is not None:
                statements.append(Statement(source, span, index, expression=expression))
    return statements
