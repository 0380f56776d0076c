"""Serving telemetry: Prometheus metrics per version, a rolling latency window, and the
heartbeat that records each worker in the store (for ``serve ls`` and the sidebar).

With ``--workers N`` prometheus_client runs in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``
set by the CLI before the workers start): each worker writes its samples to files there and
``/metrics`` — answered by any one worker — aggregates all of them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

if TYPE_CHECKING:
    from mlops_jupyter.serve.follower import ModelHolder
    from mlops_jupyter.serve.settings import ServeSettings
    from mlops_jupyter.store import Store

log = logging.getLogger("mlops_jupyter.serve")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
WINDOW_SECONDS = 60.0
PRUNE_AFTER_SECONDS = 86_400.0


class Metrics:
    """The server's Prometheus metrics, labelled by the version that answered."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # a private registry per app keeps several apps in one process (tests) apart; in
        # multiprocess mode values go to files whatever the registry
        self.registry = registry or CollectorRegistry(auto_describe=True)
        kwargs: dict[str, Any] = {"registry": self.registry}
        self.requests = Counter(
            "mlops_serve_requests",
            "Prediction requests answered, by version and HTTP status.",
            ["model", "version", "status"],
            **kwargs,
        )
        self.errors = Counter(
            "mlops_serve_errors",
            "Prediction requests that failed, by version and kind (input, auth, model, unavailable).",
            ["model", "version", "kind"],
            **kwargs,
        )
        self.latency = Histogram(
            "mlops_serve_request_seconds",
            "Time from request to response for /invocations, by version.",
            ["model", "version"],
            buckets=LATENCY_BUCKETS,
            **kwargs,
        )
        self.rows = Counter(
            "mlops_serve_rows",
            "Rows predicted, by version.",
            ["model", "version"],
            **kwargs,
        )
        self.cpu = Counter(
            "mlops_serve_cpu_seconds",
            "CPU seconds spent answering /invocations (parse, predict, encode), by version.",
            ["model", "version"],
            **kwargs,
        )
        self.swaps = Counter(
            "mlops_serve_swaps",
            "Times a worker swapped in another version.",
            ["model"],
            **kwargs,
        )

    def exposition(self) -> bytes:
        """The Prometheus text of every worker (multiprocess) or of this process."""
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            prometheus_multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


class LatencyWindow:
    """Latencies of the last minute (bounded), for the heartbeat's rate and percentiles."""

    def __init__(self, maxlen: int = 50_000) -> None:
        self._points: deque[tuple[float, float]] = deque(maxlen=maxlen)
        self.total = 0

    def add(self, at: float, seconds: float) -> None:
        self._points.append((at, seconds))  # deque.append is atomic: no lock on the hot path
        self.total += 1

    def summary(self, now: float | None = None) -> dict[str, float | None]:
        now = time.time() if now is None else now
        points = [p for p in list(self._points) if p[0] >= now - WINDOW_SECONDS]
        if not points:
            return {"request_rate": 0.0, "p50_ms": None, "p95_ms": None}
        latencies = sorted(seconds for _, seconds in points)
        span = max(1.0, min(WINDOW_SECONDS, now - points[0][0]))

        def quantile(q: float) -> float:
            return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 3)

        return {
            "request_rate": round(len(points) / span, 3),
            "p50_ms": quantile(0.5),
            "p95_ms": quantile(0.95),
        }


class Heartbeat:
    """Records this worker in the store every ``heartbeat_seconds`` (a daemon thread); the row
    goes when the worker stops. A store that is down only skips beats."""

    def __init__(
        self,
        settings: ServeSettings,
        store: Store,
        holder: ModelHolder,
        window: LatencyWindow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.holder = holder
        self.window = window
        self.worker = os.getpid()
        self.started_at = time.time()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def row(self) -> dict[str, Any]:
        served = self.holder.current
        return {
            "server_id": self.settings.server_id,
            "worker": self.worker,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "url": self.settings.url,
            "name": self.settings.name,
            "alias": self.settings.alias,
            "version": served.version if served else None,
            "pinned": int(not self.settings.following),
            "started_at": self.started_at,
            "heartbeat": time.time(),
            "requests": self.window.total,
            **self.window.summary(),
            "error": self.holder.error,
        }

    def beat(self) -> bool:
        try:
            self.store.serving.beat(self.row())
            return True
        except Exception as error:  # the store is down: serving goes on
            log.debug("heartbeat skipped: %s", error)
            return False

    def start(self) -> None:
        self.beat()
        try:  # rows of servers that died without a clean stop, gone for a day
            self.store.serving.prune(time.time() - PRUNE_AFTER_SECONDS)
        except Exception as error:
            log.debug("could not prune old server rows: %s", error)
        self._thread = threading.Thread(target=self._run, name="mlops-serve-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_seconds):
            self.beat()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.store.serving.remove(self.settings.server_id, self.worker)
        except Exception as error:
            log.debug("could not remove the server row: %s", error)
