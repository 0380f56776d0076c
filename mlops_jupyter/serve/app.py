"""The starlette application of ``mlops-jupyter serve``.

Routes: ``POST /invocations``, ``GET /health``, ``GET /version``, ``GET /metrics``. Every
response carries ``MLOps-Model-Version`` (the version that answered; for ``/invocations`` the
one that computed the predictions, read once per request, so a swap mid-request cannot mix
versions). Prediction of a small input runs on the event loop (a thread hop costs more than a
one-row predict); inputs above ``THREAD_ROWS`` rows go to a worker thread.

``create_app(settings)`` builds the app; ``app_from_env()`` is the factory uvicorn calls in
each worker (settings from the environment, see ``settings.py``).
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
import warnings
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mlops_jupyter.serve.follower import ModelHolder
from mlops_jupyter.serve.inputs import InputError, fast_matrix, media_type, parse
from mlops_jupyter.serve.predictions import PredictionLogger
from mlops_jupyter.serve.settings import ServeSettings
from mlops_jupyter.serve.telemetry import Heartbeat, LatencyWindow, Metrics
from mlops_jupyter.store import get_store

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from mlops_jupyter.store import Store

log = logging.getLogger("mlops_jupyter.serve")
VERSION_HEADER = "MLOps-Model-Version"
REQUEST_ID_HEADER = "MLOps-Request-Id"
THREAD_ROWS = 2_000
_VERSION_HEADER_BYTES = VERSION_HEADER.lower().encode()


class _Body(Exception):
    pass


def _error(status: int, message: str, version: int | None, code: str = "BAD_REQUEST") -> Response:
    headers = {VERSION_HEADER: "" if version is None else str(version)}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="mlops-jupyter serve"'
    return JSONResponse({"error_code": code, "message": message}, status, headers=headers)


class VersionHeader:
    """Pure ASGI middleware: adds ``MLOps-Model-Version`` (the served version) to any response
    that does not name one already (404s, 405s, ``/health``, ...)."""

    def __init__(self, app: ASGIApp, holder: ModelHolder) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(key == _VERSION_HEADER_BYTES for key, _ in headers):
                    served = self.holder.current
                    headers.append(
                        (_VERSION_HEADER_BYTES, str(served.version).encode() if served else b"")
                    )
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_version)


class Server:
    """The app's state and handlers (one per worker process)."""

    def __init__(self, settings: ServeSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.holder = ModelHolder(settings, store)
        self.metrics = Metrics()
        self.window = LatencyWindow()
        self.heartbeat = Heartbeat(settings, store, self.holder, self.window)
        self.predictions = PredictionLogger(
            store,
            name=settings.name,
            alias=settings.alias,
            server_id=settings.server_id,
            rate=settings.log_predictions,
            max_rows=settings.log_queue_rows,
        )
        self._token = settings.token.encode() if settings.token else None
        self._swaps_seen = 0

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self.holder.start()
        self.heartbeat.start()
        self.predictions.start()
        served = self.holder.current
        log.warning(
            "serving %s %s at %s%s",
            self.settings.reference,
            f"version {served.version}" if served else "(nothing loaded yet)",
            self.settings.url,
            "" if self.settings.following else " (pinned)",
        )

    def stop(self) -> None:
        self.holder.stop()
        self.predictions.stop()
        self.heartbeat.stop()

    # -- handlers -------------------------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        if self._token is None:
            return True
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credential.strip().encode(), self._token
        )

    async def _read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                raise InputError("invalid Content-Length header")
            if int(declared) > limit:
                raise InputError(f"the body is larger than the limit of {limit} bytes", 413)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise InputError(f"the body is larger than the limit of {limit} bytes", 413)
            chunks.append(chunk)
        return b"".join(chunks)

    async def invocations(self, request: Request) -> Response:
        started = time.perf_counter()
        cpu_started = time.thread_time()
        served = self.holder.current  # one version for the whole request
        name = self.settings.name
        if served is None:
            self.metrics.errors.labels(name, "none", "unavailable").inc()
            return _error(
                503, f"no version loaded yet: {self.holder.error or 'loading'}", None, "UNAVAILABLE"
            )
        version = served.version
        label = str(version)
        if not self._authorized(request):
            self.metrics.errors.labels(name, label, "auth").inc()
            self.metrics.requests.labels(name, label, "401").inc()
            return _error(401, "missing or wrong bearer token", version, "UNAUTHORIZED")
        request_id = _request_id(request)
        model = served.model
        try:
            body = await self._read_body(request)
            content_type = request.headers.get("content-type")
            matrix = None
            if served.fast_names is not None and media_type(content_type) == "application/json":
                matrix = fast_matrix(body, served.fast_names)
            if matrix is not None and len(matrix) <= THREAD_ROWS:
                rows = len(matrix)
                frame, outputs = matrix, model.model.predict(matrix)
            else:
                data = matrix if matrix is not None else parse(body, content_type)
                rows = len(data)
                if rows > THREAD_ROWS:
                    frame, outputs = await run_in_threadpool(_predict, model, data)
                else:
                    frame, outputs = _predict(model, data)
        except InputError as error:
            return self._failed(error.status, str(error), version, "input", started)
        except ValueError as error:  # SignatureError, and models refusing values (NaN, ...)
            return self._failed(400, _one_line(error), version, "input", started)
        except Exception as error:
            log.exception("%s v%d: prediction failed", name, version)
            return self._failed(
                500, f"prediction failed: {_one_line(error)}", version, "model", started
            )
        content = json.dumps({"predictions": _jsonable(outputs)}, allow_nan=False, default=str)
        response = Response(
            content,
            200,
            headers={VERSION_HEADER: label, REQUEST_ID_HEADER: request_id},
            media_type="application/json",
        )
        if self.predictions.rate > 0.0:
            self.predictions.offer(request_id, version, frame, outputs, served.fast_names)
        elapsed = time.perf_counter() - started
        metrics = self.metrics
        metrics.requests.labels(name, label, "200").inc()
        metrics.latency.labels(name, label).observe(elapsed)
        metrics.rows.labels(name, label).inc(rows)
        metrics.cpu.labels(name, label).inc(time.thread_time() - cpu_started)
        self.window.add(time.time(), elapsed)
        return response

    def _failed(
        self, status: int, message: str, version: int, kind: str, started: float
    ) -> Response:
        label = str(version)
        self.metrics.errors.labels(self.settings.name, label, kind).inc()
        self.metrics.requests.labels(self.settings.name, label, str(status)).inc()
        self.metrics.latency.labels(self.settings.name, label).observe(
            time.perf_counter() - started
        )
        return _error(status, message, version)

    async def health(self, request: Request) -> Response:
        served = self.holder.current
        if served is None:
            return JSONResponse({"status": "unavailable", "error": self.holder.error}, 503)
        return JSONResponse({"status": "ok", "version": served.version, "error": self.holder.error})

    async def version(self, request: Request) -> Response:
        return JSONResponse(self.holder.describe())

    async def metrics_text(self, request: Request) -> Response:
        swaps = self.holder.swaps
        if swaps > self._swaps_seen:
            self.metrics.swaps.labels(self.settings.name).inc(swaps - self._swaps_seen)
            self._swaps_seen = swaps
        return Response(
            self.metrics.exposition(),
            media_type="text/plain; version=0.0.4; charset=utf-8",
        )


