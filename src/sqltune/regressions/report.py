"""What a comparison of two snapshots reports: :class:`Regression` (one finding) and :class:`RegressionReport`.

A :class:`Regression` has the attributes of a lint :class:`~sqltune.core.findings.Finding` (``code``,
``name``, ``severity``, ``message``) plus what it is about (``subject``: a template's fingerprint, an index,
a table) and the figures behind it (``details``); :meth:`RegressionReport.to_report` turns the findings into
a lint :class:`~sqltune.core.findings.Report`, so that the SARIF and JUnit reporters show them. Each finding
points into a pseudo-file named after its subject (``<template/3fa2c1d09b7e4e21>``, ``<index/public.x_idx>``,
``<table/public.orders>``) whose text is the template's SQL.

>>> finding = Regression("RG004", "index-dropped", Severity.WARNING, "index public.x_idx is gone", "index",
...                      "public.x_idx")
>>> report = RegressionReport([finding])
>>> report.failed, report.to_report().findings[0].path
(True, '<index/public.x_idx>')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqltune.core.findings import Finding, Report, Severity
from sqltune.core.source import Source

__all__ = ["CODES", "Regression", "RegressionReport"]

#: Every finding a comparison reports: code -> (name, what it means). Documented in docs/pipeline-checks.md.
CODES = {
    "RG001": ("plan-changed", "a hot template's plan changed shape"),
    "RG002": ("mean-time-regression", "a hot template's mean time grew beyond the threshold"),
    "RG003": ("index-unused", "an index that was used stopped being used while its table was read"),
    "RG004": ("index-dropped", "an index is gone while its table is still there"),
    "RG005": ("clustering-depth-grew", "a clustered table's average clustering depth grew beyond the threshold"),
    "RG006": ("new-top-template", "a template entered the top N that the old snapshot did not have there"),
}


@dataclass(frozen=True, slots=True)
class Regression:
    """One finding of a comparison. ``kind`` is ``template``, ``index`` or ``table``; ``subject`` names it."""

    code: str
    name: str
    severity: Severity
    message: str
    kind: str
    subject: str
    sql: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"<{self.kind}/{self.subject}>"

    def source(self) -> Source:
        return Source(self.path, self.sql)

    def to_finding(self) -> Finding:
        """As a lint finding over the whole pseudo-file (the template's SQL, or nothing)."""
        span = self.source().span(0, len(self.sql))
        return Finding(self.code, self.name, self.severity, self.message, span, None, self.sql)

    def sort_key(self) -> tuple[int, str, str]:
        return (-int(self.severity), self.code, self.subject)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "kind": self.kind,
            "subject": self.subject,
        }
        if self.sql:
            data["sql"] = self.sql
        data.update(self.details)
        return data


@dataclass(slots=True)
class RegressionReport:
    """The findings of :func:`~sqltune.regressions.compare.compare_snapshots`, worst first.

    ``failed`` is whether any finding is at or above ``fail_on`` (a warning by default: plan changes that made
    a template slower or costlier, time regressions, indexes gone or unused, clustering that degraded; a plan
    change that costs less and a new template in the top N are informational).
    """

    findings: list[Regression] = field(default_factory=list)
    old: dict[str, Any] = field(default_factory=dict)  # taken_at, engine, database of each snapshot
    new: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)
    fail_on: Severity = Severity.WARNING
    notes: list[str] = field(default_factory=list)
    compared: int = 0  # templates found in both snapshots

    def __iter__(self) -> Any:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def regressions(self) -> list[Regression]:
        """The findings at or above ``fail_on``."""
        return [finding for finding in self.findings if finding.severity >= self.fail_on]

    @property
    def failed(self) -> bool:
        return bool(self.regressions)

    def codes(self) -> list[str]:
        return [finding.code for finding in self.findings]

    def to_report(self) -> Report:
        """The findings as a lint report (one pseudo-file per subject), for the lint reporters."""
        report = Report(statements=self.compared)
        for finding in self.findings:
            report.sources[finding.path] = finding.source()
            report.findings.append(finding.to_finding())
        return report

    def to_dict(self) -> dict[str, Any]:
        by_code: dict[str, int] = {}
        for finding in self.findings:
            by_code[finding.code] = by_code.get(finding.code, 0) + 1
        return {
            "old": self.old,
            "new": self.new,
            "thresholds": self.thresholds,
            "fail_on": str(self.fail_on),
            "failed": self.failed,
            "summary": {
                "templates_compared": self.compared,
                "findings": len(self.findings),
                "regressions": len(self.regressions),
                "by_code": dict(sorted(by_code.items())),
            },
            "notes": self.notes,
            "findings": [finding.to_dict() for finding in self.findings],
        }
