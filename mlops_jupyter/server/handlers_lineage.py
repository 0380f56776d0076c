"""REST end point for the lineage graph around a run, a dataset version or a model version.

The graph is ``mj.lineage``'s (``tracking/lineage.py``): edges follow the data, ``upstream``
is what the target was made from, ``downstream`` what was made from it; ``both`` merges the
two. Over REST a target is only ever looked up in the store (run id or prefix, dataset id, uri
or fingerprint, ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``): ``mj.lineage`` also
accepts a file path and fingerprints the file, which would let a request probe files outside
the server root, so such targets are refused before it is called.
"""

from __future__ import annotations

from typing import Any

import tornado.web

from mlops_jupyter.server.openapi import (
    DEFAULT_LINEAGE_DEPTH,
    LINEAGE_DIRECTIONS,
    MAX_LINEAGE_DEPTH,
)
from mlops_jupyter.server.rest import ErrorStatuses, StoreHandler
from mlops_jupyter.server.validation import ApiError, check_text, choice_argument, int_argument
from mlops_jupyter.store import Store
from mlops_jupyter.tracking.lineage import LineageGraph, LineageTargetError, lineage
from mlops_jupyter.tracking.query import RunNotFoundError, resolve_run_id


def stored_target(store: Store, target: str) -> str:
    """``target`` if the store knows it as a run, dataset or model URI; 404 otherwise."""
    if target.startswith("models:/"):
        return target
    try:
        return resolve_run_id(target, store)
    except RunNotFoundError as error:
        if "matches several" in str(error):
            raise
    if store.lineage.find_datasets(target):
        return target
    raise ApiError(404, f"no run, dataset or model version {target!r}")


def _graphs(store: Store, target: str, direction: str, depth: int) -> list[LineageGraph]:
    directions = ("upstream", "downstream") if direction == "both" else (direction,)
    return [lineage(target, way, max_depth=depth, store=store) for way in directions]


def lineage_graph(store: Store, target: str, direction: str, depth: int) -> dict[str, Any]:
    graphs = _graphs(store, stored_target(store, target), direction, depth)
    nodes = {node.key: node for graph in graphs for node in graph.nodes}
    edges = {(e.source, e.target, e.role): e for graph in graphs for e in graph.edges}
    roots = graphs[0].roots
    return {
        "root": roots[0],
        "roots": roots,
        "direction": direction,
        "nodes": [
            {
                "id": key,
                "type": node.type,
                "node_id": node.id,
                "label": node.label,
                "attributes": node.attributes,
            }
            for key, node in nodes.items()
        ],
        "edges": [
            {"source": e.source, "target": e.target, "role": e.role, "name": e.name}
            for e in edges.values()
        ],
    }


class LineageHandler(StoreHandler):
    error_statuses: ErrorStatuses = ((LineageTargetError, 404), *StoreHandler.error_statuses)

    @tornado.web.authenticated
    async def get(self, target: str) -> None:
        graph = await self.in_store(
            lineage_graph,
            check_text("id", target),
            choice_argument(self, "direction", LINEAGE_DIRECTIONS, "upstream"),
            int_argument(self, "depth", DEFAULT_LINEAGE_DEPTH, 1, MAX_LINEAGE_DEPTH),
        )
        self.reply(graph)


handlers = [(r"lineage/(?P<target>.+)", LineageHandler)]
