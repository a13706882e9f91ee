"""From a :class:`~sqltune.core.source.Source` to :class:`Statement` objects, one per SQL statement.

The file is tokenized once and cut at top-level semicolons; each statement is parsed on its own, so one
that does not parse becomes a :class:`ParseFailure` with its line, column and what was expected while the
statements around it are still analysed. Node positions are offsets into the whole file.

A failure has a kind: ``syntax`` (broken SQL), ``unsupported`` (SQL that reads as a valid statement of the
dialect but is beyond sqlglot's grammar; see :mod:`sqltune.core.triage`), ``timeout`` and ``too-deep`` (the
statement overran its budget; see :mod:`sqltune.core.budget`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from sqltune.core.budget import DEFAULT_TIMEOUT, Overrun, run_each
from sqltune.core.source import Source, Span
from sqltune.core.sqlglot import (
    ParseError,
    StatementTokens,
    Token,
    TokenError,
    TokenType,
    exp,
    parse_tokens,
    split_statements,
    tokenize,
)
from sqltune.core.templating import has_template, render
from sqltune.core.triage import beyond_the_parser, broken_command, unknown_object_kind

__all__ = ["FailureKind", "ParseFailure", "Statement", "node_span", "parse_source", "parse_sources"]

FailureKind = Literal["syntax", "unsupported", "timeout", "too-deep"]


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
    kind: FailureKind = "syntax"


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


def _failure(source: Source, error: ParseError, statement: StatementTokens, dialect: str | None) -> ParseFailure:
    detail = error.errors[0] if error.errors else {}
    line, column = detail.get("line"), detail.get("col")
    if line and column:
        # sqlglot's column is that of the token's last character; point at its first.
        highlight = detail.get("highlight") or ""
        offset = max(statement.start, source.offset(line, column) - max(len(highlight) - 1, 0))
    else:
        offset = statement.start
    message = _clean_message(detail.get("description") or str(error).split("\n")[0], detail.get("highlight") or "")
    if beyond_the_parser(statement.tokens, dialect):
        span = source.span(statement.start, statement.start + 1)
        reason = f"not analysed: beyond sqltune's {dialect or 'generic'} parser ({message})"
        return ParseFailure(reason, span, "unsupported")
    return ParseFailure(f"syntax error: {message}", source.span(offset, offset + 1))


#: The nesting (parentheses, subqueries, CASE) that :mod:`sqltune.core.budget`'s recursion limit leaves room
#: for in every statement kind the suite tries; deeper statements may still parse.
SUPPORTED_NESTING = 500


def _nesting(tokens: list[Token]) -> int:
    depth = deepest = 0
    for token in tokens:
        if token.token_type in (TokenType.L_PAREN, TokenType.CASE):
            depth += 1
            deepest = max(deepest, depth)
        elif token.token_type in (TokenType.R_PAREN, TokenType.END):
            depth = max(depth - 1, 0)
    return deepest


def overrun_message(overrun: Overrun, statement: StatementTokens | None = None) -> str:
    """What a statement that overran its budget is reported with (the same words for parse and checks)."""
    if overrun.kind == "timeout":
        return (
            f"statement took longer than {overrun.seconds:g} s to analyse; skipped "
            "(raise `timeout` in [tool.sqltune], or --timeout)"
        )
    depth = _nesting(statement.tokens) if statement is not None else 0
    if depth > SUPPORTED_NESTING:
        return f"statement nested deeper than {SUPPORTED_NESTING} levels ({depth}); skipped"
    return f"statement nested too deeply for sqltune ({depth} levels of parentheses or CASE); skipped"


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


@dataclass(frozen=True, slots=True)
class _Piece:
    """One statement's tokens (or why they could not be cut) and the text its offsets refer to."""

    source: Source
    text: str
    tokens: StatementTokens | ParseFailure


def _pieces(source: Source, dialect: str | None) -> list[_Piece]:
    text = render(source.text) if has_template(source.text) else source.text
    try:
        return [_Piece(source, text, piece) for piece in split_statements(tokenize(text, dialect))]
    except (TokenError, ValueError, IndexError, AttributeError):
        pass
    pieces: list[_Piece] = []
    for start, end in _naive_pieces(text):
        # Tokenize each piece in place (padded), so offsets stay those of the file.
        padded = " " * start + text[start:end]
        try:
            pieces.extend(_Piece(source, padded, piece) for piece in split_statements(tokenize(padded, dialect)))
        except (TokenError, ValueError, IndexError, AttributeError):
            if text[start:end].strip():
                at = _unterminated(text, start, end)
                failure = ParseFailure(_unterminated_message(text, at), source.span(at, at + 1))
                pieces.append(_Piece(source, padded, failure))
    return pieces


