"""What sqltune reports: :class:`Finding` (one problem at one place) and :class:`Report` (a run's findings)."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqltune.core.display import Displayable
from sqltune.core.source import Problem, ProblemKind, Source, Span

__all__ = ["Finding", "Fix", "Report", "Severity"]


class Severity(enum.IntEnum):
    """Ordered so that ``max()`` picks the worst."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {value!r}; expected one of: error, warning, info") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Fix:
    """A replacement of ``span`` by ``replacement``; ``safe`` fixes are proven not to change results."""

    span: Span
    replacement: str
    description: str
    safe: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "span": self.span.to_dict(),
            "replacement": self.replacement,
            "description": self.description,
            "safe": self.safe,
        }


@dataclass(frozen=True, slots=True)
class Finding(Displayable):
    code: str  # stable rule code, e.g. "SQ012"
    name: str  # kebab-case rule name
    severity: Severity
    message: str
    span: Span
    fix: Fix | None = None
    # The statement the finding is about (its normalised text hashes into baselines and fingerprints).
    statement: str = ""

    @property
    def path(self) -> str:
        return self.span.path

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.path, self.span.start, -int(self.severity), self.code)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            **self.span.to_dict(),
        }
        if self.fix is not None:
            data["fix"] = self.fix.to_dict()
        return data


@dataclass(slots=True)
class Report(Displayable):
    """Findings of one run, the sources they point into, and the problems: inputs that could not be read and
    checks of ours that failed (:class:`~sqltune.core.source.Problem`, each with its ``kind``)."""

    findings: list[Finding] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    statements: int = 0

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def extend(self, other: Report) -> None:
        self.findings.extend(other.findings)
        self.sources.update(other.sources)
        self.problems.extend(other.problems)
        self.statements += other.statements

    def sort(self) -> None:
        self.findings.sort(key=Finding.sort_key)

    def codes(self) -> Counter[str]:
        return Counter(finding.code for finding in self.findings)

    @property
    def failed(self) -> bool:
        """Whether a problem makes this run incomplete (exit code 2): unreadable input or a crash of ours."""
        return any(problem.fatal for problem in self.problems)

    def crashes(self) -> list[Problem]:
        """The problems that are failures of sqltune's own code (a rule, rewrite or reporter raised)."""
        return [problem for problem in self.problems if problem.kind is ProblemKind.CRASH]

    def worst(self) -> Severity | None:
        return max((finding.severity for finding in self.findings), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [finding.to_dict() for finding in self.findings],
            "problems": [problem.to_dict() for problem in self.problems],
            "summary": {
                "files": len(self.sources),
                "statements": self.statements,
                "findings": len(self.findings),
                "by_code": dict(sorted(self.codes().items())),
                "problems": sum(problem.fatal for problem in self.problems),
            },
        }
