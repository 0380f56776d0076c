"""Sampled prediction logging, delayed outcomes, and the joined serving log.

The request path only draws a random number and, for a sampled request, appends a reference to
its input frame and outputs to a bounded queue (no copy, no JSON, no SQL). A daemon thread turns
queued requests into rows and writes them in batches (every ``flush_seconds`` or 500 rows).
When the store is slow or down the queue fills up to ``max_rows`` rows; beyond that, new samples
are dropped and counted (``dropped``), so memory stays bounded and requests never wait.

Each logged row has an id: the request id for a one-row request, ``REQUEST/ROW`` otherwise
(the response's ``MLOps-Request-Id`` header gives the request id).
:func:`log_outcomes` records the true labels later; :func:`serving_log` joins them.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.registry.names import check_model_name, parse_model_uri
from mlops_jupyter.registry.versions import version_number
from mlops_jupyter.store import get_store

if TYPE_CHECKING:
    import pandas as pd

    from mlops_jupyter.store import Store

log = logging.getLogger("mlops_jupyter.serve")
BATCH_ROWS = 500


def row_ids(request_id: str, rows: int) -> list[str]:
    """The logged id of each row of one request."""
    return [request_id] if rows == 1 else [f"{request_id}/{i}" for i in range(rows)]


def _json_value(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class PredictionLogger:
    """Samples requests at ``rate`` and writes their rows to the store off the request path."""

    def __init__(
        self,
        store: Store,
        *,
        name: str,
        alias: str | None,
        server_id: str,
        rate: float,
        max_rows: int = 10_000,
        flush_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.name = name
        self.alias = alias
        self.server_id = server_id
        self.rate = max(0.0, min(1.0, rate))
        self.max_rows = max_rows
        self.flush_seconds = flush_seconds
        self.queued_rows = 0
        self.dropped = 0  # rows not logged because the queue was full
        self.written = 0
        self._queue: deque[tuple[str, int, float, Any, Any, list[str] | None]] = deque()
        self._pending: list[dict[str, Any]] = []  # rows built but not yet written
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._random = random.random
        self._count_lock = threading.Lock()

    def offer(
        self,
        request_id: str,
        version: int,
        frame: Any,
        outputs: Any,
        columns: list[str] | None = None,
    ) -> bool:
        """Maybe queue one answered request (called on the request path: cheap)."""
        if self.rate <= 0.0 or (self.rate < 1.0 and self._random() >= self.rate):
            return False
        rows = len(outputs)
        with self._count_lock:
            if self.queued_rows + rows > self.max_rows:
                self.dropped += rows
                return False
            self.queued_rows += rows
        self._queue.append((request_id, version, time.time(), frame, outputs, columns))
        if self.queued_rows >= BATCH_ROWS:
            self._wake.set()
        return True

    # -- background -----------------------------------------------------------------------------
    def start(self) -> None:
        if self.rate <= 0.0:
            return
        self._thread = threading.Thread(
            target=self._run, name="mlops-serve-prediction-log", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def _build(self) -> None:
        import pandas as pd  # noqa: PLC0415 - start-up: the model server imports pandas on first use

        while self._queue:
            request_id, version, at, frame, outputs, columns = self._queue.popleft()
            if isinstance(frame, pd.DataFrame):
                records = frame.to_dict(orient="records")
            else:
                array = np.asarray(frame)
                names = columns or [str(i) for i in range(array.shape[1])]
                records = [dict(zip(names, row, strict=False)) for row in array.tolist()]
            values = outputs.tolist() if hasattr(outputs, "tolist") else list(outputs)
            for row_id, record, value in zip(
                row_ids(request_id, len(values)), records, values, strict=False
            ):
                self._pending.append(
                    {
                        "request_id": row_id,
                        "name": self.name,
                        "version": version,
                        "alias": self.alias,
                        "server_id": self.server_id,
                        "at": at,
                        "inputs": json.dumps(
                            {str(k): _json_value(v) for k, v in record.items()}, default=str
                        ),
                        "output": json.dumps(_json_value(value), default=str),
                    }
                )

    def flush(self) -> int:
        """Write what is queued; on a store error keep it for the next try (bounded)."""
        self._build()
        written = 0
        while self._pending:
            batch = self._pending[:BATCH_ROWS]
            try:
                self.store.serving.add_predictions(batch)
            except Exception as error:
                log.warning("prediction log: store write failed, will retry: %s", error)
                return written
            del self._pending[: len(batch)]
            with self._count_lock:
                self.queued_rows -= len(batch)
            self.written += len(batch)
            written += len(batch)
        return written

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self.flush()


def log_outcomes(name: str, request_ids: Any, y_true: Any, *, store: Store | None = None) -> int:
    """Record the true outcome of served predictions (delayed labels).

    ``request_ids``: the ids of logged rows (``MLOps-Request-Id`` of a one-row request, else
    ``REQUEST/ROW``); ``y_true``: one label per id. Returns how many labels were recorded;
    ids with no logged prediction are still stored (the prediction may not be flushed yet) and
    joined whenever it arrives.
    """
    check_model_name(name)
    ids = [str(i) for i in list(request_ids)]
    labels = list(y_true.tolist() if hasattr(y_true, "tolist") else y_true)
    if len(ids) != len(labels):
        raise RegistryError(f"{len(ids)} request ids but {len(labels)} outcomes")
    if len(set(ids)) != len(ids):
        raise RegistryError("request ids repeat; give one outcome per logged prediction")
    at = time.time()
    store = store or get_store()
    return store.serving.add_outcomes(
        name,
        [
            (rid, json.dumps(_json_value(y), default=str), at)
            for rid, y in zip(ids, labels, strict=True)
        ],
    )


def serving_log(
    name: str,
    *,
    version: int | None = None,
    since: float | None = None,
    labelled_only: bool = False,
    limit: int | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """Logged predictions of ``name`` joined with their outcomes: columns ``request_id``,
    ``version``, ``alias``, ``server_id``, ``at`` (UTC), ``prediction``, ``y_true`` (None when
    not known yet), then one column per input feature."""
    import pandas as pd  # noqa: PLC0415 - start-up: the model server imports pandas on first use

    store = store or get_store()
    rows = store.serving.prediction_log(
        name, version=version, since=since, labelled_only=labelled_only, limit=limit
    )
    base = pd.DataFrame(
        {
            "request_id": [r["request_id"] for r in rows],
            "version": pd.array([r["version"] for r in rows], dtype="Int64"),
            "alias": [r["alias"] for r in rows],
            "server_id": [r["server_id"] for r in rows],
            "at": pd.to_datetime([r["at"] for r in rows], unit="s", utc=True),
            "prediction": [json.loads(r["output"]) for r in rows],
            "y_true": [None if r["y_true"] is None else json.loads(r["y_true"]) for r in rows],
        }
    )
    features = pd.DataFrame.from_records([json.loads(r["inputs"]) for r in rows])
    return pd.concat([base, features.set_axis(base.index)], axis=1) if rows else base


def check_served_performance(
    name: str,
    *,
    since: float | None = None,
    record: bool = True,
    store: Store | None = None,
) -> list[Any]:
    """Live quality per served version: the labelled rows of the serving log (predictions
    joined with :func:`log_outcomes`) scored by the monitoring module's ``check_performance``,
    one report per version that has labelled rows (recorded as checks unless ``record=False``)."""
    # start-up: the model server imports this module (PredictionLogger); the checks pull in
    # pandas and the monitoring stack, which only these calls need
    from mlops_jupyter.monitor.checks import check_performance  # noqa: PLC0415 - start-up

    store = store or get_store()
    log = serving_log(name, since=since, labelled_only=True, store=store)
    reports = []
    meta = {"request_id", "version", "alias", "server_id", "at", "prediction", "y_true"}
    for version in sorted({int(v) for v in log["version"].dropna().tolist()}):
        rows = log[log["version"] == version]
        features = rows[[c for c in rows.columns if c not in meta]].reset_index(drop=True)
        labels = rows["y_true"].reset_index(drop=True)
        if labels.map(lambda v: isinstance(v, (int, float))).all():
            labels = labels.astype(float)
        reports.append(
            check_performance(
                f"models:/{name}/{version}", features, labels, record=record, store=store
            )
        )
    return reports


def check_served_drift(
    name: str,
    *,
    since: float | None = None,
    record: bool | None = None,
    store: Store | None = None,
    **options: Any,
) -> list[Any]:
    """Served inputs against the reference profile, per served version: the logged inputs of
    each version compared with ``models:/NAME/VERSION``'s reference profile by the monitoring
    module's ``check_drift`` (``options`` go to it: method, threshold, rule, ...)."""
    # start-up: as in check_served_performance (the model server imports this module)
    from mlops_jupyter.monitor.checks import check_drift  # noqa: PLC0415 - start-up

    store = store or get_store()
    log = serving_log(name, since=since, store=store)
    meta = {"request_id", "version", "alias", "server_id", "at", "prediction", "y_true"}
    reports = []
    for version in sorted({int(v) for v in log["version"].dropna().tolist()}):
        rows = log[log["version"] == version]
        features = rows[[c for c in rows.columns if c not in meta]].reset_index(drop=True)
        reports.append(
            check_drift(
                f"models:/{name}/{version}", features, record=record, store=store, **options
            )
        )
    return reports


def served_data(model_uri: str, *, labelled: bool, store: Store | None = None) -> tuple[Any, Any]:
    """The served inputs (and, with ``labelled``, the delayed labels) of the version
    ``models:/NAME@ALIAS`` (or ``NAME/VERSION``) points at now: ``(X, y)``, ``y`` None unless
    labelled. For ``monitor drift|performance NAME@ALIAS --from-serving-log``."""
    store = store or get_store()
    ref = parse_model_uri(model_uri)
    version = store.registry.read(lambda tx: version_number(tx, ref))
    log = serving_log(ref.name, version=version, labelled_only=labelled, store=store)
    meta = {"request_id", "version", "alias", "server_id", "at", "prediction", "y_true"}
    features = log[[c for c in log.columns if c not in meta]].reset_index(drop=True)
    if not labelled:
        return features, None
    labels = log["y_true"].reset_index(drop=True)
    if len(labels) and labels.map(lambda v: isinstance(v, (int, float))).all():
        labels = labels.astype(float)
    return features, labels
