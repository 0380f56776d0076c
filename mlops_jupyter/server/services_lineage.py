"""Lineage for the REST API: the graph around a run, a dataset version or a model version.

The graph is ``mj.lineage``'s (``tracking/lineage.py``): edges follow the data, ``upstream``
is what the target was made from, ``downstream`` what was made from it; ``both`` merges the
two. Over REST a target is only ever looked up in the store (run id or prefix, dataset id, uri
or fingerprint, ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``): ``mj.lineage`` also
accepts a file path and fingerprints the file, which would let a request probe files outside
the server root, so such targets are refused before it is called.
"""

from __future__ import annotations

from mlops_jupyter.server.models import LineageGraph, LineageQuery
from mlops_jupyter.server.serialize import json_safe
from mlops_jupyter.server.validation import ApiError
from mlops_jupyter.store import Store
from mlops_jupyter.tracking.lineage import lineage
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


def lineage_graph(store: Store, target: str, query: LineageQuery) -> LineageGraph:
    target = stored_target(store, target)
    ways = ("upstream", "downstream") if query.direction == "both" else (query.direction,)
    graphs = [lineage(target, way, max_depth=query.depth, store=store) for way in ways]
    nodes = {node.key: node for graph in graphs for node in graph.nodes}
    edges = {(e.source, e.target, e.role): e for graph in graphs for e in graph.edges}
    roots = graphs[0].roots
    return LineageGraph.model_validate(
        {
            "root": roots[0],
            "roots": roots,
            "direction": query.direction,
            "nodes": [
                {
                    "id": key,
                    "type": node.type,
                    "node_id": node.id,
                    "label": node.label,
                    "attributes": json_safe(node.attributes),
                }
                for key, node in nodes.items()
            ],
            "edges": [
                {"source": e.source, "target": e.target, "role": e.role, "name": e.name}
                for e in edges.values()
            ],
        }
    )
