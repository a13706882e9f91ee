"""reviewdog's Diagnostic Format (``rdjson``): feed findings to ``reviewdog -f=rdjson`` for review comments.

Positions follow reviewdog's convention: 1-based lines, 1-based columns counted in UTF-8 bytes, an exclusive
end. A finding with a fix carries it as a ``suggestion``, which reviewdog turns into a suggested change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqltune.core.findings import Finding, Report, Severity
from sqltune.core.source import Source
from sqltune.linter.baseline import relative_path
from sqltune.reporters.base import ReportOptions, register
from sqltune.reporters.sarif import INFORMATION_URI, report_root
from sqltune.rules.base import RuleMeta

__all__ = ["render_rdjson"]

_SEVERITY = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "INFO"}


def _byte_column(source: Source | None, line: int, column: int) -> int:
    """A 1-based character column as reviewdog's 1-based UTF-8 byte column."""
    if source is None:
        return column
    return len(source.line_text(line)[: column - 1].encode("utf-8")) + 1


def _range(source: Source | None, start: int, end: int) -> dict[str, Any]:
    if source is None:
        return {}
    first, last = source.position(start), source.position(max(start, end))
    return {
        "start": {"line": first.line, "column": _byte_column(source, first.line, first.column)},
        "end": {"line": last.line, "column": _byte_column(source, last.line, last.column)},
    }


def _diagnostic(finding: Finding, report: Report, root: str) -> dict[str, Any]:
    source = report.sources.get(finding.path)
    span = finding.span
    if source is not None:
        where = _range(source, span.start, span.end)
    else:
        where = {
            "start": {"line": span.line, "column": span.column},
            "end": {"line": span.end_pos.line, "column": span.end_pos.column + 1},
        }
    diagnostic: dict[str, Any] = {
        "message": finding.message,
        "location": {"path": relative_path(finding.path, root), "range": where},
        "severity": _SEVERITY[finding.severity],
        "code": {"value": finding.code},
    }
    if finding.fix is not None and source is not None:
        diagnostic["suggestions"] = [
            {"range": _range(source, finding.fix.span.start, finding.fix.span.end), "text": finding.fix.replacement}
        ]
    return diagnostic


@register("rdjson")
def render_rdjson(report: Report, rules: Mapping[str, RuleMeta], options: ReportOptions) -> str:
    root = report_root(options)
    data = {
        "source": {"name": "sqltune", "url": INFORMATION_URI},
        "diagnostics": [_diagnostic(finding, report, root) for finding in report.findings],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
