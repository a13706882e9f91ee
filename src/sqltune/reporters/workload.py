"""Output for workloads: the hottest templates (calls, total time, share of time) and the hottest columns per
role, as text for people and JSON for tools.

A template is named as the user knows it: where it was first seen (``postgresql.log:1042``, a model file),
and its text shortened to one line.
"""

from __future__ import annotations

import json
from typing import Any

from sqltune.core.units import format_duration
from sqltune.workload import UsageStats, Workload

__all__ = ["render_workload_json", "render_workload_text"]

_TEXT_WIDTH = 72


def _one_line(text: str, width: int = _TEXT_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def render_workload_text(workload: Workload, usage: UsageStats | None, top: int = 20, columns: int = 5) -> str:
    total_ms = workload.total_ms
    lines = [
        f"Workload: {len(workload):,} templates, {workload.calls:,} calls, "
        + (f"{format_duration(total_ms)} in all" if total_ms else "no timings")
        + (f" (from {', '.join(workload.sources)})" if workload.sources else ""),
    ]
    if workload.problems:
        first = workload.problems[0]
        lines.append(f"Problems: {len(workload.problems):,} entries could not be read; the first: {first}")
    lines.extend(f"Note: {note}" for note in workload.notes)
    lines += ["", f"Hottest templates by total time (top {min(top, len(workload))} of {len(workload):,})"]
    lines.append(f"{'#':>3}  {'share':>6}  {'total':>12}  {'calls':>10}  {'mean':>9}  {'max':>9}  template")
    for rank, template in enumerate(workload.top(top), 1):
        share = template.total_ms / total_ms if total_ms else template.calls / max(workload.calls, 1)
        lines.append(
            f"{rank:>3}  {share:>6.1%}  {format_duration(template.total_ms if template.timed_calls else None):>12}  "
            f"{template.calls:>10,}  {format_duration(template.mean_ms):>9}  {format_duration(template.max_ms):>9}  "
            f"{_one_line(template.readable)}"
        )
        lines.append(f"{'':>3}  {'':>6}  {'':>12}  {'':>10}  {'':>9}  {'':>9}  at {template.location or '?'}")
    if usage is not None:
        lines += ["", "Hottest columns per role (weighted by time; by calls where the source has no times)"]
        by = "time" if total_ms else "calls"
        for role, entries in _roles(usage, by):
            shown = ", ".join(
                f"{column} ({_share(weight.time_ms if by == 'time' else weight.calls, total_ms or workload.calls)})"
                for column, weight in entries[:columns]
            )
            lines.append(f"  {role:<16} {shown}")
        if usage.unparsed:
            lines.append(
                f"  {len(usage.unparsed):,} templates did not parse and are not in these statistics; the first: "
                f"{usage.unparsed[0][0].location}: {usage.unparsed[0][1]}"
            )
    return "\n".join(lines) + "\n"


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _roles(usage: UsageStats, by: str) -> list[tuple[str, list[tuple[str, Any]]]]:
    rows: dict[str, list[tuple[str, Any]]] = {}
    for column, role, weight in usage.hottest(by=by):
        rows.setdefault(role, []).append((str(column), weight))
    return list(rows.items())


def render_workload_json(workload: Workload, usage: UsageStats | None, top: int | None = None) -> str:
    data = workload.to_dict()
    if top is not None:
        data["templates"] = [template.to_dict() for template in workload.top(top)]
    if usage is not None:
        data["usage"] = usage.to_dict()
    return json.dumps(data, indent=2) + "\n"
