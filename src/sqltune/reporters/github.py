"""GitHub Actions workflow commands: findings as annotations on the pull request's diff.

``::error file=models/orders.sql,line=3,col=8,endLine=3,endColumn=9,title=SQ001 select-star::message``

GitHub shows at most 10 annotations of each level (error, warning, notice) per step and drops the rest
silently. So the worst 10 of each level are printed, then one ``::notice::`` says how many more there are,
and the *full* list goes to the job summary as a markdown table when ``$GITHUB_STEP_SUMMARY`` names a file
(the reporter reads it from :attr:`ReportOptions.environ`). Info findings become ``notice`` annotations; the
overflow notice takes the tenth notice slot so it is always seen.

Values are escaped as the runner expects: ``%``, ``\\r`` and ``\\n`` everywhere, and also ``:`` and ``,`` in
the ``key=value`` properties.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqltune.core.findings import Finding, Report, Severity
from sqltune.linter.baseline import relative_path
from sqltune.reporters.base import ReportOptions, register
from sqltune.reporters.sarif import report_root
from sqltune.reporters.text import summary_line
from sqltune.rules.base import RuleMeta

__all__ = ["ANNOTATION_LIMIT", "escape_data", "escape_property", "render_github"]

#: GitHub's limit of annotations per level per step.
ANNOTATION_LIMIT = 10
#: The job summary is capped at 1 MiB per step; stay under it.
SUMMARY_LIMIT = 1_000_000

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message.

    >>> escape_data("100% sure\\nnext")
    '100%25 sure%0Anext'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a ``key=value`` property of a command.

    >>> escape_property("SQ001 a: b, c")
    'SQ001 a%3A b%2C c'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {props}::{escape_data(message)}" if props else f"::{level}::{escape_data(message)}"


def _annotation(finding: Finding, root: str) -> str:
    span = finding.span
    properties: dict[str, object] = {"file": relative_path(finding.path, root), "line": span.line, "col": span.column}
    properties["endLine"] = span.end_pos.line
    if span.end_pos.line == span.line:  # GitHub ignores column ranges over several lines
        properties["endColumn"] = span.end_pos.column + 1
    properties["title"] = f"{finding.code} {finding.name}"
    return _command(_LEVELS[finding.severity], properties, finding.message)


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def step_summary(report: Report, root: str) -> str:
    """Every finding as a markdown table, for ``$GITHUB_STEP_SUMMARY`` (cut before GitHub's size limit)."""
    lines = ["## sqltune", "", summary_line(report), ""]
    if report.findings:
        lines += ["| Severity | Rule | Location | Message |", "| --- | --- | --- | --- |"]
        size = sum(len(line) + 1 for line in lines)
        for number, finding in enumerate(report.findings):
            where = f"{relative_path(finding.path, root)}:{finding.span.line}:{finding.span.column}"
            row = (
                f"| {finding.severity} | {finding.code} {finding.name} | `{_cell(where)}` | {_cell(finding.message)} |"
            )
            if size + len(row) + 200 > SUMMARY_LIMIT:
                lines.append(f"\n_{len(report.findings) - number} more findings cut: the summary is limited to 1 MiB._")
                break
            lines.append(row)
            size += len(row) + 1
    for problem in report.problems:
        lines.append(f"\n- `{_cell(str(problem))}`")
    return "\n".join(lines) + "\n"


@register("github")
def render_github(report: Report, rules: Mapping[str, RuleMeta], options: ReportOptions) -> str:
    root = report_root(options)
    by_level: dict[Severity, list[Finding]] = {severity: [] for severity in Severity}
    for finding in report.findings:
        by_level[finding.severity].append(finding)
    lines: list[str] = []
    for problem in report.problems:
        properties: dict[str, object] = {"file": relative_path(problem.path, root)}
        if problem.line:
            properties.update(line=problem.line, col=problem.column)
        properties["title"] = f"sqltune: {problem.title}"
        lines.append(_command("error" if problem.fatal else "notice", properties, problem.message))
    ordered = {
        severity: sorted(found, key=lambda f: (f.span.path, f.span.start, f.code))
        for severity, found in by_level.items()
    }
    limits = dict.fromkeys(Severity, ANNOTATION_LIMIT)
    if any(len(found) > ANNOTATION_LIMIT for found in ordered.values()):
        limits[Severity.INFO] = ANNOTATION_LIMIT - 1  # leave the last notice slot to the overflow notice
    overflow = 0
    for severity in sorted(Severity, reverse=True):
        found = ordered[severity]
        lines.extend(_annotation(finding, root) for finding in found[: limits[severity]])
        overflow += max(0, len(found) - limits[severity])
    summary_file = options.environ.get("GITHUB_STEP_SUMMARY")
    if overflow:
        where = "the job summary" if summary_file else "the text or SARIF output"
        lines.append(
            _command(
                "notice",
                {"title": "sqltune"},
                f"{overflow} more finding{'s' * (overflow != 1)} not annotated (GitHub shows at most "
                f"{ANNOTATION_LIMIT} per level); see {where} for the full list",
            )
        )
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(step_summary(report, root))
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
