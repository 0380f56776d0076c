"""A live run: the handle that params, metrics, tags, artifacts and lineage are logged into.

Params, metrics and tags are buffered in memory (a log call costs about a microsecond) and
written in one transaction at run end, every ``FLUSH_EVERY`` points, or every second by the
background flusher in ``context``.

Nothing logged is lost to one bad value: values are checked at the log call (``values``), and a
flush that still fails keeps the buffer. A store that cannot be reached keeps it for the next
flush; any other failure is retried, then the batch is written row by row: the good rows land,
and the rows that cannot be written are named in a warning and kept in :attr:`Run.unwritten`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from mlops_jupyter.config import current_user
from mlops_jupyter.store.database import StoreConnectionError
from mlops_jupyter.store.runs import NO_METRICS, MetricColumns, ParamRow, ValueBatch
from mlops_jupyter.tracking.artifacts import store_artifact
from mlops_jupyter.tracking.datasets import record_dataset
from mlops_jupyter.tracking.display import html
from mlops_jupyter.tracking.values import (
    check_key,
    check_step,
    encode_param,
    encode_tag,
    metric_value,
)

if TYPE_CHECKING:
    from mlops_jupyter.store import Store
    from mlops_jupyter.tracking.datasets import DatasetRef

FLUSH_EVERY = 50_000
FLUSH_ATTEMPTS = 3  # tries of a whole batch before it is written row by row
_now = time.time
_HOST = socket.gethostname()


class Run:
    """A run being recorded. Use as a context manager, or call :meth:`end`."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        *,
        name: str | None,
        experiment: str,
        kind: str,
        parent_run_id: str | None,
        attempt: int = 1,
        on_end: Callable[[Run], None] | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.name = name
        self.experiment = experiment
        self.kind = kind
        self.parent_run_id = parent_run_id
        self.attempt = attempt
        self.status = "running"
        self.start_time = time.time()
        # appends happen under _buffer_lock so a flush can swap the lists out in O(1)
        self._buffer_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._params: list[ParamRow] = []
        self._metrics: MetricColumns = ([], [], [], [])
        self._tags: list[tuple[str, str]] = []
        self._next_step: dict[str, int] = {}
        self.latest_metrics: dict[str, float] = {}  # for live views
        self._checked_keys: set[str] = set()  # metric keys already found valid
        #: rows a flush could not write, as "param 'k': reason" lines (also warned about)
        self.unwritten: list[str] = []
        self.listeners: list[Any] = []  # callables(run) notified after each flush
        self.owned = (
            True  # False for a run attached from another process: flushed, never ended here
        )
        self.capture: Any = None  # a start_run block's Capture, written when the run ends
        #: called once the run ended: the context that created it forgets it (tracking/context.py)
        self._on_end = on_end

    # -- logging ------------------------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        row = encode_param(key, value)
        with self._buffer_lock:
            self._params.append(row)

    def log_params(self, values: Mapping[str, Any]) -> None:
        rows = [encode_param(key, value) for key, value in values.items()]
        with self._buffer_lock:
            self._params.extend(rows)

    def log_metric(self, key: str, value: Any, step: int | None = None) -> None:
        """Buffer one point; ``step`` defaults to one past this key's previous step."""
        if key not in self._checked_keys:
            key = check_key("metric", key)
            self._checked_keys.add(key)
        if type(value) is not float:
            value = metric_value(key, value)
        if step is not None and (type(step) is not int or not -(2**63) <= step < 2**63):
            step = check_step(key, step)
        with self._buffer_lock:
            if step is None:
                step = self._next_step.get(key, 0)
            self._next_step[key] = step + 1
            keys, values, steps, stamps = self._metrics
            keys.append(key)
            values.append(value)
            steps.append(step)
            stamps.append(_now())
            full = len(keys) >= FLUSH_EVERY
        self.latest_metrics[key] = value
        if full:
            self.flush()

    def log_metrics(self, values: Mapping[str, Any], step: int | None = None) -> None:
        for key, value in values.items():
            self.log_metric(key, value, step)

    def set_tag(self, key: str, value: Any) -> None:
        row = encode_tag(key, value)
        with self._buffer_lock:
            self._tags.append(row)

    def set_tags(self, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            self.set_tag(key, value)

    def log_artifact(self, path_or_obj: Any, name: str | None = None) -> str:
        """Store a file, a directory or an object as an artifact of this run; returns its name."""
        return store_artifact(self.store, self.run_id, path_or_obj, name)

    def log_input(self, data: Any, name: str | None = None) -> DatasetRef:
        return record_dataset(self.store, self.run_id, data, name, role="input")

    def log_output(self, data: Any, name: str | None = None) -> DatasetRef:
        return record_dataset(self.store, self.run_id, data, name, role="output")

    def next_steps(self) -> dict[str, int]:
        """For each metric key, the step its next point gets by default (a copy, for views)."""
        with self._buffer_lock:
            return dict(self._next_step)

    # -- persistence --------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._params) + len(self._metrics[0]) + len(self._tags)

    def _take_buffered(self) -> ValueBatch:
        with self._buffer_lock:
            batch = (self._params, self._metrics, self._tags)
            self._params, self._metrics, self._tags = [], ([], [], [], []), []
        return batch

    def _restore(self, batch: ValueBatch) -> None:
        with self._buffer_lock:
            self._params[:0] = batch[0]
            for kept, failed in zip(self._metrics, batch[1], strict=True):
                kept[:0] = failed  # type: ignore[index]
            self._tags[:0] = batch[2]

    def _notify(self) -> None:
        for listener in list(self.listeners):
            with contextlib.suppress(Exception):  # a view must never break logging
                listener(self)

    def flush(self) -> None:
        """Write everything buffered so far in one transaction (see the module docstring for
        what happens when that fails)."""
        with self._flush_lock:
            batch = self._take_buffered()
            if not (batch[0] or batch[1][0] or batch[2]):
                return
            self._write(batch, lambda rows: self.store.runs.write_batch(self.run_id, *rows))
        self._notify()

    def _write(self, batch: ValueBatch, write: Any) -> None:
        """``write(batch)``, retried; then row by row. Unreachable store: buffer kept, raised."""
        for attempt in range(FLUSH_ATTEMPTS):
            try:
                write(batch)
                return
            except BaseException as error:
                if _store_unreachable(error) or not isinstance(error, Exception):
                    self._restore(batch)  # keep the points for the next flush
                    raise
                if attempt < FLUSH_ATTEMPTS - 1:
                    time.sleep(0.05 * 2**attempt)
        self._write_row_by_row(batch)

    def _write_row_by_row(self, batch: ValueBatch) -> None:
        param_rows, (keys, values, steps, stamps), tag_rows = batch
        pieces: list[tuple[str, ValueBatch]] = []
        for row in {row[0]: row for row in param_rows}.values():
            pieces.append((f"param {row[0]!r}", ([row], NO_METRICS, ())))
        for key in dict.fromkeys(keys):
            points = [i for i, k in enumerate(keys) if k == key]
            columns: MetricColumns = (
                [key] * len(points),
                [values[i] for i in points],
                [steps[i] for i in points],
                [stamps[i] for i in points],
            )
            pieces.append((f"metric {key!r}", ((), columns, ())))
        for key, value in dict(tag_rows).items():
            pieces.append((f"tag {key!r}", ((), NO_METRICS, [(key, value)])))
        failed: list[str] = []
        for index, (label, piece) in enumerate(pieces):
            try:
                self.store.runs.write_batch(self.run_id, *piece)
            except Exception as error:
                if _store_unreachable(error):
                    for _, rest in pieces[index:]:
                        self._restore(rest)
                    raise
                failed.append(f"{label}: {_reason(error)}")
        if failed:
            self.unwritten += failed
            warnings.warn(
                f"run {self.run_id}: {len(failed)} value(s) could not be stored and were "
                f"dropped (everything else was written): {'; '.join(failed)}",
                stacklevel=3,
            )

    def end(self, status: str = "finished", error: BaseException | None = None) -> None:
        """Write what is buffered and the outcome in one transaction. Ending twice is a no-op."""
        if self.status != "running":
            return
        if self.capture is not None:
            capture, self.capture = self.capture, None
            capture.finish_block(failed=error is not None)
        detail = "".join(traceback.format_exception(error)) if error is not None else None
        finish = self.store.runs.finish_run
        with self._flush_lock:
            batch = self._take_buffered()
            try:
                finish(self.run_id, status, time.time(), detail, batch)
            except BaseException as failure:
                if _store_unreachable(failure) or not isinstance(failure, Exception):
                    self._restore(batch)
                    raise
                # the values are the problem: save what can be saved, then record the outcome
                self._write(batch, lambda rows: self.store.runs.write_batch(self.run_id, *rows))
                finish(self.run_id, status, time.time(), detail)
            self.status = status
        if self._on_end is not None:
            self._on_end(self)
        self._notify()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None:
            self.end("finished")
        elif isinstance(exc, KeyboardInterrupt):
            self.end("killed", exc)
        else:
            self.end("failed", exc)
        return False  # the exception propagates unchanged

    def __repr__(self) -> str:
        return f"<Run {self.run_id} {self.name or ''} {self.status}>"

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)


def _store_unreachable(error: BaseException) -> bool:
    """A failure of the connection rather than of the values (retrying later can succeed)."""
    if isinstance(error, (StoreConnectionError, InterfaceError)):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = str(getattr(error.orig, "sqlstate", None) or "")
    if state:  # PostgreSQL: connection lost, server shutting down, out of resources, deadlock
        return state[:2] in ("08", "53", "40") or state.startswith("57P")
    message = str(error.orig).lower()
    return isinstance(error, OperationalError) and (
        "locked" in message or "busy" in message or "connect" in message
    )


def _reason(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"[:200]


def run_fields(
    *, experiment_id: str, name: str | None, kind: str, parent_run_id: str | None, **source: Any
) -> dict[str, Any]:
    """The columns of a new run row."""
    now = time.time()
    return {
        "experiment_id": experiment_id,
        "name": name,
        "kind": kind,
        "status": "running",
        "parent_run_id": parent_run_id,
        "start_time": now,
        "heartbeat": now,
        "user": current_user(),
        "host": _HOST,
        "pid": os.getpid(),
        **source,
    }
