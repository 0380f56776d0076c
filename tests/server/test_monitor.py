"""REST: monitoring checks (listing, one check's report), retraining from the sidebar (bad
input here; the full retrain runs in tests/monitor/test_notebook_04.py and the browser test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlops_jupyter as mj
from tests.registry_support import diabetes


def released_with_checks(root: Path) -> str:
    """diab v1 (trained on a file, so it has a reference profile) at production, with a
    passing and a failing drift check; returns the failing check's id."""
    from sklearn.linear_model import Ridge

    X, y = diabetes()
    path = root / "train.parquet"
    X.to_parquet(path)
    with mj.start_run("ridge"):
        mj.log_input(str(path))
        version = mj.register_model(
            Ridge().fit(X, y), "diab", input_example=X.head(), actor="alice"
        )
    mj.set_policy("diab", protected_aliases=[], actor="alice")
    mj.promote("diab", version.version, "production", actor="alice")
    mj.check_drift("models:/diab@production", X)
    moved = X.assign(bmi=X["bmi"] + 2 * X["bmi"].std())
    return mj.check_drift("models:/diab@production", moved).check_id  # type: ignore[return-value]


async def test_checks_list_and_detail(api: Any, jp_root_dir: Path) -> None:
    failing = released_with_checks(jp_root_dir)
    listed = await api.get("monitor", model="diab")
    assert listed.status == 200
    newest, older = listed.json["checks"]
    assert newest["check_id"] == failing and newest["status"] == "failed"
    assert newest["drifted_columns"] == ["bmi"] and older["status"] == "ok"
    assert newest["run_id"] == mj.get_version("diab", 1).run_id  # the training run
    assert newest["check_run_id"] == mj.get_check(failing).run_id
    assert newest["result"]["drifted"] == 1 and newest["alias"] == "production"
    assert (await api.get("monitor", model="other")).json["checks"] == []
    detail = await api.get(f"monitor/{failing}")
    assert detail.status == 200
    report = detail.json["report"]
    bmi = next(c for c in report["columns"] if c["column"] == "bmi")
    assert bmi["drifted"] and len(bmi["histogram"]["reference"]) == len(bmi["histogram"]["current"])
    assert report["model"]["chain"]["training_run"] == newest["run_id"]
    assert (await api.get("monitor/nope")).status == 404
    assert (await api.get("monitor", limit="0")).status == 400


async def test_retrain_refuses_bad_input(api: Any, jp_root_dir: Path) -> None:
    released_with_checks(jp_root_dir)
    outside = await api.post("monitor/retrain", {"name": "diab", "data": "../etc/passwd"})
    assert outside.status == 403
    missing = await api.post("monitor/retrain", {"name": "diab", "data": "nope.csv"})
    assert missing.status == 400 and "does not exist" in missing.json["message"]
    unknown = await api.post("monitor/retrain", {"name": "ghost"})
    assert unknown.status == 404
    assert (await api.post("monitor/retrain", {"alias": "production"})).status == 400
    assert (await api.get("monitor/retrain/nope")).status == 404
    # a version trained outside any notebook: the retrain starts, then fails with the reason
    started = await api.post("monitor/retrain", {"name": "diab"})
    assert started.status == 202 and started.json["status"] == "running"
    import asyncio

    state = started.json
    for _ in range(100):
        state = (await api.get(f"monitor/retrain/{state['retrain_id']}")).json
        if state["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert state["status"] == "failed" and "names no notebook" in state["error"]
