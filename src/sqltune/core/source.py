"""SQL sources: reading files, directories and globs, and mapping offsets to lines and columns.

A :class:`Source` is one text (a file or a string) with its path and a line table, so that any character
offset becomes a 1-based ``line:column`` in O(log n). Reading never raises for bad input: a binary file or
a wrong encoding becomes an :class:`InputProblem` that names the file and the position, and the other
files are still read.
"""

from __future__ import annotations

import bisect
import enum
import glob
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SQL_SUFFIXES",
    "InputProblem",
    "Position",
    "Problem",
    "ProblemKind",
    "Source",
    "Span",
    "SqlOrPaths",
    "is_path",
    "read_json",
    "read_sources",
    "sources_from",
]

#: File endings picked up when a directory is given.
SQL_SUFFIXES = (".sql",)

#: The path shown for SQL given as a string.
STRING_PATH = "<string>"


@dataclass(frozen=True, slots=True, order=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based, in characters


@dataclass(frozen=True, slots=True)
class Span:
    """A range of characters in a source: ``[start, end)`` offsets plus their line/column positions."""

    path: str
    start: int
    end: int
    start_pos: Position
    end_pos: Position  # position of the last character in the span (inclusive), as editors show it

    @property
    def line(self) -> int:
        return self.start_pos.line

    @property
    def column(self) -> int:
        return self.start_pos.column

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "start": self.start,
            "end": self.end,
            "line": self.start_pos.line,
            "column": self.start_pos.column,
            "end_line": self.end_pos.line,
            "end_column": self.end_pos.column,
        }


@dataclass(slots=True)
class Source:
    """One SQL text and where it came from."""

    path: str
    text: str
    _line_starts: list[int] | None = field(default=None, repr=False)

    @property
    def line_starts(self) -> list[int]:
        """Offsets where each line begins; computed on first use (a warm cached run never needs them)."""
        starts = self._line_starts
        if starts is None:
            starts = [0]
            find = self.text.find
            index = find("\n")
            while index != -1:
                starts.append(index + 1)
                index = find("\n", index + 1)
            self._line_starts = starts
        return starts

    @classmethod
    def from_string(cls, text: str, path: str = STRING_PATH) -> Source:
        return cls(path, text)

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self.line_starts, offset) - 1
        return Position(line_index + 1, offset - self.line_starts[line_index] + 1)

    def offset(self, line: int, column: int) -> int:
        """The offset of a 1-based ``line:column``, clamped into the text."""
        line_index = max(0, min(line - 1, len(self.line_starts) - 1))
        return max(0, min(self.line_starts[line_index] + column - 1, len(self.text)))

    def span(self, start: int, end: int) -> Span:
        """The span of ``text[start:end]``; an empty range still points at ``start``."""
        start = max(0, min(start, len(self.text)))
        end = max(start, min(end, len(self.text)))
        return Span(self.path, start, end, self.position(start), self.position(max(start, end - 1)))

    def line_text(self, line: int) -> str:
        index = line - 1
        if not 0 <= index < len(self.line_starts):
            return ""
        start = self.line_starts[index]
        stop = self.line_starts[index + 1] - 1 if index + 1 < len(self.line_starts) else len(self.text)
        return self.text[start:stop].rstrip("\r")

    @property
    def line_count(self) -> int:
        return len(self.line_starts)


