"""ER diagrams of a star design: Mermaid (``erDiagram``) and Graphviz DOT.

Each fact points many-to-one at the dimensions it references, one edge per role (the date dimension plays
several); bridges point at both sides of their association.
"""

from __future__ import annotations

import re

from sqltune.design.model import StarColumn, StarDesign

__all__ = ["dot", "mermaid"]


def _type(column: StarColumn) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", (column.type or "text").split("(")[0]).lower() or "text"


def _edges(design: StarDesign) -> list[tuple[str, str, str]]:
    """(from table, to table, label)."""
    edges = [(f.name, r.dimension, r.role) for f in design.facts for r in f.dimensions]
    for bridge in design.bridges:
        for _, parent, _ in bridge.keys:
            dimension = design.dimension(parent)
            if dimension is not None:
                edges.append((bridge.name, dimension.name, parent))
    return edges


def mermaid(design: StarDesign) -> str:
    """The design as a Mermaid ``erDiagram``.

    >>> from sqltune.design.model import Dimension
    >>> print(mermaid(StarDesign(dimensions=[Dimension("dim_x", "regular", "x", ("id",), "x_key", [])])))
    erDiagram
      dim_x {
        bigint x_key PK
      }
    <BLANKLINE>
    """
    lines = ["erDiagram"]
    for dimension in design.dimensions:
        lines.append(f"  {dimension.name} {{")
        lines.append(f"    {'integer' if dimension.kind == 'date' else 'bigint'} {dimension.surrogate_key} PK")
        lines += [f"    {_type(c)} {c.name}" for c in dimension.columns if c.name != dimension.surrogate_key]
        lines.append("  }")
    for fact in design.facts:
        keys = {r.key for r in fact.dimensions}
        lines.append(f"  {fact.name} {{")
        lines += [f"    {_type(c)} {c.name}{' FK' if c.name in keys else ''}" for c in fact.columns]
        lines.append("  }")
    for bridge in design.bridges:
        lines.append(f"  {bridge.name} {{")
        lines += [f"    {_type(c)} {c.name}" for c in bridge.columns]
        lines.append("  }")
    lines += [f'  {source} }}o--|| {target} : "{label}"' for source, target, label in _edges(design)]
    return "\n".join(lines) + "\n"


def dot(design: StarDesign) -> str:
    """The design as a Graphviz digraph (facts as boxes, dimensions as ellipses)."""
    lines = ["digraph star {", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    for fact in design.facts:
        lines.append(f'  "{fact.name}" [shape=box, style=bold, label="{fact.name}\\ngrain: {", ".join(fact.grain)}"];')
    for dimension in design.dimensions:
        scd = f"\\nSCD type {dimension.scd_type}" if dimension.kind == "regular" else ""
        lines.append(f'  "{dimension.name}" [shape=ellipse, label="{dimension.name}{scd}"];')
    for bridge in design.bridges:
        lines.append(f'  "{bridge.name}" [shape=diamond];')
    lines += [f'  "{source}" -> "{target}" [label="{label}"];' for source, target, label in _edges(design)]
    return "\n".join([*lines, "}"]) + "\n"
