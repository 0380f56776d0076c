"""Data profiles: a compact, mergeable description of a table, column by column.

A ``Profile`` holds, per column: its kind (numeric or categorical), dtype, row count and missing
count; for numeric columns exact count/mean/M2/min/max (merged with Chan's formulas) and an
Apache DataSketches KLL quantile sketch; for categorical columns exact category counts while
there are at most ``MAX_EXACT_CATEGORIES`` distinct values, else a DataSketches frequent-items
sketch holding every count (estimates with a stated error).

Profiles **merge**: profiling the partitions of a Dask DataFrame, or the chunks of a directory
of CSV/parquet files, and merging gives the profile of the whole data within the sketch's stated
rank error. They serialize as data (JSON with the sketches' own binary formats in base64), never
as pickle: reading a profile parses numbers and sketch bytes, it runs no code.

Profiles are a dataset noun (a dataset version's profile) and live in ``tracking`` so the
registry can capture one at registration and monitoring can compare them.
"""

from __future__ import annotations

import base64
import glob as globlib
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from mlops_jupyter.tracking.display import html
from mlops_jupyter.tracking.fingerprint import fingerprint_file, fingerprint_object

PROFILE_FORMAT = "mlops-jupyter-profile"
PROFILE_VERSION = 1
KLL_K = 800  # normalized rank error ~0.4% (single-sided), stated per column
MAX_EXACT_CATEGORIES = 1000  # beyond this, a column's counts live in a frequent-items sketch
FREQUENT_LG_MAP = 10  # frequent-items map of 2**10 slots (error ~ 3.5/1024 of the total weight)
TOP_K = 50  # categories kept with their (estimated) counts in sketch mode
CHUNK_ROWS = 250_000  # rows per chunk when reading files
PARALLEL_ROWS = (
    50_000  # below this many rows, columns are profiled in one thread (threads cost more)
)


T = TypeVar("T")
R = TypeVar("R")


class ProfileError(ValueError):
    """Data that cannot be profiled, or profiles that cannot be merged."""


def _sketches() -> Any:
    """The DataSketches module, imported on first use (it takes ~120 ms, which ``import
    mlops_jupyter`` and the CLI should not pay; raw drift checks never need it)."""
    import datasketches  # noqa: PLC0415 - start-up: datasketches is imported on first use

    return datasketches


def _kll() -> Any:
    return _sketches().kll_doubles_sketch(KLL_K)


def _frequent() -> Any:
    return _sketches().frequent_strings_sketch(FREQUENT_LG_MAP)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def category_label(value: Any) -> str:
    """How a categorical value is named in a profile (and in drift reports)."""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    return str(value)


