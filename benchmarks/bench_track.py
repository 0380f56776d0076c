"""``%%track`` speed (issue 3), each measure side by side with its anchor in the same run.

  1. a trivial cell with ``-p`` (5 vars) and ``-m`` (5 vars), minus the same cell untracked, in a
     real IPython shell on an SQLite store; anchor: an MLflow run with 5 params + 5 metrics on
     an SQLite store. Target: <= 2 ms median.
  2. ``mj.fingerprint`` of a 1M x 21 DataFrame (20 float columns, 1 string column); anchor:
     ``pd.util.hash_pandas_object``. Target: <= 80 ms.
  3. fingerprint of a file from the page cache; anchor: xxh3 of the same bytes in memory.
     Target: >= 5 GB/s; an unchanged file costs one ``stat`` (O(1)).
  4. ``%load_ext mlops_jupyter`` in a fresh interpreter. Target: <= 300 ms.
  5. whole-notebook capture (issue 11: every cell of an engine-run notebook is captured): a
     cell that touches no data, with the capture's shell events installed minus without them,
     interleaved in one shell; anchor: the cell itself. Target: <= 2 ms median.
  6. snapshotting an unchanged input file a second time (``mj.log_input`` with policy
     ``always``: fingerprint from the stat cache, snapshot found by fingerprint); anchor: the
     first snapshot of the same file (streamed into the blob store) and a plain file copy.
     Target: <= 50 ms for 1 GB.

Usage: python benchmarks/bench_track.py [--cells 400] [--file-gb 1] [--repeat 7] [--only 5,6]
Needs the ``bench`` extra (mlflow). Medians; the machine is small and shared, so read ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import io
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

PARAMS = [f"p{k}" for k in range(5)]
METRICS = [f"m{k}" for k in range(5)]
BODY = "".join(f"{metric} = {param} * 2.5\n" for param, metric in zip(PARAMS, METRICS, strict=True))
TRACKED = f"%%track -p {' '.join(PARAMS)} -m {' '.join(METRICS)}\n" + BODY


def median_ms(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def line(label: str, value: str, anchor: str, verdict: str) -> None:
    print(f"{label:<44} {value:>22}   anchor {anchor:>22}   {verdict}")


# -- 1. tracked cell overhead ------------------------------------------------------------------
def cell_overhead(cells: int) -> tuple[float, float, float, float]:
    """Median wall time of the tracked and the untracked cell (interleaved), their difference,
    and the difference in CPU time of the shell's thread (steadier on a busy machine: other
    processes slow the wall clock, not this thread's own work)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "mlops_jupyter")
    shell.run_cell("import numpy, pandas\n" + "".join(f"{p} = {k}\n" for k, p in enumerate(PARAMS)))

    def timed(code: str) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.thread_time()
        result = shell.run_cell(code, store_history=True)
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        assert result.success, result.error_in_exec
        return wall, cpu

    tracked, untracked = [], []
    with contextlib.redirect_stdout(io.StringIO()):  # the run summary each tracked cell prints
        for _ in range(30):
            timed(TRACKED), timed(BODY)
        for _ in range(cells):
            tracked.append(timed(TRACKED))
            untracked.append(timed(BODY))

    def median(samples: list[tuple[float, float]], index: int) -> float:
        return statistics.median(sample[index] for sample in samples) * 1000

    t, u = median(tracked, 0), median(untracked, 0)
    return t, u, t - u, median(tracked, 1) - median(untracked, 1)


def mlflow_run_ms(count: int) -> float:
    import mlflow

    def one() -> None:
        with mlflow.start_run():
            mlflow.log_params({p: k for k, p in enumerate(PARAMS)})
            mlflow.log_metrics({m: k * 2.5 for k, m in enumerate(METRICS)})

    for _ in range(3):
        one()
    return median_ms(count, one)