def _parse_piece(piece: _Piece, dialect: str | None) -> exp.Expression | ParseFailure | None:
    tokens = piece.tokens
    if isinstance(tokens, ParseFailure):
        return tokens
    try:
        expression = parse_tokens(tokens, piece.text, dialect)
    except ParseError as error:
        return _failure(piece.source, error, tokens, dialect)
    except RecursionError:
        raise  # the budget reports it as nesting too deep
    except Exception as error:  # sqlglot's parser has internal errors on odd input
        return ParseFailure(
            f"syntax error: the {dialect or 'generic'} parser cannot read this statement "
            f"({type(error).__name__}); expected valid SQL",
            piece.source.span(tokens.start, tokens.start + 1),
        )
    if expression is None or isinstance(expression, exp.Condition | exp.Alias | exp.Tuple):
        # sqlglot parses a bare expression ("a b", "1 + 2") or nothing at all ("+") without an error; neither
        # is a statement, and neither may pass as a clean one -- unless it starts like one the parser does not
        # know (MySQL's FLUSH PRIVILEGES reads as "FLUSH AS PRIVILEGES").
        first = tokens.tokens[0]
        if (
            beyond_the_parser(tokens.tokens, dialect) or first.text.upper() == "END"
        ):  # a block's END; PostgreSQL's COMMIT
            reason = f"not analysed: beyond sqltune's {dialect or 'generic'} parser (read as an expression)"
            return ParseFailure(reason, piece.source.span(first.start, first.start + 1), "unsupported")
        return ParseFailure(
            f"syntax error: unexpected {first.text!r}; expected a statement such as SELECT, INSERT, UPDATE, "
            "DELETE or CREATE",
            piece.source.span(first.start, first.end + 1),
        )
    if isinstance(expression, exp.Command):
        # sqlglot keeps a statement it does not know as an opaque command, typos in its first words included.
        typo = unknown_object_kind(tokens.tokens)
        if typo is not None:
            at = next((token for token in tokens.tokens[1:] if token.text.upper() == typo.upper()), tokens.tokens[-1])
            what = tokens.tokens[0].text.upper()
            span = piece.source.span(at.start, at.end + 1)
            expected = "expected an object type such as TABLE, VIEW or INDEX"
            return ParseFailure(f"syntax error: unknown object type {typo!r} after {what}; {expected}", span)
        broken = broken_command(tokens.tokens)
        if broken is not None:
            return ParseFailure(f"syntax error: {broken}", piece.source.span(tokens.start, tokens.start + 1))
    return expression


def parse_source(
    source: Source, dialect: str | None = None, timeout: float | None = DEFAULT_TIMEOUT
) -> list[Statement]:
    """Every statement of ``source``, parsed; never raises for bad SQL.

    Each statement's parse runs under ``timeout`` seconds (``None``/``0``: none) on a thread with room for
    deep nesting (:mod:`sqltune.core.budget`); one that overruns becomes a failure of kind ``timeout`` or
    ``too-deep``.
    """
    return parse_sources([source], dialect, timeout)[0]


def parse_sources(
    sources: Sequence[Source], dialect: str | None = None, timeout: float | None = DEFAULT_TIMEOUT
) -> list[list[Statement]]:
    """:func:`parse_source` of each source, the statements of all of them parsed in one budgeted job."""
    pieces = [piece for source in sources for piece in _pieces(source, dialect)]
    outcomes = run_each(lambda piece: _parse_piece(piece, dialect), pieces, timeout)
    by_source: dict[int, list[Statement]] = {id(source): [] for source in sources}
    for piece, outcome in zip(pieces, outcomes, strict=True):
        statements = by_source[id(piece.source)]
        index = len(statements)
        tokens = piece.tokens
        span = tokens.span if isinstance(tokens, ParseFailure) else piece.source.span(tokens.start, tokens.end)
        if isinstance(outcome, Overrun):
            assert isinstance(tokens, StatementTokens)
            failure = ParseFailure(overrun_message(outcome, tokens), span, outcome.kind)
            statements.append(Statement(piece.source, span, index, error=failure))
        elif isinstance(outcome, ParseFailure):
            statements.append(Statement(piece.source, span, index, error=outcome))
        elif outcome is not None:
            statements.append(Statement(piece.source, span, index, expression=outcome))
    return [by_source[id(source)] for source in sources]