@dataclass
class ColumnProfile:
    """One column of a profile. ``kind`` is ``numeric`` or ``categorical``."""

    name: str
    kind: str
    dtype: str
    count: int = 0  # rows seen, missing included
    missing: int = 0
    # numeric
    n: int = 0  # finite values in the sketch
    mean: float = 0.0
    m2: float = 0.0
    min: float | None = None
    max: float | None = None
    infinite: int = 0
    kll: Any = None
    # categorical
    counts: dict[str, int] | None = None  # exact counts (None once the sketch took over)
    frequent: Any = None

    # -- facts -------------------------------------------------------------------------------
    @property
    def std(self) -> float:
        """Sample standard deviation (ddof=1), as pandas computes it."""
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0

    @property
    def exact(self) -> bool:
        """Categorical counts are exact (not sketch estimates)."""
        return self.counts is not None

    @property
    def present(self) -> int:
        return self.count - self.missing

    def rank_error(self) -> float:
        """The KLL sketch's normalized rank error (0 when it holds every value exactly)."""
        if self.kll is None or self.kll.is_empty():
            return 0.0
        return (
            float(self.kll.normalized_rank_error(False)) if self.kll.is_estimation_mode() else 0.0
        )

    def frequency_error(self) -> float:
        """Largest error of an estimated category count, as a share of the total (0 when exact)."""
        if self.counts is not None or self.frequent is None:
            return 0.0
        total = max(int(self.frequent.total_weight), 1)
        return float(self.frequent.get_apriori_error(FREQUENT_LG_MAP, total)) / total

    def category_counts(self, top: int | None = None) -> dict[str, int]:
        """Category → count (exact, or the sketch's estimates of its frequent items)."""
        if self.counts is not None:
            items = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        elif self.frequent is not None:
            no_false_negatives = _sketches().frequent_items_error_type.NO_FALSE_NEGATIVES
            found = self.frequent.get_frequent_items(no_false_negatives)
            items = [(str(item[0]), int(item[1])) for item in found]
        else:
            items = []
        return dict(items[:top] if top else items)

    def quantiles(self, ranks: Iterable[float]) -> np.ndarray:
        if self.kll is None or self.kll.is_empty():
            return np.full(len(list(ranks)), np.nan)
        return np.asarray(self.kll.get_quantiles(list(ranks)), dtype=float)

    def cdf(self, points: np.ndarray) -> np.ndarray:
        """P(X <= t) for each t (inclusive), from the sketch."""
        if self.kll is None or self.kll.is_empty():
            return np.zeros(len(points))
        return np.asarray(self.kll.get_cdf(list(map(float, points)), True)[:-1], dtype=float)

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def of_series(cls, name: str, series: pd.Series) -> ColumnProfile:
        kind = column_kind(series)
        col = cls(name=name, kind=kind, dtype=str(series.dtype))
        if kind == "categorical":
            col.counts = {}
        col.update(series)
        return col

    def update(self, series: pd.Series) -> None:
        self.count += len(series)
        if self.kind == "numeric":
            values = sorted_values(series)
            self.missing += values.missing
            self.infinite += values.infinite
            finite = values.finite
            if len(finite):
                if self.kll is None:
                    self.kll = _kll()
                self.kll.update(finite)
                part = ColumnProfile(self.name, "numeric", self.dtype)
                part.n = len(finite)
                part.min, part.max = float(finite[0]), float(finite[-1])
                part.mean = float(finite.mean())
                finite -= part.mean  # centred in place: the sorted copy is ours and done with
                part.m2 = float(finite @ finite)
                self._merge_moments(part)
        else:
            self.missing += int(series.isna().sum())
            counts = series.value_counts(sort=False, dropna=True)
            self._add_counts({category_label(k): int(v) for k, v in counts.items()})

    def _merge_moments(self, other: ColumnProfile) -> None:
        if other.n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.m2 = other.n, other.mean, other.m2
            self.min, self.max = other.min, other.max
            return
        n = self.n + other.n
        delta = other.mean - self.mean
        self.mean += delta * other.n / n
        self.m2 += other.m2 + delta * delta * self.n * other.n / n
        self.n = n
        self.min = min(self.min, other.min)  # type: ignore[type-var]
        self.max = max(self.max, other.max)  # type: ignore[type-var]

    def _add_counts(self, counts: dict[str, int]) -> None:
        if self.counts is not None:
            for key, value in counts.items():
                self.counts[key] = self.counts.get(key, 0) + value
            if len(self.counts) > MAX_EXACT_CATEGORIES:
                self.frequent = _frequent()
                for key, value in self.counts.items():
                    self.frequent.update(key, value)
                self.counts = None
        else:
            if self.frequent is None:
                self.frequent = _frequent()
            for key, value in counts.items():
                self.frequent.update(key, value)

    def merge(self, other: ColumnProfile) -> None:
        """Add ``other`` (the same column, other rows) into this one."""
        if other.kind != self.kind:
            raise ProfileError(
                f"column {self.name!r} is {self.kind} in one part and {other.kind} in another "
                f"({self.dtype} vs {other.dtype}); give it one type before profiling"
            )
        if other.dtype != self.dtype:
            self.dtype = "float64" if self.kind == "numeric" else "object"
        self.count += other.count
        self.missing += other.missing
        if self.kind == "numeric":
            self.infinite += other.infinite
            self._merge_moments(other)
            if other.kll is not None:
                if self.kll is None:
                    self.kll = _kll()
                self.kll.merge(other.kll)
        elif other.counts is not None:
            self._add_counts(dict(other.counts))
        elif other.frequent is not None:
            if self.counts is not None:
                exact = self.counts
                self.counts = None
                self.frequent = _frequent()
                for key, value in exact.items():
                    self.frequent.update(key, value)
            self.frequent.merge(other.frequent)

    # -- data in, data out -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "dtype": self.dtype,
            "count": self.count,
            "missing": self.missing,
        }
        if self.kind == "numeric":
            data.update(
                n=self.n,
                mean=self.mean,
                m2=self.m2,
                min=self.min,
                max=self.max,
                infinite=self.infinite,
                kll=_b64(self.kll.serialize()) if self.kll is not None else None,
                rank_error=self.rank_error(),
            )
        else:
            data["counts"] = self.counts
            data["frequent"] = (
                _b64(self.frequent.serialize()) if self.counts is None and self.frequent else None
            )
            if self.counts is None:
                data["top"] = self.category_counts(TOP_K)
                data["frequency_error"] = self.frequency_error()
        return data

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> ColumnProfile:
        kind = data.get("kind")
        if kind not in ("numeric", "categorical"):
            raise ProfileError(f"column {name!r}: unknown kind {kind!r} in the profile")
        col = cls(
            name=name,
            kind=kind,
            dtype=str(data.get("dtype", "")),
            count=_int(data, "count"),
            missing=_int(data, "missing"),
        )
        if kind == "numeric":
            col.n = _int(data, "n")
            col.mean = float(data.get("mean") or 0.0)
            col.m2 = float(data.get("m2") or 0.0)
            col.min = None if data.get("min") is None else float(data["min"])
            col.max = None if data.get("max") is None else float(data["max"])
            col.infinite = _int(data, "infinite")
            if data.get("kll"):
                try:
                    col.kll = _sketches().kll_doubles_sketch.deserialize(_unb64(data["kll"]))
                except Exception as exc:  # the sketch library's own parse error
                    raise ProfileError(f"column {name!r}: unreadable quantile sketch") from exc
        else:
            counts = data.get("counts")
            if counts is not None:
                if not isinstance(counts, dict):
                    raise ProfileError(f"column {name!r}: counts must be an object")
                col.counts = {str(k): int(v) for k, v in counts.items()}
            elif data.get("frequent"):
                try:
                    col.frequent = _sketches().frequent_strings_sketch.deserialize(
                        _unb64(data["frequent"])
                    )
                except Exception as exc:
                    raise ProfileError(
                        f"column {name!r}: unreadable frequent-items sketch"
                    ) from exc
            else:
                col.counts = {}
        return col


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProfileError(f"profile field {key!r} must be a non-negative integer, got {value!r}")
    return value


