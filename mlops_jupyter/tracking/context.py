"""Which run a log call goes to, and the background work that keeps live runs safe.

Each thread has a stack of runs started with ``start_run``; nested runs take the top as parent.
A log call with no run on its thread's stack goes to the process's *session run* (kind
``notebook`` in a kernel, else ``script``), created on first use and ended at exit — never a
"no active run" error. One daemon thread flushes buffered points every second and beats the
heartbeat of live runs, so a run whose process died reads as ``killed`` later.

Runs end as ``finished`` at a normal interpreter exit, and in a Jupyter kernel already when the
kernel's ``shutdown_request`` arrives: a kernel told to shut down has ended normally, even if
exiting then takes longer than its manager waits (joblib workers, non-daemon threads) and it
is killed before ``atexit`` runs. Only a kernel that truly died leaves ``killed`` runs.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import inspect
import os
import socket
import threading
import time
from typing import Any

from mlops_jupyter.config import EXPERIMENT_ENV
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.tracking.environment import current_environment
from mlops_jupyter.tracking.run import Run, run_fields
from mlops_jupyter.tracking.source import in_notebook, ipython_shell, notebook_path, script_path

FLUSH_INTERVAL = 1.0
HEARTBEAT_INTERVAL = 5.0
HEARTBEAT_TIMEOUT = 30.0  # a running run silent this long is read as killed
#: How often the flusher thread (and the server) record dead runs as killed.
REAP_INTERVAL = 10.0
DEFAULT_EXPERIMENT = "Default"

_lock = threading.RLock()
RUN_ID_ENV = "MLOPS_JUPYTER_RUN_ID"  # set by the papermill engine in the kernel it starts

_live: dict[str, Run] = {}  # runs this process created and must end
_attached: dict[str, Run] = {}  # runs of other processes this one logs into (flushed, not ended)
_session_run: Run | None = None
_experiment: str | None = None
_worker: threading.Thread | None = None
_worker_pid: int | None = None


class _ThreadRuns(threading.local):
    def __init__(self) -> None:
        self.stack: list[Run] = []


_thread = _ThreadRuns()


def set_experiment(name: str) -> None:
    """Make ``name`` the default experiment for new runs in this process."""
    global _experiment
    _experiment = name


def default_experiment() -> str:
    return _experiment or os.environ.get(EXPERIMENT_ENV) or DEFAULT_EXPERIMENT


def active_run() -> Run | None:
    """The innermost run of this thread, else the session run if one exists."""
    stack = _thread.stack
    if stack:
        return stack[-1]
    return session_run() if _session_is_stale() else _session_run


def current_run() -> Run:
    """The run a log call goes to, creating the session run when there is none."""
    stack = _thread.stack
    if stack:
        return stack[-1]
    if _session_run is None or _session_is_stale():
        return session_run()
    return _session_run


def _session_is_stale() -> bool:
    """The kernel was pointed at another run (a warm kernel reused for the next sweep point)."""
    attached_id = os.environ.get(RUN_ID_ENV)
    return bool(attached_id) and (_session_run is None or _session_run.run_id != attached_id)


def attach_run(run_id: str, store: Store | None = None) -> Run:
    """A handle on a run created by another process (e.g. the papermill engine's notebook run).

    The handle logs into the existing row; the creating process stays in charge of ending it,
    so it is not registered for the end-at-exit sweep.
    """
    store = store or get_store()
    row = store.runs.get_run_row(run_id)
    if row is None:
        raise LookupError(
            f"cannot attach to run {run_id!r}: no such run in {store.location.db_url}"
        )
    run = Run(
        store,
        run_id,
        name=row["name"],
        experiment=row["experiment"],
        kind=row["kind"],
        parent_run_id=row["parent_run_id"],
        attempt=row["attempt"],
        on_end=forget,
    )
    run.start_time = row["start_time"]
    run.owned = False
    _ensure_worker()
    with _lock:
        _attached[run_id] = run
    _end_at_kernel_shutdown()
    return run


def session_run() -> Run:
    """The process's implicit run (the parent of cell runs in a notebook).

    When ``MLOPS_JUPYTER_RUN_ID`` is set (a kernel started by the papermill engine), the session
    run is that existing notebook run instead of a new one.
    """
    global _session_run
    with _lock:
        attached_id = os.environ.get(RUN_ID_ENV)
        if attached_id and (_session_run is None or _session_run.run_id != attached_id):
            _session_run = attach_run(attached_id)
        if _session_run is None or _session_run.status != "running":
            notebook = in_notebook()
            path = notebook_path() if notebook else script_path()
            _session_run = create_run(
                name=os.path.basename(path) if path else "session",
                kind="notebook" if notebook else "script",
                parent_run_id=None,
                notebook_path=path,
                push=False,
            )
        return _session_run


def create_run(
    *,
    name: str | None = None,
    experiment: str | None = None,
    kind: str = "script",
    parent_run_id: str | None = None,
    store: Store | None = None,
    push: bool = True,
    code: str | None = None,
    **source: Any,
) -> Run:
    """Insert a run row, register it as live, and (with ``push``) make it this thread's active run."""
    store = store or get_store()
    experiment = experiment or default_experiment()
    environment, environment_id = current_environment()
    store.runs.ensure_environment(environment_id, environment.as_row)
    if code is not None:
        source["code"] = code
        source["code_hash"] = hashlib.sha256(code.encode()).hexdigest()
    fields = run_fields(
        experiment_id=store.runs.experiment_id(experiment),
        name=name,
        kind=kind,
        parent_run_id=parent_run_id,
        environment_id=environment_id,
        **source,
    )
    run_id, attempt = store.runs.create_run(fields)
    run = Run(
        store,
        run_id,
        name=name,
        experiment=experiment,
        kind=kind,
        parent_run_id=parent_run_id,
        attempt=attempt,
        on_end=forget,
    )
    run.start_time = fields["start_time"]
    with _lock:
        _live[run_id] = run
    if push:
        _thread.stack.append(run)
    _ensure_worker()
    _end_at_kernel_shutdown()
    return run


def forget(run: Run) -> None:
    """Called when a run ends: drop it from the live set and from this thread's stack."""
    with _lock:
        _live.pop(run.run_id, None)
        _attached.pop(run.run_id, None)
    stack = _thread.stack
    if run in stack:
        stack.remove(run)


def parent_for_new_run() -> str | None:
    stack = _thread.stack
    if stack:
        return stack[-1].run_id
    return (
        _session_run.run_id
        if _session_run is not None and _session_run.status == "running"
        else None
    )


# -- background flusher and heartbeat ----------------------------------------------------------
def _ensure_worker() -> None:
    global _worker, _worker_pid
    if _worker is not None and _worker.is_alive() and _worker_pid == os.getpid():
        return
    with _lock:
        if _worker is not None and _worker.is_alive() and _worker_pid == os.getpid():
            return
        _worker = threading.Thread(target=_work_loop, name="mlops-jupyter-flusher", daemon=True)
        _worker_pid = os.getpid()
        _worker.start()


def _work_loop() -> None:
    last_beat = last_reap = 0.0
    while True:
        time.sleep(FLUSH_INTERVAL)
        with _lock:
            runs = list(_live.values())
            attached = list(_attached.values())
        for run in runs + attached:
            # on failure the points stay buffered; the next flush or the run's end retries
            with contextlib.suppress(Exception):
                run.flush()
        now = time.time()
        if runs and now - last_beat >= HEARTBEAT_INTERVAL:
            by_store: dict[int, tuple[Store, list[str]]] = {}
            for run in runs:
                by_store.setdefault(id(run.store), (run.store, []))[1].append(run.run_id)
            for store, run_ids in by_store.values():
                with contextlib.suppress(Exception):
                    store.runs.beat(run_ids, now)
            last_beat = now
        if runs and now - last_reap >= REAP_INTERVAL:
            stores = {id(run.store): run.store for run in runs}
            for store in stores.values():
                with contextlib.suppress(Exception):  # another process may be reaping too
                    reap_dead_runs(store)
            last_reap = now


def find_dead_runs(store: Store, timeout: float = HEARTBEAT_TIMEOUT) -> dict[str, float | None]:
    """The ``running`` runs whose process is gone (this host) or went silent (other hosts),
    with their last heartbeat. Reads only: :func:`reap_dead_runs` records the verdict."""
    import psutil  # noqa: PLC0415 - start-up: psutil is imported on first use

    host = socket.gethostname()
    now = time.time()
    dead: dict[str, float | None] = {}
    for row in store.runs.running_runs():
        if row["run_id"] in _live:
            continue
        if row["host"] == host and row["pid"]:
            # on this host the process table is the truth; a busy process may beat late
            gone = not psutil.pid_exists(row["pid"])
        else:
            gone = row["heartbeat"] is not None and now - row["heartbeat"] > timeout
        if gone:
            dead[row["run_id"]] = row["heartbeat"]
    return dead


def reap_dead_runs(store: Store, timeout: float = HEARTBEAT_TIMEOUT) -> list[str]:
    """Mark as killed the running runs whose process is gone (this host) or went silent (others).

    Called by the flusher thread (every ``REAP_INTERVAL``), the server's periodic task and
    ``mlops-jupyter runs reap``; reads never write (they only show such runs as killed).
    """
    dead = list(find_dead_runs(store, timeout))
    store.runs.mark_killed(dead)
    return dead


def reset() -> None:
    """End every live run of this process and forget the session run (tests, store switches)."""
    global _session_run, _experiment
    with _lock:
        runs = list(_live.values())
    for run in runs:
        with contextlib.suppress(Exception):
            run.end("killed")
    _thread.stack.clear()
    _attached.clear()
    _session_run = None
    _experiment = None


_hooked_kernels: set[int] = set()


def _end_at_kernel_shutdown() -> None:
    """In a Jupyter kernel, end this process's runs when a ``shutdown_request`` arrives (before
    the reply, so the frontend's wait covers it), not only at interpreter exit."""
    kernel = getattr(ipython_shell(), "kernel", None)
    if kernel is None or id(kernel) in _hooked_kernels:
        return
    _hooked_kernels.add(id(kernel))
    for handlers in (
        getattr(kernel, "control_handlers", None),
        getattr(kernel, "shell_handlers", None),
    ):
        if isinstance(handlers, dict) and callable(handlers.get("shutdown_request")):
            handlers["shutdown_request"] = _ending_runs_first(handlers["shutdown_request"])


def _ending_runs_first(handler: Any) -> Any:
    async def shutdown_request(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(Exception):
            _end_runs_at_exit()
        result = handler(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    return shutdown_request


@atexit.register
def _end_runs_at_exit() -> None:
    """A normal interpreter exit (or a kernel's shutdown request) ends whatever is still
    running as finished."""
    if _worker_pid != os.getpid():
        return
    with _lock:
        runs = list(_live.values())
    for run in runs:
        with contextlib.suppress(Exception):
            run.end("finished")
    for run in list(_attached.values()):
        with contextlib.suppress(Exception):
            run.flush()
