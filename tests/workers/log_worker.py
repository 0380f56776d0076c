"""A worker process for the reliability tests: N threads log runs for S seconds.

Prints one JSON line: {"runs": {run_id: points}, "errors": [...]}. Exit 1 if any call raised.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import mlops_jupyter as mj

POINTS_PER_RUN = 20


def log_runs(thread_index: int, deadline: float, logged: dict[str, int], errors: list[str]) -> None:
    count = 0
    while time.time() < deadline:
        try:
            with mj.start_run(
                f"t{thread_index}-{count}", params={f"p{k}": k for k in range(5)}
            ) as run:
                for step in range(POINTS_PER_RUN):
                    mj.log_metric("loss", 1.0 / (step + 1), step=step)
                mj.set_tag("thread", str(thread_index))
            logged[run.run_id] = POINTS_PER_RUN
        except Exception as error:  # reported to the test, which fails on any
            errors.append(f"{type(error).__name__}: {error}")
        count += 1


def main() -> None:
    threads, seconds = int(sys.argv[1]), float(sys.argv[2])
    deadline = time.time() + seconds
    logged: dict[str, int] = {}
    errors: list[str] = []
    workers = [
        threading.Thread(target=log_runs, args=(i, deadline, logged, errors))
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"runs": logged, "errors": errors}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
