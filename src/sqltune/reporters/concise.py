"""One line per finding, ``path:line:col: CODE message``: for grep, editors' quickfix lists and terse logs.

Nothing else is printed (no summary), so ``wc -l`` counts findings; unreadable inputs go to stderr as in
every machine format.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqltune.core.findings import Report
from sqltune.reporters.base import ReportOptions, register
from sqltune.rules.base import RuleMeta

__all__ = ["render_concise"]


@register("concise")
def render_concise(report: Report, rules: Mapping[str, RuleMeta], options: ReportOptions) -> str:
    """Each finding on one line; line breaks inside a message are flattened so a line stays one finding."""
    lines = [f"{finding.span}: {finding.code} {' '.join(finding.message.split())}" for finding in report.findings]
    return "".join(line + "\n" for line in lines)
