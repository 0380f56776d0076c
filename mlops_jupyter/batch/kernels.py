"""Kernels for batch runs: launched with the store's settings, started ahead of need, retried
when a start fails, reused with a namespace reset in warm mode, and killed by a watchdog.

A :class:`KernelPool` belongs to one launch configuration (kernel name, working directory,
environment). ``acquire`` hands out a launched kernel (the boot overlaps whatever ran before);
``top_up`` launches the kernels that points still waiting will need; ``release`` shuts a used
kernel down in the background (fresh mode) or keeps it for the next point (warm mode, reset by
``kernel_side.begin_point``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from mlops_jupyter.config import ARTIFACTS_ENV, STORE_ENV, USER_ENV, current_user
from mlops_jupyter.store import get_store
from mlops_jupyter.tracking.settings import SNAPSHOT_ENV, SNAPSHOT_MAX_ENV

CLIENT_CLASS = "mlops_jupyter.batch.kernels.CellIdKernelClient"
# nbclient's default too: a batch kernel never writes IPython's history database
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]
# a sweep's kernels would each print ipykernel's start-up warnings over the progress bar
QUIET_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
START_ATTEMPTS = 3


class KernelStartError(RuntimeError):
    """A kernel did not come up (after retries)."""


class CellIdKernelClient(AsyncKernelClient):
    """A kernel client that sends the notebook cell's id with each execute request.

    JupyterLab puts ``cellId`` in the request metadata and ipykernel hands it to IPython (so
    ``%%track`` knows its cell); nbclient sends no metadata, so the engine sets ``cell_id``
    before each cell.
    """

    cell_id: str | None = None

    def execute(
        self,
        code: str,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, Any] | None = None,
        allow_stdin: bool | None = None,
        stop_on_error: bool = True,
    ) -> str:
        if self.cell_id is None:
            return super().execute(
                code, silent, store_history, user_expressions, allow_stdin, stop_on_error
            )
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": user_expressions or {},
            "allow_stdin": self.allow_stdin if allow_stdin is None else allow_stdin,
            "stop_on_error": stop_on_error,
        }
        msg = self.session.msg("execute_request", content, metadata={"cellId": self.cell_id})
        self.shell_channel.send(msg)
        return str(msg["header"]["msg_id"])


def store_environment() -> dict[str, str]:
    """Variables that make a kernel log into this process's store, as this process's user."""
    location = get_store().location
    environment = {
        STORE_ENV: location.db_url,
        ARTIFACTS_ENV: location.artifacts_url,
        USER_ENV: current_user(),
    }
    for name in (SNAPSHOT_ENV, SNAPSHOT_MAX_ENV):  # the input-snapshot policy travels too
        if os.environ.get(name):
            environment[name] = os.environ[name]
    return environment


@dataclass
class PooledKernel:
    """A launched kernel and whether it already ran a point (warm mode resets it first).

    A warm kernel keeps its connected client for the next point (connecting again costs a
    kernel_info round trip plus 0.2 s of waiting for iopub to settle). The client's sockets
    belong to the event loop of the thread that made them, so a warm kernel stays with that
    thread (``owner``).
    """

    manager: AsyncKernelManager
    used: bool = False
    client: Any = None
    owner: int | None = None

    @property
    def pid(self) -> int | None:
        provisioner = getattr(self.manager, "provisioner", None)
        return getattr(provisioner, "pid", None)

    def alive(self) -> bool:
        try:
            return bool(run_sync(self.manager.is_alive)())
        except Exception:
            return False


class KernelPool:
    """Kernels of one launch configuration in this process (thread-safe)."""

    def __init__(
        self,
        kernel_name: str | None,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        warm: bool = False,
        capacity: int = 1,
        quiet: bool = False,
    ) -> None:
        self.kernel_name = kernel_name
        self.arguments = KERNEL_ARGUMENTS + (QUIET_ARGUMENTS if quiet else [])
        self.cwd = cwd
        self.env = {**os.environ, **(env or {})}
        self.warm = warm
        self.capacity = max(1, capacity)  # kernels running at once; caps what top_up launches
        self._lock = threading.Lock()
        self._idle: list[PooledKernel] = []
        self._stopping: list[threading.Thread] = []
        self._closed = False

    def launch(self) -> PooledKernel:
        """Start a kernel process; it boots while the caller does other work."""
        manager = AsyncKernelManager(
            kernel_name=self.kernel_name or "python3", client_class=CLIENT_CLASS
        )
        run_sync(manager.start_kernel)(
            extra_arguments=list(self.arguments), cwd=self.cwd, env=self.env
        )
        return PooledKernel(manager)

    def acquire(self) -> PooledKernel:
        """A launched kernel: an idle one that is still alive (warm: one this thread used
        before), else a new one."""
        while True:
            with self._lock:
                if self._closed:
                    raise KernelStartError("the kernel pool is closed")
                kernel = self._take_idle()
            if kernel is None:
                return self.launch()
            if kernel.alive():
                return kernel
            self.discard(kernel)

    def _take_idle(self) -> PooledKernel | None:
        me = threading.get_ident()
        for index, kernel in enumerate(self._idle):
            if kernel.owner is None or kernel.owner == me:
                return self._idle.pop(index)
        return None

    def top_up(self, waiting: int) -> None:
        """Launch kernels for points still waiting, up to the pool's capacity (fresh mode only:
        warm kernels come back after each point)."""
        if self.warm:
            return
        while True:
            with self._lock:
                if self._closed or len(self._idle) >= min(waiting, self.capacity):
                    return
            kernel = self.launch()
            with self._lock:
                self._idle.append(kernel)

    def release(self, kernel: PooledKernel, client: Any, reusable: bool) -> None:
        """Done with a point: keep the kernel and its client (warm and healthy) or shut both."""
        if self.warm and reusable and not self._closed:
            kernel.used, kernel.client, kernel.owner = True, client, threading.get_ident()
            with self._lock:
                self._idle.append(kernel)
            return
        if client is not None:
            client.stop_channels()
        self.discard(kernel)

    def discard(self, kernel: PooledKernel, *, now: bool = False) -> None:
        """Shut a kernel down in the background (nobody waits): gracefully after a point, so
        the kernel's own exit handlers run; at once (``now``) when it holds nothing to flush."""
        thread = threading.Thread(
            target=_shutdown, args=(kernel, now), name="mlops-kernel-shutdown", daemon=True
        )
        with self._lock:
            self._stopping = [t for t in self._stopping if t.is_alive()]
            self._stopping.append(thread)
        thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop every kernel and wait (bounded) for them to exit. Idle kernels are killed at
        once: unused ones hold nothing, and a reused one flushed when its last point ended."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for kernel in idle:
            self.discard(kernel, now=True)
        with self._lock:
            stopping = list(self._stopping)
        for thread in stopping:
            thread.join(timeout)