def column_kind(series: pd.Series) -> str:
    """``numeric`` for numbers and datetimes (not booleans), else ``categorical``."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return "numeric"
    return "categorical"


@dataclass(frozen=True)
class SortedValues:
    """A numeric column's finite values in ascending order, and how many were left out."""

    finite: np.ndarray  # sorted, contiguous and writable (the sketch library needs both)
    missing: int  # NaN, NA and NaT
    infinite: int


def sorted_values(series: pd.Series) -> SortedValues:
    """One sort per numeric column, shared by everything that reads it. Sorting first is what
    makes profiles and raw drift checks fast: numpy's sort releases the GIL (columns sort in
    parallel threads), orders NaN last and infinities at the ends (so one search finds each),
    and hands the KLL sketch ordered input, which makes its compactions about 4× cheaper.
    KLL's error guarantee holds for any input order, sorted included."""
    dropped = 0
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        present = series.dropna()
        dropped = len(series) - len(present)
        # seconds since the epoch, whatever the unit (pandas 3 parses to microseconds)
        values = present.dt.as_unit("ns").astype("int64").to_numpy(dtype=float) / 1e9
    else:
        values = series.to_numpy(dtype=float, na_value=np.nan)
    ordered = np.sort(values)
    numbers = ordered[: int(np.searchsorted(ordered, np.nan, side="left"))]
    low = int(np.searchsorted(numbers, -np.inf, side="right"))
    high = int(np.searchsorted(numbers, np.inf, side="left"))
    return SortedValues(
        finite=numbers[low:high],
        missing=dropped + len(ordered) - len(numbers),
        infinite=len(numbers) - (high - low),
    )


