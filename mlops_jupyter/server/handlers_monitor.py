"""REST end points for monitoring: the recorded checks (``GET monitor``), one check's full
report with per-column statistics and histograms (``GET monitor/{check_id}``), and retraining
from the sidebar (``POST monitor/retrain`` starts it in the background, ``GET
monitor/retrain/{retrain_id}`` reports its progress and outcome).

A check's ``run_id`` is the run that trained the checked version (what the sidebar opens);
``check_run_id`` is the check's own run; ``notebook`` is the training notebook's path relative
to the server root when it lies under it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import tornado.web

from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.validation import (
    ApiError,
    check_text,
    int_argument,
    json_body,
    path_inside,
    text_argument,
)

DEFAULT_CHECKS_LIMIT = 200
MAX_CHECKS_LIMIT = 1000
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


def check_record(check: Any, root: str) -> dict[str, Any]:
    summary = check.summary or {}
    chain = (summary.get("model") or {}).get("chain") or {}
    return {
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


def list_checks(
    store: Any, root: str, model: str | None, alias: str | None, limit: int
) -> dict[str, Any]:
    from mlops_jupyter.monitor.checks import list_checks as recorded

    checks = recorded(model, alias, limit=limit, with_summary=True, store=store)
    return {"checks": [check_record(check, root) for check in checks]}


def check_detail(store: Any, root: str, check_id: str) -> dict[str, Any]:
    from mlops_jupyter.monitor.checks import MonitorError, get_check

    try:
        check = get_check(check_id, store=store)
    except MonitorError as error:
        raise ApiError(404, str(error)) from None
    return {"check": check_record(check, root), "report": check.summary or {}}


def _run_retrain(retrain_id: str, store: Any, request: dict[str, Any], actor: str) -> None:
    from mlops_jupyter.monitor.retrain import retrain

    def update(**fields: Any) -> None:
        with _retrains_lock:
            _retrains[retrain_id].update(fields)

    try:
        result = retrain(
            request["name"],
            data=request.get("data"),
            params=request.get("params") or {},
            alias=request.get("alias") or "production",
            check_id=request.get("check_id"),
            actor=actor,
            store=store,
        )
    except Exception as error:  # reported to the panel; the thread must not die silently
        update(status="failed", error=str(error), finished_at=time.time())
        return
    update(
        status="finished" if result.ok else "failed",
        result=result.to_dict(),
        run_id=result.run_id,
        error=result.error if not result.ok else None,
        finished_at=time.time(),
    )


def retrain_state(retrain_id: str) -> dict[str, Any]:
    with _retrains_lock:
        state = _retrains.get(retrain_id)
        if state is None:
            raise ApiError(404, f"no retrain {retrain_id!r} in this server")
        return dict(state)


def start_retrain(store: Any, root: str, body: dict[str, Any], actor: str) -> dict[str, Any]:
    from mlops_jupyter.registry.versions import get_version
    from mlops_jupyter.store.ids import new_id

    name, alias = body["name"], body.get("alias") or "production"
    get_version(name, alias, store=store)  # 404/400 now rather than in the background
    request = {"name": name, "alias": alias, "check_id": body.get("check_id")}
    if body.get("data"):
        target = path_inside(root, body["data"], "data")
        if not target.exists():
            raise ApiError(400, f"data {body['data']!r} does not exist under the server root")
        request["data"] = str(target)
    request["params"] = body.get("params") or {}
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


class MonitorHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        model = text_argument(self, "model")
        alias = text_argument(self, "alias")
        limit = int_argument(self, "limit", DEFAULT_CHECKS_LIMIT, 1, MAX_CHECKS_LIMIT)
        root = self.settings["server_root_dir"]
        self.reply(await self.in_store(list_checks, root, model, alias, limit))


class CheckHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, check_id: str) -> None:
        root = self.settings["server_root_dir"]
        self.reply(await self.in_store(check_detail, root, check_text("check_id", check_id)))


class RetrainHandler(StoreHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = json_body(self, "RetrainRequest")
        root = self.settings["server_root_dir"]
        self.reply(await self.in_store(start_retrain, root, body, self.acting_user), status=202)


class RetrainStateHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, retrain_id: str) -> None:
        self.reply(retrain_state(check_text("retrain_id", retrain_id)))


handlers = [
    (r"monitor", MonitorHandler),
    (r"monitor/retrain", RetrainHandler),
    (r"monitor/retrain/(?P<retrain_id>[^/]+)", RetrainStateHandler),
    (r"monitor/(?P<check_id>[^/]+)", CheckHandler),
]
