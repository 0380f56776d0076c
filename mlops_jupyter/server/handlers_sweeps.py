"""REST end points for sweeps (a notebook run over a parameter grid) and for the parameters a
notebook accepts — what the sidebar's "Run notebook as batch…" dialog needs.

A sweep is a run of kind ``sweep`` whose points are its child notebook runs, so its progress is
read from the run tables (points per status; the planned total is the sweep's ``points``
param) and is the same whether the sweep was started here, from the CLI or from a notebook.
Starting one goes through ``mlops_jupyter.batch.start_sweep``, which checks every point against
the notebook's parameters before any kernel starts and then runs in a background thread.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import tornado.web

from mlops_jupyter.batch.parameters import ParameterError
from mlops_jupyter.server.handlers_runs import (
    notebook_condition,
    quote_filter_string,
    run_summary,
)
from mlops_jupyter.server.openapi import DEFAULT_SWEEPS_LIMIT, MAX_RUNS_LIMIT
from mlops_jupyter.server.rest import ErrorStatuses, StoreHandler
from mlops_jupyter.server.validation import (
    ApiError,
    check_text,
    int_argument,
    json_body,
    path_inside,
    text_argument,
)
from mlops_jupyter.store import Store
from mlops_jupyter.tracking.query import search

SWEEP_FILTER = "kind = 'sweep'"
DEFAULT_SWEEP_WORKERS = 2


def _children_filter(sweep_ids: list[str]) -> str:
    return f"parent_run_id in ({', '.join(quote_filter_string(i) for i in sweep_ids)})"


def sweep_progress(run: dict[str, Any], children: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(child["status"] for child in children)
    planned = run["params"].get("points")
    total = planned if isinstance(planned, int) and not isinstance(planned, bool) else None
    return {
        "total": total,
        **{status: counts[status] for status in ("finished", "failed", "killed", "running")},
        "pending": None if total is None else max(0, total - len(children)),
    }


def sweep_summary(run: dict[str, Any], children: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "sweep_id": run["run_id"],
        "name": run["name"],
        "experiment": run["experiment"],
        "status": run["status"],
        "notebook_path": run["notebook_path"],
        "start_time": run["start_time"],
        "end_time": run["end_time"],
        "progress": sweep_progress(run, children),
    }


def list_sweeps(store: Store, *, notebook_filter: str | None, limit: int) -> dict[str, Any]:
    query = SWEEP_FILTER if notebook_filter is None else f"{SWEEP_FILTER} and {notebook_filter}"
    sweeps, _ = search(query, limit=limit, store=store)
    children_of: dict[str, list[dict[str, Any]]] = {run["run_id"]: [] for run in sweeps}
    if sweeps:
        children, _ = search(_children_filter(list(children_of)), store=store)
        for child in children:
            children_of[child["parent_run_id"]].append(child)
    return {"sweeps": [sweep_summary(run, children_of[run["run_id"]]) for run in sweeps]}


def sweep_detail(store: Store, sweep_id: str) -> dict[str, Any]:
    found, _ = search(
        f"{SWEEP_FILTER} and run_id = {quote_filter_string(sweep_id)}", limit=1, store=store
    )
    if not found:
        raise ApiError(404, f"no sweep with id {sweep_id!r}")
    children, _ = search(_children_filter([sweep_id]), order_by="start_time asc", store=store)
    return {
        "sweep": sweep_summary(found[0], children),
        "params": found[0]["params"],
        "children": [run_summary(child) for child in children],
    }


def notebook_file(root_dir: str, relative: str) -> Path:
    """An existing notebook inside the server root (400/403/404 otherwise)."""
    path = path_inside(root_dir, relative, "notebook path")
    if path.suffix != ".ipynb":
        raise ApiError(400, f"{relative!r} is not a notebook (.ipynb)")
    if not path.is_file():
        raise ApiError(404, f"no notebook {relative!r} in the server root")
    return path


def start(store: Store, notebook: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Plan and start the sweep (a bad point is a 400 before any kernel starts)."""
    from mlops_jupyter.batch.sweep import start_sweep

    handle = start_sweep(
        notebook,
        request["grid"],
        parameters=request.get("parameters"),
        workers=request.get("workers", DEFAULT_SWEEP_WORKERS),
        timeout=request.get("timeout_s"),
        experiment=request.get("experiment"),
        name=request.get("name") or None,
    )
    return {"sweep_id": handle.sweep_run_id, "points_total": handle.total, "status": "running"}


def parameters_of(store: Store, notebook: Path, relative: str) -> dict[str, Any]:
    from mlops_jupyter.batch.parameters import notebook_params

    declared = notebook_params(notebook)
    return {
        "path": relative,
        "has_parameters_cell": declared.has_cell,
        "parameters": declared.to_dicts(),
    }


class BatchHandler(StoreHandler):
    error_statuses: ErrorStatuses = ((ParameterError, 400), *StoreHandler.error_statuses)


class SweepsHandler(BatchHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        notebook = text_argument(self, "notebook")
        root = self.settings["server_root_dir"]
        page = await self.in_store(
            list_sweeps,
            notebook_filter=notebook_condition(root, notebook) if notebook else None,
            limit=int_argument(self, "limit", DEFAULT_SWEEPS_LIMIT, 0, MAX_RUNS_LIMIT),
        )
        self.reply(page)

    @tornado.web.authenticated
    async def post(self) -> None:
        body = json_body(self, "SweepRequest")
        notebook = notebook_file(self.settings["server_root_dir"], body["notebook"])
        self.reply(await self.in_store(start, notebook, body), status=202)


class SweepHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, sweep_id: str) -> None:
        self.reply(await self.in_store(sweep_detail, check_text("sweep_id", sweep_id)))


class NotebookParametersHandler(BatchHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        relative = self.get_query_argument("path", "")
        notebook = notebook_file(self.settings["server_root_dir"], relative)
        self.reply(await self.in_store(parameters_of, notebook, relative))


handlers = [
    (r"sweeps", SweepsHandler),
    (r"sweeps/(?P<sweep_id>[^/]+)", SweepHandler),
    (r"notebooks/params", NotebookParametersHandler),
]
