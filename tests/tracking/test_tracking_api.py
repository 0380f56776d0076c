"""The tracking API on both back ends: runs, nesting, outcomes, params, metrics, tags,
artifacts, datasets and environment capture."""

from __future__ import annotations

import math
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.tracking import context


def test_run_records_params_metrics_tags(mj_store) -> None:  # type: ignore[no-untyped-def]
    with mj.start_run(
        "fit", experiment="exp", params={"lr": 0.1, "depth": 3}, tags={"team": "x"}
    ) as run:
        mj.log_metric("acc", 0.9)
        mj.log_metrics({"loss": 0.3, "f1": 0.8})
        mj.set_tag("stage", "dev")
    view = mj.get_run(run.run_id)
    assert (view.status, view.kind, view.experiment, view.name) == (
        "finished",
        "script",
        "exp",
        "fit",
    )
    assert view.params == {"lr": 0.1, "depth": 3}
    assert view.metrics == {"acc": 0.9, "loss": 0.3, "f1": 0.8}
    assert view.tags == {"team": "x", "stage": "dev"}
    assert view.end_time is not None and view.end_time >= view.start_time


def test_params_keep_json_types_any_length_and_last_value_wins(mj_store) -> None:  # type: ignore[no-untyped-def]
    long_text = "x" * 100_000
    with mj.start_run() as run:
        mj.log_params(
            {"n": 5, "ratio": 0.25, "flag": True, "none": None, "list": [1, "a"], "long": long_text}
        )
        mj.log_param("n", 7)
        mj.log_param("np_int", np.int64(3))
    params = mj.get_run(run.run_id).params
    assert params["n"] == 7 and isinstance(params["n"], int)
    assert params["np_int"] == 3 and isinstance(params["np_int"], int)
    assert params["flag"] is True and params["none"] is None and params["list"] == [1, "a"]
    assert params["long"] == long_text


def test_unserialisable_param_is_stored_as_repr_with_warning(mj_store) -> None:  # type: ignore[no-untyped-def]
    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque 42>"

    with (
        mj.start_run() as run,
        pytest.warns(UserWarning, match="param 'thing'.*stored as its repr"),
    ):
        mj.log_param("thing", Opaque())
    assert mj.get_run(run.run_id).params["thing"] == "<Opaque 42>"


def test_metrics_keep_nan_and_infinities(mj_store) -> None:  # type: ignore[no-untyped-def]
    with mj.start_run() as run:
        mj.log_metrics(
            {
                "nan": float("nan"),
                "pinf": float("inf"),
                "ninf": float("-inf"),
                "np": np.float32(0.5),
            }
        )
    metrics = mj.get_run(run.run_id).metrics
    assert math.isnan(metrics["nan"])
    assert metrics["pinf"] == math.inf and metrics["ninf"] == -math.inf and metrics["np"] == 0.5


@pytest.mark.parametrize("bad", ["0.5", None, [1.0], {"a": 1}])
def test_non_numeric_metric_is_a_clear_type_error(mj_store, bad) -> None:  # type: ignore[no-untyped-def]
    with mj.start_run(), pytest.raises(TypeError, match="metric 'acc' must be a number"):
        mj.log_metric("acc", bad)


def test_metric_history_with_steps(mj_store) -> None:  # type: ignore[no-untyped-def]
    with mj.start_run() as run:
        for value in (3.0, 2.0, 1.0):
            run.log_metric("loss", value)  # steps 0, 1, 2
        run.log_metric("lr", 0.1, step=10)
        run.log_metric("lr", 0.2, step=5)  # out of order: latest is the highest step
    view = mj.get_run(run.run_id)
    history = view.metric_history("loss")
    assert list(history["step"]) == [0, 1, 2] and list(history["value"]) == [3.0, 2.0, 1.0]
    assert view.metrics["lr"] == 0.1
    assert set(view.metric_history()["key"]) == {"loss", "lr"}