def map_columns(
    work: Callable[[T], R], items: Sequence[T], rows: int, workers: int | None = None
) -> list[R]:
    """``work`` applied to each column's item, in order, in threads when the data is large
    enough for it to pay (the heavy parts, numpy sorts and reductions, release the GIL)."""
    workers = min(len(items), workers or os.cpu_count() or 1)
    if workers < 2 or rows < PARALLEL_ROWS:
        return [work(item) for item in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(work, items))


@dataclass
class Profile:
    """The profile of a table: columns in order, total rows, where the data came from."""

    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    rows: int = 0
    source: str | None = None

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def of_frame(cls, frame: pd.DataFrame, source: str | None = None) -> Profile:
        if not isinstance(frame, pd.DataFrame):
            raise ProfileError(f"expected a pandas DataFrame, got {type(frame).__name__}")
        profile = cls(rows=len(frame), source=source)
        columns = [(str(name), frame.iloc[:, i]) for i, name in enumerate(frame.columns)]
        for col in map_columns(lambda item: ColumnProfile.of_series(*item), columns, len(frame)):
            profile.columns[col.name] = col
        return profile

    def merge(self, other: Profile) -> Profile:
        """Add another part of the same table (in place; returns self)."""
        for name, col in other.columns.items():
            if name in self.columns:
                self.columns[name].merge(col)
            else:  # a column absent from earlier parts: those rows were missing it
                added = ColumnProfile.from_dict(name, col.to_dict())
                added.count += self.rows
                added.missing += self.rows
                self.columns[name] = added
        for name, col in self.columns.items():
            if name not in other.columns:
                col.count += other.rows
                col.missing += other.rows
        self.rows += other.rows
        return self

    # -- facts -------------------------------------------------------------------------------
    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def rank_error(self) -> float:
        """The largest normalized rank error of the numeric sketches (0: all exact)."""
        return max((c.rank_error() for c in self.columns.values()), default=0.0)

    def to_frame(self) -> pd.DataFrame:
        """One row per column: kind, dtype, count, missing, mean, std, min, median, max, distinct."""
        rows = []
        for col in self.columns.values():
            numeric = col.kind == "numeric" and col.n > 0
            rows.append(
                {
                    "column": col.name,
                    "kind": col.kind,
                    "dtype": col.dtype,
                    "count": col.count,
                    "missing": col.missing,
                    "mean": col.mean if numeric else None,
                    "std": col.std if numeric else None,
                    "min": col.min if numeric else None,
                    "median": float(col.quantiles([0.5])[0]) if numeric else None,
                    "max": col.max if numeric else None,
                    "distinct": len(col.counts) if col.counts is not None else None,
                }
            )
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"<Profile {self.rows} rows × {len(self.columns)} columns>"

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)

    # -- data in, data out -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PROFILE_FORMAT,
            "version": PROFILE_VERSION,
            "rows": self.rows,
            "source": self.source,
            "columns": [{"name": n, **c.to_dict()} for n, c in self.columns.items()],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)

    def to_bytes(self) -> bytes:
        return self.to_json().encode()

    @classmethod
    def from_dict(cls, data: Any) -> Profile:
        if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
            raise ProfileError("not an mlops-jupyter profile (missing its format marker)")
        if data.get("version") != PROFILE_VERSION:
            raise ProfileError(f"unsupported profile version {data.get('version')!r}")
        columns = data.get("columns")
        if not isinstance(columns, list):
            raise ProfileError("a profile's columns must be a list")
        profile = cls(rows=_int(data, "rows"), source=data.get("source"))
        for entry in columns:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise ProfileError("each profile column needs a name")
            profile.columns[entry["name"]] = ColumnProfile.from_dict(entry["name"], entry)
        return profile

    @classmethod
    def from_json(cls, text: str | bytes) -> Profile:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ProfileError(f"a profile must be JSON: {exc}") from None
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Profile:
        with open(path, "rb") as fh:
            return cls.from_json(fh.read())


