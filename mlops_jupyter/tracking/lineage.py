"""``mj.lineage``: the lineage graph of a run, a dataset, a variable or a model version.

Nodes are runs, dataset versions and model versions; edges follow the data: a dataset a run
read points at the run, a dataset (or model version) a run wrote is pointed at by the run.
``upstream`` answers "what was this made from", ``downstream`` "what was made from this".
Cell runs connect through the in-memory data they share: cell A wrote ``df@F``, cell B read
``df@F``, so the graph has A → df → B.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter.store import Store, get_store
from mlops_jupyter.tracking.datasets import DatasetRef
from mlops_jupyter.tracking.display import html
from mlops_jupyter.tracking.fingerprint import fingerprint_file, fingerprint_object
from mlops_jupyter.tracking.memory import is_data
from mlops_jupyter.tracking.query import RunNotFoundError, RunView, resolve_run_id
from mlops_jupyter.tracking.run import Run
from mlops_jupyter.tracking.source import ipython_shell

if TYPE_CHECKING:
    import pandas as pd

DIRECTIONS = ("upstream", "downstream")
NodeKey = tuple[str, str]  # (node type, id): ("run", run_id), ("dataset", dataset_id), ...


class LineageTargetError(LookupError):
    """Nothing in the store matches what ``lineage`` was asked about."""


@dataclass(frozen=True)
class LineageNode:
    """A run, dataset version or model version in a lineage graph."""

    type: str  # run | dataset | model_version
    id: str
    label: str
    attributes: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class LineageEdge:
    """Data flowing from ``source`` to ``target`` (node keys); ``role`` is the run's view of it."""

    source: str
    target: str
    role: str  # input | output
    name: str | None = None


@dataclass
class LineageGraph:
    """What ``mj.lineage`` returns: nodes, edges, ``to_frame()`` and an SVG ``_repr_html_``."""

    nodes: list[LineageNode]
    edges: list[LineageEdge]
    roots: list[str]  # keys of the nodes the graph was asked about
    direction: str

    def node(self, key: str) -> LineageNode:
        for node in self.nodes:
            if node.key == key:
                return node
        raise KeyError(key)

    @property
    def runs(self) -> list[LineageNode]:
        return [node for node in self.nodes if node.type == "run"]

    @property
    def datasets(self) -> list[LineageNode]:
        return [node for node in self.nodes if node.type == "dataset"]

    def to_frame(self) -> pd.DataFrame:
        """One row per edge: source and target with their type and label, role and name."""
        import pandas as pd  # noqa: PLC0415 - start-up: pandas on first use

        by_key = {node.key: node for node in self.nodes}
        columns = [
            "source",
            "source_type",
            "source_label",
            "target",
            "target_type",
            "target_label",
            "role",
            "name",
        ]
        rows = [
            (
                edge.source,
                by_key[edge.source].type,
                by_key[edge.source].label,
                edge.target,
                by_key[edge.target].type,
                by_key[edge.target].label,
                edge.role,
                edge.name,
            )
            for edge in self.edges
        ]
        return pd.DataFrame(rows, columns=columns)

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)

    def __repr__(self) -> str:
        roots = ", ".join(self.node(key).label for key in self.roots)
        return f"<LineageGraph {self.direction} of {roots}: {len(self.nodes)} nodes, {len(self.edges)} edges>"


