"""What a batch execution records about itself: the notebook run's snapshot, parameters, cells,
environment and output notebook — everything ``reproduce`` and the views read back.

Artifacts of a notebook run (names are part of the contract with ``reproduce`` and the UI):
``notebook/input.ipynb`` (the input file's bytes; its SHA-256 is the run's ``code_hash``),
``notebook/parameters.json`` (each parameter's value, declared type, source and help),
``notebook/cells.json`` (per-cell status and timing) and ``notebook/output.ipynb``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mlops_jupyter.batch.parameters import ParameterList, notebook_params
from mlops_jupyter.tracking.artifacts import store_bytes
from mlops_jupyter.tracking.environment import capture_environment, packages_for_modules

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from mlops_jupyter.tracking.run import Run

INPUT_ARTIFACT = "notebook/input.ipynb"
OUTPUT_ARTIFACT = "notebook/output.ipynb"
PARAMETERS_ARTIFACT = "notebook/parameters.json"
CELLS_ARTIFACT = "notebook/cells.json"
NOTEBOOK_MEDIA_TYPE = "application/x-ipynb+json"
INJECTED_TAG = "injected-parameters"


def input_snapshot(input_path: Any, nb: NotebookNode) -> bytes:
    """The input notebook as the user has it: the file's bytes, else (a notebook object was
    passed) the notebook without papermill's injected cell."""
    if isinstance(input_path, str):
        if os.path.isfile(input_path):
            with open(input_path, "rb") as handle:
                return handle.read()
        from papermill.iorw import papermill_io  # noqa: PLC0415 - start-up: papermill is imported on first use

        return str(papermill_io.read(input_path)).encode()

    import nbformat  # noqa: PLC0415 - start-up: nbformat is imported on first use

    original = copy.deepcopy(nb)
    original.cells = [
        c for c in original.cells if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])
    ]
    return nbformat.writes(original).encode()


def notebook_location(input_path: Any) -> str | None:
    """The notebook path a run records: absolute for local files, the URL otherwise."""
    if not isinstance(input_path, str):
        return None
    return os.path.abspath(input_path) if "://" not in input_path else input_path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_artifact(run: Run, name: str, data: bytes, media_type: str) -> None:
    store_bytes(run.store, run.run_id, data, name, media_type)


def put_json(run: Run, name: str, value: Any) -> None:
    put_artifact(run, name, json.dumps(value, indent=1, default=repr).encode(), "application/json")


# -- parameters --------------------------------------------------------------------------------
def record_parameters(run: Run, snapshot: bytes, nb: NotebookNode) -> dict[str, Any]:
    """Log what the notebook runs with (defaults overridden by papermill's injected values) as
    params, and their declared types in ``notebook/parameters.json``. Returns the injected ones."""
    import nbformat  # noqa: PLC0415 - start-up: nbformat is imported on first use

    injected = dict(nb.metadata.get("papermill", {}).get("parameters") or {})
    try:
        declared = notebook_params(nbformat.reads(snapshot.decode(), as_version=4))
    except Exception:  # an unparsable parameters cell still runs; only types are unknown
        declared = ParameterList(has_cell=False)
    rows = []
    for parameter in declared:
        if parameter.name in injected or parameter.literal_default:
            source = "injected" if parameter.name in injected else "default"
            value = injected.get(parameter.name, parameter.default)
            rows.append({**parameter.to_dict(), "value": value, "source": source})
    for name, value in injected.items():
        if declared.get(name) is None:
            rows.append(
                {"name": name, "type": type(value).__name__, "value": value, "source": "injected"}
            )
    run.log_params({row["name"]: row["value"] for row in rows})
    put_json(run, PARAMETERS_ARTIFACT, rows)
    return injected


# -- cells ---------------------------------------------------------------------------------------
def cell_report(nb: NotebookNode) -> list[dict[str, Any]]:
    """Per-cell status and timing, from papermill's cell metadata and the outputs."""
    report = []
    for index, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("papermill", {})
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        status = timing.get("status")
        if error is not None and status != "failed":
            status = "error allowed"  # a raises-exception cell: execution went on past it
        report.append(
            {
                "index": index,
                "id": cell.get("id"),
                "cell_type": cell.get("cell_type"),
                "tags": list(cell.get("metadata", {}).get("tags", [])),
                "status": status,
                "execution_count": cell.get("execution_count"),
                "start_time": timing.get("start_time"),
                "end_time": timing.get("end_time"),
                "duration_s": timing.get("duration"),
                "error": f"{error.get('ename')}: {error.get('evalue')}"
                if error is not None
                else None,
            }
        )
    return report


def failed_cell(nb: NotebookNode) -> str | None:
    """'cell N (id): Ename: message' for the cell that stopped the notebook, else None."""
    for row in cell_report(nb):
        if row["status"] == "failed":
            return f"cell {row['index']} ({row['id']}): {row['error']}"
    return None


def record_outcome(run: Run, nb: NotebookNode) -> None:
    """The output notebook, the per-cell report and the execution time."""
    import nbformat  # noqa: PLC0415 - start-up: nbformat is imported on first use

    put_artifact(run, OUTPUT_ARTIFACT, nbformat.writes(nb).encode(), NOTEBOOK_MEDIA_TYPE)
    put_json(run, CELLS_ARTIFACT, cell_report(nb))
    duration = nb.metadata.get("papermill", {}).get("duration")
    if duration is not None:
        run.log_metric("notebook_seconds", float(duration))


# -- environment ------------------------------------------------------------------------------
def record_environment(run: Run, modules: list[str], cwd: str | None) -> None:
    """Point the run at the kernel's environment: this host's Python and git state, with the
    packages the notebook imported (the run was created with the engine process's)."""
    environment = replace(capture_environment(cwd), packages=packages_for_modules(modules))
    environment_id = run.store.runs.ensure_environment(
        environment.environment_id, environment.as_row
    )
    run.store.runs.update_run(run.run_id, environment_id=environment_id)
