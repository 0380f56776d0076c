"""Reference profiles captured at registration, checks recorded as runs linked to the version and
its chain, performance checks under the policy, auto-rollback — on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from registry_support import diabetes
from shell_support import run, tracked_shell
from sklearn.linear_model import Ridge

import mlops_jupyter as mj


def register_from_file(tmp_path, name: str = "diab", alpha: float = 1.0, actor: str = "alice"):  # type: ignore[no-untyped-def]
    X, y = diabetes()
    path = tmp_path / "train.parquet"
    X.to_parquet(path)
    with mj.start_run(f"ridge-{alpha}"):
        mj.log_input(str(path), name="train")
        model = Ridge(alpha=alpha).fit(X, y)
        mj.log_metric("r2", float(model.score(X, y)))
        mj.set_tag("mlops.model_input_dataset", "")
        return mj.register_model(model, name, input_example=X.head(), actor=actor)


def shifted(X: pd.DataFrame) -> pd.DataFrame:
    moved = X.copy()
    moved["bmi"] = moved["bmi"] + 2 * moved["bmi"].std()
    moved["s5"] = moved["s5"] - 1.5 * moved["s5"].std()
    return moved


def test_registration_captures_the_training_profile_from_a_file(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    version = register_from_file(tmp_path)
    assert version.reference_profile is not None
    profile = mj.Profile.from_dict(version.reference_profile)
    X, _ = diabetes()
    assert profile.rows == len(X) and profile.column_names == list(X.columns)
    assert "Reference profile captured from the training data" in version.card
    # a version whose data is gone says so in its card
    X.to_parquet(tmp_path / "train.parquet")  # rewritten: same content, same fingerprint
    (tmp_path / "train.parquet").unlink()
    with mj.start_run("no data"):
        model = Ridge().fit(X, X["age"])
        bare = mj.register_model(model, "bare", actor="alice")
    assert bare.reference_profile is None
    # the fit was captured (memory://X), but no session holds that variable: the card says so
    assert "No reference profile: " in bare.card


def test_registration_finds_in_memory_training_data_in_the_session(mj_store) -> None:  # type: ignore[no-untyped-def]
    with tracked_shell() as shell:
        X, y = diabetes()
        shell.user_ns.update({"X": X, "y": y})
        result = run(
            shell,
            "%%track -n ridge --register mem\n"
            "from sklearn.linear_model import Ridge\n"
            "model = Ridge(alpha=0.3).fit(X, y)\n",
        )
        assert result.success, result.error_in_exec
    version = mj.get_version("mem", 1)
    assert version.reference_profile is not None
    assert "memory://X" in version.card


def test_drift_check_is_a_run_linked_to_the_version_and_its_chain(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    version = register_from_file(tmp_path)
    mj.request_approval("diab", 1, actor="alice")
    mj.approve("diab", 1, "ok", actor="bob")
    mj.promote("diab", 1, actor="bob")
    X, _ = diabetes()
    clean = mj.check_drift("models:/diab@production", X)
    assert not clean.drifted and clean.status == "passed" and clean.on == "profiles"
    report = mj.check_drift("models:/diab@production", shifted(X))
    assert report.drifted and sorted(report.drifted_columns) == ["bmi", "s5"]
    assert report.check_id is not None
    chain = report.model["chain"]
    assert chain["training_run"] == version.run_id
    assert chain["datasets"][0]["fingerprint"] == mj.fingerprint(tmp_path / "train.parquet")
    check = mj.get_check(report.check_id)
    assert (check.model, check.alias, check.version, check.kind) == (
        "diab",
        "production",
        1,
        "drift",
    )
    assert check.status == "failed" and check.drifted is True
    assert check.report().drifted_columns == report.drifted_columns
    check_run = mj.get_run(check.run_id)
    assert check_run.kind == "check" and check_run.tags["mlops.check_status"] == "failed"
    assert check_run.metrics["drifted_columns"] == 2
    # lineage: check run -> version -> training run
    upstream = mj.lineage(check.run_id, direction="upstream").to_frame()
    assert any(version.run_id in cell for cell in upstream.astype(str).stack())
    listed = mj.list_checks("diab")
    assert [c.check_id for c in listed] == [report.check_id, clean.check_id]
    # a data-only comparison records nothing
    mj.check_drift(X, X)
    assert len(mj.list_checks()) == 2


def test_drift_against_a_version_without_profile_is_a_clear_error(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = diabetes()
    with mj.start_run("no data"):
        mj.register_model(Ridge().fit(X, y), "bare", actor="alice")
    with pytest.raises(mj.MonitorError, match="has no reference profile"):
        mj.check_drift("models:/bare/1", X)
    with pytest.raises(mj.MonitorError, match="no alias"):
        mj.check_drift("models:/bare@production", X)


def test_performance_check_compares_with_recorded_metrics(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    register_from_file(tmp_path)
    X, y = diabetes()
    good = mj.check_performance("models:/diab/1", X, y)
    assert good.task == "regression" and good.status == "passed"
    row = good.to_frame().set_index("metric").loc["r2"]
    assert row.recorded_as == "r2" and row.value == pytest.approx(row.recorded)
    rng = np.random.default_rng(0)
    noisy = y + rng.normal(0, 3 * y.std(), len(y))
    bad = mj.check_performance("models:/diab/1", X, noisy)
    assert bad.status == "failed"
    assert mj.get_check(bad.check_id).kind == "performance"
    frame = X.assign(target=y)
    assert mj.check_performance("models:/diab/1", frame, target="target").status == "passed"
    mj.set_policy("diab", gates=["r2 >= 0.99"], actor="alice")
    assert mj.check_performance("models:/diab/1", X, y).status == "failed"


def test_auto_rollback_returns_the_alias_to_its_previous_holder(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    register_from_file(tmp_path, alpha=1.0)
    register_from_file(tmp_path, alpha=0.5)
    for v in (1, 2):
        mj.request_approval("diab", v, actor="alice")
        mj.approve("diab", v, "ok", actor="bob")
    mj.promote("diab", 1, actor="bob")
    mj.promote("diab", 2, actor="bob")
    X, _ = diabetes()
    # without the policy option a failing check only reports
    report = mj.check_drift("models:/diab@production", shifted(X))
    assert report.failed and mj.get_version("diab", "production").version == 2
    mj.set_policy("diab", auto_rollback=True, actor="alice")
    report = mj.check_drift("models:/diab@production", shifted(X))
    assert mj.get_version("diab", "production").version == 1
    last = mj.alias_history("diab", "production")[-1]
    assert last.action == "rollback" and report.check_id in (last.reason or "")
    assert mj.get_check(report.check_id).rolled_back_to == 1
    [event] = [e for e in mj.audit_log("diab") if e.action == "rollback"]
    assert report.check_id in str(event.payload)
    # version 1 was not newly released by a promote: a failing check on it changes nothing
    mj.check_drift("models:/diab@production", shifted(X))
    assert mj.get_version("diab", "production").version == 1


def test_a_failed_check_emits_check_failed_to_the_outbox(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from mlops_jupyter.store import get_store
    from mlops_jupyter.store.schema import outbox_events

    register_from_file(tmp_path)
    X, _ = diabetes()
    mj.check_drift("models:/diab/1", X)  # passes: no event
    report = mj.check_drift("models:/diab/1", shifted(X))
    with get_store().db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(outbox_events))]
    failed = [r for r in rows if r["type"] == "check.failed"]
    assert len(failed) == 1
    assert (failed[0]["model"], failed[0]["version"]) == ("diab", 1)
    data = json.loads(failed[0]["data"])
    assert data["check_id"] == report.check_id and data["drifted_columns"] == ["bmi", "s5"]
