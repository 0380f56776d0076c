"""Checks: ``mj.check_drift`` and ``mj.check_performance``, recorded as tracked runs.

A check about a registered model is a run of kind ``check`` with a lineage edge to the model
version it checked, and a ``monitor_checks`` row (status, report, model, alias, version). Through
the version the check reaches the training run, its data fingerprints and its notebook: the
report carries that chain (``report.model["chain"]``), so a failing check says what to look at.
A failing check on a version the alias was moved to most recently, when the model's policy has
``auto_rollback``, moves the alias back to its previous holder (audited, the check as reason).
A failed check emits the ``check.failed`` event to the outbox (webhooks) with its row.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mlops_jupyter.monitor.drift import DriftInputError, DriftReport, compare
from mlops_jupyter.monitor.performance import PerformanceReport, compute_metrics, judge, task_of
from mlops_jupyter.registry.aliases import alias_history, rollback
from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.registry.loaded import load_model
from mlops_jupyter.registry.models import get_policy, resolve_actor
from mlops_jupyter.registry.names import parse_model_uri
from mlops_jupyter.registry.versions import get_version
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.ids import new_id
from mlops_jupyter.tracking import context
from mlops_jupyter.tracking.api import start_run
from mlops_jupyter.tracking.profile import Profile, ProfileError, load_profile
from mlops_jupyter.tracking.query import RunNotFoundError, get_run

log = logging.getLogger(__name__)

CHECK_EXPERIMENT = "monitoring"
TAG_CHECK_ID = "mlops.check_id"
TAG_CHECK_STATUS = "mlops.check_status"
TAG_CHECK_MODEL = "mlops.check_model"


class MonitorError(ValueError):
    """A check that cannot run: no such model, no reference profile, unreadable input."""


@dataclass(frozen=True)
class Check:
    """One recorded check (a row of ``monitor ls``)."""

    check_id: str
    run_id: str
    model: str | None
    alias: str | None
    version: int | None
    kind: str
    status: str
    drifted: bool | None
    at: float
    retrain_run_id: str | None = None
    candidate_version: int | None = None
    rolled_back_to: int | None = None
    summary: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Check:
        return cls(
            check_id=row["check_id"],
            run_id=row["run_id"],
            model=row["name"],
            alias=row["alias"],
            version=row["version"],
            kind=row["kind"],
            status=row["status"],
            drifted=row["drifted"],
            at=row["at"],
            retrain_run_id=row.get("retrain_run_id"),
            candidate_version=row.get("candidate_version"),
            rolled_back_to=row.get("rolled_back_to"),
            summary=row.get("summary"),
        )

    def to_dict(self, summary: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "check_id": self.check_id,
            "model": self.model,
            "alias": self.alias,
            "version": self.version,
            "kind": self.kind,
            "status": self.status,
            "drifted": self.drifted,
            "at": self.at,
            "run_id": self.run_id,
            "retrain_run_id": self.retrain_run_id,
            "candidate_version": self.candidate_version,
            "rolled_back_to": self.rolled_back_to,
        }
        if summary:
            data["summary"] = self.summary
        return data

    def report(self) -> DriftReport | PerformanceReport | None:
        if self.summary is None:
            return None
        if self.kind == "drift":
            return DriftReport.from_dict(self.summary)
        keys = set(PerformanceReport.__dataclass_fields__)
        return PerformanceReport(**{k: v for k, v in self.summary.items() if k in keys})


# -- models and their chain ----------------------------------------------------------------------
@dataclass
class _Target:
    name: str
    alias: str | None
    version: Any  # registry ModelVersion


def _target(model: Any, store: Store) -> _Target | None:
    if model is None:
        return None

    text = str(model)
    try:
        ref = parse_model_uri(text if ("@" in text or "/" in text) else f"{text}@production")
        version = get_version(ref.uri, store=store)
    except RegistryError as exc:
        raise MonitorError(str(exc)) from None
    return _Target(ref.name, ref.alias, version)


def version_chain(version: Any, store: Store) -> dict[str, Any]:
    """Version → training run → its data fingerprints and notebook."""
    chain: dict[str, Any] = {
        "version": version.uri,
        "training_run": version.run_id,
        "datasets": [
            {k: d.get(k) for k in ("uri", "fingerprint", "rows", "columns")}
            for d in version.datasets
        ],
        "notebook": None,
        "notebook_run": None,
    }
    try:
        run = get_run(version.run_id, store=store)
    except RunNotFoundError:
        return chain
    chain["training_run_name"] = run.name
    chain["notebook"] = run.source.get("notebook_path")
    chain["cell_id"] = run.source.get("cell_id")
    parent = run.parent_run_id if hasattr(run, "parent_run_id") else None
    chain["notebook_run"] = parent if run.kind == "cell" else run.run_id
    return chain


def _model_info(target: _Target, store: Store) -> dict[str, Any]:
    return {
        "name": target.name,
        "alias": target.alias,
        "version": target.version.version,
        "uri": f"models:/{target.name}/{target.version.version}",
        "chain": version_chain(target.version, store),
    }


def reference_profile_of(version: Any) -> Profile:
    if not version.reference_profile:
        raise MonitorError(
            f"{version.uri} has no reference profile (none was captured at registration): "
            "set one with mj.set_reference_profile(name, version, mj.profile(training_data))"
        )
    try:
        return load_profile(version.reference_profile)
    except ProfileError as exc:
        raise MonitorError(
            f"{version.uri}: its stored reference profile is unreadable: {exc}"
        ) from None


# -- recording --------------------------------------------------------------------------------
def _record(
    store: Store,
    *,
    kind: str,
    target: _Target | None,
    status: str,
    drifted: bool | None,
    summary: dict[str, Any],
    metrics: dict[str, float],
    current: Any,
) -> tuple[str, str]:
    check_id = new_id()
    label = f"{target.name}@{target.alias or target.version.version}" if target else "data"
    tags = {TAG_CHECK_ID: check_id, TAG_CHECK_STATUS: status}
    if target:
        tags[TAG_CHECK_MODEL] = f"models:/{target.name}/{target.version.version}"

    parent = None
    if context.active_run() is None and os.environ.get(context.RUN_ID_ENV):
        # a job notebook under the papermill engine: its checks are children of the job's run
        parent = context.session_run().run_id
    with start_run(
        name=f"{kind} check {label}", kind="check", tags=tags, parent_run_id=parent
    ) as run:
        run.log_metrics({k: v for k, v in metrics.items() if v is not None})
        if isinstance(current, (str, os.PathLike)) and os.path.isfile(os.fspath(current)):
            try:
                run.log_input(os.fspath(current), name="current")
            except Exception as exc:  # lineage of the input is best effort
                log.warning("could not record the check's input %s: %s", current, exc)
        run_id = run.run_id
    if target is not None:
        store.lineage.add_edges(
            [
                {
                    "run_id": run_id,
                    "node_type": "model_version",
                    "node_id": target.version.version_id,
                    "role": "input",
                    "name": f"models:/{target.name}/{target.version.version}",
                }
            ]
        )
    store.monitor.insert_check(
        {
            "check_id": check_id,
            "run_id": run_id,
            "name": target.name if target else None,
            "alias": target.alias if target else None,
            "version": target.version.version if target else None,
            "kind": kind,
            "status": status,
            "drifted": drifted,
            "summary": summary,
            "at": time.time(),
        },
        actor=resolve_actor(None),
    )
    if status == "failed" and target is not None:
        _maybe_roll_back(store, check_id, target)
    return check_id, run_id


def _maybe_roll_back(store: Store, check_id: str, target: _Target) -> None:
    if target.alias is None:
        return
    policy = get_policy(target.name, store=store)
    if not policy.auto_rollback:
        return
    history = alias_history(target.name, target.alias, store=store)
    if not history:
        return
    latest = history[-1]
    # only a newly released version: the alias's latest move brought it here
    if latest.to_version != target.version.version or latest.action != "promote":
        return
    try:
        change = rollback(
            target.name,
            target.alias,
            reason=f"auto-rollback: check {check_id} failed on version {target.version.version}",
            actor="mlops-monitor",
            store=store,
        )
    except RegistryError as exc:
        log.warning("auto-rollback of %s@%s refused: %s", target.name, target.alias, exc)
        return
    store.monitor.record_action(check_id, rolled_back_to=change.to_version)


# -- the public checks ------------------------------------------------------------------------
def check_drift(
    reference: Any,
    current: Any,
    *,
    model: str | None = None,
    method: str = "auto",
    threshold: float | Mapping[str, float] | None = None,
    rule: str | float | Sequence[str] = "any",
    columns: Sequence[str] | None = None,
    alpha: float = 0.05,
    record: bool | None = None,
    store: Store | None = None,
) -> DriftReport:
    """Compare ``current`` data with ``reference`` column by column (see ``monitor.drift``).

    ``reference``: a DataFrame, a Profile, or ``"models:/NAME@ALIAS"`` (the version's stored
    reference profile). ``current``: a DataFrame, a Dask DataFrame, a path/glob of CSV or parquet,
    or a Profile. ``model``: the model the check is about (implied by a ``models:/`` reference).
    A check about a model is recorded as a run of kind ``check`` (``record=False`` skips that);
    schema findings are in ``.problems``, never raised.
    """
    store = store or get_store()
    target: _Target | None = None
    label = None
    if isinstance(reference, str) and reference.startswith("models:/"):
        target = _target(reference, store)
        assert target is not None
        reference = reference_profile_of(target.version)
        label = f"reference profile of models:/{target.name}/{target.version.version}"
    elif model is not None:
        target = _target(model, store)
    required = None
    if columns is None and target is not None and target.version.signature is not None:
        # the model's inputs must be there; other reference columns (e.g. the label) are
        # compared when the current data has them
        required = [c.name for c in target.version.signature.columns] or None
    try:
        report = compare(
            reference,
            current,
            method=method,
            threshold=threshold,
            rule=rule,
            columns=columns,
            alpha=alpha,
            reference_label=label,
            required=required,
        )
    except (ProfileError, DriftInputError) as exc:
        raise MonitorError(str(exc)) from None
    if target is not None:
        report.model = _model_info(target, store)
    if record if record is not None else target is not None:
        metrics = {
            "drifted_columns": float(len(report.drifted_columns)),
            "columns_tested": float(len(report.columns)),
            "problems": float(len(report.problems)),
        }
        report.check_id, _ = _record(
            store,
            kind="drift",
            target=target,
            status=report.status,
            drifted=report.drifted,
            summary=report.to_dict(),
            metrics=metrics,
            current=current,
        )
    return report


def check_performance(
    model_uri: str,
    X: Any,
    y: Any = None,
    *,
    target: str | None = None,
    record: bool = True,
    store: Store | None = None,
) -> PerformanceReport:
    """Score ``models:/NAME@ALIAS`` on labelled data and compare with its recorded metrics.

    Classification: accuracy, macro F1 (and ROC AUC for two classes); regression: R², RMSE, MAE.
    A metric fails when it is worse than the version's recorded value by more than the policy's
    ``performance_tolerance``, or misses one of the policy's absolute gates.
    """
    store = store or get_store()
    found = _target(model_uri, store)
    assert found is not None
    problems: list[str] = []
    if y is None:
        if target is None or not isinstance(X, pd.DataFrame) or target not in X.columns:
            raise MonitorError(
                f"give the labels as y, or name the label column with target= (got {target!r})"
            )
        X, y = X.drop(columns=[target]), X[target]
    if len(X) == 0:
        problems.append("the data has no rows")
    try:
        loaded = load_model(f"models:/{found.name}/{found.version.version}", store=store)
    except RegistryError as exc:
        raise MonitorError(str(exc)) from None
    task = task_of(loaded)
    policy = get_policy(found.name, store=store)
    rows: list[dict[str, Any]] = []
    if not problems:
        try:
            values = compute_metrics(loaded, X, y, task)
        except (ValueError, TypeError) as exc:  # e.g. a SignatureError naming columns
            problems.append(f"could not score the data: {exc}")
        else:
            rows = judge(
                values, found.version.metrics, list(policy.gates), policy.performance_tolerance
            )
    report = PerformanceReport(
        model_uri=f"models:/{found.name}/{found.version.version}",
        task=task,
        rows=len(X),
        metrics=rows,
        problems=problems,
        tolerance=policy.performance_tolerance,
        model=_model_info(found, store),
    )
    if record:
        report.check_id, _ = _record(
            store,
            kind="performance",
            target=found,
            status=report.status,
            drifted=None,
            summary=report.to_dict(),
            metrics=report.values,
            current=None,
        )
    return report


def list_checks(
    name: str | None = None,
    alias: str | None = None,
    *,
    kind: str | None = None,
    limit: int | None = 100,
    with_summary: bool = False,
    store: Store | None = None,
) -> list[Check]:
    """Recorded checks, newest first."""
    store = store or get_store()
    rows = store.monitor.list_checks(name, alias, kind=kind, limit=limit, with_summary=with_summary)
    return [Check.from_row(r) for r in rows]


def get_check(check_id: str, *, store: Store | None = None) -> Check:
    store = store or get_store()
    row = store.monitor.get_check(check_id)
    if row is None:
        raise MonitorError(f"no check {check_id!r}")
    return Check.from_row(row)
