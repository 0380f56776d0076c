"""Drift speed, side by side with NannyML and Evidently in one run, on the same data.

Data: 1M reference + 1M current rows × 20 columns (16 numeric, 4 categorical), 5 columns truly
shifted (n0, n1, n2 by 0.3 std; c0, c1 by a changed mix), written once as parquet so every
contestant reads the same bytes.

Measures (one machine, shared and noisy: compare ratios, not absolute times):
  1. ``mj.check_drift(reference_df, current_df)`` on raw frames (median of --reps) and the
     columns it flags, vs NannyML's univariate drift (Wasserstein + Jensen-Shannon, one chunk)
     and Evidently's DataDriftPreset, each in its own virtualenv (--nannyml-python,
     --evidently-python; Evidently 0.7 needs pandas < 3) — the anchors run once (1 repetition:
     they take tens of seconds to minutes);
  2. ``mj.profile`` of 1M × 20 (median of --reps) and its serialized size;
  3. a check between two stored profiles (JSON text in, report out; median of 20);
  4. scale (--scale-rows, default 20M): the current data as 40 parquet files profiled through a
     Dask LocalCluster (2 single-threaded workers), compared with the reference profile — time,
     peak memory of this process and its workers (RSS sampled every 50 ms), and whether the same
     columns are flagged as on the 1M sample. ``--scale-rows 0`` skips it.

Usage: python benchmarks/bench_drift.py [--reps 3] [--scale-rows 20000000]
           [--nannyml-python PATH] [--evidently-python PATH] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROWS = 1_000_000
NUMERIC = [f"n{i}" for i in range(16)]
CATEGORICAL = [f"c{i}" for i in range(4)]
SHIFTED = ["n0", "n1", "n2", "c0", "c1"]
CATEGORIES = list("abcdefgh")
BASE_P = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03])
SHIFT_P = BASE_P[::-1].copy()


def make(rows: int, seed: int, shifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {}
    for i, name in enumerate(NUMERIC):
        values = rng.normal(i, 1 + i % 4, rows)
        if shifted and name in SHIFTED:
            values += 0.3 * (1 + i % 4)
        data[name] = values
    for name in CATEGORICAL:
        p = SHIFT_P if shifted and name in SHIFTED else BASE_P
        data[name] = rng.choice(CATEGORIES, rows, p=p)
    return pd.DataFrame(data)


NANNYML = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
import nannyml as nml
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
cats = [c for c in ref.columns if c.startswith("c")]
for c in cats:
    ref[c] = ref[c].astype(object); cur[c] = cur[c].astype(object)
t = time.perf_counter()
calc = nml.UnivariateDriftCalculator(
    column_names=list(ref.columns), continuous_methods=["wasserstein"],
    categorical_methods=["jensen_shannon"], chunk_number=1)
calc.fit(ref)
result = calc.calculate(cur)
seconds = time.perf_counter() - t
frame = result.filter(period="analysis").to_df()
flagged = sorted({col for col in ref.columns for m in ("wasserstein", "jensen_shannon")
                  if (col, m, "alert") in frame.columns and bool(frame[(col, m, "alert")].any())})
print(json.dumps({"seconds": seconds, "flagged": flagged, "version": nml.__version__}))
"""

EVIDENTLY = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
import evidently
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
t = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
data = snapshot.dict()
seconds = time.perf_counter() - t
flagged = []
for metric in data.get("metrics", []):
    name = str(metric.get("metric_id") or metric.get("metric_name") or "")
    value = metric.get("value")
    if name.startswith("ValueDrift") and value is not None:
        column = name.split("column=")[1].split(",")[0].rstrip(")")
        threshold = float(name.split("threshold=")[1].split(")")[0].split(",")[0]) if "threshold=" in name else 0.1
        method = name.split("method=")[1].split(",")[0] if "method=" in name else ""
        is_p = "p_value" in method or "K-S" in method or "chi" in method.lower() or "Z-test" in method
        if (value < threshold) if is_p else (value >= threshold):
            flagged.append(column)
print(json.dumps({"seconds": seconds, "flagged": sorted(set(flagged)), "version": evidently.__version__}))
"""


def run_anchor(python: str | None, script: str, ref: Path, cur: Path, label: str) -> dict[str, Any]:
    if not python:
        return {"error": "not run (no interpreter given)"}
    if not Path(python).exists():
        return {"error": f"no interpreter at {python}"}
    try:
        done = subprocess.run(
            [python, "-c", script, str(ref), str(cur)],
            capture_output=True,
            text=True,
            timeout=3600,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"{label} did not finish within an hour"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"{label} failed: {last}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


class PeakMemory:
    """Peak summed RSS of this process and its children (Dask workers), sampled."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = 0
        for proc in [self.process, *self.process.children(recursive=True)]:
            with contextlib.suppress(Exception):  # a child that just exited
                total += proc.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self.baseline = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def verdict(seconds: float, target: float) -> str:
    return f"target ≤ {target:g} s: {'met' if seconds <= target else 'MISSED'}"


