"""ER diagrams as inline SVG: tables as boxes listing their columns (keys marked), references as arrows from
the referencing column to the referenced one. Drawn for a :class:`~sqltune.schema.Schema` (its foreign keys)
and for a star design (facts pointing at their dimensions, see :mod:`sqltune.reporters.html.design`).

Laid out by :func:`sqltune.reporters.html._svg.layered`, references pointing right: referencing tables on
the left, the tables they reference to their right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqltune.reporters.html._base import ID, esc, plural, table, view
from sqltune.reporters.html._svg import clip, curve, layered, text_width

if TYPE_CHECKING:
    from sqltune.schema import Schema

__all__ = ["ErLink", "ErTable", "er_diagram", "render_schema"]

HEADER = 22.0
ROW = 16.0
PAD = 8.0
#: Columns listed in a box; the rest are counted in a last row.
MAX_COLUMNS = 24
#: Tables drawn; a larger schema lists the rest by name.
MAX_TABLES = 150


@dataclass(slots=True)
class ErTable:
    name: str
    kind: str = "table"  # "table", "fact", "dimension", "bridge": the header's colour
    columns: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, flags: "PK", "FK", "PK FK")
    note: str = ""  # a second header line ("grain: ...", "SCD type 2")


@dataclass(slots=True)
class ErLink:
    child: str
    child_columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    label: str = ""


def _box_size(item: ErTable) -> tuple[float, float]:
    rows = min(len(item.columns), MAX_COLUMNS) + (1 if len(item.columns) > MAX_COLUMNS else 0)
    texts = [item.name, item.note] + [_row_text(column) for column in item.columns[:MAX_COLUMNS]]
    width = max(text_width(clip(text)) for text in texts) + 2 * PAD + 10
    height = HEADER + (ROW if item.note else 0) + rows * ROW + 6
    return max(width, 90.0), height


def _row_text(column: tuple[str, str, str]) -> str:
    name, kind, flags = column
    return " ".join(part for part in (flags, name, kind.lower()) if part)


def er_diagram(tables: Sequence[ErTable], links: Sequence[ErLink]) -> str:
    """The diagram as one ``<svg>`` element (boxes with a tooltip each, arrows with their labels)."""
    tables = list(tables)[:MAX_TABLES]
    by_name = {item.name: item for item in tables}
    links = [link for link in links if link.child in by_name and link.parent in by_name]
    sizes = {item.name: _box_size(item) for item in tables}
    placed, width, height = layered(sizes, [(link.child, link.parent) for link in links])
    margin = 10.0
    parts = [
        f'<svg class="er" xmlns="http://www.w3.org/2000/svg" width="{width + 2 * margin:.0f}" '
        f'height="{height + 2 * margin:.0f}" role="img" aria-label="ER diagram">'
        f'<defs><marker id="{ID}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="head"/></marker></defs>'
        f'<g transform="translate({margin},{margin})">'
    ]
    for link in links:
        parts.append(_link(link, by_name, placed, sizes))
    for item in tables:
        parts.append(_box(item, placed[item.name], sizes[item.name]))
    parts.append("</g></svg>")
    return "".join(parts)


def _row_y(item: ErTable, columns: tuple[str, ...], top: float) -> float:
    """The middle of the first of ``columns`` in the box (the header's middle when it is not listed)."""
    names = [name.lower() for name, _, _ in item.columns[:MAX_COLUMNS]]
    first = columns[0].lower() if columns else ""
    offset = HEADER + (ROW if item.note else 0)
    if first in names:
        return top + offset + names.index(first) * ROW + ROW / 2 + 3
    return top + HEADER / 2


def _link(
    link: ErLink,
    by_name: dict[str, ErTable],
    placed: dict[str, tuple[float, float]],
    sizes: dict[str, tuple[float, float]],
) -> str:
    (cx, cy), (px, py) = placed[link.child], placed[link.parent]
    (cw, _), (pw, _) = sizes[link.child], sizes[link.parent]
    y1 = _row_y(by_name[link.child], link.child_columns, cy)
    y2 = _row_y(by_name[link.parent], link.parent_columns, py)
    if link.child == link.parent:  # a self-reference: a loop on the right side
        x = cx + cw
        path = f"M{x:.1f},{y1:.1f} C{x + 40:.1f},{y1:.1f} {x + 40:.1f},{y2:.1f} {x:.1f},{y2:.1f}"
    elif px >= cx + cw:
        path = curve(cx + cw, y1, px, y2)
    elif px + pw <= cx:
        path = curve(cx, y1, px + pw, y2)
    else:  # in one column (boxes without a layer of their own): out and back on the right
        x = max(cx + cw, px + pw)
        path = f"M{cx + cw:.1f},{y1:.1f} C{x + 50:.1f},{y1:.1f} {x + 50:.1f},{y2:.1f} {px + pw:.1f},{y2:.1f}"
    title = f"{link.child}({', '.join(link.child_columns)}) → {link.parent}({', '.join(link.parent_columns)})"
    label = ""
    if link.label:
        lx, ly = _midpoint(path)
        text = esc(clip(link.label, 24))
        label = f'<text class="elabel" x="{lx:.1f}" y="{ly - 3:.1f}" text-anchor="middle">{text}</text>'
    return f'<g class="link"><title>{esc(title)}</title><path d="{path}" marker-end="url(#{ID}-arrow)"/>{label}</g>'


def _midpoint(path: str) -> tuple[float, float]:
    numbers = [float(value) for value in path.replace("M", "").replace("C", " ").replace(",", " ").split()]
    return (numbers[0] + numbers[-2]) / 2, (numbers[1] + numbers[-1]) / 2


def _box(item: ErTable, corner: tuple[float, float], size: tuple[float, float]) -> str:
    x, y = corner
    width, height = size
    tooltip = f"{item.name}" + (f" ({item.note})" if item.note else "")
    parts = [
        f'<g class="table {esc(item.kind)}"><title>{esc(tooltip)}</title>',
        f'<rect class="box" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" rx="4"/>',
        f'<rect class="header" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{HEADER}" rx="4"/>',
        f'<text class="name" x="{x + PAD:.1f}" y="{y + 15:.1f}">{esc(clip(item.name))}</text>',
    ]
    row_y = y + HEADER
    if item.note:
        parts.append(f'<text class="note" x="{x + PAD:.1f}" y="{row_y + 12:.1f}">{esc(clip(item.note))}</text>')
        row_y += ROW
    for name, kind, flags in item.columns[:MAX_COLUMNS]:
        key = f'<tspan class="key">{esc(flags)} </tspan>' if flags else ""
        parts.append(
            f'<text class="col" x="{x + PAD:.1f}" y="{row_y + 12:.1f}">{key}{esc(clip(name, 30))}'
            f'<tspan class="type"> {esc(clip(kind.lower(), 18))}</tspan></text>'
        )
        row_y += ROW
    if len(item.columns) > MAX_COLUMNS:
        more = plural(len(item.columns) - MAX_COLUMNS, "more column")
        parts.append(f'<text class="note" x="{x + PAD:.1f}" y="{row_y + 12:.1f}">… {esc(more)}</text>')
    parts.append("</g>")
    return "".join(parts)


ER_STYLE = """<style>
.sqltune-view svg.er,.sqltune-view svg.qgraph{display:block;margin:.4em 0 .8em}
.sqltune-view svg .box{fill:rgba(127,127,127,.06);stroke:rgba(127,127,127,.7);stroke-width:1}
.sqltune-view svg .header{fill:rgba(59,130,246,.22);stroke:rgba(127,127,127,.7)}
.sqltune-view svg .fact .header{fill:rgba(249,115,22,.28)}
.sqltune-view svg .dimension .header{fill:rgba(34,165,89,.24)}
.sqltune-view svg .bridge .header{fill:rgba(168,85,247,.24)}
.sqltune-view svg text{fill:currentColor;font-size:12px}
.sqltune-view svg text.name{font-weight:600}
.sqltune-view svg text.note,.sqltune-view svg tspan.type{opacity:.65;font-size:11px}
.sqltune-view svg tspan.key{font-weight:600;font-size:10px;fill:#d97706}
.sqltune-view svg .link path{fill:none;stroke:rgba(127,127,127,.85);stroke-width:1.3}
.sqltune-view svg path.head{fill:rgba(127,127,127,.9);stroke:none}
.sqltune-view svg text.elabel{font-size:10.5px;opacity:.85;paint-order:stroke;stroke:var(--jp-layout-color0,
 var(--vscode-editor-background,#fff));stroke-width:3px}
</style>"""


def schema_tables(schema: Schema) -> tuple[list[ErTable], list[ErLink]]:
    """The schema's tables and foreign keys as ER boxes and links."""
    tables, links = [], []
    for item in sorted(schema, key=lambda t: t.qualified_name.lower()):
        foreign = {column.lower() for key in item.foreign_keys for column in key.columns}
        primary = {column.lower() for column in item.primary_key}
        columns = []
        for column in item.columns.values():
            flags = " ".join(
                flag
                for flag, on in (("PK", column.name.lower() in primary), ("FK", column.name.lower() in foreign))
                if on
            )
            columns.append((column.name, column.type, flags))
        tables.append(ErTable(item.qualified_name, "table", columns))
        for key in item.foreign_keys:
            target = schema.table(key.ref_table)
            parent = target.qualified_name if target is not None else key.ref_table
            links.append(
                ErLink(
                    item.qualified_name, key.columns, parent, key.ref_columns or (target.primary_key if target else ())
                )
            )
    return tables, links


def render_schema(schema: Schema) -> str:
    tables, links = schema_tables(schema)
    summary = f'<p class="summary">{esc(plural(len(tables), "table"))}, {esc(plural(len(links), "foreign key"))}</p>'
    parts = ["<h3>sqltune schema</h3>", summary, er_diagram(tables, links)]
    if len(tables) > MAX_TABLES:
        rest = ", ".join(item.name for item in tables[MAX_TABLES:])
        parts.append(f'<p class="muted">Not drawn ({len(tables) - MAX_TABLES}): {esc(rest)}</p>')
    rows = [
        [
            f"<code>{esc(link.child)}</code>({esc(', '.join(link.child_columns))})",
            f"<code>{esc(link.parent)}</code>({esc(', '.join(link.parent_columns))})",
        ]
        for link in links
    ]
    if rows:
        parts.append("<details><summary>Foreign keys</summary>" + table(["from", "to"], rows) + "</details>")
    return view("schema", ER_STYLE + "".join(parts))
