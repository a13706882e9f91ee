"""The index plan view: what the workload would cost before and after (a bar), the indexes to create with
their statements, sizes and the queries that use them, the hygiene advice (drops, unindexed foreign keys),
each query's cost before and after, the measured runtimes when they were checked, and what was skipped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqltune.core.units import format_duration
from sqltune.reporters.html._base import badge, bar, esc, figure, inline_sql, percent, plural, table, view

if TYPE_CHECKING:
    from sqltune.indexes.plan import IndexPlan

__all__ = ["render_index_plan"]

#: Query names listed under an index; the rest are counted.
MAX_USERS = 6


def _size(value: float | None) -> str:
    from sqltune.indexes.plan import format_bytes

    return "-" if value is None else format_bytes(value)


def _names(names: tuple[str, ...] | list[str]) -> str:
    if not names:
        return '<span class="muted">no query plan uses it</span>'
    shown = ", ".join(f"<code>{esc(name)}</code>" for name in names[:MAX_USERS])
    more = len(names) - MAX_USERS
    return shown + (f" and {more} more" if more > 0 else "")


def render_index_plan(plan: IndexPlan) -> str:
    source = "sqltune's cost model (estimated)" if plan.estimated else f"planner costs via {plan.backend}"
    saving = 1 - plan.relative_cost
    budget = f" within a budget of {esc(_size(plan.budget_bytes))}" if plan.budget_bytes else ""
    parts = [
        "<h3>sqltune index plan</h3>",
        f'<p class="summary">{esc(plan.algorithm)} · {esc(source)} · '
        f"{esc(plural(plan.what_if_calls, 'what-if call'))}</p>",
        f"<p>Workload cost <b>{esc(figure(plan.cost_before))} → {esc(figure(plan.cost_after))}</b> "
        f"{bar(saving, 'ok', 'share of the cost saved')}<b>{esc(percent(saving))}</b> saved · "
        f"{esc(_size(plan.size_bytes))} of new indexes{budget}</p>",
    ]
    if plan.create:
        rows = [
            [
                f"<code>{esc(index.name)}</code>",
                f'<span class="fig">{esc(_size(index.size_bytes))}</span>',
                _names(index.queries),
                inline_sql(index.statement + ";"),
            ]
            for index in plan.create
        ]
        parts.append("<h4>Create</h4>" + table(["index", "size", "used by", "statement"], rows, "create"))
    else:
        parts.append("<p>No new index pays for itself on this workload.</p>")
    if plan.drop:
        rows = [
            [
                badge(str(getattr(advice, "kind", "")), "warning"),
                inline_sql(str(getattr(advice, "statement", "")) + ";"),
                f'<span class="fig">{esc(_size(getattr(advice, "size_bytes", None)))}</span>',
                esc(getattr(advice, "evidence", "")),
            ]
            for advice in plan.drop
        ]
        parts.append("<h4>Hygiene</h4>" + table(["kind", "statement", "size", "evidence"], rows, "hygiene"))
    changed = sorted((q for q in plan.queries if q.cost_after < q.cost_before * 0.999), key=lambda q: q.ratio)
    if changed:
        rows = [
            [
                f"<code>{esc(q.query_id)}</code>",
                f'<span class="fig">{esc(figure(q.cost_before))}</span>',
                f'<span class="fig">{esc(figure(q.cost_after))}</span>',
                f"{bar(1 - q.ratio, 'ok')}{esc(percent(1 - q.ratio))} saved",
                _names(q.uses),
            ]
            for q in changed
        ]
        headers = ["query", "cost before", "cost after", "saving", "uses"]
        parts.append("<h4>Queries that get cheaper</h4>" + table(headers, rows, "queries"))
    unchanged = len(plan.queries) - len(changed)
    if unchanged:
        parts.append(f'<p class="muted">{esc(plural(unchanged, "query", "queries"))} unchanged.</p>')
    if plan.runtime:
        rows = []
        for check in plan.runtime:
            bound = f"≥ {format_duration(check.bound_ms)}"
            before = bound if check.before_ms is None else format_duration(check.before_ms)
            after = bound if check.after_ms is None else format_duration(check.after_ms)
            flag = badge("regression", "error") if check.regressed else ""
            rows.append([f"<code>{esc(check.query_id)}</code>", esc(before), esc(after), esc(check.describe()) + flag])
        parts.append(
            "<h4>Measured (real indexes, rolled back)</h4>" + table(["query", "before", "after", "speed-up"], rows)
        )
    if plan.skipped:
        rows = [
            [f"<code>{esc(s.query_id)}</code>", esc(s.reason), f"<code>{esc(s.sql[:200])}</code>"] for s in plan.skipped
        ]
        parts.append(
            f"<details><summary>Skipped ({len(plan.skipped)})</summary>{table(['query', 'why', 'SQL'], rows)}</details>"
        )
    parts.extend(f"<p>{badge('note', 'info')} {esc(note)}</p>" for note in plan.notes)
    return view("indexes", "".join(parts))
