"""The workload views: a :class:`~sqltune.workload.Workload` as its hottest templates (share of the time as a
bar, total, calls, mean, max, where it was first seen, the text folded), and
:class:`~sqltune.workload.UsageStats` as the hottest columns per role and the tables read and written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqltune.core.units import format_duration
from sqltune.reporters.html._base import badge, bar, esc, highlight_sql, percent, plural, table, view

if TYPE_CHECKING:
    from sqltune.workload import UsageStats, Workload

__all__ = ["render_usage", "render_workload"]

#: Templates listed; the JSON has them all.
TOP = 50
#: Columns listed per role.
COLUMNS_PER_ROLE = 8
ONE_LINE = 110


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= ONE_LINE else flat[: ONE_LINE - 1] + "…"


def _fig(text: str) -> str:
    return f'<span class="fig">{esc(text)}</span>'


def render_workload(workload: Workload) -> str:
    total_ms = workload.total_ms
    timed = bool(total_ms)
    facts = [plural(len(workload), "template"), plural(workload.calls, "call")]
    facts.append(f"{format_duration(total_ms)} in all" if timed else "no timings")
    sources = f' <span class="muted">from {esc(", ".join(workload.sources))}</span>' if workload.sources else ""
    parts = ["<h3>sqltune workload</h3>", f'<p class="summary">{esc(" · ".join(facts))}{sources}</p>']
    if workload.problems:
        first = workload.problems[0]
        parts.append(
            f"<p>{badge(plural(len(workload.problems), 'unreadable entry', 'unreadable entries'), 'warning')} "
            f"the first: {esc(first)}</p>"
        )
    parts.extend(f"<p>{badge('note', 'info')} {esc(note)}</p>" for note in workload.notes)
    top = workload.top(TOP)
    rows = []
    for rank, template in enumerate(top, 1):
        share = template.total_ms / total_ms if timed else template.calls / max(workload.calls, 1)
        text = (
            f"<details><summary><code>{esc(_one_line(template.readable))}</code></summary>"
            f"{highlight_sql(template.example)}</details>"
        )
        rows.append(
            [
                f'<span class="fig">{rank}</span>',
                f"<span class='fig'>{bar(share, 'hot' if rank == 1 else '')}{esc(percent(share))}</span>",
                _fig(format_duration(template.total_ms if template.timed_calls else None)),
                _fig(f"{template.calls:,}"),
                _fig(format_duration(template.mean_ms)),
                _fig(format_duration(template.max_ms)),
                text + f'<span class="muted">{esc(template.location or "")}</span>',
            ]
        )
    by = "time" if timed else "calls"
    headers = ["#", f"share of {by}", "total", "calls", "mean", "max", "template"]
    parts.append(f"<h4>Hottest templates by {esc(by)} (top {len(top)} of {len(workload):,})</h4>")
    parts.append(table(headers, rows, "templates"))
    return view("workload", "".join(parts))


def render_usage(usage: UsageStats) -> str:
    by = "time" if any(weight.time_ms for _, _, weight in usage.hottest(n=1)) else "calls"
    roles: dict[str, list[tuple[str, float]]] = {}
    for column, role, weight in usage.hottest(by=by):
        roles.setdefault(role, []).append((str(column), weight.time_ms if by == "time" else weight.calls))
    heaviest = max((value for entries in roles.values() for _, value in entries), default=0.0) or 1.0
    rows = []
    for role, entries in roles.items():
        cells = "<br>".join(
            f"{bar(value / heaviest)}<code>{esc(column)}</code> "
            f'<span class="muted">{esc(format_duration(value) if by == "time" else f"{value:,.0f} calls")}</span>'
            for column, value in entries[:COLUMNS_PER_ROLE]
        )
        rows.append([esc(role), cells])
    parts = [
        "<h3>sqltune column usage</h3>",
        f'<p class="summary">{esc(plural(len(usage.tables), "table"))}, {esc(plural(len(usage.columns), "column"))}, '
        f"weighted by {esc(by)}</p>",
        table(["role", "hottest columns"], rows, "usage"),
    ]
    tables = [
        [
            f"<code>{esc(name)}</code>",
            _fig(f"{item.reads.calls:,}"),
            _fig(format_duration(item.reads.time_ms or None)),
            esc(", ".join(f"{kind} {weight.calls:,}" for kind, weight in sorted(item.writes.items())) or "-"),
        ]
        for name, item in sorted(usage.tables.items(), key=lambda entry: -entry[1].reads.time_ms - entry[1].reads.calls)
    ]
    if tables:
        parts.append("<h4>Tables</h4>" + table(["table", "read calls", "read time", "writes"], tables, "tables"))
    if usage.unparsed:
        template, reason = usage.unparsed[0]
        parts.append(
            f"<p>{badge(plural(len(usage.unparsed), 'template') + ' not parsed', 'warning')} "
            f"the first: {esc(template.location or template.fingerprint)}: {esc(reason)}</p>"
        )
    return view("usage", "".join(parts))
