"""Human output: each finding with its source line, a caret under the span and the rule's rationale."""

from __future__ import annotations

from collections.abc import Mapping

from sqltune.core.findings import Finding, Report, Severity
from sqltune.reporters.base import ReportOptions, register
from sqltune.rules.base import RuleMeta

__all__ = ["render_text", "summary_line"]

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _paint(text: str, code: str, options: ReportOptions) -> str:
    return f"{code}{text}{_RESET}" if options.color else text


def _caret_block(report: Report, finding: Finding, options: ReportOptions) -> list[str]:
    source = report.sources.get(finding.path)
    if source is None:
        return []
    line = finding.span.line
    text = source.line_text(line).replace("\t", " ")
    gutter = f"{line:>5} | "
    start = finding.span.column - 1
    if finding.span.end_pos.line == line:
        width = max(1, finding.span.end_pos.column - finding.span.column + 1)
    else:
        width = max(1, len(text) - start)
    marker = " " * len(gutter[:-2]) + "| " + " " * start + "^" * min(width, max(1, len(text) - start))
    return [gutter + text, _paint(marker, _COLORS[finding.severity], options)]


def summary_line(report: Report) -> str:
    counts = {severity: 0 for severity in Severity}
    for finding in report.findings:
        counts[finding.severity] += 1
    files = len(report.sources)
    where = f"in {files} file{'s' * (files != 1)}, {report.statements} statement{'s' * (report.statements != 1)}"
    failed = sum(problem.fatal for problem in report.problems)
    # A run with problems is incomplete: "No findings" alone would read as a clean bill of health.
    after = f"; {failed} problem{'s' * (failed != 1)} above: the run is incomplete" if failed else ""
    if not report.findings:
        return f"No findings {where}{after}."
    parts = [f"{counts[s]} {s}{'s' * (counts[s] != 1)}" for s in reversed(Severity) if counts[s]]
    total = len(report.findings)
    return f"Found {total} finding{'s' * (total != 1)} ({', '.join(parts)}) {where}{after}."


@register("text")
def render_text(report: Report, rules: Mapping[str, RuleMeta], options: ReportOptions) -> str:
    lines: list[str] = []
    for finding in report.findings:
        label = _paint(f"{finding.code} [{finding.severity}]", _COLORS[finding.severity], options)
        lines.append(f"{_paint(str(finding.span), _BOLD, options)}: {label} {finding.message}")
        lines.extend(_caret_block(report, finding, options))
        meta = rules.get(finding.code)
        if meta is not None:
            lines.append(_paint(f"      = {finding.name}: {meta.summary}", _DIM, options))
        lines.append("")
    for problem in report.problems:
        lines.append(f"{problem}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
