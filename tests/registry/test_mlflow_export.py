"""MLflow interop round trip: runs and registered models re-created through MLflow's own client
are read back by ``mlflow.search_runs``, ``MlflowClient`` and ``mlflow.pyfunc.load_model``."""

from __future__ import annotations

from collections.abc import Iterator

import mlflow
import numpy as np
import pytest
from click.testing import CliRunner
from registry_support import approved, diabetes

import mlops_jupyter as mj
from mlops_jupyter.cli import cli
from mlops_jupyter.registry.mlflow_export import RUN_TAG, export_to_mlflow


@pytest.fixture
def mlflow_uri(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh local MLflow tracking database; MLflow's global URI is restored afterwards."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    yield uri
    mlflow.set_tracking_uri(previous)


def _tracked_history() -> str:
    """A parent run with a child that logs a metric curve; returns the child's id."""
    with (
        mj.start_run("sweep", experiment="tuning", params={"grid": "alpha"}) as parent,
        mj.start_run(
            "trial", experiment="tuning", params={"alpha": 0.5}, tags={"team": "risk"}
        ) as child,
    ):
        for step in range(5):
            mj.log_metric("loss", 1.0 / (step + 1), step=step)
    assert child.parent_run_id == parent.run_id
    return child.run_id


@pytest.mark.slow
def test_runs_and_models_round_trip_through_mlflow(mj_store, mlflow_uri, tmp_path) -> None:  # type: ignore[no-untyped-def]
    child_id = _tracked_history()
    first, second = approved("diabetes", 1.0), approved("diabetes", 3.0)
    mj.promote("diabetes", first.version)
    mj.promote("diabetes", second.version, "staging")

    report = export_to_mlflow(mlflow_uri, artifact_root=str(tmp_path / "mlartifacts"))
    assert report.versions_created == ["diabetes/1", "diabetes/2"]
    assert report.aliases == {"diabetes@production": 1, "diabetes@staging": 2}
    ours = mj.runs()
    assert report.runs_created == len(ours)

    frame = mlflow.search_runs(search_all_experiments=True)
    exported = frame.set_index(f"tags.{RUN_TAG}")
    assert set(exported.index) == set(ours["run_id"])
    trial = exported.loc[child_id]
    assert (
        trial["params.alpha"] == "0.5"
        and trial["tags.team"] == "risk"
        and trial["status"] == "FINISHED"
    )
    assert trial["metrics.loss"] == pytest.approx(0.2)
    parent_id = mj.get_run(child_id).parent_run_id
    assert trial["tags.mlflow.parentRunId"] == exported.loc[parent_id, "run_id"]
    history = mlflow.MlflowClient(mlflow_uri).get_metric_history(trial["run_id"], "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)]
    model_run = exported.loc[first.run_id]
    assert model_run["metrics.r2"] == pytest.approx(first.metrics["r2"])

    X, _ = diabetes()
    production = mlflow.pyfunc.load_model("models:/diabetes@production")
    np.testing.assert_allclose(
        production.predict(X.head(10)), mj.load_model("models:/diabetes/1").predict(X.head(10))
    )
    staging = mlflow.pyfunc.load_model("models:/diabetes@staging")
    np.testing.assert_allclose(
        staging.predict(X.head(10)), mj.load_model("models:/diabetes/2").predict(X.head(10))
    )
    assert [c.name for c in production.metadata.get_input_schema().inputs] == list(X.columns)
    with pytest.raises(Exception, match="bmi"):  # MLflow enforces the exported signature
        production.predict(X.head(3).drop(columns=["bmi"]))
    mv = mlflow.MlflowClient(mlflow_uri).get_model_version("diabetes", "1")
    assert (
        mv.tags["mlops_jupyter.sha256"] == first.artifact_digest
        and mv.tags["mlops_jupyter.status"] == "approved"
    )

    again = export_to_mlflow(mlflow_uri)
    assert again.runs_created == 0 and again.versions_created == []
    assert again.versions_existing == ["diabetes/1", "diabetes/2"]
    assert len(mlflow.search_runs(search_all_experiments=True)) == len(ours)


@pytest.mark.slow
def test_cli_exports_to_a_directory_or_a_tracking_uri(sqlite_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    approved("diabetes")
    mj.promote("diabetes", 1)
    runner = CliRunner()
    directory = tmp_path / "mlruns"
    result = runner.invoke(cli, ["export", "mlflow", str(directory)])
    assert result.exit_code == 0, result.output
    assert (
        "1 model version(s) created" in result.output
        and "diabetes@production -> MLflow version 1" in result.output
    )
    assert f"mlflow ui --backend-store-uri sqlite:///{directory / 'mlflow.db'}" in result.output
    client = mlflow.MlflowClient(f"sqlite:///{directory / 'mlflow.db'}")
    assert int(client.get_model_version_by_alias("diabetes", "production").version) == 1
    assert runner.invoke(cli, ["export", "mlflow"]).exit_code == 2
    both = runner.invoke(
        cli, ["export", "mlflow", str(directory), "--tracking-uri", "sqlite:///x.db"]
    )
    assert both.exit_code == 2 and "either DIRECTORY or --tracking-uri" in both.output
    for target in (["--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}"], [str(tmp_path / "new")]):
        unknown = runner.invoke(cli, ["export", "mlflow", *target, "--model", "nope"])
        assert unknown.exit_code == 2 and "no registered model named 'nope'" in unknown.output
    assert not (tmp_path / "m.db").exists() and not (tmp_path / "new").exists()  # nothing written
