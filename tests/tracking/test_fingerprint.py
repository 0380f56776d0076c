"""Content fingerprints: every single-cell edit, column order, rename, dtype and index change is
seen; equal content is equal across processes; files are hashed by bytes with a stat cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xxhash

import mlops_jupyter as mj
from mlops_jupyter.tracking import fingerprint as fp_module
from mlops_jupyter.tracking.fingerprint import UnhashableError, fingerprint_file, fingerprint_object

REPO = Path(__file__).resolve().parents[2]

# The same frame is rebuilt in a subprocess to compare fingerprints across processes.
FRAME_SOURCE = textwrap.dedent(
    """
    import numpy as np, pandas as pd
    def sample_frame():
        rng = np.random.default_rng(7)
        n = 1000
        return pd.DataFrame(
            {
                "f": rng.normal(size=n),
                "i": rng.integers(0, 100, n),
                "b": rng.integers(0, 2, n).astype(bool),
                "t": pd.date_range("2024-01-01", periods=n, freq="h"),
                "tz": pd.date_range("2024-01-01", periods=n, freq="h", tz="Europe/Paris"),
                "s": pd.array([f"name-{k % 37}" for k in range(n)], dtype="str"),
                "o": np.array([f"obj-{k}" if k % 5 else {"k", "j", str(k)} for k in range(n)], dtype=object),
                "c": pd.Categorical([["low", "mid", "high"][k % 3] for k in range(n)]),
                "n": pd.array([None if k % 11 == 0 else k for k in range(n)], dtype="Int64"),
            },
            index=pd.RangeIndex(100, 100 + n, name="row"),
        )
    """
)
namespace: dict[str, Any] = {}
exec(FRAME_SOURCE, namespace)
sample_frame = namespace["sample_frame"]


def last_row_edits() -> dict[str, Any]:
    """One edit of the last row's value per column kind."""
    return {
        "f": lambda v: v + 1e-9,
        "i": lambda v: v + 1,
        "b": lambda v: not v,
        "t": lambda v: v + pd.Timedelta(seconds=1),
        "tz": lambda v: v + pd.Timedelta(microseconds=1),
        "s": lambda v: v + "x",
        "o": lambda v: "other",
        "c": lambda v: "low" if v != "low" else "mid",
        "n": lambda v: 0 if pd.isna(v) else v + 1,
    }


@pytest.mark.parametrize("column", list(last_row_edits()))
def test_a_single_cell_edit_in_the_last_row_changes_the_fingerprint(column: str) -> None:
    frame = sample_frame()
    before = mj.fingerprint(frame)
    edited = frame.copy()
    edited.iloc[-1, edited.columns.get_loc(column)] = last_row_edits()[column](
        frame[column].iloc[-1]
    )
    assert not edited.equals(frame)
    assert mj.fingerprint(edited) != before


def test_equal_content_gives_an_equal_fingerprint() -> None:
    frame = sample_frame()
    rebuilt = pd.DataFrame(
        {name: frame[name].copy() for name in frame.columns}, index=frame.index.copy()
    )
    assert mj.fingerprint(rebuilt) == mj.fingerprint(frame)
    assert mj.fingerprint(frame.copy(deep=True)) == mj.fingerprint(frame)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda f: f[list(reversed(f.columns))], id="column order"),
        pytest.param(lambda f: f.rename(columns={"f": "g"}), id="column rename"),
        pytest.param(lambda f: f.astype({"i": "int32"}), id="int width"),
        pytest.param(lambda f: f.astype({"i": "float64"}), id="int to float"),
        pytest.param(lambda f: f.astype({"c": "str"}), id="categorical to string"),
        pytest.param(lambda f: f.astype({"s": object}), id="string to object"),
        pytest.param(lambda f: f.set_axis(f.index + 1), id="index values"),
        pytest.param(lambda f: f.rename_axis("other"), id="index name"),
        pytest.param(lambda f: f.reset_index(drop=True), id="index kind"),
        pytest.param(lambda f: f.iloc[:-1], id="one row fewer"),
        pytest.param(lambda f: f.assign(c=f["c"].cat.as_ordered()), id="categorical ordered"),
        pytest.param(lambda f: f.assign(t=f["t"].dt.as_unit("s")), id="datetime unit"),
        pytest.param(lambda f: f.assign(tz=f["tz"].dt.tz_convert("UTC")), id="time zone"),
    ],
)
def test_structure_changes_change_the_fingerprint(change: Any) -> None:
    frame = sample_frame()
    assert mj.fingerprint(change(frame)) != mj.fingerprint(frame)


