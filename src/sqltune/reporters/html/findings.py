"""The lint view: a :class:`~sqltune.core.findings.Report` as a findings table linked to its SQL, each finding's
span highlighted in the source, and a single :class:`~sqltune.core.findings.Finding` as a card.

The table's locations link to anchors at the spans; every highlighted span carries its findings' codes and
messages as a tooltip. Sources longer than :data:`FULL_SOURCE_LINES` lines show the lines around the
findings only. A reporter never parses SQL: the spans come from the findings, the text from the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqltune.reporters.html._base import ID, Mark, badge, esc, highlight_sql, plural, table, view

if TYPE_CHECKING:
    from sqltune.core.findings import Finding, Report

__all__ = ["render_finding", "render_report"]

#: Findings listed in the table (the rest are counted); a report's JSON holds them all.
MAX_FINDINGS = 1000
#: Sources up to this many lines are shown whole; longer ones around their findings.
FULL_SOURCE_LINES = 60
CONTEXT_LINES = 3


def _location(finding: Finding) -> str:
    span = finding.span
    return f"{span.path}:{span.line}:{span.column}"


def _summary(report: Report) -> str:
    counts: dict[str, int] = {}
    for finding in report.findings:
        counts[str(finding.severity)] = counts.get(str(finding.severity), 0) + 1
    parts = [badge(plural(counts[name], name), name) for name in ("error", "warning", "info") if counts.get(name)]
    files = plural(len(report.sources), "source")
    statements = plural(report.statements, "statement")
    head = plural(len(report.findings), "finding") if report.findings else "No findings"
    where = f'<span class="muted">in {esc(files)}, {esc(statements)}</span>'
    return f'<p class="summary"><b>{esc(head)}</b> {"".join(parts)} {where}</p>'


def _problems(report: Report) -> str:
    if not report.problems:
        return ""
    rows = [
        [badge(problem.title, "error" if problem.fatal else "info"), esc(problem.path), esc(problem.message)]
        for problem in report.problems
    ]
    return "<h4>Problems</h4>" + table(["kind", "where", "message"], rows, "problems")


def render_report(report: Report) -> str:
    """Findings table, the sources with the findings' spans highlighted, and the problems."""
    shown = report.findings[:MAX_FINDINGS]
    parts = ["<h3>sqltune lint</h3>", _summary(report)]
    if shown:
        rows = []
        for number, finding in enumerate(shown):
            anchor = f"{ID}-f{number}"
            fix = badge("fix", "ok", finding.fix.description) if finding.fix is not None else ""
            rows.append(
                [
                    badge(str(finding.severity), str(finding.severity)),
                    f'<code title="{esc(finding.name)}">{esc(finding.code)}</code>',
                    f"{esc(finding.message)} {fix}",
                    f'<a href="#{anchor}"><code>{esc(_location(finding))}</code></a>',
                ]
            )
        parts.append(table(["severity", "rule", "message", "where"], rows, "findings"))
        if len(report.findings) > len(shown):
            more = len(report.findings) - len(shown)
            parts.append(f'<p class="muted">{esc(plural(more, "more finding"))} not listed (see the JSON).</p>')
    parts.append(_sources(report, shown))
    parts.append(_problems(report))
    return view("report", "".join(parts))


def _sources(report: Report, findings: list[Finding]) -> str:
    by_path: dict[str, list[Mark]] = {}
    for number, finding in enumerate(findings):
        severity = str(finding.severity)
        title = f"{finding.code} {finding.name}: {finding.message}"
        mark = Mark(finding.span.start, finding.span.end, severity, title, f"f{number}")
        by_path.setdefault(finding.span.path, []).append(mark)
    blocks = []
    for path, marks in by_path.items():
        source = report.sources.get(path)
        if source is None:
            continue
        context = CONTEXT_LINES if source.line_count > FULL_SOURCE_LINES else None
        blocks.append(f"<h4><code>{esc(path)}</code></h4>" + highlight_sql(source.text, marks, context))
    return "".join(blocks)


def render_finding(finding: Finding) -> str:
    """One finding: severity, rule, message, where, its fix, and the statement it is about."""
    items = [
        ("rule", f"<code>{esc(finding.code)}</code> {esc(finding.name)}"),
        ("where", f"<code>{esc(_location(finding))}</code>"),
    ]
    if finding.fix is not None:
        safety = badge("safe", "ok") if finding.fix.safe else badge("review", "warning")
        items.append(("fix", f"{esc(finding.fix.description)} {safety}"))
    details = "".join(f"<dt>{esc(name)}</dt><dd>{value}</dd>" for name, value in items)
    statement = highlight_sql(finding.statement) if finding.statement else ""
    body = (
        f'<div class="card">{badge(str(finding.severity), str(finding.severity))} <b>{esc(finding.message)}</b>'
        f'<dl class="kv">{details}</dl>{statement}</div>'
    )
    return view("finding", body)
