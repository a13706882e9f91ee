"""The star design view: the ER diagram of the proposed star (facts pointing at their dimensions, one arrow
per role), the bus matrix, a card per fact, dimension and bridge with the reason behind it (its confidence
as a bar, the evidence and templates folded), what stays out of the star, and, for a
:class:`~sqltune.design.DesignResult`, how much of the workload the star answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqltune.core.units import format_duration
from sqltune.reporters.html._base import badge, bar, esc, highlight_sql, percent, plural, table, view
from sqltune.reporters.html.er import ER_STYLE, ErLink, ErTable, er_diagram

if TYPE_CHECKING:
    from sqltune.design import Coverage, DesignResult
    from sqltune.design.model import Choice, StarDesign

__all__ = ["render_design", "star_tables"]

#: Templates named under a choice; the rest are counted.
MAX_TEMPLATES = 8


def star_tables(design: StarDesign) -> tuple[list[ErTable], list[ErLink]]:
    """The star's tables (facts, dimensions, bridges) and references as ER boxes and links."""
    tables: list[ErTable] = []
    links: list[ErLink] = []
    for fact in design.facts:
        keys = {role.key for role in fact.dimensions}
        measures = {measure.name for measure in fact.measures} | {measure.column.name for measure in fact.measures}
        columns = [
            (column.name, column.type, "FK" if column.name in keys else "M" if column.name in measures else "")
            for column in fact.columns
        ]
        known = {name for name, _, _ in columns}
        columns += [(key, "bigint", "FK") for key in sorted(keys - known)]
        tables.append(ErTable(fact.name, "fact", columns, f"grain: {', '.join(fact.grain)}"))
        for role in fact.dimensions:
            dimension = design.dimension(role.dimension)
            target_key = dimension.surrogate_key if dimension is not None else ""
            links.append(ErLink(fact.name, (role.key,), role.dimension, (target_key,), role.role))
    for dimension in design.dimensions:
        columns = [(dimension.surrogate_key, "integer" if dimension.kind == "date" else "bigint", "PK")]
        columns += [(c.name, c.type, "") for c in dimension.columns if c.name != dimension.surrogate_key]
        note = f"{dimension.kind}, SCD type {dimension.scd_type}" if dimension.kind == "regular" else dimension.kind
        tables.append(ErTable(dimension.name, "dimension", columns, note))
    for bridge in design.bridges:
        tables.append(ErTable(bridge.name, "bridge", [(c.name, c.type, "") for c in bridge.columns], "bridge"))
        for columns_, parent, _ in bridge.keys:
            dimension = design.dimension(parent)
            if dimension is not None:
                links.append(ErLink(bridge.name, columns_, dimension.name, (dimension.surrogate_key,), parent))
    return tables, links


def _why(choice: Choice) -> str:
    confidence = f'{bar(choice.confidence, "ok")}<span class="muted">confidence {choice.confidence:.2f}</span>'
    extra = ""
    if choice.evidence or choice.templates:
        items = "".join(f"<li>{esc(line)}</li>" for line in choice.evidence)
        templates = sorted(set(choice.templates))
        if templates:
            shown = ", ".join(templates[:MAX_TEMPLATES])
            more = f" and {len(templates) - MAX_TEMPLATES} more" if len(templates) > MAX_TEMPLATES else ""
            items += f"<li>templates: {esc(shown + more)}</li>"
        extra = f"<details><summary>evidence</summary><ul>{items}</ul></details>"
    return f'<div class="why"><p>{esc(choice.reason)}</p><p>{confidence}</p>{extra}</div>'