def test_flush_by_size_and_by_time(mj_store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mlops_jupyter.tracking import run as run_module

    monkeypatch.setattr(run_module, "FLUSH_EVERY", 100)
    run = mj.start_run("buffered")
    for step in range(250):
        run.log_metric("x", float(step))
    assert len(mj.get_run(run.run_id).metric_history("x")) >= 200  # two size-triggered flushes
    run.log_metric("late", 1.0)
    deadline = time.time() + 5
    while "late" not in mj.get_run(run.run_id).metrics and time.time() < deadline:
        time.sleep(0.2)
    assert "late" in mj.get_run(run.run_id).metrics  # the background flusher wrote it
    run.end()
    assert len(mj.get_run(run.run_id).metric_history("x")) == 250


def test_runs_nest(mj_store) -> None:  # type: ignore[no-untyped-def]
    with mj.start_run("outer") as outer:
        with mj.start_run("inner") as inner:
            assert mj.active_run() is inner
            mj.log_metric("m", 1)
        assert mj.active_run() is outer
    assert mj.get_run(inner.run_id).parent_run_id == outer.run_id
    assert mj.get_run(outer.run_id).children == [inner.run_id]
    assert "m" not in mj.get_run(outer.run_id).metrics


def test_exception_marks_failed_and_propagates_unchanged(mj_store) -> None:  # type: ignore[no-untyped-def]
    error = ValueError("bad column")
    with pytest.raises(ValueError) as raised, mj.start_run("bad") as run:
        raise error
    assert raised.value is error
    view = mj.get_run(run.run_id)
    assert view.status == "failed" and "ValueError: bad column" in (view.error or "")


def test_keyboard_interrupt_marks_killed(mj_store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyboardInterrupt), mj.start_run("stopped") as run:
        raise KeyboardInterrupt
    assert mj.get_run(run.run_id).status == "killed"


def test_logging_without_a_run_goes_to_the_session_run(mj_store) -> None:  # type: ignore[no-untyped-def]
    assert mj.active_run() is None
    mj.log_metric("loose", 1.0)
    session = context.active_run()
    assert session is not None and session.kind == "script"
    with mj.start_run("child") as child:
        pass
    assert mj.get_run(child.run_id).parent_run_id == session.run_id
    session.flush()
    assert mj.get_run(session.run_id).metrics == {"loose": 1.0}


def test_log_artifact_file_directory_and_objects(mj_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "report.txt").write_text("ok")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    with mj.start_run() as run:
        assert mj.log_artifact(tmp_path / "report.txt") == "report.txt"
        assert mj.log_artifact(str(folder)) == "plots"
        mj.log_artifact({"k": 1}, "config.json")
        mj.log_artifact(pd.DataFrame({"a": [1, 2]}), "table.csv")
    view = mj.get_run(run.run_id)
    names = [artifact["name"] for artifact in view.artifacts]
    assert names == ["config.json", "plots/a.txt", "plots/sub/b.txt", "report.txt", "table.csv"]
    assert view.artifact_bytes("plots/sub/b.txt") == b"b"
    assert b'"k": 1' in view.artifact_bytes("config.json")


def test_log_artifact_bad_input_changes_nothing(mj_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with mj.start_run() as run:
        with pytest.raises(FileNotFoundError):
            mj.log_artifact(str(tmp_path / "missing.bin"))
        with pytest.raises(TypeError, match="cannot store a object"):
            mj.log_artifact(object())
        with pytest.raises(ValueError, match="outside the artifact root"):
            mj.log_artifact(b"x", "../escape.bin")
    assert mj.get_run(run.run_id).artifacts == []


def test_log_input_and_output_make_dataset_versions(mj_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "train.csv"
    frame = pd.DataFrame({"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]})
    frame.to_csv(csv, index=False)
    with mj.start_run() as run:
        source = mj.log_input(str(csv))
        derived = mj.log_output(frame, name="features")
    view = mj.get_run(run.run_id)
    assert view.inputs[0]["uri"] == csv.resolve().as_uri()
    assert view.inputs[0]["fingerprint"] == source.fingerprint == mj.fingerprint(str(csv))
    assert view.inputs[0]["format"] == "csv"
    assert view.outputs[0]["fingerprint"] == derived.fingerprint == mj.fingerprint(frame)
    assert view.outputs[0]["rows"] == 3 and view.outputs[0]["schema"] == {
        "x": "int64",
        "y": "float64",
    }


def test_environment_is_captured(mj_store, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    (repo / "f.txt").write_text("1")
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "c"], check=True)
    (repo / "f.txt").write_text("2")  # a dirty working tree
    monkeypatch.chdir(repo)
    from mlops_jupyter.tracking import environment

    environment._git_cache.clear()
    with mj.start_run() as run:
        pass
    env = mj.get_run(run.run_id).environment
    assert env is not None
    assert env["python"].count(".") == 2 and env["host"] and env["user"] == "alice"
    assert len(env["git_commit"]) == 40 and env["git_branch"] and env["git_dirty_hash"]
    assert "numpy" in env["packages"] and "pandas" in env["packages"]


def test_unknown_run_id(mj_store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(mj.RunNotFoundError, match="no run with id 'nope'"):
        mj.get_run("nope")


def test_run_id_prefix(mj_store) -> None:  # type: ignore[no-untyped-def]
    with mj.start_run() as run:
        pass
    assert mj.get_run(run.run_id[:20]).run_id == run.run_id


def test_ids_sort_by_time(mj_store) -> None:  # type: ignore[no-untyped-def]
    ids = []
    for _ in range(5):
        with mj.start_run() as run:
            ids.append(run.run_id)
    assert ids == sorted(ids)


def test_import_is_lazy() -> None:
    """`import mlops_jupyter` must not pull in pandas, SQLAlchemy or IPython (the 300 ms budget)."""
    code = (
        "import sys, mlops_jupyter; "
        "heavy = [m for m in ('pandas', 'sqlalchemy', 'IPython', 'sklearn', 'numpy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [".venv/bin/python" if Path(".venv").exists() else "python", "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_session_run_follows_the_attached_run_id(mj_store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A warm kernel reused for the next sweep point logs into the new point's run."""
    first, second = mj.start_run("point-1"), mj.start_run("point-2")
    context._thread.stack.clear()  # as in a kernel: the runs belong to the engine process
    monkeypatch.setenv(context.RUN_ID_ENV, first.run_id)
    mj.log_metric("rmse", 1.0)
    assert mj.active_run().run_id == first.run_id  # type: ignore[union-attr]
    monkeypatch.setenv(context.RUN_ID_ENV, second.run_id)
    mj.log_metric("rmse", 2.0)
    assert mj.active_run().run_id == second.run_id  # type: ignore[union-attr]
    for run in (first, second):
        context._attached[run.run_id].flush()
    assert mj.get_run(first.run_id).metrics == {"rmse": 1.0}
    assert mj.get_run(second.run_id).metrics == {"rmse": 2.0}
