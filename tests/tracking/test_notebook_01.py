"""Example notebook 01 executed by papermill in a real kernel: the study it records — cell runs,
attempts, autologged models, the grid search's candidates, CSV lineage — and what it shows."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from notebook_support import execute_example
from shell_support import cell_runs

import mlops_jupyter as mj

pytestmark = pytest.mark.slow


def execute(tmp_path: Path, output: str, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    return execute_example(
        "01_track_experiments.ipynb",
        tmp_path / output,
        monkeypatch,
        parameters={"data_dir": str(tmp_path / "data")},
        cwd=tmp_path,
    )


def outputs_of(notebook: nbformat.NotebookNode, first_line: str) -> list[dict]:
    (cell,) = [
        c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(first_line)
    ]
    return list(cell.outputs)


def test_notebook_01_records_the_study(
    sqlite_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    executed = execute(tmp_path, "out.ipynb", monkeypatch)
    assert time.monotonic() - started < 180  # about 20 s on an idle machine

    frame = cell_runs(experiment="breast-cancer")
    names = [
        "export-data",
        "load-data",
        "baseline",
        "logistic-regression",
        "random-forest",
        "grid-search",
    ]
    assert list(frame.name) == names
    assert set(frame.status) == {"finished"} and set(frame.attempt) == {1}
    runs = {row.name: mj.get_run(row.run_id) for row in frame.itertuples()}
    accuracy = {name: runs[name].metrics["test_accuracy"] for name in names[2:]}
    assert accuracy["logistic-regression"] > accuracy["baseline"] + 0.2
    assert accuracy["random-forest"] > accuracy["baseline"] + 0.2
    assert runs["logistic-regression"].params["C"] == 0.5
    assert runs["logistic-regression"].params["logisticregression__C"] == 0.5
    assert runs["random-forest"].params["n_estimators"] == 50
    for name in names[2:]:
        artifacts = [a["name"] for a in runs[name].artifacts]
        searched = ["cv_results.csv"] if name == "grid-search" else []  # the search's results
        assert artifacts == [*searched, "model/input_example.json", "model/model.skops"]

    search = runs["grid-search"]
    assert len(search.children) == 3
    assert {mj.get_run(child).params["logisticregression__C"] for child in search.children} == {
        0.01,
        0.1,
        1.0,
    }
    assert "best_logisticregression__C" in search.params and "best_cv_score" in search.metrics

    csv = tmp_path / "data" / "breast_cancer.csv"
    (written,) = [o for o in runs["export-data"].outputs if o["uri"] == csv.resolve().as_uri()]
    (read,) = [i for i in runs["load-data"].inputs if i["uri"] == csv.resolve().as_uri()]
    assert written["node_id"] == read["node_id"] and written["fingerprint"] == mj.fingerprint(csv)
    upstream = mj.lineage(search.run_id)
    assert {"grid-search", "load-data", "export-data"} <= {n.label for n in upstream.runs}
    assert "breast_cancer.csv" in {n.label for n in upstream.datasets}

    runs_table = outputs_of(executed, "%runs")[0]["data"]["text/html"]
    assert all(name in runs_table for name in names[2:]) and "export-data" not in runs_table
    comparison = outputs_of(executed, "%compare")[0]["data"]["text/html"]
    assert "params" in comparison and "test_accuracy" in comparison
    lineage_svg = outputs_of(executed, "%lineage")[0]["data"]["text/html"]
    assert "<svg" in lineage_svg and "breast_cancer.csv" in lineage_svg
    # the CSV moved on, then the version load-data read came back from its snapshot
    listed = "".join(o.get("text", "") for o in outputs_of(executed, "import sys"))
    assert csv.resolve().as_uri() in listed and "yes" in listed
    restored = "".join(o.get("text", "") for o in outputs_of(executed, "!{sys.executable}"))
    assert "verified" in restored and mj.fingerprint(csv) == read["fingerprint"]

    again = execute(
        tmp_path, "again.ipynb", monkeypatch
    )  # re-running the study: new attempts, same cells
    assert len(again.cells) == len(executed.cells)
    frame = cell_runs(experiment="breast-cancer")
    assert sorted(frame[frame.name == "baseline"].attempt) == [1, 2]
