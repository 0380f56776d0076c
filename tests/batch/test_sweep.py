"""Sweeps with real kernels: the local pool, warm kernels, Dask, failures, timeouts, Ctrl-C.

The recording path (sweep run, child runs, params, metrics) runs on both stores; tests of the
executors' mechanics (signals, timeouts, kernel reuse) use the embedded store only, because the
store plays no part in what they check.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest
from batch_support import run_cli, small_notebook, start_cli, write_notebook

import mlops_jupyter as mj
from mlops_jupyter.batch.api import run_notebook, start_sweep, sweep
from mlops_jupyter.batch.executors import DaskExecutor

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example_notebooks" / "02_parameterised_sweep.ipynb"


def _children(sweep_run_id: str) -> list[mj.RunView]:
    return [mj.get_run(run_id) for run_id in mj.get_run(sweep_run_id).children]


def test_cli_sweep_with_a_failing_point(mj_store, tmp_path: Path) -> None:
    notebook = small_notebook(tmp_path)
    results = tmp_path / "results.csv"
    done = run_cli(
        "sweep", str(notebook), "--grid", "x=1,3,4", "-p", "label", "z", "--workers", "2",
        "--sort-by", "y", "--desc", "--results", str(results), "--no-progress",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # a point failed; the others still ran
    assert "1 failed" in done.stderr and "2 finished" in done.stderr
    assert "x must not be 3" in done.stdout  # the summary table names the failure

    rows = list(csv.DictReader(results.open()))
    assert [(row["params.x"], row["status"], row["metrics.y"]) for row in rows] == [
        ("4", "finished", "8.0"),
        ("1", "finished", "2.0"),
        ("3", "failed", ""),
    ]
    [sweep_run] = mj.runs(filter="kind = 'sweep'").to_dict(orient="records")
    assert sweep_run["status"] == "failed" and sweep_run["params.points"] == 3
    assert mj.get_run(sweep_run["run_id"]).params["grid.x"] == [1, 3, 4]
    children = _children(sweep_run["run_id"])
    assert sorted((c.params["x"], c.status) for c in children) == [
        (1, "finished"),
        (3, "failed"),
        (4, "finished"),
    ]
    assert all(c.kind == "notebook" and c.params["label"] == "z" for c in children)
    assert {c.tags["sweep_point"] for c in children} == {"0", "1", "2"}


def test_sweep_api_results_frame_sorted_by_a_metric(mj_store, tmp_path: Path) -> None:
    notebook = small_notebook(tmp_path)
    result = sweep(
        notebook, grid={"x": [5, 2]}, workers=2, progress=False, output_dir=tmp_path / "out"
    )
    assert result.ok and len(result.points) == 2
    frame = result.to_frame(sort_by="y")
    assert list(frame["params.x"]) == [2, 5] and list(frame["metrics.y"]) == [4.0, 10.0]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "small-000.ipynb",
        "small-001.ipynb",
    ]
    assert "<table" in result._repr_html_()
    with pytest.raises(KeyError, match="no such metric"):
        result.to_frame(sort_by="accuracy")


@pytest.fixture(scope="module")
def dask_cluster():  # type: ignore[no-untyped-def]
    """One LocalCluster for the module: both stores' tests share its warmed-up workers."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    yield cluster
    cluster.close()


def test_dask_local_cluster_sweep(mj_store, dask_cluster, tmp_path: Path) -> None:
    notebook = small_notebook(tmp_path)
    result = sweep(
        notebook, grid={"x": [1, 2, 3]}, dask=dask_cluster.scheduler_address, progress=False
    )
    assert sorted((p.parameters["x"], p.status) for p in result.points) == [
        (1, "finished"),
        (2, "finished"),
        (3, "failed"),
    ]
    recorders = {mj.get_run(p.run_id).source["pid"] for p in result.points}
    assert os.getpid() not in recorders  # Dask worker processes recorded into the submitter's store
    assert mj.get_run(result.sweep_run_id).params["executor"] == "dask"
    assert {p.metrics.get("y") for p in result.points if p.ok} == {2.0, 4.0}


def test_dask_local_starts_a_cluster_of_single_threaded_workers() -> None:
    client, cluster = DaskExecutor("local", 3)._connect()
    try:
        assert sorted(client.nthreads().values()) == [1, 1, 1]  # type: ignore[attr-defined]
    finally:
        client.close()  # type: ignore[attr-defined]
        cluster.close()  # type: ignore[union-attr]


