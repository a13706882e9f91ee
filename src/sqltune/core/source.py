"""SQL sources: reading files, directories and globs, and mapping offsets to lines and columns.

A :class:`Source` is one text (a file or a string) with its path and a line table, so that any character
offset becomes a 1-based ``line:column`` in O(log n). Reading never raises for bad input: a binary file or
a wrong encoding becomes an :class:`InputProblem` that names the file and the position, and the other
files are still read.
"""

from __future__ import annotations

import bisect
import glob
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SQL_SUFFIXES", "InputProblem", "Position", "Source", "Span", "read_json", "read_sources"]

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


@dataclass(frozen=True, slots=True)
class InputProblem:
    """A file that could not be read as SQL text; it is reported, never silently skipped."""

    path: str
    message: str
    line: int = 0
    column: int = 0
    fatal: bool = True  # False for notices (an empty file) that do not change the exit code

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}" if self.line else self.path
        return f"{where}: {self.message}"


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


def expand_paths(patterns: Iterable[str | os.PathLike[str]]) -> Iterator[str | InputProblem]:
    """Paths, directories (every ``*.sql`` below, sorted) and globs, each file once, in a stable order."""
    seen: set[str] = set()

    def emit(name: str) -> Iterator[str]:
        if name not in seen:
            seen.add(name)
            yield name

    for pattern in patterns:
        name = os.fspath(pattern)
        if os.path.isdir(name):
            for root, dirs, files in os.walk(name):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for file in sorted(files):
                    if file.endswith(SQL_SUFFIXES):
                        yield from emit(os.path.join(root, file))
        elif os.path.exists(name):
            yield from emit(name)
        elif glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                yield InputProblem(name, "no file matches this pattern")
            for match in matches:
                if os.path.isfile(match):
                    yield from emit(match)
        else:
            yield InputProblem(name, "no such file or directory")


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


def read_sources(patterns: Iterable[str | os.PathLike[str]]) -> Iterator[Source | InputProblem]:
    for item in expand_paths(patterns):
        yield item if isinstance(item, InputProblem) else read_file(item)
