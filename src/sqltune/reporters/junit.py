"""JUnit XML: findings in the test-report views of GitLab, Jenkins, Azure Pipelines and GitHub test reporters.

Layout, chosen for how those UIs render it: one ``<testsuite>`` per linted file (the UIs group by suite, so a
file is one collapsible row), one failed ``<testcase>`` per finding named ``CODE name (line:col)`` -- a test
case per finding shows each problem with its message as the failure title, where a test case per statement
would bury several findings in one text blob -- and one passing ``<testcase>`` named ``lint`` for a file
without findings, so clean files count as passed tests. An unreadable input is a suite with an ``<error>``.
Every finding is a failure whatever its severity (JUnit has no levels); the severity is in the failure
``type`` and text.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree import ElementTree as ET

from sqltune.core.findings import Finding, Report
from sqltune.linter.baseline import relative_path
from sqltune.reporters.base import ReportOptions, register
from sqltune.reporters.sarif import report_root
from sqltune.rules.base import RuleMeta

__all__ = ["render_junit"]


def _failure_text(finding: Finding, report: Report, meta: RuleMeta | None, path: str) -> str:
    lines = [f"{path}:{finding.span.line}:{finding.span.column}: {finding.code} [{finding.severity}] {finding.message}"]
    source = report.sources.get(finding.path)
    if source is not None:
        lines.append(f"    {source.line_text(finding.span.line).strip()}")
    if meta is not None:
        lines.append(f"{finding.name}: {meta.summary}")
    return "\n".join(lines)


@register("junit")
def render_junit(report: Report, rules: Mapping[str, RuleMeta], options: ReportOptions) -> str:
    root = report_root(options)
    by_path: dict[str, list[Finding]] = {path: [] for path in sorted(report.sources)}
    for finding in report.findings:
        by_path.setdefault(finding.path, []).append(finding)
    suites = ET.Element("testsuites", name="sqltune")
    total = failures = errors = 0
    for path, findings in by_path.items():
        shown = relative_path(path, root)
        suite = ET.SubElement(suites, "testsuite", name=shown, tests=str(max(1, len(findings))))
        suite.set("failures", str(len(findings)))
        suite.set("errors", "0")
        if not findings:
            ET.SubElement(suite, "testcase", classname=shown, name="lint", file=shown)
        for finding in findings:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=shown,
                name=f"{finding.code} {finding.name} ({finding.span.line}:{finding.span.column})",
                file=shown,
                line=str(finding.span.line),
            )
            failure = ET.SubElement(case, "failure", message=finding.message, type=f"{finding.code} {finding.severity}")
            failure.text = _failure_text(finding, report, rules.get(finding.code), shown)
        total += max(1, len(findings))
        failures += len(findings)
    for problem in report.problems:
        if not problem.fatal:
            continue
        shown = relative_path(problem.path, root)
        suite = ET.SubElement(suites, "testsuite", name=shown, tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname=shown, name="read", file=shown)
        error = ET.SubElement(case, "error", message=problem.message, type=problem.title)
        error.text = str(problem)
        total += 1
        errors += 1
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
