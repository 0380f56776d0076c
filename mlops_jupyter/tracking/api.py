"""The tracking functions of ``import mlops_jupyter as mj``.

Every log call goes to the innermost active run, or to the session run when there is none.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from mlops_jupyter.tracking import context, settings
from mlops_jupyter.tracking.code_names import CellNames
from mlops_jupyter.tracking.datasets import DatasetRef
from mlops_jupyter.tracking.problems import warn
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

    Runs nest: a run started while another is active on this thread becomes its child. Until
    the run ends, capture records into it what the code on this thread does: scikit-learn fits,
    scores and metric calls, pandas reads and writes (``mj.autolog`` turns parts off).
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
    caller = sys._getframe(1).f_globals
    if not str(caller.get("__name__", "")).startswith("mlops_jupyter."):
        _begin_block_capture(run, caller)  # a run this package starts for itself captures nothing
    return run


def _begin_block_capture(run: Run, caller_globals: dict[str, Any]) -> None:
    switches = settings.SWITCHES
    if not (switches.sklearn or switches.pandas) or not (
        "sklearn" in sys.modules or "pandas" in sys.modules
    ):
        return  # nothing that could be captured is imported: no hooks, no cost
    # start-up: the capture stack (autolog, pandas IO, patches) is imported only once a block
    # can capture something, not by `mj.start_run` or a script that never imports those libraries
    from mlops_jupyter.tracking.capture import Capture  # noqa: PLC0415 - start-up

    # the caller's module is the block's namespace: names it bound to library functions
    # (``from sklearn.metrics import f1_score``) report too, for the length of the block
    capture = Capture(run, caller_globals, CellNames(), max_bytes=2 << 30)
    try:
        capture.begin_block(
            sklearn=switches.sklearn, pandas=switches.pandas, memory=switches.memory
        )
    except Exception as error:  # capture must never stop a run from starting
        capture.end()
        warn(f"run {run.run_id} is recorded without autolog: {error}")
        return
    run.capture = capture


def autolog(
    sklearn: bool | None = True,
    pandas: bool | None = True,
    memory: bool | None = True,
    *,
    snapshot_inputs: str | None = None,
    snapshot_max_bytes: int | None = None,
) -> None:
    """Turn parts of capture on or off for every run in this process: ``%%track`` cells,
    ``start_run`` blocks and notebooks run by the ``mlops`` papermill engine.

    ``sklearn``: fits, searches, scores and metric calls as params and metrics; ``pandas``:
    reads and writes as dataset versions (and input snapshots); ``memory``: in-memory data
    (cell variables, the X and y of fits) fingerprinted as dataset versions — a registered
    model's signature is typed from the X capture saw. ``None`` leaves a switch as it is.
    ``snapshot_inputs``: ``"auto"`` (input files up to ``snapshot_max_bytes``, 100 MB by
    default), ``"always"`` or ``"never"`` copy input files into the artifact store.
    """
    settings.autolog(
        sklearn=sklearn,
        pandas=pandas,
        memory=memory,
        snapshot_inputs=snapshot_inputs,
        snapshot_max_bytes=snapshot_max_bytes,
    )


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
