"""Monitoring for the REST API: the recorded checks, one check's full report, and retraining
started from the sidebar (in a background thread, its progress kept in this server's memory).

A check's ``run_id`` is the run that trained the checked version (what the sidebar opens);
``check_run_id`` is the check's own run; ``notebook`` is the training notebook's path relative
to the server root when it lies under it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from mlops_jupyter.monitor.checks import MonitorError, get_check
from mlops_jupyter.monitor.checks import list_checks as recorded_checks
from mlops_jupyter.monitor.retrain import retrain
from mlops_jupyter.registry.versions import get_version
from mlops_jupyter.server.models import (
    DEFAULT_ALIAS,
    MonitorCheck,
    MonitorCheckDetail,
    MonitorChecks,
    MonitorQuery,
    RetrainRequest,
    RetrainState,
)
from mlops_jupyter.server.serialize import json_safe
from mlops_jupyter.server.validation import ApiError, path_inside
from mlops_jupyter.store import Store
from mlops_jupyter.store.ids import new_id

# retrains started from the sidebar, by id (this server process's memory: a restart forgets
# progress, not outcomes — those are runs, versions and the check's recorded chain)
_retrains: dict[str, dict[str, Any]] = {}
_retrains_lock = threading.Lock()


def _status(check: Any) -> str:
    """passed → ok, or warning when the check reported (non-failing) problems; failed."""
    if check.status == "failed":
        return "failed"
    problems = (check.summary or {}).get("problems") or []
    return "warning" if problems else "ok"


def _relative(root: str, path: str | None) -> str | None:
    if not path:
        return None
    try:
        relative = os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    except ValueError:
        return None
    return None if relative.startswith("..") else relative


def _result(summary: dict[str, Any], kind: str) -> dict[str, Any]:
    """The few numbers the check list shows (the full report is ``GET monitor/{id}``)."""
    if kind == "drift":
        return {
            "columns_tested": len(summary.get("columns") or []),
            "drifted": len(summary.get("drifted_columns") or []),
            "problems": len(summary.get("problems") or []),
            "on": summary.get("on"),
        }
    return {m["metric"]: m["value"] for m in summary.get("metrics") or []}


def check_record(check: Any, root: str) -> MonitorCheck:
    summary = check.summary or {}
    chain = (summary.get("model") or {}).get("chain") or {}
    return MonitorCheck.model_validate(
        json_safe(
            {
                "check_id": check.check_id,
                "model": check.model or "",
                "version": check.version or 0,
                "alias": check.alias,
                "kind": check.kind,
                "status": _status(check),
                "drifted_columns": summary.get("drifted_columns") or [],
                "result": _result(summary, check.kind),
                "run_id": chain.get("training_run"),
                "check_run_id": check.run_id,
                "notebook": _relative(root, chain.get("notebook")),
                "retrain_run_id": check.retrain_run_id,
                "candidate_version": check.candidate_version,
                "rolled_back_to": check.rolled_back_to,
                "created_at": check.at,
            }
        )
    )


def list_checks(store: Store, query: MonitorQuery, root: str) -> MonitorChecks:
    checks = recorded_checks(
        query.model, query.alias, limit=query.limit, with_summary=True, store=store
    )
    return MonitorChecks(checks=[check_record(check, root) for check in checks])


def check_detail(store: Store, check_id: str, root: str) -> MonitorCheckDetail:
    try:
        check = get_check(check_id, store=store)
    except MonitorError as error:
        raise ApiError(404, str(error)) from None
    return MonitorCheckDetail(
        check=check_record(check, root), report=json_safe(check.summary or {})
    )


def _run_retrain(retrain_id: str, store: Store, request: dict[str, Any], actor: str) -> None:
    def update(**fields: Any) -> None:
        with _retrains_lock:
            _retrains[retrain_id].update(fields)

    try:
        result = retrain(
            request["name"],
            data=request.get("data"),
            params=request.get("params") or {},
            alias=request.get("alias") or DEFAULT_ALIAS,
            check_id=request.get("check_id"),
            actor=actor,
            store=store,
        )
    except Exception as error:  # reported to the panel; the thread must not die silently
        update(status="failed", error=str(error), finished_at=time.time())
        return
    update(
        status="finished" if result.ok else "failed",
        result=json_safe(result.to_dict()),
        run_id=result.run_id,
        error=result.error if not result.ok else None,
        finished_at=time.time(),
    )


def retrain_state(retrain_id: str) -> RetrainState:
    with _retrains_lock:
        state = _retrains.get(retrain_id)
        if state is None:
            raise ApiError(404, f"no retrain {retrain_id!r} in this server")
        return RetrainState.model_validate(dict(state))


def start_retrain(store: Store, body: RetrainRequest, root: str, actor: str) -> RetrainState:
    name, alias = body.name, body.alias or DEFAULT_ALIAS
    get_version(name, alias, store=store)  # 404/400 now rather than in the background
    request: dict[str, Any] = {"name": name, "alias": alias, "check_id": body.check_id}
    if body.data:
        target = path_inside(root, body.data, "data")
        if not target.exists():
            raise ApiError(400, f"data {body.data!r} does not exist under the server root")
        request["data"] = str(target)
    request["params"] = body.params or {}
    retrain_id = new_id()
    with _retrains_lock:
        _retrains[retrain_id] = {
            "retrain_id": retrain_id,
            "name": name,
            "alias": alias,
            "status": "running",
            "run_id": None,
            "result": None,
            "error": None,
            "started_at": time.time(),
            "finished_at": None,
        }
    threading.Thread(
        target=_run_retrain,
        args=(retrain_id, store, request, actor),
        name=f"mlops-retrain-{retrain_id}",
        daemon=True,
    ).start()
    return retrain_state(retrain_id)