# -- 2. DataFrame fingerprint ------------------------------------------------------------------
def frame_fingerprint(repeat: int) -> tuple[float, float]:
    import numpy as np
    import pandas as pd

    import mlops_jupyter as mj

    rng = np.random.default_rng(0)
    rows = 1_000_000
    frame = pd.DataFrame({f"f{k}": rng.random(rows) for k in range(20)})
    frame["label"] = rng.choice(["alpha", "beta", "gamma", "delta", "epsilon"], rows)
    mj.fingerprint(frame)
    ours = median_ms(repeat, lambda: mj.fingerprint(frame))
    anchor = median_ms(max(3, repeat // 2), lambda: pd.util.hash_pandas_object(frame))
    return ours, anchor


# -- 3. file fingerprint ----------------------------------------------------------------------
def file_fingerprint(workdir: Path, gigabytes: float, repeat: int) -> tuple[float, float, float]:
    import xxhash

    from mlops_jupyter.tracking import fingerprint as fp

    size = int(gigabytes * (1 << 30))
    path = workdir / "big.bin"
    block = os.urandom(1 << 24)
    with open(path, "wb") as handle:
        for _ in range(size // len(block)):
            handle.write(block)
    data = path.read_bytes()  # also puts the file in the page cache

    def cold() -> None:
        fp._FILE_CACHE.clear()  # force a full read; the page cache stays warm
        fp.fingerprint_file(path)

    ours = size / (median_ms(repeat, cold) / 1000) / 1e9
    anchor = size / (median_ms(repeat, lambda: xxhash.xxh3_128(data).hexdigest()) / 1000) / 1e9
    fp.fingerprint_file(path)
    unchanged_us = median_ms(1000, lambda: fp.fingerprint_file(path)) * 1000
    path.unlink()
    return ours, anchor, unchanged_us


# -- 5. whole-notebook capture -----------------------------------------------------------------
def notebook_capture_overhead(cells: int) -> tuple[float, float, float]:
    """Median wall time of a data-free cell with whole-notebook capture on and off
    (interleaved, the events registered and removed between the two), and the difference."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from mlops_jupyter.tracking import context, notebook_capture

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "mlops_jupyter")
    shell.run_cell("import numpy, pandas\nrate = 0.25\nsteps = list(range(10))")
    run = context.create_run(name="notebook", kind="notebook", push=False)
    os.environ[context.RUN_ID_ENV] = run.run_id  # as the engine's begin_point sets it
    capture = notebook_capture.install(shell, run.run_id)
    assert capture is not None
    events = shell.events

    def toggle(on: bool) -> None:
        for name, handler in (
            ("pre_run_cell", capture.pre_run_cell),
            ("post_run_cell", capture.post_run_cell),
        ):
            registered = handler in events.callbacks[name]
            if on and not registered:
                events.register(name, handler)
            elif not on and registered:
                events.unregister(name, handler)

    code = "total = sum(step * rate for step in steps)\nlabel = f'total {total:.2f}'\n"

    def timed() -> float:
        started = time.perf_counter()
        result = shell.run_cell(code, store_history=True)
        assert result.success, result.error_in_exec
        return time.perf_counter() - started

    on, off = [], []
    for index in range(cells + 30):
        toggle(True)
        with_capture = timed()
        toggle(False)
        without = timed()
        if index >= 30:  # warm-up
            on.append(with_capture)
            off.append(without)
    run.end()
    os.environ.pop(context.RUN_ID_ENV, None)
    t, u = statistics.median(on) * 1000, statistics.median(off) * 1000
    return t, u, t - u


# -- 6. second snapshot of an unchanged input --------------------------------------------------
def snapshot_again(workdir: Path, gigabytes: float, repeat: int) -> tuple[float, float, float]:
    """(second log_input with policy always, first snapshot, plain copy) in milliseconds."""
    import shutil

    import mlops_jupyter as mj
    from mlops_jupyter.store import get_store

    size = int(gigabytes * (1 << 30))
    path = workdir / "input.bin"
    block = os.urandom(1 << 24)
    with open(path, "wb") as handle:
        for _ in range(size // len(block)):
            handle.write(block)
    path.read_bytes()  # into the page cache
    copied = workdir / "copy.bin"
    started = time.perf_counter()
    shutil.copyfile(path, copied)
    copy_ms = (time.perf_counter() - started) * 1000
    copied.unlink()
    mj.autolog(snapshot_inputs="always")
    with mj.start_run(name="snapshots"):
        started = time.perf_counter()
        mj.log_input(str(path))
        first_ms = (time.perf_counter() - started) * 1000
        again_ms = median_ms(repeat * 3, lambda: mj.log_input(str(path)))
    assert len(get_store().data.snapshot_digests()) == 1
    path.unlink()
    return again_ms, first_ms, copy_ms


# -- 4. extension load time -------------------------------------------------------------------
def load_ext_ms() -> float:
    probe = (
        "import time\nfrom IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\nt = time.perf_counter()\n"
        "shell.run_line_magic('load_ext', 'mlops_jupyter')\nprint((time.perf_counter() - t) * 1000)"
    )
    return fresh_interpreter_ms(probe)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cells", type=int, default=400, help="tracked and untracked cells each")
    parser.add_argument(
        "--file-gb", type=float, default=1.0, help="size of the file to fingerprint"
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--only", default="1,2,3,4,5,6", help="comma-separated measures to run (default: all)"
    )
    args = parser.parse_args()
    only = {int(part) for part in args.only.split(",") if part.strip()}
    warnings.filterwarnings("ignore")
    workdir = Path(tempfile.mkdtemp(prefix="bench-track-"))
    os.environ["MLOPS_JUPYTER_STORE"] = str(workdir / "ours")
    if 1 in only:
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
        mlflow.set_experiment("bench")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; medians\n")

    if 1 in only:
        tracked, untracked, overhead, cpu_overhead = cell_overhead(args.cells)
        anchor = mlflow_run_ms(max(20, args.cells // 10))
        line(
            "trivial cell -p 5 -m 5, tracked - untracked",
            f"{overhead:.2f} ms",
            f"MLflow run {anchor:.1f} ms",
            f"{'ok' if overhead <= 2 else 'OVER'} (target <= 2 ms; {anchor / overhead:.0f}x less than MLflow)",
        )
        print(
            f"{'':<44} (tracked {tracked:.2f} ms, untracked {untracked:.2f} ms; CPU of the shell thread +{cpu_overhead:.2f} ms)"
        )

    if 2 in only:
        ours, anchor = frame_fingerprint(args.repeat)
        line(
            "fingerprint 1M x 21 DataFrame",
            f"{ours:.1f} ms",
            f"hash_pandas_object {anchor:.0f} ms",
            f"{'ok' if ours <= 80 else 'OVER'} (target <= 80 ms; {anchor / ours:.1f}x faster)",
        )

    if 3 in only:
        rate, memory_rate, unchanged_us = file_fingerprint(
            workdir, args.file_gb, max(3, args.repeat // 2)
        )
        line(
            f"fingerprint {args.file_gb:g} GB file (page cache)",
            f"{rate:.2f} GB/s",
            f"xxh3 in memory {memory_rate:.2f} GB/s",
            f"{'ok' if rate >= 5 else 'UNDER'} (target >= 5 GB/s; {rate / memory_rate:.0%} of memory speed)",
        )
        line(
            "fingerprint of the unchanged file",
            f"{unchanged_us:.1f} us",
            "one stat()",
            "O(1): no bytes read",
        )

    if 4 in only:
        load = statistics.median(load_ext_ms() for _ in range(args.repeat))
        line(
            "%load_ext mlops_jupyter (fresh interpreter)",
            f"{load:.0f} ms",
            "target 300 ms",
            "ok" if load <= 300 else "OVER",
        )

    if 5 in only:
        on, off, extra = notebook_capture_overhead(args.cells)
        line(
            "data-free cell, notebook capture on - off",
            f"{extra:.3f} ms",
            f"the cell {off:.2f} ms",
            f"{'ok' if extra <= 2 else 'OVER'} (target <= 2 ms; on {on:.2f} ms)",
        )

    if 6 in only:
        again, first, copy = snapshot_again(workdir, args.file_gb, args.repeat)
        line(
            f"snapshot unchanged {args.file_gb:g} GB input again",
            f"{again:.2f} ms",
            f"first {first:.0f} ms, cp {copy:.0f} ms",
            f"{'ok' if again <= 50 else 'OVER'} (target <= 50 ms; {first / again:.0f}x less than the first)",
        )


if __name__ == "__main__":
    main()
