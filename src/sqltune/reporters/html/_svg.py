"""Diagrams as inline SVG, laid out here (no Graphviz binary): boxes in layers along the edges' direction.

The layout is the classic layered one, small enough to read: cycles are broken by turning back the edges a
depth-first walk meets backwards; each box goes one layer past the furthest box pointing at it (longest
path); a few barycentric sweeps order each layer by the mean position of the neighbours in the layer before
(then after), which removes most crossings; layers are stacked with their boxes centred. Boxes without edges
are set in rows below. Text widths are estimated (no font metrics in the kernel): labels are cut to
:data:`MAX_LABEL` characters, the full text in the box's tooltip.

>>> boxes = {"a": (60, 20), "b": (60, 20), "c": (60, 20), "alone": (60, 20)}
>>> placed, width, height = layered(boxes, [("a", "b"), ("a", "c"), ("c", "a")])
>>> placed["a"][0] < placed["b"][0] == placed["c"][0], placed["alone"][1] > placed["b"][1]
(True, True)
"""

from __future__ import annotations

import graphlib
from collections.abc import Sequence

__all__ = ["MAX_LABEL", "clip", "curve", "layered", "text_width"]

MAX_LABEL = 42
CHAR_WIDTH = 7.0  # at 12px, a little wider than the average glyph of common UI fonts
LAYER_GAP = 70.0
BOX_GAP = 18.0
SWEEPS = 4


def text_width(text: str, size: float = 12.0) -> float:
    return len(text) * CHAR_WIDTH * size / 12.0


def clip(text: str, limit: int = MAX_LABEL) -> str:
    """The text cut to ``limit`` characters, an ellipsis marking the cut.

    >>> clip("a" * 50, 10)
    'aaaaaaaaa…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def curve(x1: float, y1: float, x2: float, y2: float, across: bool = True) -> str:
    """An SVG path from one point to another, bending along the layout's direction."""
    if across:
        middle = (x1 + x2) / 2
        return f"M{x1:.1f},{y1:.1f} C{middle:.1f},{y1:.1f} {middle:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    middle = (y1 + y2) / 2
    return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}"


def _acyclic(names: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The edges with those that close a cycle turned around (self-loops dropped)."""
    successors: dict[str, list[str]] = {name: [] for name in names}
    for source, target in edges:
        if source != target and source in successors and target in successors:
            successors[source].append(target)
    state: dict[str, int] = {}  # 1 on the walk's path, 2 done
    kept: list[tuple[str, str]] = []
    for start in names:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(successors[start]))]
        while stack:
            node, pending = stack[-1]
            following = next(pending, None)
            if following is None:
                state[node] = 2
                stack.pop()
                continue
            target = following
            if state.get(target) == 1:
                kept.append((target, node))  # back edge: reversed
                continue
            kept.append((node, target))
            if target not in state:
                state[target] = 1
                stack.append((target, iter(successors[target])))
    return list(dict.fromkeys(kept))


def layered(
    sizes: dict[str, tuple[float, float]], edges: Sequence[tuple[str, str]], across: bool = True
) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Top-left corners of the boxes (``sizes``: name -> width, height), and the drawing's width and height.
    ``across``: layers run left to right (else top to bottom)."""
    names = list(sizes)
    dag = _acyclic(names, edges)
    linked = [name for name in names if any(name in edge for edge in dag)]
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter({name: () for name in linked})
    predecessors: dict[str, list[str]] = {name: [] for name in linked}
    successors: dict[str, list[str]] = {name: [] for name in linked}
    for source, target in dag:
        sorter.add(target, source)
        predecessors[target].append(source)
        successors[source].append(target)
    rank: dict[str, int] = {}
    for name in sorter.static_order():
        rank[name] = max((rank[p] + 1 for p in predecessors[name]), default=0)
    layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for name in linked:  # input order first: a stable start for the sweeps
        layers[rank[name]].append(name)
    _order(layers, predecessors, successors)

    placed: dict[str, tuple[float, float]] = {}

    def along(name: str) -> float:  # extent in the layer's stacking direction
        return sizes[name][1] if across else sizes[name][0]

    def thickness(name: str) -> float:  # extent along the layers' direction
        return sizes[name][0] if across else sizes[name][1]

    extents = [sum(along(name) for name in layer) + BOX_GAP * (len(layer) - 1) for layer in layers]
    longest = max(extents, default=0.0)
    offset = 0.0
    for layer, extent in zip(layers, extents, strict=True):
        depth = max(thickness(name) for name in layer)
        position = (longest - extent) / 2
        for name in layer:
            placed[name] = (offset, position) if across else (position, offset)
            position += along(name) + BOX_GAP
        offset += depth + LAYER_GAP
    width = max((x + sizes[n][0] for n, (x, _) in placed.items()), default=0.0)
    height = max((y + sizes[n][1] for n, (_, y) in placed.items()), default=0.0)

    # Boxes without edges: rows below, as wide as the drawing (or a few boxes when there is no drawing).
    loose = [name for name in names if name not in placed]
    row_width = max(width, 4 * max((sizes[n][0] for n in loose), default=0.0) + 3 * BOX_GAP)
    x, y, row_height = 0.0, height + (LAYER_GAP / 2 if placed else 0.0), 0.0
    for name in loose:
        box_width, box_height = sizes[name]
        if x > 0 and x + box_width > row_width:
            x, y, row_height = 0.0, y + row_height + BOX_GAP, 0.0
        placed[name] = (x, y)
        x += box_width + BOX_GAP
        row_height = max(row_height, box_height)
        width = max(width, x - BOX_GAP)
        height = max(height, y + box_height)
    return placed, width, height


def _order(layers: list[list[str]], predecessors: dict[str, list[str]], successors: dict[str, list[str]]) -> None:
    """Barycentric sweeps, down then up: each box moves to the mean position of its neighbours."""
    for _ in range(SWEEPS):
        for index in range(1, len(layers)):
            _sort(layers[index], layers[index - 1], predecessors)
        for index in range(len(layers) - 2, -1, -1):
            _sort(layers[index], layers[index + 1], successors)


def _sort(layer: list[str], fixed: list[str], neighbours: dict[str, list[str]]) -> None:
    position = {name: index for index, name in enumerate(fixed)}
    current = {name: index for index, name in enumerate(layer)}

    def key(name: str) -> float:
        found = [position[other] for other in neighbours[name] if other in position]
        return sum(found) / len(found) if found else float(current[name])

    layer.sort(key=key)
