"""A process that starts a run, logs and flushes metrics, says so, then waits to be killed."""

from __future__ import annotations

import time

import mlops_jupyter as mj

run = mj.start_run("doomed")
for step in range(50):
    run.log_metric("loss", float(step), step=step)
run.flush()
run.log_metric("unflushed", 1.0)  # buffered only: lost with the process, by design
print(run.run_id, flush=True)
time.sleep(600)
