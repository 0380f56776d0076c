"""Tracking speed, side by side with MLflow (SQLite store) in one run.

Measures (medians; the machine is small and noisy, so compare ratios):
  1. a run with 5 params + 5 metrics
  2. 100k metric points into one run (MLflow: single calls and log_batch)
  3. top 50 runs by a metric with a filter (mlops_jupyter over 100k runs, MLflow over fewer)
  4. `import mlops_jupyter` vs `import mlflow` in fresh interpreters

Usage: python benchmarks/bench_tracking.py [--runs 100000] [--mlflow-runs 1000] [--repeat 5]
Needs the `bench` extra (mlflow).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _probe import fresh_interpreter_ms

FILTER = "metrics.acc > 0.9 and params.model = 'rf'"


def median_of(repeat: int, action: Callable[[], float]) -> float:
    return statistics.median(action() for _ in range(repeat))


def report(
    label: str, ours: float, theirs: float, unit: str, higher_is_better: bool = False
) -> None:
    ratio = ours / theirs if higher_is_better else theirs / ours
    print(
        f"{label:<46} mlops_jupyter {ours:>12.3f} {unit:<8} mlflow {theirs:>12.3f} {unit:<8} -> {ratio:8.1f}x better"
    )


# -- 1. small runs ----------------------------------------------------------------------------------
def ours_small_run(count: int) -> float:
    import mlops_jupyter as mj

    started = time.perf_counter()
    for index in range(count):
        with mj.start_run(f"small-{index}", params={f"p{k}": k for k in range(5)}) as run:
            run.log_metrics({f"m{k}": k * 0.1 for k in range(5)})
    return (time.perf_counter() - started) / count * 1000


def mlflow_small_run(count: int) -> float:
    import mlflow

    started = time.perf_counter()
    for index in range(count):
        with mlflow.start_run(run_name=f"small-{index}"):
            mlflow.log_params({f"p{k}": k for k in range(5)})
            for k in range(5):
                mlflow.log_metric(f"m{k}", k * 0.1)
    return (time.perf_counter() - started) / count * 1000


# -- 2. many points ---------------------------------------------------------------------------------
def ours_points(points: int) -> float:
    import mlops_jupyter as mj

    started = time.perf_counter()
    with mj.start_run("points") as run:
        for step in range(points):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
    return points / (time.perf_counter() - started)


def mlflow_points_single(points: int) -> float:
    import mlflow

    with mlflow.start_run(run_name="points-single"):
        started = time.perf_counter()
        for step in range(points):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        return points / (time.perf_counter() - started)


def mlflow_points_batch(points: int) -> float:
    import mlflow
    from mlflow.entities import Metric

    client = mlflow.MlflowClient()
    with mlflow.start_run(run_name="points-batch") as run:
        started = time.perf_counter()
        stamp = int(time.time() * 1000)
        for offset in range(0, points, 1000):
            batch = [
                Metric("loss", 1.0 / (s + 1), stamp, s)
                for s in range(offset, min(points, offset + 1000))
            ]
            client.log_batch(run.info.run_id, metrics=batch)
        return points / (time.perf_counter() - started)


# -- 3. search ---------------------------------------------------------------------------------------
def fill_mlflow(count: int) -> None:
    import random

    import mlflow
    from mlflow.entities import Metric, Param

    rng = random.Random(0)
    client = mlflow.MlflowClient()
    experiment_id = client.create_experiment("search")
    stamp = int(time.time() * 1000)
    for _ in range(count):
        run = client.create_run(experiment_id)
        params = [
            Param("model", rng.choice(("rf", "lr", "gb", "svm"))),
            Param("lr", str(rng.uniform(0.001, 0.3))),
        ]
        metrics = [
            Metric("acc", rng.random(), stamp, 0),
            Metric("loss", rng.random() * 3, stamp, 0),
        ]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id)


def ours_search() -> float:
    import mlops_jupyter as mj

    started = time.perf_counter()
    frame = mj.runs(filter=FILTER, order_by="metrics.acc desc", limit=50)
    elapsed = (time.perf_counter() - started) * 1000
    assert len(frame) == 50
    return elapsed


def mlflow_search() -> float:
    import mlflow

    started = time.perf_counter()
    frame = mlflow.search_runs(
        experiment_names=["search"],
        filter_string="metrics.acc > 0.9 and params.model = 'rf'",
        order_by=["metrics.acc DESC"],
        max_results=50,
    )
    elapsed = (time.perf_counter() - started) * 1000
    assert len(frame) > 0
    return elapsed


# -- 4. import time ----------------------------------------------------------------------------------
def import_ms(module: str) -> float:
    return fresh_interpreter_ms(
        f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=100_000, help="runs in our store for the search"
    )
    parser.add_argument(
        "--mlflow-runs", type=int, default=1000, help="runs in MLflow's store for the search"
    )
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    workdir = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
    os.environ["MLOPS_JUPYTER_STORE"] = str(workdir / "ours")
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    mlflow.set_experiment("bench")
    import mlops_jupyter as mj

    mj.set_experiment("bench")
    ours_small_run(5)  # warm up both (schema creation, imports)
    mlflow_small_run(2)
    print(f"machine: {os.cpu_count()} cores; medians of {args.repeat}\n")
    report(
        "run with 5 params + 5 metrics",
        median_of(args.repeat, lambda: ours_small_run(50)),
        median_of(args.repeat, lambda: mlflow_small_run(10)),
        "ms/run",
    )
    ours_rate = median_of(args.repeat, lambda: ours_points(args.points))
    report(
        "100k points into one run (MLflow single calls)",
        ours_rate,
        median_of(3, lambda: mlflow_points_single(300)),
        "pts/s",
        higher_is_better=True,
    )
    report(
        "100k points into one run (MLflow log_batch)",
        ours_rate,
        median_of(3, lambda: mlflow_points_batch(args.points // 10)),
        "pts/s",
        higher_is_better=True,
    )

    from _runs_fixture import fill_runs

    from mlops_jupyter.store import get_store

    started = time.perf_counter()
    fill_runs(get_store(), args.runs, experiment="search")
    print(f"\n(filled {args.runs} runs in our store in {time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    fill_mlflow(args.mlflow_runs)
    print(f"(filled {args.mlflow_runs} runs in MLflow in {time.perf_counter() - started:.1f} s)")
    ours_search()
    mlflow_search()
    ours_ms = median_of(max(args.repeat, 7), ours_search)
    theirs_ms = median_of(max(args.repeat, 7), mlflow_search)
    report(
        f"top 50 by metric + filter (ours {args.runs // 1000}k, mlflow {args.mlflow_runs // 1000}k runs)",
        ours_ms,
        theirs_ms,
        "ms",
    )
    report(
        "import time",
        median_of(args.repeat, lambda: import_ms("mlops_jupyter")),
        median_of(args.repeat, lambda: import_ms("mlflow")),
        "ms",
    )


if __name__ == "__main__":
    main()
