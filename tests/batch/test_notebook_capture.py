"""Whole-notebook capture in engine-run notebooks, and ``reproduce`` against input snapshots,
with real kernels through the real CLI.

The issue's first reproduction: a notebook that reads ``pd.read_csv(data_path)`` in an ordinary
cell (no ``%%track``, no ``import mlops_jupyter``) used to record no input, so changing one
value of the CSV still "REPRODUCED". Now the read is an input of the notebook run: reproduce
exits 1 naming the file with its old and new fingerprints, and ``--restore-inputs`` re-runs
against the snapshot — even after the live file is deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_support import run_cli, write_notebook

import mlops_jupyter as mj

pytestmark = pytest.mark.slow

IMPORTS = "import pandas as pd\nfrom sklearn.linear_model import Ridge\nfrom sklearn.metrics import mean_absolute_error"
TRAIN = (
    "frame = pd.read_csv(data_path)\n"
    "model = Ridge(alpha=0.5).fit(frame[['x']], frame['y'])\n"
    "mae = mean_absolute_error(frame['y'], model.predict(frame[['x']]))"
)
TRACKED = "%%track -n scored\nscore = model.score(frame[['x']], frame['y'])"


def _data(path: Path, bump: float = 0.0) -> Path:
    rows = [f"{i},{2.0 * i + (i % 3) * 0.7 + (bump if i == 5 else 0.0)}" for i in range(40)]
    path.write_text("x,y\n" + "\n".join(rows) + "\n")
    return path


def _notebook(folder: Path) -> Path:
    return write_notebook(
        folder / "train.ipynb",
        "data_path = 'data.csv'  # the training CSV",
        IMPORTS,
        TRAIN,
        "%load_ext mlops_jupyter",
        TRACKED,
    )


def _run(notebook: Path, *args: str) -> str:
    result = run_cli("run", str(notebook), *args, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    [row] = json.loads(result.stdout)
    return str(row["run_id"])


def test_an_engine_run_notebook_captures_every_cell_and_restores_its_input(
    sqlite_store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = _data(tmp_path / "data.csv")
    run_id = _run(_notebook(tmp_path), "-p", "data_path", str(data))

    view = mj.get_run(run_id)
    assert view.params["alpha"] == 0.5 and view.params["data_path"] == str(data)
    assert "mean_absolute_error" in view.metrics and "fit_time_s" in view.metrics
    assert data.as_uri() in {item["uri"] for item in view.inputs}  # an ordinary cell's read
    [child] = [mj.get_run(child_id) for child_id in view.children]
    assert "score" in child.metrics  # the %%track cell's own capture, a child run

    listed = run_cli("data", "ls", str(data), "--format", "json")
    [version] = json.loads(listed.stdout)
    assert version["snapshot"] is True and run_id in version["runs"] and version["rows"] == 40
    recorded = version["fingerprint"]

    _data(data, bump=3.0)  # one value of the CSV changes
    changed = run_cli("reproduce", run_id, "--check-only")
    assert changed.returncode == 1, changed.stdout + changed.stderr
    current = mj.fingerprint(data)
    assert f"input {data} changed since the run" in changed.stdout
    assert recorded in changed.stdout and current in changed.stdout  # old and new fingerprints

    data.unlink()  # the live file is gone: the snapshot brings the version back
    restored = run_cli("reproduce", run_id, "--restore-inputs", "--format", "json")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    report = json.loads(restored.stdout)
    assert report["reproduced"] is True and report["new_status"] == "finished"
    [check] = [c for c in report["inputs"] if c["uri"] == data.as_uri()]
    assert check["status"] == "missing" and check["source"] == "snapshot"
    assert {m["key"]: m["matches"] for m in report["metrics"]}["mean_absolute_error"] is True
    assert not data.exists()  # the scratch folder was used, the live path left alone

    back = tmp_path / "restored.csv"
    got = run_cli("data", "get", f"{data}@{recorded[:10]}", str(back))
    assert got.returncode == 0, got.stderr
    assert mj.fingerprint(back) == recorded


def test_without_snapshots_a_changed_input_fails_naming_it(sqlite_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _data(tmp_path / "data.csv")
    notebook = write_notebook(tmp_path / "plain.ipynb", "data_path = 'data.csv'", IMPORTS, TRAIN)
    run_id = _run(notebook, "-p", "data_path", str(data), "--snapshot-inputs", "never")
    [version] = json.loads(run_cli("data", "ls", str(data), "--format", "json").stdout)
    assert version["snapshot"] is False
    recorded = version["fingerprint"]

    _data(data, bump=1.0)
    result = run_cli("reproduce", run_id, "--restore-inputs", "--check-only")
    assert result.returncode == 1
    assert (
        f"changed    {data.as_uri()}" in result.stdout
        and "(read from the live path)" in result.stdout
    )
    assert f"{recorded} -> {mj.fingerprint(data)}" in result.stdout
    missing = run_cli("data", "get", f"{data}@{recorded}", str(tmp_path / "x.csv"))
    assert missing.returncode == 2 and "has no snapshot" in missing.stderr