def test_fingerprint_is_equal_across_processes() -> None:
    probe = FRAME_SOURCE + textwrap.dedent(
        """
        import mlops_jupyter as mj
        print(mj.fingerprint(sample_frame()))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == mj.fingerprint(sample_frame())


def test_masked_values_do_not_depend_on_the_bytes_under_the_mask() -> None:
    first = pd.array([1, 2, 3], dtype="Int64")
    second = pd.array([1, 2, 3], dtype="Int64")
    first[1] = pd.NA
    second[1] = pd.NA
    second._data[1] = 999_999  # what lies under a mask is undefined
    assert mj.fingerprint(pd.Series(first)) == mj.fingerprint(pd.Series(second))


def test_series_and_arrays() -> None:
    values = np.arange(12.0)
    assert mj.fingerprint(values) == mj.fingerprint(values.copy())
    assert mj.fingerprint(values.reshape(3, 4)) != mj.fingerprint(values)
    assert mj.fingerprint(values.astype("float32")) != mj.fingerprint(values)
    series = pd.Series(values, name="x")
    assert mj.fingerprint(series.rename("y")) != mj.fingerprint(series)
    strided = np.arange(24.0).reshape(4, 6)[:, ::2]
    assert mj.fingerprint(strided) == mj.fingerprint(np.ascontiguousarray(strided))


def test_object_columns_keep_types_apart() -> None:
    as_int = pd.Series([1, 2], dtype=object)
    as_float = pd.Series([1.0, 2], dtype=object)
    as_text = pd.Series(["1", 2], dtype=object)
    assert len({mj.fingerprint(s) for s in (as_int, as_float, as_text)}) == 3


def test_objects_without_content_are_unhashable() -> None:
    class Opaque:
        pass

    with pytest.raises(UnhashableError, match="Opaque"):
        fingerprint_object(pd.DataFrame({"x": [Opaque()]}))
    with pytest.raises(UnhashableError, match="list"):
        mj.fingerprint([1, 2, 3])


def test_file_fingerprint_is_xxh3_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    payload = os.urandom(3 << 20)  # above the mmap threshold
    path.write_bytes(payload)
    assert mj.fingerprint(path) == xxhash.xxh3_128_hexdigest(payload)
    small = tmp_path / "small.csv"
    small.write_text("a,b\n1,2\n")
    assert mj.fingerprint(str(small)) == xxhash.xxh3_128_hexdigest(b"a,b\n1,2\n")


def test_an_unchanged_file_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data.csv"
    path.write_text("x\n1\n")
    first = fingerprint_file(path)

    def no_reading(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an unchanged file was read again")

    monkeypatch.setattr(fp_module, "open", no_reading, raising=False)
    assert fingerprint_file(path) == first


def test_a_rewritten_file_is_hashed_again_even_with_its_old_mtime(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("x\n1\n")
    first = fingerprint_file(path)
    status = path.stat()
    path.write_text("x\n2\n")  # same size
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert fingerprint_file(path) != first


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        mj.fingerprint(tmp_path / "absent.csv")


def test_big_frame_fingerprint_covers_every_row() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"f{k}": rng.random(200_000) for k in range(4)})
    frame["s"] = rng.choice(["a", "b", "c"], len(frame))
    before = mj.fingerprint(frame)
    frame.iloc[150_000, 4] = "d"
    assert mj.fingerprint(frame) != before
    assert json.dumps(before)  # a plain hex string
    assert len(before) == 32 and int(before, 16) >= 0