def _predict(model: Any, data: Any) -> tuple[Any, Any]:
    checked = model.signature.enforce(data, model.uri) if model.signature else data
    return checked, model.model.predict(checked)


def _jsonable(outputs: Any) -> Any:
    array = np.asarray(outputs)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return [None if not np.isfinite(v) else v for v in array.tolist()]
    return array.tolist()


def _request_id(request: Request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER)
    if given and len(given) <= 48 and given.isprintable() and "/" not in given:
        return given
    return uuid.uuid4().hex


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def create_app(settings: ServeSettings, store: Store | None = None) -> Starlette:
    """The ASGI app for ``settings`` (the store defaults to the discovered one)."""
    # the fast path hands estimators fitted on frames a float matrix in the signature's order
    # (checked equal at load): scikit-learn's reminder about feature names is moot there
    warnings.filterwarnings(
        "ignore", message="X does not have valid feature names", category=UserWarning
    )
    if store is None:
        store = get_store()
    server = Server(settings, store)

    @asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        await run_in_threadpool(server.start)
        try:
            yield
        finally:
            await run_in_threadpool(server.stop)

    app = Starlette(
        routes=[
            Route("/invocations", server.invocations, methods=["POST"]),
            Route("/health", server.health, methods=["GET"]),
            Route("/ping", server.health, methods=["GET"]),  # MLflow's health path
            Route("/version", server.version, methods=["GET"]),
            Route("/metrics", server.metrics_text, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.server = server
    app.add_middleware(VersionHeader, holder=server.holder)
    return app


def app_from_env() -> Starlette:
    """uvicorn's factory in each worker: settings from :data:`SETTINGS_ENV`."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    return create_app(ServeSettings.from_env())
