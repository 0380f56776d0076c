"""Content fingerprints of data: DataFrames, Series, Index, ndarrays and files.

A fingerprint is the hex xxh3-128 of the full content, dtype-aware, covering the index, the
column names and their order. Numeric columns hash their buffers directly; strings, objects,
categoricals, tz-aware datetimes and nullable (masked) dtypes each have an exact fallback.
Equal content gives an equal fingerprint in any process on any machine (no salted hashes).
Files are hashed by bytes, with a stat cache so an unchanged file costs one ``stat``.
"""

from __future__ import annotations

import mmap
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

_FILE_CACHE: dict[tuple[str, int, int, int, int], str] = {}
_FILE_CACHE_LOCK = threading.Lock()
_MMAP_THRESHOLD = 1 << 20


class UnhashableError(TypeError):
    """The object is not data we know how to fingerprint."""


def _feed_label(hasher: Any, label: str) -> None:
    encoded = label.encode("utf-8", "surrogatepass")
    hasher.update(len(encoded).to_bytes(8, "little"))
    hasher.update(encoded)


def _feed_buffer(hasher: Any, array: np.ndarray) -> None:
    contiguous = np.ascontiguousarray(array)
    hasher.update(contiguous.nbytes.to_bytes(8, "little"))
    hasher.update(
        contiguous.view(np.uint8).reshape(-1) if contiguous.ndim else contiguous.tobytes()
    )


def _feed_strings(hasher: Any, values: list[Any] | np.ndarray) -> bool:
    """Hash a sequence of str; False (nothing fed) when something else is in it."""
    try:
        joined = "\x00".join(values)
    except TypeError:
        return False
    if joined.count("\x00") != max(len(values) - 1, 0):
        # a value holds NUL itself: fall back to length-prefixed values to stay unambiguous
        hasher.update(b"S*")
        for value in values:
            _feed_label(hasher, value)
        return True
    hasher.update(b"S")
    hasher.update(len(values).to_bytes(8, "little"))
    hasher.update(joined.encode("utf-8", "surrogatepass"))
    return True


def stable_repr(value: Any) -> str:
    """A repr that is the same in every process: sets are sorted (their order follows salted
    string hashes), and objects whose repr is only their address are refused."""
    if isinstance(value, (set, frozenset)):
        return f"{type(value).__name__}({sorted(stable_repr(item) for item in value)!r})"
    if type(value).__repr__ is object.__repr__:
        raise UnhashableError(
            f"a {type(value).__qualname__} has no content-based repr to fingerprint"
        )
    try:
        return repr(value)
    except Exception as error:
        raise UnhashableError(f"repr() of a {type(value).__qualname__} failed: {error}") from error


def _feed_objects(hasher: Any, values: np.ndarray) -> None:
    if _feed_strings(hasher, values.tolist()):
        return
    hasher.update(b"O")
    for value in values.tolist():
        # type name + repr keeps 1, 1.0, '1' and True apart; NaN/None/NA each have one repr
        _feed_label(hasher, type(value).__qualname__)
        _feed_label(hasher, stable_repr(value))


def _feed_arrow(hasher: Any, chunked: Any) -> bool:
    import pyarrow as pa  # noqa: PLC0415 - start-up: pyarrow is imported on first use

    array = chunked.combine_chunks() if isinstance(chunked, pa.ChunkedArray) else chunked
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return False
    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[
        array.offset : array.offset + len(array) + 1
    ]
    start, end = int(offsets[0]), int(offsets[-1])
    hasher.update(b"A")
    _feed_buffer(hasher, (offsets - offsets[0]).astype(np.int64))
    hasher.update(memoryview(buffers[2])[start:end] if buffers[2] is not None else b"")
    if array.null_count:
        _feed_buffer(hasher, array.is_null().to_numpy(zero_copy_only=False))
    return True


