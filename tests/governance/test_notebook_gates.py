"""Validation notebooks as gates, run for real through papermill's `mlops` engine and a kernel:
the shipped example passes (and is cached), a stricter requirement fails, a crashing notebook
fails the gate with its error."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlops_jupyter as mj
from mlops_jupyter.registry.errors import GateFailedError
from mlops_jupyter.registry.events import list_events

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example_notebooks" / "validation" / "validate_classifier.ipynb"

pytestmark = pytest.mark.slow


def register_classifier(c: float = 1.0) -> mj.ModelVersion:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    with mj.start_run(f"cancer C={c}"):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
        model.fit(X_train, y_train)
        return mj.register_model(model, "cancer", input_example=X_train.head(), actor="alice")


def gate(require: dict[str, str], notebook: Path = EXAMPLE) -> dict[str, object]:
    return {"notebook": str(notebook), "params": {"threshold": 0.5}, "require": require}


def test_passing_notebook_gate_is_cached_and_linked(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    version = register_classifier()
    mj.set_policy("cancer", gates=[gate({"auc": ">= 0.95", "fairness_gap": "<= 0.2"})])
    assert mj.get_policy("cancer").to_dict()["notebook_gates"][0]["require"] == {
        "auc": ">= 0.95",
        "fairness_gap": "<= 0.2",
    }
    assert mj.request_approval("cancer", version.version).status == "pending"
    validation = mj.runs(experiment="validation")
    assert len(validation) == 1
    run = mj.get_run(validation.run_id[0])
    assert run.params["model_uri"] == "models:/cancer/1" and run.metrics["auc"] >= 0.95
    mj.approve("cancer", version.version, actor="bob")
    report = mj.check_gates("cancer", version.version)
    notebook_results = [r for r in report.results if r.gate.startswith("notebook ")]
    assert [r.gate for r in notebook_results] == [
        "notebook validate_classifier.ipynb: auc >= 0.95",
        "notebook validate_classifier.ipynb: fairness_gap <= 0.2",
    ]
    assert all(r.passed and r.run_id == run.run_id for r in notebook_results)
    assert notebook_results[0].output_notebook == "notebook/output.ipynb"
    assert b"auc" in run.artifact_bytes("notebook/output.ipynb")
    change = mj.promote("cancer", version.version)
    assert change.to_version == 1
    assert len(mj.runs(experiment="validation")) == 1  # cached: not run again
    assert list_events(types=["gate.failed"]) == []


def test_failing_and_crashing_notebooks_fail_the_gate(sqlite_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    version = register_classifier()
    mj.set_policy("cancer", gates=[gate({"auc": ">= 0.9999"})])
    with pytest.raises(GateFailedError, match=r"auc >= 0.9999 \(0\.9\d+ misses >= 0\.9999"):
        mj.request_approval("cancer", version.version)
    assert mj.get_version("cancer", version.version).status == "registered"  # nothing changed
    [failed] = list_events(types=["gate.failed"])
    assert failed.data["stage"] == "request-approval" and failed.data["failed"][0]["run_id"]
    # the promotion to the protected alias is refused by the same, cached, result
    with pytest.raises(mj.PromotionRefusedError, match=r"auc >= 0\.9999"):
        mj.promote("cancer", version.version, force=False)
    assert len(mj.runs(experiment="validation")) == 1

    crashing = new_notebook(
        cells=[
            new_code_cell('model_uri = ""', metadata={"tags": ["parameters"]}),
            new_code_cell("raise FileNotFoundError('holdout.csv is missing')"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path = tmp_path / "crash.ipynb"
    nbformat.write(crashing, str(path))
    mj.set_policy("cancer", gates=[{"notebook": str(path), "require": {"auc": ">= 0.5"}}])
    with pytest.raises(GateFailedError, match=r"raised FileNotFoundError: holdout\.csv is missing"):
        mj.request_approval("cancer", version.version)
    stages = [e.data["stage"] for e in list_events(types=["gate.failed"])]
    assert stages == ["request-approval", "promote", "request-approval"]


def test_bad_notebook_gates_are_refused(sqlite_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    register_classifier()
    with pytest.raises(mj.RegistryError, match="is not a file"):
        mj.set_policy("cancer", gates=[{"notebook": "nope.ipynb", "require": {"auc": ">= 1"}}])
    with pytest.raises(mj.RegistryError, match="require at least one metric"):
        mj.set_policy("cancer", gates=[{"notebook": str(EXAMPLE), "require": {}}])
    with pytest.raises(mj.RegistryError, match="not current"):
        mj.set_policy(
            "cancer", gates=[{"notebook": str(EXAMPLE), "require": {"auc": ">= current"}}]
        )
    with pytest.raises(mj.RegistryError, match="model_uri is set to the candidate"):
        mj.set_policy(
            "cancer",
            gates=[
                {"notebook": str(EXAMPLE), "params": {"model_uri": "x"}, "require": {"a": "> 1"}}
            ],
        )
