"""Human output for plan diagnoses: the plan tree with the hot path marked, then the findings ranked by
estimated saving, each with its suggestion and, when the plan was linked to its SQL, the source line.

The hot path (``*`` in the left margin) is the root-to-leaf chain whose summed exclusive time (or cost, for a
plan that was not executed) is largest: where the query spends its time. Nodes a finding points at carry
the finding's code at the end of their line. A reporter never parses SQL: the source lines come from the
statement the report was linked to.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqltune.core.findings import Severity
from sqltune.plans import PlanGraph, PlanNode
from sqltune.reporters.base import ReportOptions
from sqltune.rules.plan import PlanFinding, PlanReport

__all__ = ["render_plan_text"]

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _paint(text: str, code: str, options: ReportOptions) -> str:
    return f"{code}{text}{_RESET}" if options.color else text


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.2f}"


def _figures(plan: PlanGraph, node: PlanNode, report: PlanReport) -> str:
    parts = []
    if report.basis == "time" and node.exclusive_ms is not None:
        parts.append(f"self {node.exclusive_ms:,.2f} ms ({(node.time_share or 0.0):.1%})")
    elif report.basis == "time" and node.time_share is not None:
        parts.append(f"self {node.time_share:.1%}")
    elif report.basis == "cost" and node.exclusive_cost is not None:
        parts.append(f"cost {_number(node.exclusive_cost)}")
    if node.act_rows is not None and not node.never_executed:
        rows = f"rows {_number(node.act_rows)}"
        if node.est_rows is not None and node.est_error is not None and node.est_error >= 10:
            rows += f" (est {_number(node.est_rows)}, {node.est_error:,.0f}x {node.est_direction})"
        parts.append(rows)
        if node.act_loops and node.act_loops > 1:
            parts.append(f"loops {_number(node.act_loops)}")
    elif node.never_executed:
        parts.append("never executed")
    elif node.est_rows is not None:
        parts.append(f"est rows {_number(node.est_rows)}")
    if node.spills:
        parts.append("spilled")
    return "  ".join(parts)


def _tree(report: PlanReport, options: ReportOptions) -> list[str]:
    plan = report.plan
    hot = set(report.hot_path)
    flagged: dict[int, list[str]] = {}
    for finding in report.findings:
        flagged.setdefault(finding.node_id, []).append(finding.code)
    lines = []
    for node in plan:
        marker = "*" if node.id in hot else " "
        arrow = "-> " if node.depth else ""
        heading = f"{node.subplan_name}: " if node.subplan_name else ""
        label = f"{heading}{node.label}"
        text = f"{marker} {'   ' * node.depth}{arrow}{label}"
        figures = _figures(plan, node, report)
        if figures:
            text += f"  [{figures}]"
        if node.id in hot:
            text = _paint(text, _BOLD, options)
        if node.id in flagged:
            text += "  " + _paint(" ".join(f"<{code}>" for code in flagged[node.id]), "\033[33m", options)
        lines.append(text)
    return lines


def _header(report: PlanReport) -> str:
    plan = report.plan
    parts = [f"Plan ({plan.format}"]
    if plan.execution_ms is not None:
        parts.append(f", executed in {plan.execution_ms:,.2f} ms")
    if plan.planning_ms is not None:
        parts.append(f", planned in {plan.planning_ms:,.2f} ms")
    if not plan.has_actuals and plan.total_cost is not None:
        parts.append(f", estimated cost {_number(plan.total_cost)}; not executed")
    parts.append(")")
    hot = " * marks the hot path" if report.hot_path else ""
    return "".join(parts) + (f";{hot}:" if hot else ":")


def _source_lines(report: PlanReport, finding: PlanFinding, options: ReportOptions) -> list[str]:
    if finding.span is None or report.statement is None:
        return []
    source = report.statement.source
    line = finding.span.line
    text = source.line_text(line).replace("\t", " ")
    gutter = f"{line:>7} | "
    start = finding.span.column - 1
    if finding.span.end_pos.line == line:
        width = max(1, finding.span.end_pos.column - finding.span.column + 1)
    else:
        width = max(1, len(text) - start)
    width = min(width, max(1, len(text) - start))
    marker = " " * (len(gutter) - 2) + "| " + " " * start + "^" * width
    return [f"     --> {finding.span}", gutter + text, _paint(marker, _COLORS[finding.severity], options)]


_BASIS = {"time": "of runtime", "cost": "of estimated cost"}


def _finding(number: int, report: PlanReport, finding: PlanFinding, options: ReportOptions) -> list[str]:
    label = _paint(f"{finding.code} [{finding.severity}]", _COLORS[finding.severity], options)
    if finding.saving is None:  # a plan without timings or costs (Snowflake's EXPLAIN)
        saving = "saving unknown (no timings or costs)"
    else:
        saving = f"saves ~{finding.saving:.0%} {_BASIS.get(finding.basis or '', '')}".rstrip()
    lines = [f"{number:>3}. {label} {saving} - {finding.name} at node {finding.node_id} ({finding.node_label})"]
    lines.append(f"     {finding.message}")
    lines.append(f"     fix: {finding.suggestion}")
    lines.extend(_source_lines(report, finding, options))
    return lines


def summary(report: PlanReport) -> str:
    if not report.findings:
        return "No plan findings."
    counts = {severity: 0 for severity in Severity}
    for finding in report.findings:
        counts[finding.severity] += 1
    parts = [f"{counts[s]} {s}{'s' * (counts[s] != 1)}" for s in reversed(Severity) if counts[s]]
    total = len(report.findings)
    return f"{total} plan finding{'s' * (total != 1)} ({', '.join(parts)})."


def render_plan_text(reports: Sequence[PlanReport], options: ReportOptions | None = None) -> str:
    """The tree and ranked findings of each report, separated by a blank line."""
    options = options or ReportOptions()
    blocks = []
    for report in reports:
        lines = []
        if report.statement is not None:
            where = report.statement.span
            lines.append(_paint(f"{where.path}:{where.line}: statement {report.statement.index + 1}", _BOLD, options))
        lines.append(_header(report))
        lines.extend(_tree(report, options))
        lines.append("")
        if report.findings:
            lines.append("Findings, largest estimated saving first:")
            for number, finding in enumerate(report.findings, 1):
                lines.extend(_finding(number, report, finding, options))
            lines.append("")
        lines.extend(f"sqltune: error: {problem}" for problem in report.problems)
        lines.append(summary(report))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