def median_seconds(action: Any, reps: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(reps):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def scale_run(workdir: Path, rows: int, reference_profile: Any) -> dict[str, Any]:
    from dask.distributed import Client, LocalCluster

    import mlops_jupyter as mj
    from mlops_jupyter.tracking.profile import profile_files_dask

    folder = workdir / f"scale-{rows}"
    files = 40
    per_file = rows // files
    if not folder.exists() or len(list(folder.glob("*.parquet"))) != files:
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(files):
            make(per_file, 1000 + i, shifted=True).to_parquet(folder / f"part-{i:02d}.parquet")
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, Client(cluster), PeakMemory() as memory:
        started = time.perf_counter()
        current = profile_files_dask(folder)
        seconds = time.perf_counter() - started
    report = mj.check_drift(reference_profile, current)
    return {
        "rows": current.rows,
        "files": files,
        "seconds": seconds,
        "peak_rss_gb": memory.peak / 1e9,
        "baseline_rss_gb": memory.baseline / 1e9,
        "flagged": sorted(report.drifted_columns),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scale-rows", type=int, default=20_000_000)
    parser.add_argument("--nannyml-python", default=os.environ.get("NANNYML_PYTHON"))
    parser.add_argument("--evidently-python", default=os.environ.get("EVIDENTLY_PYTHON"))
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()

    import mlops_jupyter as mj
    from mlops_jupyter.monitor.drift import compare
    from mlops_jupyter.tracking.profile import Profile

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-drift-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ref_path, cur_path = workdir / "reference.parquet", workdir / "current.parquet"
    if not ref_path.exists():
        make(ROWS, 1, shifted=False).to_parquet(ref_path)
        make(ROWS, 2, shifted=True).to_parquet(cur_path)
    reference, current = pd.read_parquet(ref_path), pd.read_parquet(cur_path)
    print(
        f"data: {len(reference):,} + {len(current):,} rows × {reference.shape[1]} columns; shifted: {SHIFTED}"
    )

    raw_s, raw = median_seconds(lambda: compare(reference, current), args.reps)
    print(
        f"mlops_jupyter check_drift (raw frames): {raw_s:.2f} s (median of {args.reps}; {verdict(raw_s, 1.0)}); "
        f"flagged {sorted(raw.drifted_columns)}"
    )

    prof_s, ref_profile = median_seconds(lambda: mj.profile(reference), args.reps)
    cur_profile = mj.profile(current)
    size = len(ref_profile.to_bytes())
    print(
        f"mlops_jupyter profile 1M × 20: {prof_s:.2f} s (median of {args.reps}; {verdict(prof_s, 0.5)}); "
        f"{size / 1e6:.2f} MB serialized (target ≤ 1 MB)"
    )

    ref_text, cur_text = ref_profile.to_json(), cur_profile.to_json()
    stored_s, stored = median_seconds(
        lambda: compare(Profile.from_json(ref_text), Profile.from_json(cur_text)), 20
    )
    print(
        f"mlops_jupyter check between two stored profiles: {stored_s * 1000:.1f} ms (median of 20; {verdict(stored_s, 0.05)}); "
        f"flagged {sorted(stored.drifted_columns)}; rank error ±{stored.error:.2%}"
    )

    anchors = {
        "NannyML": run_anchor(args.nannyml_python, NANNYML, ref_path, cur_path, "NannyML"),
        "Evidently": run_anchor(args.evidently_python, EVIDENTLY, ref_path, cur_path, "Evidently"),
    }
    for label, result in anchors.items():
        if "error" in result:
            print(f"{label}: {result['error']}")
        else:
            print(
                f"{label} {result['version']}: {result['seconds']:.2f} s (1 run); flagged {result['flagged']}; "
                f"mlops_jupyter raw check is {result['seconds'] / raw_s:.1f}× faster"
            )

    if args.scale_rows:
        del reference, current  # the scale run's memory is measured without the 1M frames
        import gc

        gc.collect()
        scale = scale_run(workdir, args.scale_rows, ref_profile)
        same = scale["flagged"] == sorted(raw.drifted_columns)
        print(
            f"scale: {scale['rows']:,} rows × 20 in {scale['files']} parquet files through a Dask LocalCluster "
            f"(2 workers): profile {scale['seconds']:.1f} s; peak RSS of this process + workers "
            f"{scale['peak_rss_gb']:.2f} GB (baseline {scale['baseline_rss_gb']:.2f} GB); flagged "
            f"{scale['flagged']} ({'same as' if same else 'DIFFERENT from'} the 1M sample)"
        )
    print(f"(data kept in {workdir})")


if __name__ == "__main__":
    sys.exit(main())
