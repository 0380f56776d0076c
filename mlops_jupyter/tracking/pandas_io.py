"""pandas readers and writers as lineage: what a tracked cell reads from and writes to files.

``read_csv``, ``read_table``, ``read_parquet``, ``read_json``, ``read_excel``, ``read_feather``
become input dataset versions; ``to_csv``, ``to_parquet``, ``to_json``, ``to_excel``,
``to_feather`` output ones: the file's uri, a full-content fingerprint of its bytes (stat-cached,
so an unchanged file costs one ``stat``), rows, columns and dtypes of the frame.
``read_sql`` / ``read_sql_query`` / ``read_sql_table``: uri ``sql://<database>``, fingerprint =
a hash of the query text (the content behind a query is not ours to hash).
Remote URLs (``s3://...``) are recorded by URL with the fingerprint of the frame read or written.
Buffers (``StringIO``, open files) are skipped with a debug message.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xxhash

from mlops_jupyter.tracking.datasets import DatasetRef, dataset_from_file, describe_frame
from mlops_jupyter.tracking.fingerprint import fingerprint_object

if TYPE_CHECKING:
    from mlops_jupyter.tracking.capture import Capture

log = logging.getLogger("mlops_jupyter.lineage")

READERS = ("read_csv", "read_table", "read_parquet", "read_json", "read_excel", "read_feather")
SQL_READERS = ("read_sql", "read_sql_query", "read_sql_table")
WRITERS = ("to_csv", "to_parquet", "to_json", "to_excel", "to_feather")
_PATH_KEYWORDS = (
    "filepath_or_buffer",
    "path",
    "io",
    "path_or_buf",
    "excel_writer",
    "path_or_buffer",
)


def install(capture: Capture) -> None:
    """Patch the readers on the pandas module and the writers where DataFrame/Series define them."""
    import pandas as pd  # noqa: PLC0415 - start-up: pandas on first use

    for name in READERS:
        capture.patches.replace(pd, name, _report_read)
    for name in SQL_READERS:
        capture.patches.replace(pd, name, _report_sql)
    for name in WRITERS:
        for frame_type in (pd.DataFrame, pd.Series):
            owner = next((cls for cls in frame_type.__mro__ if name in vars(cls)), None)
            if owner is not None:
                capture.patches.replace(owner, name, _report_write)


def _target(args: tuple[Any, ...], kwargs: dict[str, Any], index: int) -> Any:
    if len(args) > index:
        return args[index]
    return next((kwargs[key] for key in _PATH_KEYWORDS if key in kwargs), None)


def _local_path(target: Any) -> Path | None:
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if not isinstance(target, str):
        return None
    if target.startswith("file://"):
        target = target[len("file://") :]
    elif "://" in target:
        return None
    return Path(target).expanduser()


def dataset_of_target(target: Any, frame: Any) -> DatasetRef | None:
    """The dataset version behind a reader's source or a writer's destination."""
    path = _local_path(target)
    if path is not None:
        if path.is_file():
            return dataset_from_file(path, frame)
        log.debug("%s is not a file (a partitioned directory?): fingerprinting the frame", path)
        return _frame_dataset(path.expanduser().resolve().as_uri(), frame)
    if isinstance(target, str) and "://" in target:
        return _frame_dataset(target, frame)
    log.debug("not recorded as lineage: %s is neither a path nor a URL", type(target).__name__)
    return None


def _frame_dataset(uri: str, frame: Any) -> DatasetRef | None:
    if not hasattr(frame, "shape"):
        return None
    rows, columns, schema = describe_frame(frame)
    suffix = Path(uri.split("?", 1)[0]).suffix.lstrip(".") or None
    return DatasetRef(uri, fingerprint_object(frame), suffix, rows, columns, schema)


def _report_read(
    capture: Capture, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any], _seconds: float
) -> None:
    target = _target(args, kwargs, 0)
    frame = result if hasattr(result, "shape") else None
    ref = dataset_of_target(target, frame)
    if ref is not None:
        capture.add_dataset(ref, "input", _display_name(target))


def _report_write(
    capture: Capture, _result: Any, args: tuple[Any, ...], kwargs: dict[str, Any], _seconds: float
) -> None:
    frame, target = args[0], _target(args, kwargs, 1)
    if target is None:
        return  # to_csv() with no path returns a string: nothing was written
    ref = dataset_of_target(target, frame)
    if ref is not None:
        capture.add_dataset(ref, "output", _display_name(target))


def _report_sql(
    capture: Capture, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any], _seconds: float
) -> None:
    query = _target(args, kwargs, 0)
    if query is None:
        query = kwargs.get("sql", kwargs.get("table_name"))
    connection = args[1] if len(args) > 1 else kwargs.get("con")
    text = str(query)
    rows, columns, schema = (
        describe_frame(result) if hasattr(result, "shape") else (None, None, None)
    )
    ref = DatasetRef(
        uri=f"sql://{_database_name(connection)}",
        fingerprint=xxhash.xxh3_128_hexdigest(" ".join(text.split()).encode()),
        format="sql",
        rows=rows,
        columns=columns,
        schema=schema,
    )
    capture.add_dataset(ref, "input", " ".join(text.split())[:200])


def _database_name(connection: Any) -> str:
    """A password-free name of the database a query ran against."""
    url = getattr(connection, "url", None) or getattr(
        getattr(connection, "engine", None), "url", None
    )
    if url is not None and hasattr(url, "render_as_string"):
        return str(url.render_as_string(hide_password=True))
    if isinstance(connection, str):
        return connection.split("@")[-1] if "@" in connection else connection
    return type(connection).__name__


def _display_name(target: Any) -> str:
    path = _local_path(target)
    return path.name if path is not None else str(target)
