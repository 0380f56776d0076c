"""Sweep speed, side by side in one run: N points of example_notebooks/02_parameterised_sweep.ipynb
(a random forest on scikit-learn's diabetes data, one point per seed).

Configurations (each repeated, interleaved so machine load hits them alike; medians reported):
  anchor       serial papermill (default engine), one notebook after the other
  pool-2       a plain 2-process pool of papermill calls (fork, so no import cost)
  serial-mlops serial papermill with --engine mlops (gives the per-notebook overhead of tracking)
  fresh        mlops sweep, --workers 2, a fresh kernel per point (started ahead of need)
  warm         mlops sweep, --workers 2 --warm-kernels

Targets (issue 4): fresh >= 1.8x the anchor, warm >= 5x.
Usage: python benchmarks/bench_sweep.py [--points 8] [--repeat 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# the same import trim as the CLI (see mlops_jupyter/batch/cli.py), before papermill loads
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "example_notebooks" / "02_parameterised_sweep.ipynb"


def point_parameters(points: int, data: Path) -> list[dict[str, object]]:
    return [
        {"model": "random_forest", "n_estimators": 50, "seed": seed, "data_path": str(data)}
        for seed in range(points)
    ]


def papermill_one(parameters: dict[str, object], engine: str | None = None) -> None:
    import papermill

    papermill.execute_notebook(
        str(NOTEBOOK),
        None,
        parameters=parameters,
        engine_name=engine,
        progress_bar=False,
        cwd=str(NOTEBOOK.parent),
    )


def serial(points: list[dict[str, object]], engine: str | None) -> float:
    started = time.perf_counter()
    for parameters in points:
        papermill_one(parameters, engine)
    return time.perf_counter() - started


def process_pool(points: list[dict[str, object]], workers: int) -> float:
    import multiprocessing

    started = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(papermill_one, points))
    return time.perf_counter() - started


def mlops_sweep(points: list[dict[str, object]], workers: int, warm: bool) -> float:
    from mlops_jupyter.batch.api import sweep

    seeds = [p["seed"] for p in points]
    fixed = {k: v for k, v in points[0].items() if k != "seed"}
    started = time.perf_counter()
    result = sweep(
        NOTEBOOK,
        grid={"seed": seeds},
        parameters=fixed,
        workers=workers,
        warm_kernels=warm,
        progress=False,
    )
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"sweep failed: {[p.error for p in result.failed]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as folder:
        os.environ["MLOPS_JUPYTER_STORE"] = str(Path(folder) / "store")
        data = Path(folder) / "diabetes.csv"
        points = point_parameters(args.points, data)
        papermill_one(points[0])  # warm-up: writes the CSV, loads the page cache, builds the store
        configurations: dict[str, Callable[[], float]] = {
            "anchor (serial papermill)": lambda: serial(points, None),
            f"plain {args.workers}-process pool": lambda: process_pool(points, args.workers),
            "serial papermill --engine mlops": lambda: serial(points, "mlops"),
            f"mlops sweep --workers {args.workers}": lambda: mlops_sweep(
                points, args.workers, warm=False
            ),
            f"mlops sweep --workers {args.workers} --warm-kernels": lambda: mlops_sweep(
                points, args.workers, warm=True
            ),
        }
        timings: dict[str, list[float]] = {name: [] for name in configurations}
        for repetition in range(args.repeat):
            for name, measure in configurations.items():
                timings[name].append(measure())
                print(
                    f"  [{repetition + 1}/{args.repeat}] {name:<44} {timings[name][-1]:7.2f} s",
                    flush=True,
                )

    medians = {name: statistics.median(values) for name, values in timings.items()}
    anchor = medians["anchor (serial papermill)"]
    print(
        f"\n{args.points} points of {NOTEBOOK.name}, {os.cpu_count()} cores, median of {args.repeat}:"
    )
    for name, seconds in medians.items():
        print(
            f"{name:<44} {seconds:7.2f} s  {seconds / args.points:6.2f} s/point  {anchor / seconds:5.2f}x vs anchor"
        )
    overhead = (medians["serial papermill --engine mlops"] - anchor) / args.points
    print(
        f"\nper-notebook overhead of the mlops engine vs papermill: {overhead:+.3f} s ({overhead / (anchor / args.points):+.1%})"
    )
    print("targets: fresh kernels >= 1.80x, --warm-kernels >= 5.00x")


if __name__ == "__main__":
    main()
