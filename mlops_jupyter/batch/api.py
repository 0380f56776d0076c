"""The batch functions of ``import mlops_jupyter as mj``: run a notebook as a tracked run, sweep
it, reproduce a run, list its parameters.

``start_sweep`` returns at once with a :class:`SweepHandle` (``progress()``, ``cancel()``,
``wait()``) — what a server handler needs; ``sweep`` waits with a progress bar.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_jupyter.batch.execute import NotebookRun, PointTask, execute_point, notebook_kernel
from mlops_jupyter.batch.kernels import KernelPool, store_environment
from mlops_jupyter.batch.parameters import (
    NotebookParameter,
    ParameterError,
    ParameterList,
    notebook_params,
    resolve_parameters,
)
from mlops_jupyter.batch.reproduce import ReproduceReport, reproduce
from mlops_jupyter.batch.sweep import SweepHandle, SweepProgress, SweepResult, start_sweep, sweep

__all__ = [
    "NotebookParameter",
    "NotebookRun",
    "ParameterError",
    "ParameterList",
    "ReproduceReport",
    "SweepHandle",
    "SweepProgress",
    "SweepResult",
    "notebook_params",
    "reproduce",
    "run_notebook",
    "start_sweep",
    "sweep",
]


def run_notebook(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    output: str | os.PathLike[str] | None = None,
    strict: bool = False,
    experiment: str | None = None,
    name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    kernel_name: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> NotebookRun:
    """Execute a notebook once as a tracked notebook run and return its outcome.

    ``parameters`` are checked against the notebook's parameters cell (``strict``: an unknown
    name or a value that does not fit raises :class:`ParameterError` before any kernel starts).
    The kernel runs in the notebook's directory unless ``cwd`` says otherwise. A failing
    notebook does not raise: the result's ``status`` is ``failed`` and ``error`` names the cell.
    """
    path = os.path.abspath(notebook)
    if timeout is not None and timeout <= 0:
        raise ParameterError(f"timeout must be positive, got {timeout}")
    checked = resolve_parameters(notebook_params(path), parameters, strict=strict)
    kernel = notebook_kernel(path, kernel_name)
    task = PointTask(
        notebook=path,
        parameters=checked,
        kernel_name=kernel,
        cwd=os.path.abspath(cwd) if cwd else str(Path(path).parent),
        store_env=store_environment(),
        output_path=os.path.abspath(output) if output else None,
        experiment=experiment,
        run_name=name,
        tags=dict(tags or {}),
        timeout=timeout,
    )
    pool = KernelPool(kernel, cwd=task.cwd, env=task.store_env, quiet=True)
    try:
        return execute_point(task, pool=pool)
    finally:
        pool.close()
