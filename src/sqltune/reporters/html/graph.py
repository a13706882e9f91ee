"""The query graph view: a :class:`~sqltune.graph.QueryGraph` as an inline SVG diagram and two tables.

Scopes (the statement, CTE bodies, derived tables, subqueries, UNION branches) are dashed boxes; relations
are boxes listing the columns the statement uses from them, each with its roles (``=`` filter, range, join
key, GROUP BY...). Arrows: a scope contains its relations, a CTE reference or derived table is defined by a
scope, a scope nests its subqueries (labelled ``in``, ``exists``, ``scalar``...). Joins are bold arcs
between the joined relations, labelled with their kind (the keys in the tooltip and the joins table). Below:
the joins and the column uses as
tables, and the statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqltune.reporters.html._base import ID, badge, esc, highlight_sql, plural, table, view
from sqltune.reporters.html._svg import clip, curve, layered, text_width
from sqltune.reporters.html.er import ER_STYLE

if TYPE_CHECKING:
    from sqltune.graph import QueryGraph, Relation

__all__ = ["render_query_graph"]

HEADER = 22.0
ROW = 16.0
PAD = 8.0
MAX_COLUMNS = 12
#: Short names of the column roles, as the boxes show them.
ROLES = {
    "equality": "=",
    "range": "range",
    "in_list": "in",
    "like_prefix": "like x%",
    "like_wildcard": "like %x",
    "is_null": "null?",
    "filter": "filter",
    "join_key": "join",
    "group_by": "group",
    "order_by": "order",
    "projection": "select",
    "aggregate": "agg",
    "window_partition": "partition",
    "window_order": "w-order",
    "assignment": "set",
}


def _columns(graph: QueryGraph) -> dict[str, dict[str, list[str]]]:
    """Relation id -> column -> its roles, in the order the statement uses them."""
    found: dict[str, dict[str, list[str]]] = {}
    for use in graph.uses:
        if use.column.relation is None:
            continue
        roles = found.setdefault(use.column.relation, {}).setdefault(use.column.column, [])
        role = ROLES.get(use.role.value, use.role.value)
        if role not in roles:
            roles.append(role)
    return found


def _relation_label(relation: Relation) -> str:
    name = relation.name if relation.alias in ("", relation.name) else f"{relation.name} {relation.alias}"
    return name if relation.kind == "table" else f"{relation.kind}: {name}"


def render_query_graph(graph: QueryGraph) -> str:
    columns = _columns(graph)
    sizes: dict[str, tuple[float, float]] = {}
    labels: dict[str, str] = {}
    rows: dict[str, list[tuple[str, str]]] = {}
    for scope in graph.scopes.values():
        label = f"{scope.kind} {scope.id}" + (" (correlated)" if scope.correlated else "")
        labels[scope.id] = label
        rows[scope.id] = []
        sizes[scope.id] = (max(text_width(label) + 2 * PAD, 80.0), HEADER + 4)
    for relation in graph.relations.values():
        label = _relation_label(relation)
        used = columns.get(relation.id, {})
        lines = [(clip(name, 30), clip(" · ".join(roles), 30)) for name, roles in list(used.items())[:MAX_COLUMNS]]
        if len(used) > MAX_COLUMNS:
            lines.append((f"… {plural(len(used) - MAX_COLUMNS, 'more column')}", ""))
        labels[relation.id], rows[relation.id] = label, lines
        width = max([text_width(clip(label))] + [text_width(f"{name} {roles}") for name, roles in lines]) + 2 * PAD
        sizes[relation.id] = (max(width, 80.0), HEADER + len(lines) * ROW + 4)

    edges: list[tuple[str, str, str, str]] = []  # (source, target, kind, label)
    for scope in graph.scopes.values():
        if scope.parent is not None and scope.kind not in ("cte", "derived"):
            edges.append((scope.parent, scope.id, "nests", scope.how or scope.kind))
        edges.extend((scope.id, relation_id, "contains", "") for relation_id in scope.relations)
    for relation in graph.relations.values():
        if relation.defined_by is not None and relation.defined_by in graph.scopes:
            edges.append((relation.id, relation.defined_by, "defines", ""))
    if graph.target is not None and graph.target.id in graph.relations:
        root = next(iter(graph.scopes), None)
        if root is not None and graph.target.id not in graph.scopes[root].relations:
            edges.append((root, graph.target.id, "writes", "writes"))
    placed, width, height = layered(sizes, [(source, target) for source, target, _, _ in edges])
    svg = _svg(graph, sizes, labels, rows, placed, width, height, edges)
    parts = [
        "<h3>sqltune query graph</h3>",
        f'<p class="summary">{esc(plural(len(graph.scopes), "scope"))}, '
        f"{esc(plural(len(graph.relations), 'relation'))}, {esc(plural(len(graph.joins), 'join'))}"
        + (f" · {badge(plural(len(graph.ambiguous), 'ambiguous column'), 'warning')}" if graph.ambiguous else "")
        + "</p>",
        svg,
        _joins(graph),
        _uses(graph),
        f"<details><summary>Statement</summary>{highlight_sql(graph.statement.sql(pretty=True))}</details>",
    ]
    return view("graph", ER_STYLE + GRAPH_STYLE + "".join(parts))


def _svg(
    graph: QueryGraph,
    sizes: dict[str, tuple[float, float]],
    labels: dict[str, str],
    rows: dict[str, list[tuple[str, str]]],
    placed: dict[str, tuple[float, float]],
    width: float,
    height: float,
    edges: Sequence[tuple[str, str, str, str]],
) -> str:
    margin, reach = 10.0, 90.0  # room on the right for the join arcs and their labels
    out = [
        f'<svg class="qgraph" xmlns="http://www.w3.org/2000/svg" width="{width + 2 * margin + reach:.0f}" '
        f'height="{height + 2 * margin:.0f}" role="img" aria-label="query graph">'
        f'<defs><marker id="{ID}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="head"/></marker></defs>'
        f'<g transform="translate({margin},{margin})">'
    ]
    for source, target, kind, label in edges:
        (sx, sy), (tx, ty) = placed[source], placed[target]
        source_width = sizes[source][0]
        path = (
            curve(sx + source_width, sy + HEADER / 2, tx, ty + HEADER / 2)
            if tx >= sx + source_width
            else curve(sx, sy + HEADER / 2, tx + sizes[target][0], ty + HEADER / 2)
        )
        text = ""
        if label:
            text = (
                f'<text class="elabel" x="{(sx + source_width + tx) / 2:.1f}" y="{(sy + ty + HEADER) / 2 - 3:.1f}" '
                f'text-anchor="middle">{esc(clip(label, 20))}</text>'
            )
        out.append(
            f'<g class="link {esc(kind)}"><title>{esc(kind)}</title><path d="{path}" marker-end="url(#{ID}-arrow)"/>'
            f"{text}</g>"
        )
    for join in graph.joins:
        if join.left not in placed or join.right not in placed:
            continue
        (lx, ly), (rx, ry) = placed[join.left], placed[join.right]
        (lw, _), (rw, _) = sizes[join.left], sizes[join.right]
        x1, y1, x2, y2 = lx + lw, ly + HEADER / 2, rx + rw, ry + HEADER / 2
        bend = max(x1, x2) + 45
        path = f"M{x1:.1f},{y1:.1f} C{bend:.1f},{y1:.1f} {bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        keys = ", ".join(f"{a.column}={b.column}" for a, b in join.equi)
        label = f"{join.kind} {keys}".strip()
        out.append(
            f'<g class="link join"><title>{esc(label)}</title><path d="{path}"/>'
            f'<text class="elabel" x="{bend - 6:.1f}" y="{(y1 + y2) / 2 + 4:.1f}">{esc(clip(join.kind, 10))}</text></g>'
        )
    for node_id, (x, y) in placed.items():
        box_width, box_height = sizes[node_id]
        kind = "scope" if node_id in graph.scopes else "relation"
        out.append(
            f'<g class="{kind}"><title>{esc(labels[node_id])}</title>'
            f'<rect class="box" x="{x:.1f}" y="{y:.1f}" width="{box_width:.1f}" height="{box_height:.1f}" rx="5"/>'
            f'<text class="name" x="{x + PAD:.1f}" y="{y + 15:.1f}">{esc(clip(labels[node_id]))}</text>'
        )
        for index, (name, roles) in enumerate(rows[node_id]):
            out.append(
                f'<text class="col" x="{x + PAD:.1f}" y="{y + HEADER + index * ROW + 12:.1f}">{esc(clip(name, 30))}'
                f'<tspan class="type"> {esc(clip(roles, 30))}</tspan></text>'
            )
        out.append("</g>")
    out.append("</g></svg>")
    return "".join(out)


def _joins(graph: QueryGraph) -> str:
    if not graph.joins:
        return ""
    names = {relation.id: _relation_label(relation) for relation in graph.relations.values()}
    rows = [
        [
            esc(names.get(join.left, join.left)),
            esc(join.kind),
            esc(names.get(join.right, join.right)),
            "<br>".join(f"<code>{esc(a)} = {esc(b)}</code>" for a, b in join.equi) or '<span class="muted">none</span>',
            esc(len(join.other)) if join.other else "",
        ]
        for join in graph.joins
    ]
    return "<h4>Joins</h4>" + table(["left", "kind", "right", "equi-join keys", "other predicates"], rows, "joins")


def _uses(graph: QueryGraph) -> str:
    columns = _columns(graph)
    names = {relation.id: _relation_label(relation) for relation in graph.relations.values()}
    unsargable = {(use.column.relation, use.column.column) for use in graph.uses if not use.sargable}
    rows = [
        [
            esc(names.get(relation_id, relation_id)),
            f"<code>{esc(column)}</code>"
            + (
                badge("not sargable", "warning", "a function or cast wraps it in a predicate")
                if (relation_id, column) in unsargable
                else ""
            ),
            esc(", ".join(roles)),
        ]
        for relation_id, used in columns.items()
        for column, roles in used.items()
    ]
    if not rows:
        return ""
    return (
        "<details><summary>Column uses</summary>" + table(["relation", "column", "roles"], rows, "uses") + "</details>"
    )


GRAPH_STYLE = """<style>
.sqltune-graph svg .scope .box{stroke-dasharray:4 3;fill:rgba(127,127,127,.04)}
.sqltune-graph svg .relation .box{fill:rgba(59,130,246,.08)}
.sqltune-graph svg .link.join path{stroke:#3b82f6;stroke-width:2}
.sqltune-graph svg .link.nests path{stroke-dasharray:5 3}
.sqltune-graph svg .link.defines path{stroke-dasharray:2 3}
.sqltune-graph svg text.col{font-size:11.5px}
</style>"""