def _shutdown(kernel: PooledKernel, now: bool) -> None:
    manager = kernel.manager
    if kernel.client is not None:  # a warm kernel's client: its thread no longer uses it
        with contextlib.suppress(Exception):
            kernel.client.stop_channels()
    try:
        run_sync(manager.shutdown_kernel)(now=now)
    except Exception:
        kill_process(kernel.pid)
    finally:
        with contextlib.suppress(Exception):
            run_sync(manager.cleanup_resources)()


def kill_process(pid: int | None) -> None:
    """SIGKILL a kernel process (it runs in its own session, so Ctrl-C never reaches it)."""
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class CancelSignal(Protocol):
    """What a sweep sets to stop its points: threading.Event, multiprocessing.Event,
    distributed.Event all fit."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class Watchdog:
    """Kills the point's kernel when its time is up or the sweep is cancelled.

    nbclient notices the dead kernel (``DeadKernelError``) and the engine ends the run as
    failed (timeout) or killed (cancelled), keeping the output notebook so far.
    """

    POLL_SECONDS = 0.25

    def __init__(self, timeout: float | None = None, cancel: CancelSignal | None = None) -> None:
        self.timeout = timeout
        self.cancel = cancel
        self.reason: str | None = None  # "timeout" | "cancelled" once it fired
        self._kernel: PooledKernel | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Watchdog:
        if self.timeout is not None or self.cancel is not None:
            self._thread = threading.Thread(target=self._watch, name="mlops-watchdog", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def guard(self, kernel: PooledKernel | None) -> None:
        """The kernel to kill if the watchdog fires (None: nothing running)."""
        with self._lock:
            self._kernel = kernel
            fired = self.reason is not None
        if fired and kernel is not None:
            kill_process(kernel.pid)

    def check(self) -> None:
        """Raise before starting work when the watchdog already fired."""
        if self.reason is not None:
            raise PointStopped(self.reason, self.timeout)

    def _watch(self) -> None:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while not self._stop.is_set():
            if self.cancel is not None and self._cancelled():
                self._fire("cancelled")
                return
            if deadline is not None and time.monotonic() >= deadline:
                self._fire("timeout")
                return
            self._stop.wait(self.POLL_SECONDS)

    def _cancelled(self) -> bool:
        try:
            assert self.cancel is not None
            return bool(self.cancel.is_set())
        except Exception:  # a dask Event whose scheduler went away: keep running
            return False

    def _fire(self, reason: str) -> None:
        with self._lock:
            self.reason = reason
            kernel = self._kernel
        if kernel is not None:
            kill_process(kernel.pid)


class PointStopped(Exception):
    """A point was stopped by its watchdog (timeout or cancelled sweep)."""

    def __init__(self, reason: str, timeout: float | None) -> None:
        self.reason = reason
        message = (
            f"timed out after {timeout:g} s" if reason == "timeout" and timeout else "cancelled"
        )
        super().__init__(message)

    @property
    def status(self) -> str:
        return "failed" if self.reason == "timeout" else "killed"
