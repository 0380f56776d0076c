"""Validation notebooks as gates.

A policy's notebook gate (``{"notebook": PATH, "params": {...}, "require": {"auc": ">= 0.85"}}``)
runs the notebook through papermill's ``mlops`` engine — so the validation is itself a recorded
notebook run, with its output notebook as an artifact — with ``model_uri=models:/NAME/VERSION``
added to the parameters. The metrics that run logs decide: each ``require`` entry is one
:class:`GateResult` carrying the run id and the output notebook. A notebook that fails (raises)
or cannot run fails every requirement with the reason. Results are cached per (version, notebook
SHA-256, parameters SHA-256), so a promotion after a request-approval does not run it again, and
editing the notebook or its parameters does; a crash is not cached (it may be passing trouble).

The engine is reached through papermill's entry point (``engine_name="mlops"``), not by importing
the batch package: the registry and batch practices stay independent.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter.registry.gates import GateResult, judge_gate
from mlops_jupyter.registry.policy import NotebookGate
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.gate_runs import cached_result, save_result
from mlops_jupyter.store.ids import now
from mlops_jupyter.tracking.query import get_run

if TYPE_CHECKING:
    from mlops_jupyter.registry.versions import ModelVersion

OUTPUT_ARTIFACT = "notebook/output.ipynb"  # where the mlops engine keeps the executed notebook
EXPERIMENT = "validation"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _execute(gate: NotebookGate, uri: str) -> tuple[str | None, str | None]:
    """Run the notebook; (run id, crash reason)."""
    import nbformat  # noqa: PLC0415 - start-up: nbformat is imported on first use
    import papermill  # noqa: PLC0415 - start-up: papermill is imported on first use

    path = Path(gate.notebook)
    reason: str | None = None
    previous = os.environ.get("MLOPS_JUPYTER_EXPERIMENT")
    os.environ["MLOPS_JUPYTER_EXPERIMENT"] = EXPERIMENT
    with tempfile.TemporaryDirectory(prefix="mlops-gate-") as scratch:
        output = Path(scratch) / path.name
        try:
            papermill.execute_notebook(
                str(path),
                str(output),
                parameters={**gate.params, "model_uri": uri},
                engine_name="mlops",
                cwd=str(path.parent),
                progress_bar=False,
                log_output=False,
            )
        except papermill.PapermillExecutionError as error:
            reason = f"the notebook raised {error.ename}: {error.evalue} (cell {error.exec_count})"
        except Exception as error:  # no kernel, unreadable notebook, ...
            reason = f"the notebook could not run: {type(error).__name__}: {error}"
        finally:
            if previous is None:
                os.environ.pop("MLOPS_JUPYTER_EXPERIMENT", None)
            else:
                os.environ["MLOPS_JUPYTER_EXPERIMENT"] = previous
        run_id = None
        if output.exists():
            metadata = nbformat.read(str(output), as_version=4).metadata
            run_id = (metadata.get("mlops_jupyter") or {}).get("run_id")
    return run_id, reason


def _judge(
    gate: NotebookGate, metrics: dict[str, Any], run_id: str | None, reason: str | None
) -> list[GateResult]:
    label = str(gate)
    results = []
    for requirement in gate.require:
        text = f"{label}: {requirement}"
        if reason is not None:
            results.append(
                GateResult(text, requirement.metric, None, requirement.threshold, False, reason)
            )
            continue
        judged = judge_gate(requirement, metrics, None)
        results.append(
            GateResult(
                text,
                judged.metric,
                judged.value,
                judged.bound,
                judged.passed,
                judged.detail.replace("the version has no metric", "the validation run logged no"),
            )
        )
    output = OUTPUT_ARTIFACT if run_id is not None else None
    where = f" (validation run {run_id})" if run_id else ""
    return [
        GateResult(r.gate, r.metric, r.value, r.bound, r.passed, r.detail + where, run_id, output)
        for r in results
    ]


def run_notebook_gate(
    gate: NotebookGate, version: ModelVersion, *, run: bool = True, store: Store | None = None
) -> list[GateResult] | None:
    """The results of one notebook gate for ``version``: from the cache, else by running the
    notebook (``run=False``: None when not cached)."""
    store = store or get_store()
    path = Path(gate.notebook)
    try:
        notebook_hash = _sha256(path.read_bytes())
    except OSError as error:
        unreadable = f"the validation notebook {path} cannot be read: {error.strerror or error}"
        return _judge(gate, {}, None, unreadable)
    params_hash = _sha256(json.dumps(gate.params, sort_keys=True).encode())
    cached = cached_result(store.db, version.version_id, notebook_hash, params_hash)
    if cached is not None:
        return _judge(gate, json.loads(cached["metrics"]), cached["run_id"], cached["reason"])
    if not run:
        return None
    run_id, reason = _execute(gate, version.uri)
    metrics: dict[str, Any] = {}
    if run_id is not None:
        metrics = dict(get_run(run_id, store=store).metrics)
    results = _judge(gate, metrics, run_id, reason)
    if reason is not None:
        return results  # a crash may be passing trouble (a kernel that did not start): not cached
    status = "passed" if all(r.passed for r in results) else "failed"
    save_result(
        store.db,
        {
            "version_id": version.version_id,
            "notebook_sha256": notebook_hash,
            "params_sha256": params_hash,
            "notebook": str(path),
            "run_id": run_id,
            "output_artifact": OUTPUT_ARTIFACT if run_id else None,
            "status": status,
            "metrics": json.dumps(metrics, default=str),
            "results": json.dumps([r.to_dict() for r in results], default=str),
            "reason": None,
            "at": now(),
        },
    )
    return results


def notebook_gate_results(
    version: ModelVersion,
    gates: tuple[NotebookGate, ...],
    *,
    run: bool = True,
    store: Store | None = None,
) -> list[GateResult]:
    """Every notebook gate's results (not yet run and ``run=False``: a failing "not run yet")."""
    results: list[GateResult] = []
    for gate in gates:
        outcome = run_notebook_gate(gate, version, run=run, store=store)
        if outcome is None:
            outcome = [
                GateResult(
                    f"{gate}: {requirement}",
                    requirement.metric,
                    None,
                    requirement.threshold,
                    False,
                    "not run yet: it runs at request-approval or promotion",
                )
                for requirement in gate.require
            ]
        results += outcome
    return results