class ProblemKind(enum.StrEnum):
    """Why an input or a check has no answer. Only ``input`` is the user's to fix; the others are ours."""

    INPUT = "input"  # the input could not be read or understood (a missing file, bad bytes, no SQL files)
    CRASH = "crash"  # sqltune's own code (a rule, a rewrite, a reporter) raised: a bug to report
    TIMEOUT = "timeout"  # a statement's parse or checks exceeded the time budget
    LIMIT = "limit"  # a statement beyond what sqltune analyses (nested deeper than it parses)
    SKIPPED = "skipped"  # left alone on purpose (a notice, e.g. an empty file or a templated statement)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Problem:
    """Something sqltune could not answer, reported (never silently skipped) next to the findings.

    ``kind`` tells bad input from a failure of sqltune's own code; a crash names the rule or rewrite
    (``code``) and the exception's class (``exception``). A ``fatal`` problem makes the exit code 2.
    """

    path: str
    message: str
    line: int = 0
    column: int = 0
    fatal: bool = True  # False for notices (an empty file) that do not change the exit code
    kind: ProblemKind = ProblemKind.INPUT
    code: str = ""  # the rule, rewrite or reporter that failed
    exception: str = ""  # the exception's class name, e.g. "RecursionError"

    @classmethod
    def crash(
        cls, what: str, code: str, error: BaseException, path: str, line: int = 0, column: int = 0, on: str = ""
    ) -> Problem:
        """Our code failed: "rule SQ006 failed on this statement (RecursionError: ...); this is a sqltune bug"."""
        detail = str(error).splitlines()[0] if str(error) else ""
        name = type(error).__name__
        message = (
            f"{' '.join(part for part in (what, code) if part)} failed{' on ' + on if on else ''} "
            f"({name}{': ' + detail if detail else ''}); "
            "this is a sqltune bug, please report it"
        )
        return cls(path, message, line, column, True, ProblemKind.CRASH, code, name)

    @property
    def title(self) -> str:
        """A few words for annotation titles and test-report types: what went wrong, by kind."""
        return _TITLES[self.kind] if self.fatal else "notice"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "kind": str(self.kind),
            "fatal": self.fatal,
        }
        if self.code:
            data["code"] = self.code
        if self.exception:
            data["exception"] = self.exception
        return data

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}" if self.line else self.path
        return f"{where}: {self.message}"


_TITLES = {
    ProblemKind.INPUT: "unreadable input",
    ProblemKind.CRASH: "internal error",
    ProblemKind.TIMEOUT: "time budget exceeded",
    ProblemKind.LIMIT: "beyond sqltune's limits",
    ProblemKind.SKIPPED: "skipped",
}

#: The name the API has always used for a problem (bad input was the only kind at first).
InputProblem = Problem


def decode(path: str, data: bytes) -> Source | InputProblem:
    """Decode UTF-8 (a BOM is dropped); binary data and bad bytes become an :class:`InputProblem`."""
    if b"\x00" in data[:8192]:
        return InputProblem(path, "binary file (contains NUL bytes); expected SQL text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        prefix = data[: error.start].decode("utf-8", errors="replace")
        line = prefix.count("\n") + 1
        column = len(prefix) - (prefix.rfind("\n") + 1) + 1
        return InputProblem(
            path, f"invalid UTF-8 byte 0x{data[error.start]:02x}; expected UTF-8 encoded SQL", line, column
        )
    return Source(path, text)


def read_file(path: str | os.PathLike[str]) -> Source | InputProblem:
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except IsADirectoryError:
        return InputProblem(name, "is a directory")
    except OSError as error:
        return InputProblem(name, f"cannot read: {error.strerror or error}")
    return decode(name, data)


def expand_paths(patterns: Iterable[str | os.PathLike[str]]) -> Iterator[str | Problem]:
    """Paths, directories (every ``*.sql`` below, sorted) and globs, each file once, in a stable order.

    A file named explicitly is read whatever its name; a directory or a glob contributes its SQL files only
    (``*.sql``; a glob's matching directories are walked like directories). An input that yields no file is a
    problem naming it: a missing path, a directory without SQL files, a glob that matches no SQL file.
    """
    seen: set[str] = set()

    def emit(name: str) -> Iterator[str]:
        if name not in seen:
            seen.add(name)
            yield name

    def walk(folder: str) -> Iterator[str]:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for file in sorted(files):
                if file.endswith(SQL_SUFFIXES):
                    yield os.path.join(root, file)

    suffixes = "/".join(f"*{suffix}" for suffix in SQL_SUFFIXES)
    for pattern in patterns:
        name = os.fspath(pattern)
        if os.path.isdir(name):
            found = list(walk(name))
            if not found:
                yield Problem(name, f"no SQL files ({suffixes}) in this directory")
            for file in found:
                yield from emit(file)
        elif os.path.exists(name):
            yield from emit(name)
        elif glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True))
            found = [
                file
                for match in matches
                for file in (walk(match) if os.path.isdir(match) else [match] if match.endswith(SQL_SUFFIXES) else [])
            ]
            if not matches:
                yield Problem(name, "no file matches this pattern")
            elif not found:
                yield Problem(name, f"no SQL file ({suffixes}) matches this pattern")
            for file in found:
                yield from emit(file)
        else:
            yield Problem(name, "no such file or directory")