def _feed_values(hasher: Any, values: Any) -> None:
    """Hash one column's values (a numpy array or a pandas ExtensionArray)."""
    import pandas as pd  # noqa: PLC0415 - start-up: pandas on first use

    dtype = values.dtype
    _feed_label(hasher, str(dtype))
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "biufcmMV" or values.dtype.kind == "S":
            _feed_buffer(hasher, values)
        elif values.dtype.kind == "U":
            _feed_strings(hasher, values.tolist())
        else:
            _feed_objects(hasher, values)
        return
    if isinstance(dtype, pd.CategoricalDtype):
        _feed_label(hasher, f"ordered={dtype.ordered}")
        _feed_values(hasher, dtype.categories.array)
        _feed_buffer(hasher, np.asarray(values.codes))
        return
    if isinstance(dtype, pd.DatetimeTZDtype):
        _feed_buffer(
            hasher, values.asi8 if hasattr(values, "asi8") else np.asarray(values.view("i8"))
        )
        return
    pa_array = getattr(values, "_pa_array", None)
    if pa_array is not None and _feed_arrow(hasher, pa_array):
        return
    if hasattr(values, "_data") and hasattr(values, "_mask"):  # masked nullable arrays
        data = np.array(values._data, copy=True)
        mask = np.asarray(values._mask)
        data[mask] = 0  # bytes under a mask are undefined; zero them
        _feed_buffer(hasher, data)
        _feed_buffer(hasher, mask)
        return
    if isinstance(dtype, pd.StringDtype):
        _feed_objects(hasher, np.asarray(values.to_numpy(dtype=object, na_value=None)))
        return
    # anything else (period, interval, sparse, extension types): pandas' stable row hashes
    hashed = pd.util.hash_pandas_object(pd.Series(values), index=False).to_numpy()
    _feed_buffer(hasher, hashed)


def _feed_index(hasher: Any, index: Any) -> None:
    import pandas as pd  # noqa: PLC0415 - start-up: pandas on first use

    _feed_label(hasher, type(index).__name__)
    _feed_label(hasher, repr(list(index.names)))
    if isinstance(index, pd.RangeIndex):
        _feed_label(hasher, f"{index.start}:{index.stop}:{index.step}")
    elif isinstance(index, pd.MultiIndex):
        for level in range(index.nlevels):
            _feed_values(hasher, index.get_level_values(level).array)
    else:
        _feed_values(
            hasher, index.array if not isinstance(index.array, np.ndarray) else index.to_numpy()
        )


def _column_values(series: Any) -> Any:
    """A plain ndarray for numpy dtypes (zero-copy), else the pandas ExtensionArray."""
    return series.to_numpy(copy=False) if isinstance(series.dtype, np.dtype) else series.array


def fingerprint_object(obj: Any) -> str:
    """Fingerprint an in-memory DataFrame, Series, Index or ndarray."""
    import pandas as pd  # noqa: PLC0415 - start-up: pandas on first use

    hasher = xxhash.xxh3_128()
    if isinstance(obj, pd.DataFrame):
        hasher.update(b"DataFrame")
        hasher.update(len(obj).to_bytes(8, "little"))
        _feed_label(hasher, repr([(type(c).__name__, c) for c in obj.columns]))
        for position in range(obj.shape[1]):
            _feed_values(hasher, _column_values(obj.iloc[:, position]))
        _feed_index(hasher, obj.index)
    elif isinstance(obj, pd.Series):
        hasher.update(b"Series")
        _feed_label(hasher, repr((type(obj.name).__name__, obj.name)))
        _feed_values(hasher, _column_values(obj))
        _feed_index(hasher, obj.index)
    elif isinstance(obj, pd.Index):
        hasher.update(b"Index")
        _feed_index(hasher, obj)
    elif isinstance(obj, np.ndarray):
        hasher.update(b"ndarray")
        _feed_label(hasher, repr(obj.shape))
        _feed_values(hasher, obj.reshape(-1) if obj.ndim != 1 else obj)
    else:
        raise UnhashableError(
            f"cannot fingerprint {type(obj).__name__}: expected a DataFrame, Series, Index, ndarray or a file path"
        )
    return hasher.hexdigest()


def fingerprint_file(path: str | os.PathLike[str]) -> str:
    """Fingerprint a file's bytes; an unchanged file (same size, mtime, inode) costs O(1)."""
    resolved = os.path.realpath(path)
    status = os.stat(resolved)
    # ctime too: any write changes it, even one that restores the old mtime (os.utime, rsync -t)
    key = (resolved, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
    cached = _FILE_CACHE.get(key)
    if cached is not None:
        return cached
    hasher = xxhash.xxh3_128()
    with open(resolved, "rb") as handle:
        if status.st_size >= _MMAP_THRESHOLD:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                if hasattr(mapped, "madvise"):
                    mapped.madvise(mmap.MADV_SEQUENTIAL)
                hasher.update(mapped)
        else:
            hasher.update(handle.read())
    digest = hasher.hexdigest()
    with _FILE_CACHE_LOCK:
        _FILE_CACHE[key] = digest
    return digest


def fingerprint(obj: Any) -> str:
    """``mj.fingerprint``: a DataFrame/Series/Index/ndarray, or a path to a file."""
    if isinstance(obj, (str, os.PathLike)):
        if not Path(obj).is_file():
            raise FileNotFoundError(f"cannot fingerprint {obj!s}: no such file")
        return fingerprint_file(obj)
    return fingerprint_object(obj)
