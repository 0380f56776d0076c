"""Retraining: re-run the notebook that trained the alias holder, on new data, through the batch
engine; take the version it registers (or register the model it logged) as the candidate; check
the policy's gates against the champion; request approval — or promote, where the alias is not
protected and the gates pass — and record the chain check → retrain run → candidate.

How the training notebook and its parameters are found (lineage): the holder's source run is
the engine's notebook run (parameters recorded as params) or a ``%%track`` cell whose parent is
the session's notebook run; the notebook path is the run's. ``data`` replaces the parameter
whose recorded value is the path of a training dataset (else one named ``data_path``, ``data``,
``train_path``, ``input_path`` or ``dataset``); ``params`` override any other parameter.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from mlops_jupyter.batch.api import run_notebook
from mlops_jupyter.batch.parameters import notebook_params
from mlops_jupyter.monitor.checks import MonitorError
from mlops_jupyter.registry.aliases import check_gates, promote
from mlops_jupyter.registry.approvals import request_approval
from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.registry.models import get_policy, resolve_actor
from mlops_jupyter.registry.registration import register_model
from mlops_jupyter.registry.versions import get_version, list_versions
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.tracking.query import get_run

DATA_PARAMETER_NAMES = ("data_path", "data", "train_path", "input_path", "dataset", "path")
TAG_RETRAIN_OF = "mlops.retrain_of"  # models:/NAME/VERSION the retrain replaces
TAG_RETRAIN_CHECK = "mlops.retrain_check"  # the check that asked for it


@dataclass
class RetrainResult:
    """What a retrain did: its run, the candidate, the gate report and the action taken."""

    name: str
    alias: str
    champion: int
    run_id: str | None
    status: str  # the notebook run's status
    candidate: int | None
    action: str  # approval-requested | promoted | gates-failed | failed
    gates: dict[str, Any] | None = None
    check_id: str | None = None
    notebook: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.action in ("approval-requested", "promoted")

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __repr__(self) -> str:
        cand = f"v{self.candidate}" if self.candidate else "no candidate"
        return f"<RetrainResult {self.name}@{self.alias} v{self.champion} -> {cand}: {self.action}>"


@dataclass
class TrainingSource:
    """Where the holder came from: notebook path, its run and the parameters it ran with."""

    notebook: str
    run_id: str
    parameters: dict[str, Any]
    data_parameter: str | None


def _local(uri: str | None) -> str | None:
    if not uri:
        return None
    if uri.startswith("file://"):
        return unquote(urlparse(uri).path)
    return None if "://" in uri else uri


def training_source(version: Any, store: Store) -> TrainingSource:
    """The notebook and parameters that made ``version`` (through its lineage)."""
    run = get_run(version.run_id, store=store)
    notebook_run = run
    if run.kind == "cell" and run.parent_run_id:
        notebook_run = get_run(run.parent_run_id, store=store)
    path = notebook_run.source.get("notebook_path") or run.source.get("notebook_path")
    snapshot_name = "notebook/input.ipynb"
    if not path or not os.path.isfile(path):
        if any(a["name"] == snapshot_name for a in notebook_run.artifacts):
            handle, path = tempfile.mkstemp(suffix=".ipynb", prefix="retrain-")
            with os.fdopen(handle, "wb") as out:
                out.write(notebook_run.artifact_bytes(snapshot_name))
        else:
            raise MonitorError(
                f"{version.uri} was trained in run {version.run_id}, which names no notebook "
                "that still exists; retraining re-runs the training notebook"
            )
    declared = notebook_params(path)
    parameters = {k: v for k, v in notebook_run.params.items() if declared.get(k) is not None}
    data_paths = {
        os.path.realpath(p)
        for p in (_local(d.get("uri")) for d in version.datasets)
        if p is not None
    }
    data_parameter = None
    for key, value in parameters.items():
        if isinstance(value, str):
            where = {
                os.path.realpath(value),
                os.path.realpath(os.path.join(os.path.dirname(path), value)),
            }
            if where & data_paths:
                data_parameter = key
                break
    if data_parameter is None:
        data_parameter = next(
            (n for n in DATA_PARAMETER_NAMES if declared.get(n) is not None), None
        )
    return TrainingSource(path, notebook_run.run_id, parameters, data_parameter)


def _candidate(name: str, run_id: str, store: Store, actor: str | None) -> Any:
    """The version the retrain run registered, else the model it (or a cell of it) logged."""
    run = get_run(run_id, store=store)
    family = {run_id, *run.children}
    registered = [v for v in list_versions(name, store=store) if v.run_id in family]
    if registered:
        return registered[-1]
    for candidate_run in [run_id, *reversed(run.children)]:
        try:
            return register_model(candidate_run, name, actor=actor, store=store)
        except RegistryError:
            continue
    return None


def retrain(
    name: str,
    *,
    data: str | os.PathLike[str] | None = None,
    params: Mapping[str, Any] | None = None,
    alias: str = "production",
    check_id: str | None = None,
    comment: str | None = None,
    actor: str | None = None,
    timeout: float | None = None,
    store: Store | None = None,
) -> RetrainResult:
    """Retrain ``name``'s ``alias`` holder on ``data`` and put the candidate through the gates."""
    store = store or get_store()
    actor = resolve_actor(actor)
    try:
        champion = get_version(name, alias, store=store)
    except RegistryError as exc:
        raise MonitorError(str(exc)) from None
    source = training_source(champion, store)
    parameters = dict(source.parameters)
    if data is not None:
        if source.data_parameter is None:
            raise MonitorError(
                f"the training notebook {source.notebook} has no data parameter (one whose value "
                f"was the training data's path, or one named {', '.join(DATA_PARAMETER_NAMES)}); "
                "pass the new data's path with params={NAME: PATH}"
            )
        parameters[source.data_parameter] = os.path.abspath(os.fspath(data))
    parameters.update(params or {})
    tags = {TAG_RETRAIN_OF: champion.uri}
    if check_id:
        tags[TAG_RETRAIN_CHECK] = check_id
    outcome = run_notebook(
        source.notebook,
        parameters,
        name=f"retrain {name}@{alias}",
        tags=tags,
        timeout=timeout,
    )
    result = RetrainResult(
        name=name,
        alias=alias,
        champion=champion.version,
        run_id=outcome.run_id,
        status=outcome.status,
        candidate=None,
        action="failed",
        check_id=check_id,
        notebook=source.notebook,
        parameters=parameters,
        error=outcome.error,
    )
    if outcome.run_id is not None:
        store.lineage.add_edges(
            [
                {
                    "run_id": outcome.run_id,
                    "node_type": "model_version",
                    "node_id": champion.version_id,
                    "role": "input",
                    "name": champion.uri,
                }
            ]
        )
    if check_id:
        store.monitor.record_action(check_id, retrain_run_id=outcome.run_id)
    if not outcome.ok or outcome.run_id is None:
        return result
    candidate = _candidate(name, outcome.run_id, store, actor)
    if candidate is None:
        result.error = f"the retrain run {outcome.run_id} registered and logged no model"
        return result
    result.candidate = candidate.version
    if check_id:
        store.monitor.record_action(check_id, candidate_version=candidate.version)
    report = check_gates(name, candidate.version, alias, store=store)
    result.gates = report.to_dict()
    if not report.gates_passed:
        result.action = "gates-failed"
        return result
    policy = get_policy(name, store=store)
    if not policy.is_protected(alias):
        promote(name, candidate.version, alias, actor=actor, store=store)
        result.action = "promoted"
        return result
    note = comment or (
        f"retrained from v{champion.version} on {data}"
        + (f" after check {check_id}" if check_id else "")
    )
    request_approval(name, candidate.version, note, actor=actor, store=store)
    result.action = "approval-requested"
    return result
