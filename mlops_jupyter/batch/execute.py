"""One tracked notebook execution: a ``PointTask`` in, a ``NotebookRun`` out.

Both ``run_notebook`` and every sweep point go through :func:`execute_point`, in this process
or on a Dask worker: papermill parameterises the notebook and the ``mlops`` engine records the
run. The outcome is read back from the store, so what a caller sees is what was recorded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_jupyter.batch.kernels import Watchdog
from mlops_jupyter.batch.parameters import ParameterError, read_notebook
from mlops_jupyter.batch.record import CELLS_ARTIFACT, notebook_location
from mlops_jupyter.store import get_store
from mlops_jupyter.tracking.context import create_run
from mlops_jupyter.tracking.display import html
from mlops_jupyter.tracking.query import get_run

if TYPE_CHECKING:
    import pandas as pd

    from mlops_jupyter.batch.kernels import CancelSignal, KernelPool


@dataclass
class PointTask:
    """Everything a worker needs to execute one notebook (picklable, for Dask)."""

    notebook: str  # absolute path
    parameters: dict[str, Any]
    kernel_name: str
    cwd: str
    store_env: dict[str, str]  # the store and user the run is recorded in/as
    index: int = 0
    output_path: str | None = None
    experiment: str | None = None
    parent_run_id: str | None = None
    run_name: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    warm: bool = False
    waiting_hint: int = 0  # points expected after this one on the same worker (pre-start)
    record_as: str | None = None  # the notebook path to record when executing a copy of it


@dataclass
class NotebookRun:
    """The outcome of one tracked notebook execution (a sweep point or ``run_notebook``)."""

    run_id: str | None
    status: str  # finished | failed | killed
    parameters: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    duration_s: float | None = None
    output_path: str | None = None
    index: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "finished"

    def cells(self) -> pd.DataFrame:
        """Per-cell status and timing of this execution (from ``notebook/cells.json``)."""
        import pandas as pd  # noqa: PLC0415 - start-up: pandas is imported on first use

        if self.run_id is None:
            return pd.DataFrame()
        return pd.DataFrame(json.loads(get_run(self.run_id).artifact_bytes(CELLS_ARTIFACT)))

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)


def notebook_kernel(notebook: str, kernel_name: str | None) -> str:
    """The kernel to run a notebook with: the override, else its ``kernelspec``."""
    if kernel_name:
        return kernel_name
    name = read_notebook(notebook).metadata.get("kernelspec", {}).get("name")
    if not name:
        raise ParameterError(
            f"{notebook} names no kernel (metadata.kernelspec): pass kernel_name / --kernel"
        )
    return str(name)


class _UnknownParameterNoise(logging.Filter):
    """papermill's regex parameter inspection cannot read annotations like ``Literal[...]`` and
    warns about parameters we already checked with ``ast``; drop exactly that warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Passed unknown parameter")


@contextlib.contextmanager
def _quiet_papermill() -> Iterator[None]:
    papermill_logger = logging.getLogger("papermill")
    noise = _UnknownParameterNoise()
    papermill_logger.addFilter(noise)
    try:
        yield
    finally:
        papermill_logger.removeFilter(noise)


def execute_point(
    task: PointTask,
    *,
    pool: KernelPool,
    cancel: CancelSignal | None = None,
    waiting: Callable[[], int] | None = None,
) -> NotebookRun:
    """Execute one notebook through papermill and the ``mlops`` engine; never raises for a
    failing notebook (the outcome says so), only for Ctrl-C in this process."""
    import papermill  # noqa: PLC0415 - start-up: papermill is imported on first use
    from papermill.exceptions import PapermillExecutionError  # noqa: PLC0415 - start-up: papermill is imported on first use

    from mlops_jupyter.batch.engine import BatchOptions  # noqa: PLC0415 - start-up: papermill (via batch.engine) is imported on first use

    started = time.monotonic()
    run_ids: list[str] = []
    error: str | None = None
    with Watchdog(task.timeout, cancel) as watchdog, _quiet_papermill():
        options = BatchOptions(
            pool=pool,
            waiting=waiting or (lambda: task.waiting_hint),
            parent_run_id=task.parent_run_id,
            experiment=task.experiment,
            run_name=task.run_name,
            tags=task.tags,
            watchdog=watchdog,
            cwd=task.cwd,
            notebook_path=task.record_as,
            on_run=run_ids.append,
        )
        try:
            papermill.execute_notebook(
                task.notebook,
                task.output_path,
                parameters=task.parameters,
                engine_name="mlops",
                kernel_name=task.kernel_name,
                progress_bar=False,
                mlops=options,
            )
        except PapermillExecutionError as failure:
            error = f"{failure.ename}: {failure.evalue}"
        except Exception as failure:  # the engine recorded it; report it, never stop a sweep
            error = str(failure) or type(failure).__name__
    return outcome(task, run_ids[-1] if run_ids else None, error, time.monotonic() - started)


def outcome(task: PointTask, run_id: str | None, error: str | None, duration: float) -> NotebookRun:
    """The recorded status and metrics of the point's run."""
    status, metrics = "failed", {}
    if run_id is not None:
        store = get_store()
        row = store.runs.get_run_row(run_id)
        status = row["status"] if row else "failed"
        metrics = store.runs.run_values([run_id])[run_id]["metrics"]
        if status == "finished":
            error = None  # papermill also raises for errors in cells tagged raises-exception
        elif status == "killed" and error is None:
            error = "cancelled"
    return NotebookRun(
        run_id=run_id,
        status=status,
        parameters=task.parameters,
        metrics=metrics,
        error=error,
        duration_s=duration,
        output_path=task.output_path,
        index=task.index,
    )


def record_unstarted(task: PointTask, reason: str) -> NotebookRun:
    """A point the sweep never started (cancelled): recorded as a killed run, so the sweep's
    children are every point it planned."""
    run = create_run(
        name=task.run_name,
        experiment=task.experiment,
        kind="notebook",
        parent_run_id=task.parent_run_id,
        push=False,
        notebook_path=task.record_as or notebook_location(task.notebook),
    )
    run.set_tags({"engine": "papermill", "kernel": task.kernel_name, **task.tags})
    run.log_params(task.parameters)
    run.end("killed", RuntimeError(reason))
    return NotebookRun(run.run_id, "killed", task.parameters, error=reason, index=task.index)
