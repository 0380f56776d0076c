"""Where sweep points run. An :class:`Executor` takes point tasks and reports each outcome; two
ship, and any object with the same two methods can be passed to ``sweep(executor=...)``:

* :class:`LocalExecutor` (default, ``--workers N``): a pool of N kernel processes on this
  machine. The notebooks execute in the kernels — separate processes, so the work is parallel —
  and one thread per kernel relays its messages and records the run. Kernels are launched ahead
  of need (fresh mode) or kept and reset between points (``--warm-kernels``).
* :class:`DaskExecutor` (``--dask local|ADDRESS``): each point is a task on dask.distributed — a
  LocalCluster of N worker processes, or an existing scheduler when one machine is not enough.
  Every worker keeps its own kernel pool. Workers must see the notebook path and the store
  (PostgreSQL and a shared artifact root, or a shared filesystem).

Cancelling sets a signal that each running point's watchdog acts on (its kernel is killed and
its run ends ``killed``); points not started yet are never started and are not reported — the
sweep records them as killed.
"""

from __future__ import annotations

import atexit
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from mlops_jupyter.batch.execute import NotebookRun, PointTask, execute_point
from mlops_jupyter.batch.kernels import KernelPool

Report = Callable[[NotebookRun], None]


class Executor(Protocol):
    """Runs point tasks, calling ``on_result`` (from any thread) as each one finishes."""

    name: str

    def run(self, tasks: Sequence[PointTask], on_result: Report) -> None:
        """Return when every task finished, or after ``cancel`` when the running ones stopped."""

    def cancel(self) -> None:
        """Stop: start nothing new, kill the running points (callable from any thread)."""


def _failed(task: PointTask, error: BaseException) -> NotebookRun:
    """A point whose execution machinery itself broke (e.g. the store went away)."""
    return NotebookRun(
        None, "failed", task.parameters, error=f"{type(error).__name__}: {error}", index=task.index
    )


class LocalExecutor:
    """N kernel processes on this machine, one relay thread each."""

    name = "local"

    def __init__(self, workers: int = 2, *, warm: bool = False) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.warm = warm
        self._cancel = threading.Event()

    def run(self, tasks: Sequence[PointTask], on_result: Report) -> None:
        if not tasks:
            return
        first = tasks[0]
        pool = KernelPool(
            first.kernel_name,
            cwd=first.cwd,
            env=first.store_env,
            warm=self.warm,
            capacity=self.workers,
            quiet=True,
        )
        queue = deque(tasks)
        lock = threading.Lock()

        def next_task() -> PointTask | None:
            with lock:
                return queue.popleft() if queue and not self._cancel.is_set() else None

        def work() -> None:
            while (task := next_task()) is not None:
                try:
                    result = execute_point(
                        task, pool=pool, cancel=self._cancel, waiting=lambda: len(queue)
                    )
                except Exception as error:
                    result = _failed(task, error)
                on_result(result)

        threads = [
            threading.Thread(target=work, name=f"mlops-sweep-{i}", daemon=True)
            for i in range(min(self.workers, len(tasks)))
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            pool.close()

    def cancel(self) -> None:
        self._cancel.set()


class DaskExecutor:
    """Points as dask.distributed tasks: ``address="local"`` starts a LocalCluster of
    ``workers`` processes (one thread each); any other value is a scheduler address."""

    name = "dask"

    def __init__(self, address: str = "local", workers: int = 2, *, warm: bool = False) -> None:
        self.address = address
        self.workers = workers
        self.warm = warm
        self._stop: Callable[[], None] | None = None
        self._cancelled = threading.Event()

    def _connect(self) -> tuple[object, object | None]:
        from distributed import Client, LocalCluster  # noqa: PLC0415 - start-up: dask's distributed is imported only for --dask

        if self.address == "local":
            cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            return Client(cluster), cluster
        return Client(self.address), None

    def run(self, tasks: Sequence[PointTask], on_result: Report) -> None:
        from distributed import Event, as_completed  # noqa: PLC0415 - start-up: dask's distributed is imported only for --dask

        if not tasks:
            return
        client, cluster = self._connect()
        try:
            event = Event(f"mlops-sweep-cancel-{uuid.uuid4().hex}", client=client)
            slots = max(1, sum(client.nthreads().values()))  # type: ignore[attr-defined]
            by_key = {}
            for position, task in enumerate(tasks):
                # tasks go out roughly in order: all but the last `slots` have a successor
                task.waiting_hint = 1 if position < len(tasks) - slots else 0
                future = client.submit(run_on_dask_worker, task, event.name, pure=False)  # type: ignore[attr-defined]
                by_key[future.key] = (future, task)
            futures = [future for future, _ in by_key.values()]

            def stop() -> None:
                event.set()
                client.cancel([f for f in futures if f.status == "pending"])  # type: ignore[attr-defined]

            self._stop = stop
            if self._cancelled.is_set():
                stop()
            for future in as_completed(futures):
                task = by_key[future.key][1]
                if future.status == "cancelled":
                    continue  # never started
                try:
                    result = future.result()
                except Exception as error:
                    result = _failed(task, error)
                on_result(result)
        finally:
            self._stop = None
            client.close()  # type: ignore[attr-defined]
            if cluster is not None:
                cluster.close()  # type: ignore[attr-defined]

    def cancel(self) -> None:
        self._cancelled.set()
        if self._stop is not None:
            self._stop()


# -- on a Dask worker ------------------------------------------------------------------------
_worker_pools: dict[tuple[object, ...], KernelPool] = {}
_worker_pools_lock = threading.Lock()


def _worker_pool(task: PointTask, capacity: int) -> KernelPool:
    key = (task.kernel_name, task.cwd, tuple(sorted(task.store_env.items())), task.warm)
    with _worker_pools_lock:
        pool = _worker_pools.get(key)
        if pool is None:
            if not _worker_pools:
                atexit.register(_close_worker_pools)
            pool = _worker_pools[key] = KernelPool(
                task.kernel_name,
                cwd=task.cwd,
                env=task.store_env,
                warm=task.warm,
                capacity=capacity,
                quiet=True,
            )
        return pool


def _close_worker_pools() -> None:
    for pool in list(_worker_pools.values()):
        pool.close()


def run_on_dask_worker(task: PointTask, cancel_event: str) -> NotebookRun:
    """The Dask task of one point: this worker's kernel pool, the sweep's cancel event."""
    from distributed import Event, get_worker  # noqa: PLC0415 - start-up: dask's distributed is imported only for --dask

    os.environ.update(task.store_env)  # record in the submitter's store, as the submitter's user
    pool = _worker_pool(task, capacity=get_worker().state.nthreads)
    return execute_point(task, pool=pool, cancel=Event(cancel_event))


def make_executor(workers: int = 2, dask: str | None = None, *, warm: bool = False) -> Executor:
    """The executor the CLI options ask for."""
    if dask:
        return DaskExecutor(dask, workers, warm=warm)
    return LocalExecutor(workers, warm=warm)
