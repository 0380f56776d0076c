"""The lineage graph as static SVG: nodes in columns by their distance along the data flow,
runs blue, datasets green, model versions orange, the nodes asked about drawn bold.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_jupyter.tracking.lineage import LineageGraph

NODE_WIDTH, NODE_HEIGHT, COLUMN_GAP, ROW_GAP, MARGIN = 190, 38, 70, 14, 10
LABEL_LIMIT = 26
COLORS = {
    "run": ("#e8f1fb", "#1f77b4"),
    "dataset": ("#eaf7ea", "#2ca02c"),
    "model_version": ("#fdf0e6", "#ff7f0e"),
}


def layer_of_nodes(keys: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Column of each node: the longest path reaching it from a source (cycles cut short)."""
    layer = dict.fromkeys(keys, 0)
    for _ in range(len(keys)):
        changed = False
        for source, target in edges:
            if layer[target] < layer[source] + 1 <= len(keys):
                layer[target] = layer[source] + 1
                changed = True
        if not changed:
            break
    return layer


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def lineage_svg(graph: LineageGraph) -> str:
    keys = [node.key for node in graph.nodes]
    pairs = [(edge.source, edge.target) for edge in graph.edges]
    layers = layer_of_nodes(keys, pairs)
    columns: dict[int, list[str]] = defaultdict(list)
    labels = {node.key: node.label for node in graph.nodes}
    for key in sorted(keys, key=lambda k: (labels[k], k)):
        columns[layers[key]].append(key)
    position = {}
    for column, members in columns.items():
        for row, key in enumerate(members):
            x = MARGIN + column * (NODE_WIDTH + COLUMN_GAP)
            y = MARGIN + row * (NODE_HEIGHT + ROW_GAP)
            position[key] = (x, y)
    width = MARGIN * 2 + (max(columns, default=0) + 1) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP
    height = (
        MARGIN * 2
        + max((len(m) for m in columns.values()), default=1) * (NODE_HEIGHT + ROW_GAP)
        - ROW_GAP
    )
    parts = [
        f'<svg class="mlops-lineage" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
        '<defs><marker id="mlops-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>',
    ]
    for edge in graph.edges:
        (x1, y1), (x2, y2) = position[edge.source], position[edge.target]
        start, end = (x1 + NODE_WIDTH, y1 + NODE_HEIGHT / 2), (x2, y2 + NODE_HEIGHT / 2)
        bend = max(COLUMN_GAP / 2, abs(end[0] - start[0]) / 3)
        title = escape(edge.name or edge.role)
        parts.append(
            f'<path d="M {start[0]} {start[1]} C {start[0] + bend} {start[1]}, {end[0] - bend} {end[1]}, '
            f'{end[0]} {end[1]}" fill="none" stroke="#888" marker-end="url(#mlops-arrow)"><title>{title}</title></path>'
        )
    roots = set(graph.roots)
    for node in graph.nodes:
        x, y = position[node.key]
        fill, stroke = COLORS.get(node.type, ("#f4f4f4", "#444"))
        parts.append(
            f"<g><title>{escape(node.type)} {escape(node.label)}\n{escape(node.id)}</title>"
            f'<rect x="{x}" y="{y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{3 if node.key in roots else 1}"/>'
            f'<text x="{x + 8}" y="{y + 14}" font-size="10" fill="{stroke}">{escape(node.type.replace("_", " "))}</text>'
            f'<text x="{x + 8}" y="{y + 30}" font-size="12">{escape(_short(node.label))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def lineage_html(graph: LineageGraph) -> str:
    summary = (
        f"<small>{escape(graph.direction)} lineage · {len(graph.runs)} runs · {len(graph.datasets)} datasets · "
        f"{len(graph.edges)} edges</small>"
    )
    return f'<div class="mlops-lineage-view" style="overflow-x:auto">{summary}<br>{lineage_svg(graph)}</div>'
