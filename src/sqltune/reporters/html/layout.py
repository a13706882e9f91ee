"""The layout plan view: a card per table with the advice (BRIN, partitioning, clustering...) and its key,
every gate passed or failed, the templates that would read less (partitions scanned before and after, the
saving as a bar), measured timings, the estimated saving, warnings and notes, and the statements to run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqltune.reporters.html._base import badge, bar, esc, figure, highlight_sql, percent, plural, table, view

if TYPE_CHECKING:
    from sqltune.layout.model import LayoutPlan, Recommendation

__all__ = ["render_layout_plan", "render_recommendation"]


def render_layout_plan(plan: LayoutPlan) -> str:
    recommended = len(plan.recommended)
    parts = [
        "<h3>sqltune layout</h3>",
        f'<p class="summary">{esc(plural(len(plan.recommendations), "table"))} examined, '
        f"{esc(plural(recommended, 'change'))} recommended</p>",
    ]
    parts.extend(_card(recommendation) for recommendation in plan.recommendations)
    parts.extend(f"<p>{badge('note', 'info')} {esc(note)}</p>" for note in plan.notes)
    return view("layout", "".join(parts))


def render_recommendation(recommendation: Recommendation) -> str:
    return view("layout", _card(recommendation))


def _card(rec: Recommendation) -> str:
    key = f" on (<code>{esc(', '.join(rec.key))}</code>)" if rec.key else ""
    kind = badge(rec.kind, "" if rec.kind == "none" else "ok")
    engine = f'<span class="muted">{esc(rec.engine)}</span>'
    parts = [f'<div class="card">{kind} <b><code>{esc(rec.table)}</code></b>{key} {engine}']
    if rec.gates:
        gates = [
            [badge("pass", "ok") if gate.passed else badge("fail", "error"), esc(gate.name), esc(gate.detail)]
            for gate in rec.gates
        ]
        parts.append(table(["", "gate", "detail"], gates, "gates"))
    if rec.evidence:
        rows = [
            [
                f"<code>{esc(e.location or e.fingerprint)}</code>",
                f'<span class="fig">{esc(figure(e.before))} → {esc(figure(e.after))}</span> of {e.partitions:,}',
                f"{bar(e.saving, 'ok')}{esc(percent(e.saving))}",
                f'<span class="fig">{esc(figure(e.weight))}</span>',
            ]
            for e in sorted(rec.evidence, key=lambda e: -e.saving)
        ]
        parts.append(table(["template", "partitions scanned", "saving", "weight"], rows, "evidence"))
    for measured in rec.measured:
        before = "-" if measured.before_ms is None else f"{measured.before_ms:.1f} ms"
        after = "-" if measured.after_ms is None else f"{measured.after_ms:.1f} ms"
        parts.append(f"<p>measured <code>{esc(measured.fingerprint)}</code>: {esc(before)} → {esc(after)}</p>")
    savings = rec.details.get("savings")
    if isinstance(savings, dict) and savings.get("bytes_saved") is not None:
        from sqltune.layout.model import bytes_text

        parts.append(f"<p>saving per 30 days: {esc(bytes_text(savings['bytes_saved']))} processed</p>")
    parts.extend(f"<p>{badge('warning', 'warning')} {esc(warning)}</p>" for warning in rec.warnings)
    parts.extend(f"<p>{badge('note', 'info')} {esc(note)}</p>" for note in rec.notes)
    if rec.ddl:
        parts.append(highlight_sql(";\n".join(rec.ddl) + ";"))
    if rec.commands:
        parts.append("<pre>" + "\n".join(f"$ {esc(command)}" for command in rec.commands) + "</pre>")
    parts.append("</div>")
    return "".join(parts)
