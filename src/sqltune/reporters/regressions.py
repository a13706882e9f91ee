"""Output for a comparison of two snapshots (:class:`~sqltune.regressions.RegressionReport`).

``text`` for people (a header naming both snapshots, then one paragraph per finding, worst first), ``json``
(:meth:`RegressionReport.to_dict`), and the lint formats (``sarif``, ``junit``, ``github``...) over
:meth:`RegressionReport.to_report`, with a rule descriptor per finding code (category ``regression``).
"""

from __future__ import annotations

import json
import textwrap

from sqltune.regressions import CODES, RegressionReport
from sqltune.regressions.report import Regression
from sqltune.reporters.base import FORMATS, ReportOptions, render
from sqltune.rules.base import RuleMeta

__all__ = ["REGRESSION_FORMATS", "regression_rules", "render_regressions"]

#: The formats of ``sqltune regressions --format``.
REGRESSION_FORMATS = ("text", "json", "sarif", "junit", "github")
_WIDTH = 100


def regression_rules(report: RegressionReport) -> dict[str, RuleMeta]:
    """A rule descriptor for every finding code (all of them, so that SARIF lists what was checked)."""
    worst = {finding.code: finding.severity for finding in reversed(report.findings)}
    return {
        code: RuleMeta(code, name, "regression", worst.get(code, report.fail_on), summary)
        for code, (name, summary) in CODES.items()
    }


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'s' * (number != 1)}"


def _paragraph(finding: Regression) -> list[str]:
    head, *rest = finding.message.split("; ")
    lines = [f"{finding.code} {finding.name} [{finding.severity}] {finding.kind} {finding.subject}"]
    lines += textwrap.wrap(head, _WIDTH, initial_indent="  ", subsequent_indent="    ")
    for part in rest:
        lines += textwrap.wrap(part, _WIDTH, initial_indent="  - ", subsequent_indent="    ")
    if finding.sql:
        flat = " ".join(finding.sql.split())
        lines.append("  sql: " + (flat if len(flat) <= _WIDTH - 7 else flat[: _WIDTH - 8] + "…"))
    return lines


def render_regressions_text(report: RegressionReport) -> str:
    old, new = report.old, report.new
    lines = [
        f"Regressions from {old.get('taken_at')} to {new.get('taken_at')} ({new.get('engine')} {new.get('database')})",
        f"{_count(report.compared, 'template')} compared; {_count(len(report.findings), 'finding')}, "
        f"{len(report.regressions)} at or above {report.fail_on}",
    ]
    lines += [f"Note: {note}" for note in report.notes]
    for finding in report.findings:
        lines += ["", *_paragraph(finding)]
    lines += ["", "FAILED: regressions found" if report.failed else "OK: no regressions"]
    return "\n".join(lines) + "\n"


def render_regressions(report: RegressionReport, format: str = "text", options: ReportOptions | None = None) -> str:
    """The report in ``format``: ``text``, ``json`` or a lint format (see :data:`REGRESSION_FORMATS`)."""
    if format == "text":
        return render_regressions_text(report)
    if format == "json":
        return json.dumps(report.to_dict(), indent=2, default=str) + "\n"
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of: {', '.join(REGRESSION_FORMATS)}")
    return render(report.to_report(), regression_rules(report), format, options)
