"""Profiles: sketches from DataSketches, merging (partitions, Dask, files in chunks), data-only
serialization, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.tracking.profile import (
    MAX_EXACT_CATEGORIES,
    Profile,
    ProfileError,
    load_profile,
    profile_files_dask,
)


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({f"x{i}": rng.normal(i, 1 + i, n) for i in range(4)})
    data["ints"] = rng.integers(0, 100, n)
    data["cat"] = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
    data["flag"] = rng.random(n) < 0.3
    data.loc[data.index[::97], "x1"] = np.nan
    data.loc[data.index[::101], "cat"] = None
    return data


def assert_close(merged: Profile, whole: Profile, data: pd.DataFrame) -> None:
    """Merged and whole-data profiles agree: exact moments and counts, and both profiles'
    quantiles within their sketch's stated rank error of the raw data's."""
    assert merged.rows == whole.rows
    for name, w in whole.columns.items():
        m = merged.columns[name]
        assert (m.kind, m.count, m.missing) == (w.kind, w.count, w.missing)
        if w.kind == "numeric":
            assert m.n == w.n and m.min == w.min and m.max == w.max
            assert m.mean == pytest.approx(w.mean, rel=1e-9, abs=1e-9)
            assert m.std == pytest.approx(w.std, rel=1e-9)
            raw = np.sort(data[name].dropna().to_numpy(dtype=float))
            ranks = np.linspace(0.01, 0.99, 25)
            for sketch in (m, w):
                q = sketch.quantiles(ranks)
                below = np.searchsorted(raw, q, side="left") / len(raw)
                upto = np.searchsorted(raw, q, side="right") / len(raw)
                eps = sketch.rank_error() + 1e-9
                assert np.all(below - eps <= ranks) and np.all(ranks <= upto + eps)
        else:
            assert m.category_counts() == w.category_counts()


def test_profile_describes_each_column() -> None:
    data = frame(20_000)
    p = mj.profile(data)
    assert p.rows == 20_000
    x1 = p.columns["x1"]
    assert x1.kind == "numeric" and x1.missing == data.x1.isna().sum()
    assert x1.mean == pytest.approx(data.x1.mean()) and x1.std == pytest.approx(data.x1.std())
    median = float(x1.quantiles([0.5])[0])
    # the estimated median's true rank is within the sketch's stated error of 0.5
    assert abs((data.x1.dropna() <= median).mean() - 0.5) <= x1.rank_error() + 1e-9
    cat = p.columns["cat"]
    assert cat.kind == "categorical" and cat.exact
    assert cat.missing == data.cat.isna().sum()
    assert cat.category_counts() == {k: int(v) for k, v in data.cat.value_counts().items()}
    assert p.columns["flag"].kind == "categorical"
    assert set(p.columns["flag"].category_counts()) == {"True", "False"}
    table = p.to_frame()
    assert list(table.column) == list(data.columns)
    assert "Profile" in p._repr_html_()


def test_missing_and_infinite_values_are_counted_apart_from_the_sketch() -> None:
    values = [1.5, np.nan, -np.inf, 4.0, np.inf, 2.5, np.nan, -3.0]
    data = pd.DataFrame(
        {
            "floats": values,
            "nullable": pd.array([1, None, 3, 4, None, 6, 7, 8], dtype="Float64"),
            "when": pd.to_datetime(["2026-01-01", None, "2026-01-03", "2026-01-02"] * 2),
        }
    )
    p = mj.profile(data)
    floats = p.columns["floats"]
    assert (floats.count, floats.missing, floats.infinite, floats.n) == (8, 2, 2, 4)
    assert (floats.min, floats.max) == (-3.0, 4.0)
    finite = [v for v in values if np.isfinite(v)]
    assert floats.mean == pytest.approx(np.mean(finite))
    assert floats.std == pytest.approx(np.std(finite, ddof=1))
    assert floats.kll.n == 4
    nullable = p.columns["nullable"]
    assert (nullable.missing, nullable.n, nullable.min, nullable.max) == (2, 6, 1.0, 8.0)
    when = p.columns["when"]
    assert (when.kind, when.missing, when.n) == ("numeric", 2, 6)
    assert when.min == pd.Timestamp("2026-01-01").timestamp()


def test_partition_profiles_merge_to_the_whole() -> None:
    data = frame(60_000)
    whole = mj.profile(data)
    merged = mj.profile(data.iloc[:10_000])
    for start in range(10_000, 60_000, 12_500):
        merged.merge(mj.profile(data.iloc[start : start + 12_500]))
    assert_close(merged, whole, data)


def test_dask_partitions_and_files_in_chunks_agree(tmp_path) -> None:  # type: ignore[no-untyped-def]
    dd = pytest.importorskip("dask.dataframe")
    data = frame(50_000, seed=3)
    whole = mj.profile(data)
    ddf = dd.from_pandas(data, npartitions=7)
    assert_close(mj.profile(ddf), whole, data)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, start in enumerate(range(0, 50_000, 10_000)):
        data.iloc[start : start + 10_000].to_parquet(folder / f"part-{i}.parquet")
    assert_close(mj.profile(folder), whole, data)
    assert_close(mj.profile(str(folder / "*.parquet")), whole, data)
    assert_close(profile_files_dask(folder), whole, data)
    csv = tmp_path / "all.csv"
    data[["x0", "x2", "ints"]].to_csv(csv, index=False)
    from_csv = mj.profile(csv)
    assert from_csv.rows == 50_000
    assert from_csv.columns["x0"].mean == pytest.approx(data.x0.mean())


def test_many_categories_move_to_a_frequent_items_sketch() -> None:
    rng = np.random.default_rng(1)
    heavy = rng.choice(["hot", "warm"], 30_000)
    tail = np.array([f"id{i}" for i in range(5_000)])
    values = pd.Series(np.concatenate([heavy, tail]))
    p = mj.profile(values.to_frame("key"))
    col = p.columns["key"]
    assert not col.exact and len(values.unique()) > MAX_EXACT_CATEGORIES
    top = col.category_counts(2)
    assert set(top) == {"hot", "warm"}
    truth = values.value_counts()
    bound = col.frequency_error() * len(values)
    assert abs(top["hot"] - truth["hot"]) <= bound
    again = load_profile(p.to_json())
    assert again.columns["key"].category_counts(2) == top


@pytest.mark.slow
def test_serialization_is_data_and_small() -> None:
    rng = np.random.default_rng(2)
    n = 1_000_000
    data = pd.DataFrame({f"n{i}": rng.normal(size=n) for i in range(16)})
    for i in range(4):
        data[f"c{i}"] = rng.choice(list("abcdefgh"), n)
    p = mj.profile(data)
    blob = p.to_bytes()
    assert len(blob) <= 1_000_000
    parsed = json.loads(blob)  # plain JSON: nothing to execute
    assert parsed["format"] == "mlops-jupyter-profile"
    back = Profile.from_json(blob)
    assert back.to_json() == p.to_json()


@pytest.mark.parametrize(
    "payload",
    [
        b"\x80\x04\x95pickle",
        b'{"format": "something else"}',
        b'{"format": "mlops-jupyter-profile", "version": 1, "rows": 3, "columns": [{"name": "x", "kind": "numeric", "kll": "AAAA"}]}',
        b'{"format": "mlops-jupyter-profile", "version": 1, "rows": -1, "columns": []}',
    ],
)
def test_bad_profiles_are_refused_with_a_clear_error(payload: bytes) -> None:
    with pytest.raises(ProfileError):
        Profile.from_json(payload)


def test_bad_data_is_a_profile_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileError, match="no such file"):
        mj.profile(tmp_path / "missing.csv")
    with pytest.raises(ProfileError, match="cannot profile"):
        mj.profile(42)
    a = mj.profile(pd.DataFrame({"x": [1.0, 2.0]}))
    with pytest.raises(ProfileError, match="numeric in one part"):
        a.merge(mj.profile(pd.DataFrame({"x": ["a", "b"]})))
