"""The plan view: an EXPLAIN plan as a collapsible tree, the view PEV2 users expect.

Each operator is a ``<details>`` whose children nest inside it. Its line shows the node's own share of the
runtime as a bar (of the estimated cost when the plan was not executed), its own time, the rows it returned
with an estimate-error badge (``×N under``/``over`` when the planner was off by at least twice), loops, the
buffers it touched itself (children excluded), spills, and the codes of the plan findings about it; the
hot path (the root-to-leaf chain with the largest summed share, as the text report's ``*``) is marked. The
body holds the node's conditions and, beside it, the findings with their suggestions. Below the tree: the
findings ranked by saving, linked both ways to their nodes, and the statement with their spans highlighted.

Accepts a :class:`~sqltune.rules.plan.PlanReport` (plan, findings, hot path) or a bare
:class:`~sqltune.plans.PlanGraph` (its hot path computed here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqltune.core.units import format_duration
from sqltune.reporters.html._base import ID, Mark, badge, bar, count, esc, figure, highlight_sql, percent, plural, view

if TYPE_CHECKING:
    from sqltune.plans import Buffers, PlanGraph, PlanNode
    from sqltune.rules.plan import PlanContext, PlanFinding, PlanReport

__all__ = ["render_plan"]

#: Operators drawn (pre-order); a larger plan says how many more it has.
MAX_NODES = 2000
#: Conditions longer than this are cut in the tree (the full text is the tooltip).
CONDITION_CHARS = 240


def render_plan(item: PlanReport | PlanGraph) -> str:
    from sqltune.rules.plan import PlanContext, PlanReport, hot_path

    report = item if isinstance(item, PlanReport) else None
    plan = item.plan if isinstance(item, PlanReport) else item
    context = PlanContext(plan)
    hot = set(report.hot_path if report is not None else hot_path(plan, context))
    findings: list[PlanFinding] = list(report.findings) if report is not None else []
    by_node: dict[int, list[tuple[int, PlanFinding]]] = {}
    for number, finding in enumerate(findings):
        by_node.setdefault(finding.node_id, []).append((number, finding))
    parts = ["<h3>sqltune plan</h3>", _header(plan, context, findings)]
    if len(plan):
        parts.append(f'<div class="plan">{_tree(plan, context, hot, by_node)}</div>')
    if findings:
        parts.append(_findings(findings))
    if report is not None:
        parts.append(_statement(report))
        parts.extend(f"<p>{badge('error', 'error')} {esc(problem)}</p>" for problem in report.problems)
    return view("plan", PLAN_STYLE + "".join(parts))


def _header(plan: PlanGraph, context: PlanContext, findings: list[PlanFinding]) -> str:
    facts = [f"<code>{esc(plan.format)}</code>"]
    if plan.execution_ms is not None:
        facts.append(f"executed in <b>{esc(format_duration(plan.execution_ms))}</b>")
    if plan.planning_ms is not None:
        facts.append(f"planned in {esc(format_duration(plan.planning_ms))}")
    if plan.total_cost is not None:
        facts.append(f"estimated cost {esc(figure(plan.total_cost))}")
    if plan.jit is not None:
        facts.append(f"JIT {esc(format_duration(plan.jit.total_ms))} ({esc(plural(plan.jit.functions, 'function'))})")
    if not plan.has_actuals:
        facts.append(badge("not executed", "", "EXPLAIN without ANALYZE: bars are shares of the estimated cost"))
    basis = {"time": "bars: share of the runtime spent in the node itself", "cost": "bars: share of the estimated cost"}
    legend = [basis[context.basis]] if context.basis in basis else []
    legend.append(f"{badge('hot path', 'hot')} the chain of most expensive nodes")
    counted = plural(len(findings), "finding") if findings else ""
    return (
        f'<p class="summary">{esc(plural(len(plan), "node"))} · {" · ".join(facts)}'
        f"{' · <b>' + esc(counted) + '</b>' if counted else ''}</p>"
        f'<p class="muted legend">{" · ".join(legend)}</p>'
    )


def _tree(
    plan: PlanGraph, context: PlanContext, hot: set[int], by_node: dict[int, list[tuple[int, PlanFinding]]]
) -> str:
    """Nested ``details``, built without recursion (plans nest over a hundred levels deep)."""
    out: list[str] = []
    drawn = 0
    stack: list[tuple[bool, PlanNode]] = [(True, plan.root)]
    while stack:
        opening, node = stack.pop()
        if not opening:
            out.append("</div></details>")
            continue
        if drawn >= MAX_NODES:
            continue
        drawn += 1
        notes = by_node.get(node.id, [])
        children = plan.children(node)
        body = _body(node, notes)
        classes = ["node"] + (["hot"] if node.id in hot else []) + ([] if body or children else ["leaf"])
        out.append(
            f'<details class="{" ".join(classes)}" id="{ID}-n{node.id}" open>'
            f"<summary>{_line(node, context, node.id in hot, notes)}</summary>"
            f'<div class="nb">{body}'
        )
        stack.append((False, node))
        stack.extend((True, child) for child in reversed(children))
    if drawn < len(plan):
        out.append(f'<p class="muted">{esc(plural(len(plan) - drawn, "more node"))} not drawn.</p>')
    return "".join(out)


def _line(node: PlanNode, context: PlanContext, is_hot: bool, notes: list[tuple[int, PlanFinding]]) -> str:
    share = context.share(node)
    cells = [bar(share, "hot" if is_hot else "", "own share of the runtime or cost")]
    cells.append(f'<span class="share">{esc(percent(share))}</span>')
    heading = f'<span class="sub">{esc(node.subplan_name)}</span> ' if node.subplan_name else ""
    cells.append(f'<span class="label">{heading}<b>{esc(node.label)}</b></span>')
    if is_hot:
        cells.append(badge("hot path", "hot"))
    if node.exclusive_ms is not None:
        cells.append(badge(f"self {format_duration(node.exclusive_ms)}", "", "time in this node, children excluded"))
    cells.extend(_rows(node))
    buffers = _buffers(node)
    if buffers:
        cells.append(buffers)
    if node.spills:
        cells.append(badge("spill", "error", "; ".join(node.spills)))
    if node.workers_missing:
        text = f"{node.workers_launched}/{node.workers_planned} workers"
        cells.append(badge(text, "warning", "workers planned but not launched"))
    for number, finding in notes:
        cells.append(
            f'<a class="badge {esc(str(finding.severity))}" href="#{ID}-pf{number}" '
            f'title="{esc(finding.message)}">{esc(finding.code)}</a>'
        )
    return "".join(cells)


def _rows(node: PlanNode) -> list[str]:
    if node.never_executed:
        return [badge("never executed", "", "the engine never ran this node")]
    cells = []
    total = node.total_rows
    loops = node.act_loops or 1.0
    if total is not None:
        cells.append(badge(f"rows {count(total)}", "", f"{figure(total)} rows returned, all loops"))
    elif node.est_rows is not None:
        cells.append(badge(f"est rows {count(node.est_rows)}", "", "rows the planner expects"))
    if node.est_error is not None and node.est_direction in ("under", "over") and node.est_error >= 2:
        error = node.est_error
        level = "error" if error >= 1000 else "warning" if error >= 100 else "info" if error >= 10 else ""
        text = f"×{figure(error, 1)} {node.est_direction}"
        estimated = (node.est_rows or 0.0) * loops
        title = f"estimated {figure(estimated)} rows, got {figure(total)} ({node.est_direction}-estimated)"
        cells.append(badge(text, level, title))
    if loops > 1:
        cells.append(badge(f"loops {count(loops)}", "", "times the node ran"))
    return cells


def _buffers(node: PlanNode) -> str:
    own = node.exclusive_buffers or node.buffers
    if own is None:
        return ""
    parts = _buffer_parts(own)
    if not parts:
        return ""
    scope = "this node alone" if node.exclusive_buffers is not None else "with its children"
    total = "; ".join(_buffer_parts(node.buffers)) if node.buffers is not None else ""
    title = f"blocks touched by {scope}" + (f"; with its children: {total}" if total else "")
    return badge("buffers " + " ".join(parts), "", title)


def _buffer_parts(buffers: Buffers) -> list[str]:
    named = (
        ("hit", buffers.shared_hit),
        ("read", buffers.shared_read),
        ("dirtied", buffers.shared_dirtied),
        ("written", buffers.shared_written),
        ("local", buffers.local_hit + buffers.local_read),
        ("temp read", buffers.temp_read),
        ("temp written", buffers.temp_written),
    )
    return [f"{name} {count(value)}" for name, value in named if value]


def _body(node: PlanNode, notes: list[tuple[int, PlanFinding]]) -> str:
    lines = []
    for label, text in node.conditions.items():
        shown = text if len(text) <= CONDITION_CHARS else text[: CONDITION_CHARS - 1] + "…"
        condition = f'<code title="{esc(text)}">{esc(shown)}</code>'
        lines.append(f'<div class="cond"><span class="muted">{esc(label)}</span> {condition}</div>')
    for label, removed in node.rows_removed.items():
        if removed:
            lines.append(f'<div class="cond muted">rows removed by {esc(label)}: {esc(figure(removed))} per loop</div>')
    extras = [
        ("sort", f"{node.sort_method or ''} {figure(node.sort_space_kb)} kB {node.sort_space_type or ''}".strip())
        if node.sort_method or node.sort_space_kb is not None
        else None,
        ("hash", f"{node.hash_buckets} buckets, {node.hash_batches} batches") if node.hash_buckets else None,
        ("heap fetches", figure(node.heap_fetches)) if node.heap_fetches else None,
    ]
    for extra in extras:
        if extra is not None:
            lines.append(f'<div class="cond"><span class="muted">{esc(extra[0])}</span> {esc(extra[1])}</div>')
    for number, finding in notes:
        saving = f" · could save ~{percent(finding.saving)}" if finding.saving else ""
        lines.append(
            f'<div class="nf {esc(str(finding.severity))}"><a href="#{ID}-pf{number}"><b>{esc(finding.code)}</b></a> '
            f"{esc(finding.message)}{esc(saving)}<br><span class='muted'>fix:</span> {esc(finding.suggestion)}</div>"
        )
    return "".join(lines)


def _findings(findings: list[PlanFinding]) -> str:
    rows = []
    for number, finding in enumerate(findings):
        saving = percent(finding.saving) if finding.saving is not None else "?"
        where = f" · <code>{esc(finding.span)}</code>" if finding.span is not None else ""
        rows.append(
            f'<li id="{ID}-pf{number}">{badge(str(finding.severity), str(finding.severity))} '
            f"<b>{esc(finding.code)}</b> {esc(finding.name)} · saves ~{esc(saving)} · "
            f'<a href="#{ID}-n{finding.node_id}">node {finding.node_id}: {esc(finding.node_label)}</a>{where}'
            f"<br>{esc(finding.message)}<br><span class='muted'>fix:</span> {esc(finding.suggestion)}</li>"
        )
    return f'<h4>Findings, largest estimated saving first</h4><ol class="pfindings">{"".join(rows)}</ol>'


def _statement(report: PlanReport) -> str:
    statement = report.statement
    if statement is None:
        return ""
    base = statement.span.start
    text = statement.source.text[statement.span.start : statement.span.end]
    marks = [
        Mark(
            finding.span.start - base,
            finding.span.end - base,
            str(finding.severity),
            f"{finding.code}: {finding.message}",
        )
        for finding in report.findings
        if finding.span is not None and finding.span.path == statement.span.path
    ]
    where = f"{statement.span.path}:{statement.span.line}"
    return (
        f"<details open><summary><b>Statement</b> <code>{esc(where)}</code></summary>"
        f"{highlight_sql(text, marks, first_line=statement.span.line)}</details>"
    )


PLAN_STYLE = """<style>
.sqltune-plan .plan{margin:.4em 0 .8em}
.sqltune-plan details.node{margin:0}
.sqltune-plan details.node>summary{padding:2px 4px;border-radius:4px;white-space:nowrap;list-style-position:inside}
.sqltune-plan details.node>summary:hover{background:rgba(127,127,127,.1)}
.sqltune-plan details.leaf>summary{list-style:none;padding-left:16px}
.sqltune-plan details.leaf>summary::-webkit-details-marker{display:none}
.sqltune-plan details.node>.nb{margin-left:13px;padding-left:8px;border-left:1px dashed rgba(127,127,127,.45)}
.sqltune-plan details.hot>summary{background:rgba(249,115,22,.09);box-shadow:inset 3px 0 0 #f97316}
.sqltune-plan .share{display:inline-block;width:4.2em;text-align:right;margin-right:6px;opacity:.8;
 font-variant-numeric:tabular-nums}
.sqltune-plan .label{margin-right:6px}
.sqltune-plan .sub{font-style:italic;opacity:.75}
.sqltune-plan .cond{font-size:12px;margin:1px 0 1px 4px;white-space:normal}
.sqltune-plan .nf{font-size:12px;margin:3px 0 3px 4px;padding:3px 7px;border-radius:4px;border-left:3px solid #0366d6;
 background:rgba(3,102,214,.08);white-space:normal;max-width:70em}
.sqltune-plan .nf.error{border-color:#d73a49;background:rgba(215,58,73,.09)}
.sqltune-plan .nf.warning{border-color:#d39e00;background:rgba(227,160,8,.1)}
.sqltune-plan ol.pfindings li{margin:.35em 0}
.sqltune-plan a.badge{text-decoration:none;color:inherit}
</style>"""
