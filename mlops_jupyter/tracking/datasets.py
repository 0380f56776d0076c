"""Dataset versions as the tracking layer sees them: what ``log_input``/``log_output`` and the
pandas IO hooks record — uri, content fingerprint, format, rows, columns and dtypes — and the
lineage edge that ties it to a run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter.tracking.display import html
from mlops_jupyter.tracking.fingerprint import fingerprint_file, fingerprint_object
from mlops_jupyter.tracking.snapshots import snapshot_datasets

if TYPE_CHECKING:
    from mlops_jupyter.store import Store

_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "text",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".xlsx": "excel",
    ".xls": "excel",
    ".feather": "feather",
    ".arrow": "feather",
    ".pkl": "pickle",
}


@dataclass
class DatasetRef:
    """A dataset version: where it is, its content fingerprint, and its shape."""

    uri: str
    fingerprint: str
    format: str | None = None
    rows: int | None = None
    columns: int | None = None
    schema: dict[str, str] | None = field(default=None)
    dataset_id: str | None = None

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)


def describe_frame(frame: Any) -> tuple[int | None, int | None, dict[str, str] | None]:
    """Rows, columns and dtypes of a DataFrame/Series/ndarray."""
    shape = getattr(frame, "shape", None)
    if shape is None:
        return None, None, None
    rows = int(shape[0]) if len(shape) else None
    columns = int(shape[1]) if len(shape) > 1 else 1
    dtypes = getattr(frame, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):
        schema = {str(name): str(dtype) for name, dtype in dtypes.items()}
    else:
        schema = {str(getattr(frame, "name", None) or "value"): str(getattr(frame, "dtype", ""))}
    return rows, columns, schema


def dataset_from_file(path: str | os.PathLike[str], frame: Any = None) -> DatasetRef:
    resolved = Path(path).expanduser().resolve()
    rows, columns, schema = describe_frame(frame) if frame is not None else (None, None, None)
    return DatasetRef(
        uri=resolved.as_uri(),
        fingerprint=fingerprint_file(resolved),
        format=_FORMATS.get(resolved.suffix.lower(), resolved.suffix.lstrip(".") or None),
        rows=rows,
        columns=columns,
        schema=schema,
    )


def dataset_from_object(obj: Any, name: str | None) -> DatasetRef:
    digest = fingerprint_object(obj)
    rows, columns, schema = describe_frame(obj)
    return DatasetRef(
        uri=f"memory://{name or type(obj).__name__}",
        fingerprint=digest,
        format=type(obj).__name__,
        rows=rows,
        columns=columns,
        schema=schema,
    )


def save_dataset(store: Store, ref: DatasetRef) -> DatasetRef:
    ref.dataset_id = store.lineage.dataset_version(
        ref.uri,
        ref.fingerprint,
        format=ref.format,
        rows=ref.rows,
        columns=ref.columns,
        schema=ref.schema,
    )
    return ref


def link_dataset(
    store: Store, run_id: str, ref: DatasetRef, role: str, name: str | None
) -> DatasetRef:
    """Save the dataset version and add the run→dataset edge."""
    save_dataset(store, ref)
    store.lineage.add_edges(
        [
            {
                "run_id": run_id,
                "node_type": "dataset",
                "node_id": ref.dataset_id,
                "role": role,
                "name": name,
            }
        ]
    )
    return ref


def link_datasets(
    store: Store, run_id: str, uses: Sequence[tuple[DatasetRef, str, str | None]]
) -> None:
    """Save many dataset versions and their run edges in one transaction (a cell's lineage)."""
    if not uses:
        return
    unique: dict[tuple[str, str, str], tuple[DatasetRef, str, str | None]] = {}
    for ref, role, name in uses:
        unique.setdefault((ref.uri, ref.fingerprint, role), (ref, role, name))
    rows = [
        (
            {
                "uri": ref.uri,
                "fingerprint": ref.fingerprint,
                "format": ref.format,
                "rows": ref.rows,
                "columns": ref.columns,
                "schema": ref.schema,
            },
            role,
            name,
        )
        for ref, role, name in unique.values()
    ]
    ids = store.lineage.link_datasets(run_id, rows)
    by_key = {
        (row["uri"], row["fingerprint"]): dataset_id
        for (row, _, _), dataset_id in zip(rows, ids, strict=True)
    }
    for ref, _, _ in uses:
        ref.dataset_id = by_key[(ref.uri, ref.fingerprint)]


def record_dataset(store: Store, run_id: str, data: Any, name: str | None, role: str) -> DatasetRef:
    """``log_input``/``log_output``: a path or an in-memory object becomes a dataset version."""
    if isinstance(data, (str, os.PathLike)):
        if not Path(data).is_file():
            raise FileNotFoundError(f"cannot log {role} {data!s}: no such file")
        ref = dataset_from_file(data)
        link_dataset(store, run_id, ref, role, name or Path(data).name)
        if role == "input":
            snapshot_datasets(store, [ref])  # under the snapshot policy
        return ref
    ref = dataset_from_object(data, name)
    return link_dataset(store, run_id, ref, role, name)
