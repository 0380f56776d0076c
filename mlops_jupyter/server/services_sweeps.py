"""Sweeps and notebook parameters for the REST API: what the sidebar's "Run notebook as batch…"
dialog and its Sweeps section need.

A sweep is a run of kind ``sweep`` whose points are its child notebook runs, so its progress is
read from the run tables (``batch.sweep.SweepProgress`` from the points' statuses; the planned
total is the sweep's ``points`` param) and is the same whether the sweep was started here, from
the CLI or from a notebook. Starting one goes through ``batch.sweep.start_sweep``, which checks
every point against the notebook's parameters before any kernel starts and then runs in a
background thread. Listings are structured searches (filter trees), never filter text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_jupyter.batch.parameters import notebook_params
from mlops_jupyter.batch.sweep import SweepProgress, grid_values, start_sweep
from mlops_jupyter.server.models import (
    NotebookParameters,
    SweepDetail,
    SweepList,
    SweepRequest,
    SweepsQuery,
    SweepStarted,
    SweepSummary,
)
from mlops_jupyter.server.serialize import json_safe
from mlops_jupyter.server.services_runs import notebook_condition, run_summary
from mlops_jupyter.server.validation import ApiError, path_inside
from mlops_jupyter.store import Store
from mlops_jupyter.store.filters import all_of, attribute_equals, attribute_in
from mlops_jupyter.tracking.query import search

SWEEPS = attribute_equals("kind", "sweep")


def progress_of(run: dict[str, Any], children: list[dict[str, Any]]) -> SweepProgress:
    planned = run["params"].get("points")
    total = planned if isinstance(planned, int) and not isinstance(planned, bool) else None
    return SweepProgress.from_statuses(total, (child["status"] for child in children))


def sweep_summary(run: dict[str, Any], children: list[dict[str, Any]]) -> SweepSummary:
    progress = progress_of(run, children)
    return SweepSummary.model_validate(
        {
            **json_safe(run),
            "sweep_id": run["run_id"],
            "progress": {**vars(progress), "pending": progress.pending},
        }
    )


def list_sweeps(store: Store, query: SweepsQuery, root_dir: str) -> SweepList:
    where = all_of(SWEEPS, notebook_condition(root_dir, query.notebook) if query.notebook else None)
    sweeps, _ = search(where=where, limit=query.limit, store=store)
    children_of: dict[str, list[dict[str, Any]]] = {run["run_id"]: [] for run in sweeps}
    if sweeps:
        children, _ = search(where=attribute_in("parent_run_id", children_of), store=store)
        for child in children:
            children_of[child["parent_run_id"]].append(child)
    return SweepList(sweeps=[sweep_summary(run, children_of[run["run_id"]]) for run in sweeps])


def sweep_detail(store: Store, sweep_id: str) -> SweepDetail:
    found, _ = search(where=all_of(SWEEPS, attribute_equals("run_id", sweep_id)), store=store)
    if not found:
        raise ApiError(404, f"no sweep with id {sweep_id!r}")
    children, _ = search(
        where=attribute_equals("parent_run_id", sweep_id), order_by="start_time asc", store=store
    )
    return SweepDetail(
        sweep=sweep_summary(found[0], children),
        params=json_safe(found[0]["params"]),
        children=[run_summary(child) for child in children],
    )


def notebook_file(root_dir: str, relative: str) -> Path:
    """An existing notebook inside the server root (400/403/404 otherwise)."""
    path = path_inside(root_dir, relative, "notebook path")
    if path.suffix != ".ipynb":
        raise ApiError(400, f"{relative!r} is not a notebook (.ipynb)")
    if not path.is_file():
        raise ApiError(404, f"no notebook {relative!r} in the server root")
    return path


def start(store: Store, notebook: Path, request: SweepRequest) -> SweepStarted:
    """Plan and start the sweep (a bad point is a 400 before any kernel starts).

    Grid values given as text (``"0.1,1,10"``) are split and typed by ``batch.sweep.grid_values``,
    the parser of the CLI's ``--grid``, with the notebook's declared parameter types.
    """
    declared = notebook_params(notebook)
    grid = {
        name: grid_values(declared, name, values) if isinstance(values, str) else values
        for name, values in request.grid.items()
    }
    handle = start_sweep(
        notebook,
        grid,
        parameters=request.parameters,
        workers=request.workers,
        timeout=request.timeout_s,
        experiment=request.experiment,
        name=request.name or None,
    )
    return SweepStarted(sweep_id=handle.sweep_run_id, points_total=handle.total, status="running")


def parameters_of(store: Store, notebook: Path, relative: str) -> NotebookParameters:
    declared = notebook_params(notebook)
    return NotebookParameters.model_validate(
        {
            "path": relative,
            "has_parameters_cell": declared.has_cell,
            "parameters": json_safe(declared.to_dicts()),
        }
    )
