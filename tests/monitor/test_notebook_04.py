"""Example notebook 04 under papermill's ``mlops`` engine in a real kernel: release, drift,
retraining through the batch engine, approval, release and auto-rollback — and the chain of
records it leaves."""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest
from notebook_support import EXAMPLES, code_outputs, execute_example

import mlops_jupyter as mj

pytestmark = pytest.mark.slow


def test_notebook_04_monitors_retrains_and_rolls_back(
    sqlite_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    executed = execute_example(
        "04_monitor_and_retrain.ipynb",
        tmp_path / "out.ipynb",
        monkeypatch,
        parameters={"workdir": str(tmp_path / "data")},
        cwd=EXAMPLES,
        engine_name="mlops",
    )
    assert not code_outputs(executed, "error")
    first, second = mj.list_versions("demand")
    assert first.reference_profile and second.reference_profile
    assert "Reference profile captured from the training data" in first.card
    drift, passed, bad = reversed(mj.list_checks("demand"))
    assert drift.status == "failed" and drift.drifted and drift.version == 1
    assert sorted(mj.get_check(drift.check_id).report().drifted_columns) == [
        "region",
        "temperature",
    ]
    # the chain: check -> retrain run (the training notebook re-run) -> candidate v2
    retrain_run = mj.get_run(drift.retrain_run_id)
    assert retrain_run.kind == "notebook" and retrain_run.status == "finished"
    assert retrain_run.source["notebook_path"].endswith("monitoring/train_demand.ipynb")
    assert retrain_run.tags["mlops.retrain_check"] == drift.check_id
    assert retrain_run.params["data_path"].endswith("labelled.csv")
    assert drift.candidate_version == 2 and second.run_id == retrain_run.run_id
    assert second.approved_by == ["bob"]
    assert passed.status == "passed" and passed.version == 2
    assert bad.status == "failed" and bad.rolled_back_to == 1
    history = mj.alias_history("demand", "production")
    assert [(h.action, h.to_version) for h in history] == [
        ("promote", 1),
        ("promote", 2),
        ("rollback", 1),
    ]
    assert bad.check_id in history[-1].reason
    assert mj.verify_audit().ok

    # 05, the scheduled job, on the data 04 left: production is v1 again and the current data
    # drifted from its reference, so the job fails (papermill's exit 1 is the scheduler's alert)
    with pytest.raises(papermill.PapermillExecutionError, match="check\\(s\\) failed"):
        execute_example(
            "05_monitoring_job.ipynb",
            tmp_path / "job.ipynb",
            monkeypatch,
            parameters={
                "model_name": "demand",
                "data_path": str(tmp_path / "data" / "current.csv"),
                "labelled_path": str(tmp_path / "data" / "labelled.csv"),
                "fail_job": True,
            },
            cwd=EXAMPLES,
            engine_name="mlops",
        )
    newest = mj.list_checks("demand", limit=2)
    assert {c.kind for c in newest} == {"drift", "performance"}
    drift_run = mj.get_run(next(c for c in newest if c.kind == "drift").run_id)
    job_run = mj.get_run(drift_run.parent_run_id)
    assert job_run.kind == "notebook" and job_run.source["notebook_path"].endswith(
        "05_monitoring_job.ipynb"
    )