def test_ctrl_c_stops_the_sweep_and_marks_unfinished_points_killed(
    sqlite_store, tmp_path: Path
) -> None:
    notebook = small_notebook(tmp_path)
    process = start_cli(
        "sweep", str(notebook), "--grid", "x=1,2,4,5,6", "--grid", "sleep=60", "--workers", "2"
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            running = mj.runs(filter="kind = 'notebook' and status = 'running'")
            if len(running) == 2 and (time.time() - running["start_time"].min().timestamp()) > 1:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the sweep's points never started")
        kernels = psutil.Process(process.pid).children(recursive=True)
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert time.monotonic() - interrupted < 30  # it did not wait for the 60 s cells
    assert "5 killed" in err
    _, alive = psutil.wait_procs(kernels, timeout=15)
    assert alive == []  # no kernel left behind

    [sweep_run] = mj.runs(filter="kind = 'sweep'").to_dict(orient="records")
    assert sweep_run["status"] == "killed"
    children = _children(sweep_run["run_id"])
    assert len(children) == 5 and {c.status for c in children} == {"killed"}
    assert sum("before this point started" in (c.error or "") for c in children) == 3


def test_handle_follows_and_cancels_a_background_sweep(sqlite_store, tmp_path: Path) -> None:
    notebook = small_notebook(tmp_path)
    handle = start_sweep(
        notebook, grid={"x": [1, 3, 4]}, parameters={"sleep": 0.0}, workers=1, warm_kernels=True
    )
    assert handle.progress().total == 3 and not handle.done()
    result = handle.wait(timeout=180)
    assert result is not None and handle.progress().to_dict() == {
        "total": 3, "finished": 2, "failed": 1, "killed": 0, "completed": 3, "pending": 0,
    }  # fmt: skip

    slow = start_sweep(notebook, grid={"x": [1, 2]}, parameters={"sleep": 60.0}, workers=1)
    while not mj.runs(filter="kind = 'notebook' and status = 'running'").shape[0]:
        time.sleep(0.2)
    slow.cancel()
    cancelled = slow.wait(timeout=60)
    assert cancelled is not None and cancelled.status == "killed"
    assert slow.progress().killed == 2


def test_timeout_fails_only_the_slow_point(sqlite_store, tmp_path: Path) -> None:
    notebook = small_notebook(tmp_path)
    result = sweep(notebook, grid={"sleep": [0.0, 120.0]}, workers=2, timeout=20, progress=False)
    fast, slow = sorted(result.points, key=lambda p: p.parameters["sleep"])
    assert fast.status == "finished"
    assert slow.status == "failed" and slow.error == "timed out after 20 s"
    assert slow.duration_s is not None and slow.duration_s < 60
    assert "timed out after 20 s" in (mj.get_run(slow.run_id).error or "")


WARM_PROBE = """\
import json, os, sys
import mlops_jupyter as mj
import helper
helper.counter += 1
mj.log_params({
    "kernel_pid": os.getpid(),
    "saw_user_variable": "leftover" in globals(),
    "saw_env": os.environ.get("MJ_PROBE"),
    "saw_cwd_change": os.getcwd() != START_DIR,
    "saw_library_state": getattr(json, "mj_probe", None),
})
mj.log_metric("helper_counter", helper.counter)
leftover = x
os.environ["MJ_PROBE"] = str(x)
json.mj_probe = x  # state patched onto an installed module: not reset
os.chdir("/")
"""


def test_warm_kernels_reset_the_namespace_but_keep_imported_libraries(
    sqlite_store, tmp_path: Path
) -> None:
    (tmp_path / "helper.py").write_text("counter = 0\n")
    notebook = write_notebook(
        tmp_path / "probe.ipynb", "x = 0", f"START_DIR = {str(tmp_path)!r}", WARM_PROBE
    )
    result = sweep(notebook, grid={"x": [1, 2, 3]}, workers=1, warm_kernels=True, progress=False)
    assert result.ok
    points = sorted((mj.get_run(p.run_id) for p in result.points), key=lambda r: r.params["x"])
    assert len({r.params["kernel_pid"] for r in points}) == 1  # one kernel served every point
    for earlier, later in itertools.pairwise(points):
        assert later.params["saw_user_variable"] is False  # isolated: user namespace
        assert later.params["saw_env"] is None  # isolated: os.environ
        assert later.params["saw_cwd_change"] is False  # isolated: working directory
        assert later.metrics["helper_counter"] == 1.0  # isolated: the notebook folder's modules
        assert (
            later.params["saw_library_state"] == earlier.params["x"]
        )  # not isolated: library state


def test_a_kernel_that_fails_to_start_is_retried(
    sqlite_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "jupyter" / "kernels" / "flaky"
    spec.mkdir(parents=True)
    attempts = tmp_path / "attempts"
    (spec / "launch.py").write_text(
        "import os, sys\n"
        f"attempts = {str(attempts)!r}\n"
        "count = len(open(attempts).read()) if os.path.exists(attempts) else 0\n"
        "open(attempts, 'a').write('x')\n"
        "if count == 0:\n"
        "    sys.exit('simulated start failure (e.g. the port was taken)')\n"
        "from ipykernel import kernelapp\n"
        "kernelapp.launch_new_instance()\n"
    )
    kernel = {
        "argv": [sys.executable, str(spec / "launch.py"), "-f", "{connection_file}"],
        "display_name": "flaky",
        "language": "python",
    }
    (spec / "kernel.json").write_text(json.dumps(kernel))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))

    result = run_notebook(small_notebook(tmp_path), {"x": 4}, kernel_name="flaky")
    assert result.status == "finished" and result.metrics["y"] == 8.0
    assert attempts.read_text() == "xx"  # the first kernel died, the second ran the notebook


def test_the_example_notebook_trains_in_a_sweep(sqlite_store, tmp_path: Path) -> None:
    data = tmp_path / "diabetes.csv"
    result = sweep(
        EXAMPLE,
        grid={"model": ["ridge", "random_forest"]},
        parameters={"data_path": str(data), "n_estimators": 20},
        workers=2,
        warm_kernels=True,
        progress=False,
    )
    assert result.ok, [p.error for p in result.points]
    for point in result.points:
        assert 20 < point.metrics["rmse"] < 100 and math.isfinite(point.metrics["r2"])
        inputs = mj.get_run(point.run_id).inputs  # every cell is captured: files and memory://
        [source] = [item for item in inputs if item["uri"].startswith("file:")]
        assert source["uri"] == data.as_uri() and source["fingerprint"] == mj.fingerprint(data)
