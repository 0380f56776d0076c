"""The papermill engine ``mlops``, called as users call it, against real kernels and both stores."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from batch_support import PAPERMILL, SMALL_BODY, SMALL_PARAMETERS, run_cli, write_notebook
from papermill.exceptions import PapermillExecutionError

import mlops_jupyter as mj
from mlops_jupyter.batch.record import (
    CELLS_ARTIFACT,
    INPUT_ARTIFACT,
    OUTPUT_ARTIFACT,
    PARAMETERS_ARTIFACT,
)

PAPERMILL_KEYS_THAT_VARY = {"start_time", "end_time", "duration"}


def _papermill_part(nb: nbformat.NotebookNode) -> dict:
    """What papermill itself writes, minus timestamps: injected cell and metadata.papermill."""
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    metadata = {k: v for k, v in nb.metadata.papermill.items() if k not in PAPERMILL_KEYS_THAT_VARY}
    cells = [
        {
            k: v
            for k, v in c.metadata.get("papermill", {}).items()
            if k not in PAPERMILL_KEYS_THAT_VARY
        }
        for c in nb.cells
    ]
    return {
        "injected": [(c.source, c.metadata.get("tags")) for c in injected],
        "metadata": metadata,
        "cells": cells,
    }


def test_papermill_cli_with_engine_mlops_records_a_notebook_run(mj_store, tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "small.ipynb", SMALL_PARAMETERS, SMALL_BODY)
    out = tmp_path / "out.ipynb"
    result = run_cli(
        str(notebook),
        str(out),
        "--engine",
        "mlops",
        "-p",
        "x",
        "5",
        "-p",
        "label",
        "b",
        program=PAPERMILL,
    )
    assert result.returncode == 0, result.stderr

    [run_id] = mj.runs()["run_id"]
    run = mj.get_run(run_id)
    assert (run.kind, run.status, run.name) == ("notebook", "finished", "small.ipynb")
    assert run.params == {"x": 5, "sleep": 0.0, "label": "b"}  # typed: int, float, str
    assert run.metrics["y"] == 10.0 and run.metrics["notebook_seconds"] > 0
    assert run.source["notebook_path"] == str(notebook)
    assert run.tags["engine"] == "papermill" and run.tags["kernel"] == "python3"

    snapshot = run.artifact_bytes(INPUT_ARTIFACT)
    assert snapshot == notebook.read_bytes()
    assert run.source["code_hash"] == hashlib.sha256(snapshot).hexdigest()
    parameters = {row["name"]: row for row in json.loads(run.artifact_bytes(PARAMETERS_ARTIFACT))}
    assert parameters["x"]["source"] == "injected" and parameters["x"]["type"] == "int"
    assert (
        parameters["sleep"]["source"] == "default"
        and parameters["sleep"]["help"] == "seconds to wait"
    )

    cells = json.loads(run.artifact_bytes(CELLS_ARTIFACT))
    assert [c["status"] for c in cells] == ["completed"] * 3
    assert all(c["duration_s"] is not None and c["duration_s"] >= 0 for c in cells)

    written = nbformat.read(str(out), as_version=4)
    stored = nbformat.reads(run.artifact_bytes(OUTPUT_ARTIFACT).decode(), as_version=4)
    nbformat.validate(written)
    assert written.metadata.mlops_jupyter.run_id == run_id
    assert stored.metadata.papermill == written.metadata.papermill

    assert run.environment is not None
    packages = run.environment["packages"]
    assert "ipykernel" in packages and "pyzmq" in packages  # the kernel's imports
    assert "papermill" not in packages  # ... not the engine process's


def test_papermill_output_is_what_the_default_engine_writes(mj_store, tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "small.ipynb", SMALL_PARAMETERS, SMALL_BODY)
    outputs = {}
    for engine in (None, "mlops"):
        out = tmp_path / "out.ipynb"  # the same path: papermill records it in the metadata
        papermill.execute_notebook(
            str(notebook),
            str(out),
            parameters={"x": 2, "sleep": 0.0},
            engine_name=engine,
            progress_bar=False,
        )
        outputs[engine] = nbformat.read(str(out), as_version=4)
    assert _papermill_part(outputs["mlops"]) == _papermill_part(outputs[None])
    assert outputs["mlops"].metadata.papermill.parameters == {"x": 2, "sleep": 0.0}


def test_track_cells_become_children_with_their_cell_ids(mj_store, tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "tracked.ipynb",
        "lr = 0.1",
        "%load_ext mlops_jupyter",
        "%%track -n fit -p lr\nimport mlops_jupyter as mj\nmj.log_metric('loss', lr * 3)",
        ("raise RuntimeError('expected')", ["raises-exception"]),
        "import mlops_jupyter as mj\nmj.log_metric('after', 1)",
    )
    # papermill raises for any error output, even in a raises-exception cell (it only goes on
    # past it); the run is judged by the notebook instead
    with pytest.raises(PapermillExecutionError):
        papermill.execute_notebook(
            str(notebook), None, parameters={"lr": 0.5}, engine_name="mlops", progress_bar=False
        )

    [notebook_run_id] = mj.runs(filter="kind = 'notebook'")["run_id"]
    run = mj.get_run(notebook_run_id)
    assert run.status == "finished"  # a raises-exception cell is expected to fail
    assert run.metrics["after"] == 1.0
    [child_id] = run.children
    child = mj.get_run(child_id)
    source_nb = nbformat.read(str(notebook), as_version=4)
    track_cell = next(c for c in source_nb.cells if c.source.startswith("%%track"))
    assert (child.kind, child.name, child.parent_run_id) == ("cell", "fit", notebook_run_id)
    assert child.source["cell_id"] == track_cell.id  # sent by the engine, as JupyterLab does
    assert child.params["lr"] == 0.5 and child.metrics["loss"] == 1.5
    cells = json.loads(run.artifact_bytes(CELLS_ARTIFACT))
    assert [c["status"] for c in cells][-2:] == ["error allowed", "completed"]


def test_a_failing_cell_fails_the_run_and_names_the_cell(mj_store, tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "small.ipynb", SMALL_PARAMETERS, SMALL_BODY, "print('never')"
    )
    with pytest.raises(PapermillExecutionError, match="x must not be 3"):
        papermill.execute_notebook(
            str(notebook), None, parameters={"x": 3}, engine_name="mlops", progress_bar=False
        )

    [run_id] = mj.runs()["run_id"]
    run = mj.get_run(run_id)
    assert run.status == "failed"
    assert "cell 2" in run.error and "ValueError: x must not be 3" in run.error
    cells = json.loads(run.artifact_bytes(CELLS_ARTIFACT))
    assert [c["status"] for c in cells] == ["completed", "completed", "failed", "pending"]
    stored = nbformat.reads(run.artifact_bytes(OUTPUT_ARTIFACT).decode(), as_version=4)
    assert stored.metadata.papermill.exception is True


def test_the_engine_module_can_be_imported_before_papermill() -> None:
    # papermill imports its engines' entry points while it is itself being imported
    code = (
        "import mlops_jupyter.batch.engine as engine\n"
        "from papermill.engines import papermill_engines\n"
        "assert papermill_engines.get_engine('mlops') is engine.MlopsEngine\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_run_cli_exits_1_when_the_notebook_fails(mj_store, tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "small.ipynb", SMALL_PARAMETERS, SMALL_BODY)
    out = tmp_path / "executed.ipynb"
    failed = run_cli("run", str(notebook), "-p", "x", "3", "--output", str(out))
    assert failed.returncode == 1
    assert "ValueError: x must not be 3" in failed.stdout and "failed" in failed.stdout
    assert nbformat.read(str(out), as_version=4).metadata.papermill.exception is True
    [run] = mj.runs().to_dict(orient="records")
    assert run["status"] == "failed" and run["params.x"] == 3