def render_design(item: StarDesign | DesignResult) -> str:
    design: StarDesign = item.design if hasattr(item, "coverage") else item  # type: ignore[union-attr]
    coverage: Coverage | None = getattr(item, "coverage", None)
    tables, links = star_tables(design)
    counts = [
        plural(len(design.facts), "fact"),
        plural(len(design.dimensions), "dimension"),
        plural(len(design.bridges), "bridge"),
    ]
    parts = ["<h3>sqltune star design</h3>", f'<p class="summary">{esc(", ".join(counts))}</p>']
    if coverage is not None:
        parts.append(_coverage_line(coverage))
    parts.append(er_diagram(tables, links))
    parts.append(_bus_matrix(design))
    for fact in design.facts:
        header = f" · the header of <code>{esc(fact.header_of)}</code>" if fact.header_of else ""
        measures = [
            [
                f"<code>{esc(m.name)}</code>",
                esc(m.additivity),
                esc(", ".join(m.aggregates) or "-"),
                esc(" + ".join(m.stored_as)),
            ]
            for m in fact.measures
        ]
        roles = [
            [f"<code>{esc(r.dimension)}</code>", esc(r.role), f"<code>{esc(r.key)}</code>", esc(", ".join(r.natural))]
            for r in fact.dimensions
        ]
        parts.append(
            f'<div class="card">{badge("fact", "hot")} <b><code>{esc(fact.name)}</code></b> grain '
            f"(<code>{esc(', '.join(fact.grain))}</code>) from {esc(', '.join(fact.sources))}{header}"
            + _why(fact.why)
            + (table(["measure", "additivity", "aggregated as", "stored as"], measures) if measures else "")
            + (table(["dimension", "role", "key", "from"], roles) if roles else "")
            + (f"<p>degenerate: <code>{esc(', '.join(fact.degenerate))}</code></p>" if fact.degenerate else "")
            + "</div>"
        )
    for dimension in design.dimensions:
        facts = [f"natural key (<code>{esc(', '.join(dimension.natural_key))}</code>)"] if dimension.table else []
        facts.append(f"surrogate <code>{esc(dimension.surrogate_key)}</code>")
        if dimension.kind == "regular":
            facts.append(f"SCD type {dimension.scd_type}: {esc(dimension.scd.reason)}")
        lines = [" · ".join(facts)]
        if dimension.folded:
            lines.append("folded: " + esc(", ".join(parent for _, _, parent, _ in dimension.folded)))
        lines += [f"hierarchy: {esc(' > '.join(level))}" for level in dimension.hierarchies]
        if dimension.roles:
            lines.append("roles: " + esc(", ".join(dimension.roles)))
        parts.append(
            f'<div class="card">{badge(dimension.kind + " dimension", "ok")} <b><code>{esc(dimension.name)}</code></b>'
            + "".join(f"<p>{line}</p>" for line in lines)
            + _why(dimension.why)
            + "</div>"
        )
    for bridge in design.bridges:
        parts.append(
            f'<div class="card">{badge("bridge", "info")} <b><code>{esc(bridge.name)}</code></b> '
            f"from <code>{esc(bridge.table)}</code>{_why(bridge.why)}</div>"
        )
    if design.excluded:
        rows = [[f"<code>{esc(name)}</code>", esc(choice.reason)] for name, choice in sorted(design.excluded.items())]
        parts.append("<h4>Not in the star</h4>" + table(["table", "why"], rows))
    if coverage is not None:
        parts.append(_coverage(coverage))
    return view("design", ER_STYLE + DESIGN_STYLE + "".join(parts))


def _bus_matrix(design: StarDesign) -> str:
    matrix = design.bus_matrix()
    if not matrix:
        return ""
    conformed = set(design.conformed())
    names = [d.name for d in design.dimensions if any(d.name in row for row in matrix.values())]
    head = "".join(
        f"<th>{esc(name)}{' ' + badge('conformed', 'ok') if name in conformed else ''}</th>" for name in names
    )
    body = "".join(
        f"<tr><th><code>{esc(fact)}</code></th>"
        + "".join(f"<td>{'✓ ' + esc(', '.join(row[name])) if name in row else ''}</td>" for name in names)
        + "</tr>"
        for fact, row in matrix.items()
    )
    head_row = f"<thead><tr><th></th>{head}</tr></thead>"
    return f'<h4>Bus matrix</h4><table class="grid bus">{head_row}<tbody>{body}</tbody></table>'


def _coverage_line(coverage: Coverage) -> str:
    analytic = [q for q in coverage.queries if not q.oltp]
    answered = [q for q in analytic if q.rewritten is not None]
    return (
        f"<p>{bar(coverage.share, 'ok')}<b>{esc(percent(coverage.share))}</b> of the analytic workload answered "
        f'<span class="muted">({len(answered)} of {len(analytic)} templates; '
        f"{esc(plural(len(coverage.queries) - len(analytic), 'OLTP template'))} stay on the sources)</span></p>"
    )


def _coverage(coverage: Coverage) -> str:
    rows = []
    for query in sorted(coverage.queries, key=lambda q: (q.oltp, -q.time_ms, -q.calls, q.template)):
        if query.oltp:
            state = badge("OLTP", "", "a point lookup or a write: the sources keep serving it")
        elif query.rewritten is not None:
            state = badge("answered", "ok")
        else:
            state = badge("not answered", "warning", query.reason or "")
        joins = (
            f"{query.joins_before} → {query.joins_after}" if query.joins_after is not None else str(query.joins_before)
        )
        detail = (
            f"<details><summary>rewritten</summary>{highlight_sql(query.rewritten)}</details>"
            if query.rewritten
            else esc(query.reason or "")
        )
        rows.append(
            [
                state,
                f"<code>{esc(query.template)}</code>",
                esc(query.calls),
                esc(format_duration(query.time_ms or None)),
                esc(joins),
                detail,
            ]
        )
    return "<h4>Workload coverage</h4>" + table(["", "template", "calls", "time", "joins", "on the star"], rows)


DESIGN_STYLE = """<style>
.sqltune-design .why{font-size:12px;margin:.2em 0 .4em;padding-left:8px;border-left:3px solid rgba(34,165,89,.6)}
.sqltune-design table.bus td{text-align:center}
</style>"""
