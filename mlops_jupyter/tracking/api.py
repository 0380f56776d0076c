"""The tracking functions of ``import mlops_jupyter as mj`` (see DESIGN.md).

Every log call goes to the innermost active run, or to the session run when there is none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_jupyter.tracking import context
from mlops_jupyter.tracking.datasets import DatasetRef
from mlops_jupyter.tracking.run import Run

RUN_KINDS = ("cell", "notebook", "script", "sweep", "check")


def start_run(
    name: str | None = None,
    experiment: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    *,
    kind: str = "script",
    parent_run_id: str | None = None,
    **source: Any,
) -> Run:
    """Start a run; use it as a context manager so an exception marks it failed.

    Runs nest: a run started while another is active on this thread becomes its child.
    """
    if kind not in RUN_KINDS:
        raise ValueError(f"kind must be one of {', '.join(RUN_KINDS)}, got {kind!r}")
    run = context.create_run(
        name=name,
        experiment=experiment,
        kind=kind,
        parent_run_id=parent_run_id or context.parent_for_new_run(),
        **source,
    )
    if params:
        run.log_params(params)
    if tags:
        run.set_tags(tags)
    return run


def end_run(status: str = "finished") -> None:
    """End the innermost run started on this thread (if any)."""
    run = context.active_run()
    if run is not None:
        run.end(status)


def active_run() -> Run | None:
    return context.active_run()


def set_experiment(name: str) -> None:
    context.set_experiment(name)


def log_param(key: str, value: Any) -> None:
    context.current_run().log_param(key, value)


def log_params(values: Mapping[str, Any]) -> None:
    context.current_run().log_params(values)


def log_metric(key: str, value: Any, step: int | None = None) -> None:
    context.current_run().log_metric(key, value, step)


def log_metrics(values: Mapping[str, Any], step: int | None = None) -> None:
    context.current_run().log_metrics(values, step)


def set_tag(key: str, value: Any) -> None:
    context.current_run().set_tag(key, value)


def log_artifact(path_or_obj: Any, name: str | None = None) -> str:
    return context.current_run().log_artifact(path_or_obj, name)


def log_input(data: Any, name: str | None = None) -> DatasetRef:
    return context.current_run().log_input(data, name)


def log_output(data: Any, name: str | None = None) -> DatasetRef:
    return context.current_run().log_output(data, name)