def read_json(path: str | os.PathLike[str], what: str, expected: str, error: type[Exception] = ValueError) -> Any:
    """The JSON document in ``path``. An unreadable file or invalid JSON raises ``error`` with one line naming
    the file (and line:column) and ``expected``, e.g. "a sqltune baseline written by `sqltune baseline create`"."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as failure:
        raise error(f"{name}: cannot read {what}: {getattr(failure, 'strerror', None) or failure}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as failure:
        raise error(
            f"{name}:{failure.lineno}:{failure.colno}: invalid JSON ({failure.msg}); expected {expected}"
        ) from None


def read_sources(patterns: Iterable[str | os.PathLike[str]]) -> Iterator[Source | Problem]:
    for item in expand_paths(patterns):
        yield item if isinstance(item, Problem) else read_file(item)


#: SQL input: text, a path, or several paths.
SqlOrPaths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]

#: The first word of a statement, in any dialect sqltune reads (a string starting with one is SQL).
_SQL_START = re.compile(
    r"^\s*[(]*\s*(?:select|with|insert|update|delete|merge|values|table|create|alter|drop|explain|copy|"
    r"grant|revoke|truncate|call|set|show|begin|commit|rollback|from)\b",
    re.IGNORECASE,
)


def is_path(text: str) -> bool:
    """Whether an API entry point reads ``text`` as a path (else it is SQL). The one rule, in order:

    1. a line break or a ``;`` makes it SQL;
    2. the name of an existing file or directory is a path;
    3. a glob (``*``, ``?``, ``[``) that matches something is a path;
    4. any other whitespace makes it SQL;
    5. a string ending in ``.sql`` or holding a glob character is a path unless it starts with a SQL keyword
       (``SELECT``, ``WITH``, ``VALUES``...): a missing ``q.sql`` is then reported as a missing file;
    6. anything else is SQL.

    >>> [is_path(text) for text in ("SELECT 1", "WITH x AS (SELECT 1) SELECT * FROM x", "selected.sql", "q/*.sql")]
    [False, False, True, True]
    >>> [is_path(text) for text in ("SELECT*FROM t", "VALUES(1)", "select 1 -- a.sql", "SELECT 1;")]
    [False, False, False, False]
    """
    if "\n" in text or "\r" in text or ";" in text:
        return False
    if os.path.exists(text) or (glob.has_magic(text) and glob.glob(text, recursive=True)):
        return True
    if any(character.isspace() for character in text.strip()):
        return False
    looks_like_file = text.strip().lower().endswith(SQL_SUFFIXES) or glob.has_magic(text)
    return looks_like_file and _SQL_START.match(text) is None


def sources_from(sql_or_paths: SqlOrPaths, text_path: str = STRING_PATH) -> list[Source | Problem]:
    """The sources of an API entry point's input, decided by one rule for all of them (lint, analyze,
    rewrite, advise_indexes): a ``str`` is SQL text (a source named ``text_path``) unless :func:`is_path`
    says it is a path; an ``os.PathLike`` is always a path; any other iterable holds paths. Paths are read
    with :func:`read_sources` (directories and globs give their ``*.sql`` files; what cannot be read is a
    :class:`Problem`)."""
    if isinstance(sql_or_paths, str):
        if not is_path(sql_or_paths):
            return [Source(text_path, sql_or_paths)]
        return list(read_sources([sql_or_paths]))
    if isinstance(sql_or_paths, os.PathLike):
        return list(read_sources([sql_or_paths]))
    if isinstance(sql_or_paths, bytes):
        raise TypeError("expected SQL text (str), a path or an iterable of paths, got bytes; decode it first")
    return list(read_sources(sql_or_paths))
