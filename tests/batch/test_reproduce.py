"""``reproduce RUN_ID`` with real kernels, on both stores: an unchanged run reproduces; a run
whose input CSV changed by one row does not, and the report names the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_support import run_cli, write_notebook

import mlops_jupyter as mj
from mlops_jupyter.batch.api import reproduce, run_notebook
from mlops_jupyter.batch.reproduce import NotReproducibleError, check_packages

READ_CSV = (
    "import csv\n"
    "import mlops_jupyter as mj\n"
    "mj.log_input(data_path)\n"
    "values = [float(row['v']) for row in csv.DictReader(open(data_path))]\n"
    "mj.log_metrics({'mean': sum(values) / len(values), 'rows': len(values)})"
)


def _data_and_notebook(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data.csv"
    data.write_text("v\n" + "\n".join(str(i * 0.5) for i in range(40)) + "\n")
    notebook = write_notebook(
        tmp_path / "mean.ipynb", "data_path = 'missing.csv'  # the CSV to read", READ_CSV
    )
    return data, notebook


def _recorded_run(tmp_path: Path) -> tuple[str, Path]:
    data, notebook = _data_and_notebook(tmp_path)
    result = run_notebook(notebook, {"data_path": str(data)})
    assert result.status == "finished", result.error
    return str(result.run_id), data


def test_an_unchanged_run_reproduces_and_a_changed_row_does_not(mj_store, tmp_path: Path) -> None:
    data, notebook = _data_and_notebook(tmp_path)
    (tmp_path / "params.yaml").write_text(f"data_path: {data}\n")
    recorded = run_cli(
        "run", str(notebook), "-f", str(tmp_path / "params.yaml"), "--strict", "--format", "json"
    )
    assert recorded.returncode == 0, recorded.stderr
    [row] = json.loads(recorded.stdout)
    run_id = row["run_id"]
    assert row["status"] == "finished" and row["metrics.rows"] == 40.0

    same = run_cli("reproduce", run_id)
    assert same.returncode == 0, same.stdout + same.stderr
    assert f"run {run_id}: REPRODUCED" in same.stdout
    assert f"unchanged  {data.as_uri()}" in same.stdout

    lines = data.read_text().splitlines()
    lines[7] = "99.5"  # one row changes
    data.write_text("\n".join(lines) + "\n")
    changed = run_cli("reproduce", run_id, "--format", "json")
    assert changed.returncode == 1
    report = json.loads(changed.stdout)
    assert report["reproduced"] is False
    changed_reason = f"input {data} changed since the run (content fingerprint differs: "
    assert any(reason.startswith(changed_reason) for reason in report["reasons"])
    [mean] = [m for m in report["metrics"] if m["key"] == "mean"]
    assert mean["matches"] is False and mean["reproduced"] > mean["recorded"]
    assert {m["key"]: m["matches"] for m in report["metrics"]}["rows"] is True

    reruns = mj.runs(filter=f"tags.reproduces = '{run_id}'")
    assert len(reruns) == 2 and set(reruns["status"]) == {"finished"}
    assert set(reruns["params.data_path"]) == {str(data)}  # the recorded parameters


def test_tolerance_ignored_metrics_and_check_only(mj_store, tmp_path: Path) -> None:
    run_id, data = _recorded_run(tmp_path)
    data.write_text(data.read_text().replace("19.5", "19.5000001"))  # a tiny change
    report = reproduce(run_id, tolerance=1e-6, ignore=("*_seconds", "rows"))
    assert [m.key for m in report.metrics] == ["mean"] and report.metrics[0].matches
    [reason] = report.reasons
    assert reason.startswith(f"input {data} changed since the run (content fingerprint differs: ")

    checked = reproduce(run_id, execute=False)
    assert checked.new_run_id is None and "not re-executed" in " ".join(checked.notes)
    assert "<b style='color:red'>not reproduced" in checked._repr_html_()


def test_only_engine_notebook_runs_can_be_reproduced(mj_store) -> None:
    with mj.start_run(name="script") as run:
        mj.log_metric("m", 1)
    with pytest.raises(NotReproducibleError, match="only notebook runs"):
        reproduce(run.run_id)
    result = run_cli("reproduce", run.run_id)
    assert result.returncode == 2 and "only notebook runs" in result.stderr


def test_package_differences_are_named() -> None:
    import numpy

    recorded = {
        "python": "2.7.18",
        "packages": {"numpy": "0.1", "no-such-dist": "1.0", "click": _installed("click")},
    }
    differences, python = check_packages(recorded)
    assert [(p.name, p.recorded, p.installed) for p in differences] == [
        ("no-such-dist", "1.0", None),
        ("numpy", "0.1", numpy.__version__),
    ]
    assert python is not None and python[0] == "2.7.18"


def _installed(name: str) -> str:
    from importlib import metadata

    return metadata.version(name)
