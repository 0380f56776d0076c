"""Small inline SVG charts (sparklines, line, bar and paired histogram charts): the one chart
module of the notebook views. Static markup that renders the same in JupyterLab, nbconvert HTML
and a saved notebook, with no plotting library and no JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def _finite(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]


def _scale(
    low: float, high: float, size: float, pad: float, flip: bool = False
) -> tuple[float, float]:
    """(factor, offset) mapping [low, high] onto [pad, size - pad] (flipped for the y axis)."""
    span = high - low or 1.0
    factor = (size - 2 * pad) / span
    if flip:
        return -factor, size - pad + low * factor
    return factor, pad - low * factor


def _polyline(
    points: list[tuple[float, float]],
    box: tuple[float, float, float, float],
    width: float,
    height: float,
    pad: float,
) -> str:
    x_factor, x_offset = _scale(box[0], box[1], width, pad)
    y_factor, y_offset = _scale(box[2], box[3], height, pad, flip=True)
    return " ".join(
        f"{x * x_factor + x_offset:.1f},{y * y_factor + y_offset:.1f}" for x, y in points
    )


def sparkline(
    values: Sequence[float], width: int = 80, height: int = 18, color: str = PALETTE[0]
) -> str:
    """A tiny line of the values in order (empty for fewer than two finite values)."""
    points = _finite([(float(i), float(v)) for i, v in enumerate(values)])
    if len(points) < 2:
        return ""
    ys = [y for _, y in points]
    box = (points[0][0], points[-1][0], min(ys), max(ys))
    line = _polyline(points, box, width, height, 2)
    return (
        f'<svg class="mlops-sparkline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img"><polyline fill="none" stroke="{color}" stroke-width="1.5" points="{line}"/></svg>'
    )


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    title: str,
    width: int = 360,
    height: int = 180,
) -> str:
    """One polyline per series of (step, value) points, with a legend and the value range."""
    cleaned = {label: _finite(points) for label, points in series.items()}
    cleaned = {label: points for label, points in cleaned.items() if points}
    if not cleaned:
        return ""
    xs = [x for points in cleaned.values() for x, _ in points]
    ys = [y for points in cleaned.values() for _, y in points]
    box = (min(xs), max(xs), min(ys), max(ys))
    pad = 24
    lines, legend = [], []
    for index, (label, points) in enumerate(cleaned.items()):
        color = PALETTE[index % len(PALETTE)]
        if len(points) == 1:
            x_factor, x_offset = _scale(box[0], box[1], width, pad)
            y_factor, y_offset = _scale(box[2], box[3], height, pad, flip=True)
            x, y = points[0]
            lines.append(
                f'<circle cx="{x * x_factor + x_offset:.1f}" cy="{y * y_factor + y_offset:.1f}" r="3" fill="{color}"/>'
            )
        else:
            lines.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="1.5" '
                f'points="{_polyline(points, box, width, height, pad)}"/>'
            )
        legend.append(f'<span style="color:{color}">&#9632; {escape(label)}</span>')
    return (
        f'<figure class="mlops-chart"><figcaption><b>{escape(title)}</b> '
        f"<small>{box[2]:.4g} … {box[3]:.4g}</small></figcaption>"
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="none" stroke="#ddd"/>'
        + "".join(lines)
        + f"</svg><div>{' '.join(legend)}</div></figure>"
    )


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, width: int = 360) -> str:
    """Horizontal bars, one per label, scaled to the largest magnitude."""
    rows = [
        (label, value) for label, value in zip(labels, values, strict=True) if math.isfinite(value)
    ]
    if not rows:
        return ""
    bar_height, label_width = 18, 120
    top = max(abs(value) for _, value in rows) or 1.0
    height = bar_height * len(rows) + 4
    bars = []
    for index, (label, value) in enumerate(rows):
        y = index * bar_height + 2
        length = (width - label_width - 60) * abs(value) / top
        color = PALETTE[index % len(PALETTE)]
        bars.append(
            f'<text x="{label_width - 4}" y="{y + 13}" text-anchor="end" font-size="11">{escape(label[:20])}</text>'
            f'<rect x="{label_width}" y="{y + 2}" width="{length:.1f}" height="{bar_height - 4}" fill="{color}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 13}" font-size="11">{value:.4g}</text>'
        )
    return (
        f'<figure class="mlops-chart"><figcaption><b>{escape(title)}</b></figcaption>'
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
        + "".join(bars)
        + "</svg></figure>"
    )


REFERENCE_COLOR = "#1f77b4"
CURRENT_COLOR = "#ff7f0e"


def histogram_svg(histogram: dict[str, Any], width: int = 120, height: int = 32) -> str:
    """Paired bars per bin (reference blue, current orange), heights as shares."""
    ref = [float(v or 0) for v in histogram.get("reference", [])]
    cur = [float(v or 0) for v in histogram.get("current", [])]
    if not ref or len(ref) != len(cur):
        return ""
    top = max([*ref, *cur, 1e-12])
    slot = width / len(ref)
    bar = max(slot / 2 - 0.5, 0.5)
    labels = histogram.get("labels")
    edges = histogram.get("edges")
    parts = []
    for i, (r, c) in enumerate(zip(ref, cur, strict=True)):
        x = i * slot
        name = (
            str(labels[i])
            if labels
            else (f"{edges[i]:.3g} – {edges[i + 1]:.3g}" if edges and len(edges) > i + 1 else "")
        )
        tip = escape(f"{name}: reference {r:.1%}, current {c:.1%}")
        for offset, share, color in ((0.0, r, REFERENCE_COLOR), (bar, c, CURRENT_COLOR)):
            h = (height - 2) * share / top
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{tip}</title></rect>'
            )
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="reference versus current distribution">' + "".join(parts) + "</svg>"
    )