# -- reading data of every supported shape -------------------------------------------------------
def is_dask_frame(data: Any) -> bool:
    return type(data).__module__.startswith("dask") and hasattr(data, "to_delayed")


def data_files(path: str | os.PathLike[str]) -> list[str]:
    """The CSV/parquet files a path, directory or glob names (sorted), or a ProfileError."""
    text = os.fspath(path)
    if os.path.isdir(text):
        found = [
            os.path.join(text, name)
            for name in os.listdir(text)
            if name.lower().endswith((".csv", ".parquet", ".pq", ".csv.gz"))
        ]
    elif any(ch in text for ch in "*?["):
        found = globlib.glob(text)
    elif os.path.isfile(text):
        found = [text]
    else:
        raise ProfileError(f"no such file or directory: {text}")
    found = sorted(f for f in found if os.path.isfile(f))
    if not found:
        raise ProfileError(f"no CSV or parquet files under {text}")
    return found


def read_chunks(path: str, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """One file as DataFrames of at most ``chunk_rows`` rows (never the whole file at once)."""
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq  # noqa: PLC0415 - start-up: pyarrow is imported on first use

        with pq.ParquetFile(path) as handle:
            for batch in handle.iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
    elif lower.endswith((".csv", ".csv.gz")):
        yield from pd.read_csv(path, chunksize=chunk_rows)
    else:
        raise ProfileError(f"{path}: only CSV and parquet files can be profiled")


def read_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A path's rows as one DataFrame (for raw statistics on data that fits in memory)."""
    parts = [chunk for file in data_files(path) for chunk in read_chunks(file)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _profile_partition(frame: pd.DataFrame) -> dict[str, Any]:
    return Profile.of_frame(frame).to_dict()


def _profile_file(path: str) -> dict[str, Any]:
    merged: Profile | None = None
    for chunk in read_chunks(path):
        part = Profile.of_frame(chunk)
        merged = part if merged is None else merged.merge(part)
    return (merged or Profile()).to_dict()


def profile(data: Any, *, source: str | None = None) -> Profile:
    """Profile a pandas DataFrame, a Dask DataFrame (each partition profiled where it lives,
    then merged), or a path/directory/glob of CSV or parquet files (read in chunks)."""
    if isinstance(data, Profile):
        return data
    if isinstance(data, pd.DataFrame):
        return Profile.of_frame(data, source=source)
    if is_dask_frame(data):
        import dask  # noqa: PLC0415 - start-up: dask is imported on first use

        parts = dask.compute(*[dask.delayed(_profile_partition)(p) for p in data.to_delayed()])
        return _merge_dicts(parts, source or "dask dataframe")
    if isinstance(data, (str, os.PathLike)):
        files = data_files(data)
        return _merge_dicts([_profile_file(f) for f in files], source or os.fspath(data))
    if isinstance(data, pd.Series):
        return Profile.of_frame(data.to_frame(), source=source)
    if isinstance(data, np.ndarray) and data.ndim == 2:
        return Profile.of_frame(pd.DataFrame(data), source=source)
    raise ProfileError(
        f"cannot profile a {type(data).__name__}: pass a pandas or Dask DataFrame, "
        "or a path/glob of CSV or parquet files"
    )


def profile_files_dask(path: str | os.PathLike[str], source: str | None = None) -> Profile:
    """Profile each file of a path/glob as a Dask task (on the current client), then merge."""
    import dask  # noqa: PLC0415 - start-up: dask is imported on first use

    files = data_files(path)
    parts = dask.compute(*[dask.delayed(_profile_file)(f) for f in files])
    return _merge_dicts(parts, source or os.fspath(path))


def _merge_dicts(parts: Iterable[dict[str, Any]], source: str | None) -> Profile:
    merged: Profile | None = None
    for part in parts:
        loaded = Profile.from_dict(part)
        merged = loaded if merged is None else merged.merge(loaded)
    result = merged or Profile()
    result.source = source
    return result


def load_profile(data: Any) -> Profile:
    """A Profile from a Profile, its dict, its JSON text, or a file holding its JSON."""
    if isinstance(data, Profile):
        return data
    if isinstance(data, dict):
        return Profile.from_dict(data)
    if isinstance(data, bytes):
        return Profile.from_json(data)
    if isinstance(data, str) and data.lstrip().startswith("{"):
        return Profile.from_json(data)
    if isinstance(data, (str, os.PathLike)):
        return Profile.load(data)
    raise ProfileError(f"not a profile: {type(data).__name__}")


# -- the training data of a registered version ---------------------------------------------------
def _namespace_value(name: str) -> Any:
    """A variable of the running IPython session (where ``memory://NAME`` data lives)."""
    try:
        from IPython import get_ipython  # noqa: PLC0415 - start-up: IPython is imported on first use
    except ImportError:  # no IPython: nothing in memory to find
        return None
    shell = get_ipython()
    return None if shell is None else shell.user_ns.get(name)


def _local_path(uri: str) -> str | None:
    if uri.startswith("file://"):
        return unquote(urlparse(uri).path)
    if "://" not in uri:
        return uri
    return None


def find_training_profile(datasets: list[dict[str, Any]]) -> tuple[Profile | None, str]:
    """Profile the data a version was trained on, found through its lineage records.

    Tries the dataset the model was fitted on first, then the other inputs (most rows first):
    a file whose content still has the recorded fingerprint, or an in-memory variable
    (``memory://NAME``) of this session with the recorded fingerprint. Returns the profile (or
    None) and a sentence for the model card saying what was used or why nothing was.
    """
    if not datasets:
        return None, "No reference profile: the source run recorded no training data."
    ordered = sorted(
        datasets, key=lambda d: (not d.get("fitted_on"), -(d.get("rows") or 0), d.get("uri") or "")
    )
    reasons = []
    for dataset in ordered:
        uri, expected = dataset.get("uri") or "", dataset.get("fingerprint")
        short = f"`{uri}` (fingerprint `{(expected or '')[:16]}`)"
        try:
            if uri.startswith("memory://"):
                value = _namespace_value(uri[len("memory://") :])
                if value is None:
                    reasons.append(f"{uri} is not in this session")
                    continue
                if fingerprint_object(value) != expected:
                    reasons.append(f"{uri} changed since training")
                    continue
                found = profile(value, source=uri)
            else:
                path = _local_path(uri)
                if path is None or not os.path.isfile(path):
                    reasons.append(f"{uri} is not a readable local file")
                    continue
                if fingerprint_file(path) != expected:
                    reasons.append(f"{uri} changed since training")
                    continue
                found = profile(path, source=uri)
        except (ProfileError, ValueError, TypeError, OSError) as exc:
            reasons.append(f"{uri} could not be profiled ({exc})")
            continue
        return found, (
            f"Reference profile captured from the training data {short}: {found.rows} rows × "
            f"{len(found.columns)} columns (quantiles within ±{found.rank_error():.2%} rank)."
        )
    return None, "No reference profile: " + "; ".join(reasons) + "."
