"""Metric series for charts: a run's metric history reduced to at most N points with LTTB.

Largest-Triangle-Three-Buckets (Steinarsson, 2013) keeps the first and last points and, from each
bucket in between, the point forming the largest triangle with the previously kept point and the
next bucket's average. Unlike taking every k-th point or bucket means, spikes and steps survive,
which is what someone reading a loss curve looks for.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def lttb_indices(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """Indices of the points LTTB keeps (all of them when there are no more than ``n_out``)."""
    n = len(x)
    if n <= n_out or n_out < 3:
        return np.arange(n)
    x = x.astype("f8")
    y = y.astype("f8")
    # bucket b (0-based, n_out - 2 of them) covers the points [edges[b], edges[b + 1])
    edges = (np.floor(np.arange(n_out - 1) * (n - 2) / (n_out - 2)) + 1).astype(np.int64)
    edges[-1] = n - 1
    # average of each bucket, for the triangle that chooses a point in the bucket before it
    sums_x = np.add.reduceat(x[1 : n - 1], edges[:-1] - 1)
    sums_y = np.add.reduceat(y[1 : n - 1], edges[:-1] - 1)
    sizes = np.diff(edges)
    means_x = np.append(sums_x / sizes, x[-1])
    means_y = np.append(sums_y / sizes, y[-1])
    kept = np.empty(n_out, dtype=np.int64)
    kept[0], kept[-1] = 0, n - 1
    previous = 0
    for bucket in range(n_out - 2):
        start, stop = edges[bucket], edges[bucket + 1]
        next_x, next_y = means_x[bucket + 1], means_y[bucket + 1]
        px, py = x[previous], y[previous]
        areas = np.abs((px - next_x) * (y[start:stop] - py) - (px - x[start:stop]) * (next_y - py))
        previous = start + int(np.argmax(areas))
        kept[bucket + 1] = previous
    return kept


def chart_series(history: dict[str, np.ndarray], max_points: int) -> dict[str, Any]:
    """The finite points of one metric, LTTB-reduced to ``max_points``, as JSON-ready columns."""
    steps, values, stamps = history["step"], history["value"], history["timestamp"]
    finite = np.isfinite(values)
    steps, values, stamps = steps[finite], values[finite], stamps[finite]
    kept = lttb_indices(steps, values, max_points)
    return {
        "total_points": len(finite),
        "nonfinite_points": len(finite) - int(finite.sum()),
        "method": "lttb" if len(kept) < len(steps) else "none",
        "step": steps[kept].tolist(),
        "value": values[kept].tolist(),
        "timestamp": stamps[kept].tolist(),
    }
