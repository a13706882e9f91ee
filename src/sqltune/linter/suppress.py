"""Inline suppression comments.

- ``SELECT * FROM t  -- sqltune: ignore[SQ001]`` after code: findings that start on that line;
- ``-- sqltune: ignore[SQ001]`` on a line of its own: the whole next statement;
- ``-- sqltune: ignore-file[SQ001]`` anywhere: the whole file.

Without ``[...]`` every rule is suppressed; several codes are separated by commas. ``/* ... */`` comments
work the same way.

>>> text = "SELECT * FROM t; -- sqltune: ignore[SQ001]\\n-- sqltune: ignore\\nSELECT 1"
>>> s = Suppressions.scan(text)
>>> s.lines, sorted(s.next_statement)
({1: frozenset({'SQ001'})}, [2])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqltune.core.findings import Finding

__all__ = ["ALL", "Suppressions"]

ALL: frozenset[str] = frozenset({"*"})
_MARK = re.compile(r"sqltune\s*:", re.IGNORECASE)
_COMMENT = re.compile(r"(--|/\*)\s*sqltune:\s*(ignore-file|ignore)\b(?:\[([^\]]*)\])?", re.IGNORECASE)


def _codes(raw: str | None) -> frozenset[str]:
    if raw is None:
        return ALL
    return frozenset(code.strip().upper() for code in raw.split(",") if code.strip()) or ALL


def _covers(codes: frozenset[str], code: str) -> bool:
    return codes is ALL or "*" in codes or code in codes


@dataclass(slots=True)
class Suppressions:
    lines: dict[int, frozenset[str]] = field(default_factory=dict)
    next_statement: dict[int, frozenset[str]] = field(default_factory=dict)  # comment line -> codes
    file: frozenset[str] = frozenset()

    @classmethod
    def scan(cls, text: str) -> Suppressions:
        found = cls()
        if _MARK.search(text) is None:
            return found
        for number, line in enumerate(text.splitlines(), 1):
            match = _COMMENT.search(line)
            if match is None:
                continue
            codes = _codes(match.group(3))
            if match.group(2).lower() == "ignore-file":
                found.file = found.file | codes
            elif line[: match.start()].strip():
                found.lines[number] = found.lines.get(number, frozenset()) | codes
            else:
                found.next_statement[number] = codes
        return found

    def __bool__(self) -> bool:
        return bool(self.lines or self.next_statement or self.file)

    def statement_codes(self, statement_start_line: int, previous_end_line: int) -> frozenset[str]:
        """Codes suppressed for a statement by own-line comments between the previous statement and it."""
        codes: frozenset[str] = frozenset()
        for line, line_codes in self.next_statement.items():
            if previous_end_line <= line <= statement_start_line:
                codes = codes | line_codes
        return codes

    def hides(self, finding: Finding, statement_codes: frozenset[str] = frozenset()) -> bool:
        code = finding.code
        if _covers(self.file, code) and self.file:
            return True
        if statement_codes and _covers(statement_codes, code):
            return True
        line_codes = self.lines.get(finding.span.line)
        return line_codes is not None and _covers(line_codes, code)