def lineage(
    target: Any, direction: str = "upstream", *, max_depth: int = 100, store: Store | None = None
) -> LineageGraph:
    """The lineage graph of ``target``: a run (id, unique id prefix, ``Run`` or ``RunView``), a
    dataset (``DatasetRef``, dataset id, uri, fingerprint or file path), a variable name or an
    in-memory DataFrame/Series/ndarray (matched by fingerprint), or a model version
    (``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'upstream' or 'downstream', got {direction!r}")
    store = store or get_store()
    roots = resolve_targets(target, store)
    edges = store.lineage.traverse(roots, direction, max_depth=max_depth)
    return _graph(store, roots, edges, direction)


# -- what the target names --------------------------------------------------------------------
def resolve_targets(target: Any, store: Store) -> list[NodeKey]:
    """The node(s) ``target`` names; LineageTargetError when nothing matches."""
    if isinstance(target, (Run, RunView)):
        return [("run", target.run_id)]
    if isinstance(target, DatasetRef):
        if target.dataset_id:
            return [("dataset", target.dataset_id)]
        return _datasets_matching(store, target.fingerprint, f"dataset {target.uri}")
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if isinstance(target, str):
        return _resolve_text(target.strip(), store)

    if is_data(target):
        return _datasets_matching(
            store, fingerprint_object(target), f"this {type(target).__name__}"
        )
    raise LineageTargetError(
        f"cannot show the lineage of a {type(target).__name__}: pass a run id, a dataset, a "
        "variable name, a DataFrame/Series/ndarray or a models:/ URI"
    )


def _resolve_text(text: str, store: Store) -> list[NodeKey]:
    if text.startswith("models:/"):
        return [("model_version", _model_version_id(text, store))]
    variable = _variable_value(text)
    if variable is not None:
        return _datasets_matching(store, fingerprint_object(variable), f"variable {text!r}")
    run_id = _run_id(text, store)
    if run_id is not None:
        return [("run", run_id)]
    found = store.lineage.find_datasets(text)
    if found:
        return [("dataset", row["dataset_id"]) for row in found]
    if Path(text).expanduser().is_file():
        return _file_datasets(Path(text).expanduser(), store)
    raise LineageTargetError(f"no run, dataset, variable or model version matches {text!r}")


def _variable_value(name: str) -> Any:
    """The data a notebook variable holds, when ``name`` is one (and is data)."""
    shell = ipython_shell()
    if shell is None or not name.isidentifier() or name not in shell.user_ns:
        return None
    value = shell.user_ns[name]
    if not is_data(value):
        raise LineageTargetError(
            f"variable {name!r} holds a {type(value).__name__}, not data: pass a DataFrame, Series or "
            "ndarray variable, a run id, a dataset or a models:/ URI"
        )
    return value


def _run_id(text: str, store: Store) -> str | None:
    try:
        return resolve_run_id(text, store)
    except RunNotFoundError:
        return None


def _datasets_matching(store: Store, fingerprint: str, what: str) -> list[NodeKey]:
    found = store.lineage.find_datasets(fingerprint)
    if not found:
        raise LineageTargetError(
            f"{what} was never recorded by a tracked cell (fingerprint {fingerprint[:12]})"
        )
    return [("dataset", row["dataset_id"]) for row in found]


def _file_datasets(path: Path, store: Store) -> list[NodeKey]:
    uri = path.resolve().as_uri()
    versions = store.lineage.find_datasets(uri)
    if not versions:
        raise LineageTargetError(f"{path} was never read or written by a tracked cell")
    current = fingerprint_file(path)
    same = [row for row in versions if row["fingerprint"] == current]
    return [("dataset", row["dataset_id"]) for row in (same or versions)]


_MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[^/@]+))$")


def _model_version_id(uri: str, store: Store) -> str:
    """The lineage node id of ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``, read from the
    registry's tables through the store (lineage sits below the registry package)."""
    match = _MODEL_URI.match(uri)
    if match is None:
        raise LineageTargetError(
            f"{uri!r} is not a model URI: expected models:/NAME/VERSION or models:/NAME@ALIAS"
        )
    name, alias = match["name"], match["alias"]

    def read(tx: Any) -> dict[str, Any] | None:
        number = int(match["version"]) if alias is None else None
        if alias is not None:
            held = tx.alias(name, alias)
            if held is None:
                return None
            number = int(held["version"])
        assert number is not None
        return tx.version(name, number)  # type: ignore[no-any-return]

    row = store.registry.read(read)
    if row is None:
        raise LineageTargetError(f"no model version {uri}")
    return str(row["version_id"])


# -- building the graph -----------------------------------------------------------------------
def _flow(edge: dict[str, Any]) -> tuple[NodeKey, NodeKey]:
    run: NodeKey = ("run", edge["run_id"])
    node: NodeKey = (edge["node_type"], edge["node_id"])
    return (node, run) if edge["role"] == "input" else (run, node)


def _graph(
    store: Store, roots: list[NodeKey], rows: list[dict[str, Any]], direction: str
) -> LineageGraph:
    keys: dict[NodeKey, None] = dict.fromkeys(roots)
    edges = []
    for row in rows:
        source, target = _flow(row)
        keys.update(dict.fromkeys((source, target)))
        edges.append(LineageEdge(":".join(source), ":".join(target), row["role"], row["name"]))
    version_names = {
        row["node_id"]: row["name"] for row in rows if row["node_type"] == "model_version"
    }
    nodes = list(_nodes(store, list(keys), version_names))
    return LineageGraph(
        nodes=nodes, edges=edges, roots=[":".join(key) for key in roots], direction=direction
    )


def _nodes(
    store: Store, keys: list[NodeKey], version_names: dict[str, str]
) -> Iterator[LineageNode]:
    runs = store.lineage.runs_by_id([node_id for kind, node_id in keys if kind == "run"])
    datasets = store.lineage.datasets_by_id(
        [node_id for kind, node_id in keys if kind == "dataset"]
    )
    for kind, node_id in keys:
        if kind == "run":
            row = runs.get(node_id, {})
            label = row.get("name") or node_id
            yield LineageNode("run", node_id, str(label), row)
        elif kind == "dataset":
            row = datasets.get(node_id, {})
            yield LineageNode("dataset", node_id, _dataset_label(row) or node_id, row)
        else:
            yield LineageNode(kind, node_id, version_names.get(node_id) or node_id, {})


def _dataset_label(row: dict[str, Any]) -> str:
    uri = str(row.get("uri") or "")
    if uri.startswith("memory://"):
        return uri[len("memory://") :]
    if uri.startswith("file://"):
        return Path(uri[len("file://") :]).name
    return uri
