"""Artifacts as the tracking layer sees them: a file, a directory or an in-memory object turned
into bytes, put in the content-addressed blob store, and recorded under a name on the run.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter.store.blobs import safe_artifact_name

if TYPE_CHECKING:
    from mlops_jupyter.store import Store


def object_bytes(obj: Any) -> tuple[bytes, str, str]:
    """(bytes, default file name, media type) for an object; TypeError when we cannot."""
    if isinstance(obj, bytes):
        return obj, "data.bin", "application/octet-stream"
    if isinstance(obj, (dict, list, tuple)):
        return json.dumps(obj, indent=2, default=str).encode(), "data.json", "application/json"
    module = type(obj).__module__
    if module.startswith("pandas") and hasattr(obj, "to_csv"):
        return obj.to_csv().encode(), "data.csv", "text/csv"
    if hasattr(obj, "savefig"):  # a matplotlib figure
        buffer = io.BytesIO()
        obj.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue(), "figure.png", "image/png"
    if module.startswith("sklearn") or (hasattr(obj, "get_params") and hasattr(obj, "fit")):
        import skops.io  # noqa: PLC0415 - start-up: skops is imported on first use

        return skops.io.dumps(obj), "model.skops", "application/x-skops"
    raise TypeError(
        f"cannot store a {type(obj).__name__} as an artifact: pass a file path, bytes, "
        "dict/list, a DataFrame, a matplotlib figure or a scikit-learn estimator"
    )


def store_artifact(store: Store, run_id: str, path_or_obj: Any, name: str | None) -> str:
    """Put the bytes in the blob store and record them under ``name``; returns the name."""
    if isinstance(path_or_obj, (str, os.PathLike)) and Path(path_or_obj).exists():
        path = Path(path_or_obj)
        if path.is_dir():
            base = safe_artifact_name(name or path.name)
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                store_artifact(store, run_id, child, f"{base}/{child.relative_to(path).as_posix()}")
            return base
        artifact_name = safe_artifact_name(name or path.name)
        digest = store.blobs.put_file(path)
        store.runs.add_artifact(run_id, artifact_name, digest, path.stat().st_size, None)
        store.blobs.ensure(digest, path.read_bytes)  # in case gc ran between the two
        return artifact_name
    if isinstance(path_or_obj, (str, os.PathLike)):
        raise FileNotFoundError(f"cannot log artifact {path_or_obj!s}: no such file or directory")
    data, default_name, media_type = object_bytes(path_or_obj)
    artifact_name = safe_artifact_name(name or default_name)
    return _record(store, run_id, artifact_name, data, media_type)


def _record(store: Store, run_id: str, name: str, data: bytes, media_type: str | None) -> str:
    """Blob first, then the row naming it, then make sure the blob is still there: a ``gc``
    running between the two could have removed a blob that nothing referenced yet."""
    digest = store.blobs.put_bytes(data)
    store.runs.add_artifact(run_id, name, digest, len(data), media_type)
    store.blobs.ensure(digest, lambda: data)
    return name


def store_bytes(store: Store, run_id: str, data: bytes, name: str, media_type: str) -> str:
    """Record ``data`` as the run's artifact ``name`` with an explicit media type."""
    return _record(store, run_id, safe_artifact_name(name), data, media_type)


def read_artifact(store: Store, run_id: str, name: str) -> bytes:
    """The verified bytes of a run's artifact."""
    wanted = safe_artifact_name(name)
    for record in store.runs.list_artifacts(run_id):
        if record["name"] == wanted:
            return store.blobs.get_bytes(record["digest"])
    raise KeyError(f"run {run_id} has no artifact named {wanted!r}")
