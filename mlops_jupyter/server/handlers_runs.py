"""REST end points for runs: the run list, one run, a metric's series, an artifact's bytes,
and the experiments runs belong to.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from urllib.parse import quote

import tornado.web

from mlops_jupyter.server.openapi import (
    DEFAULT_MAX_POINTS,
    DEFAULT_RUNS_LIMIT,
    MAX_MAX_POINTS,
    MAX_RUNS_LIMIT,
    MIN_MAX_POINTS,
)
from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.series import chart_series
from mlops_jupyter.server.validation import ApiError, check_text, int_argument, text_argument
from mlops_jupyter.store import Store
from mlops_jupyter.store.filters import parse_filter
from mlops_jupyter.tracking.query import count, get_run, resolve_run_id, search

SUMMARY_FIELDS = (
    "run_id",
    "experiment",
    "name",
    "kind",
    "status",
    "attempt",
    "parent_run_id",
    "user",
    "start_time",
    "end_time",
    "duration_s",
    "notebook_path",
    "cell_id",
    "params",
    "metrics",
    "tags",
)
SOURCE_FIELDS = ("notebook_path", "cell_id", "execution_count", "code", "code_hash", "host", "pid")
LINKED_FIELDS = (
    "node_type",
    "node_id",
    "name",
    "dataset_id",
    "uri",
    "fingerprint",
    "format",
    "rows",
    "columns",
    "schema",
    "created_at",
)
ARTIFACT_FIELDS = ("name", "digest", "size", "media_type", "created_at")


def run_summary(row: dict[str, Any]) -> dict[str, Any]:
    """A search row shaped as the API's RunSummary."""
    return {field: row.get(field) for field in SUMMARY_FIELDS}


def quote_filter_string(value: str) -> str:
    """``value`` as a string literal of the filter language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def notebook_condition(root_dir: str, notebook: str) -> str:
    """Filter for runs of one notebook, recorded by relative path (papermill) or absolute path
    (JupyterLab kernels get the absolute path in ``JPY_SESSION_NAME``)."""
    forms = dict.fromkeys([notebook, os.path.normpath(os.path.join(root_dir, notebook))])
    return f"notebook_path in ({', '.join(quote_filter_string(form) for form in forms)})"


def combined_filter(user_filter: str | None, extra: str | None) -> str | None:
    """The user's filter ANDed with ours; the user's is parsed alone first, so a syntax error
    reports positions in the text the user wrote."""
    parse_filter(user_filter)
    if not extra:
        return user_filter
    if not user_filter or not user_filter.strip():
        return extra
    return f"{extra} and ({user_filter})"


class PageTotals:
    """Totals of recent run listings, counted beside the page query.

    Counting every run a filter matches visits all of them (hundreds of milliseconds at 100k
    broad matches) while a page is 50 rows. A listing's first page (and any page of a listing
    with no recent count) starts a count in the background, runs the page query meanwhile, and
    waits for the count only until ``budget_s`` after the request began. A count that is not
    ready leaves the page with the listing's last count (``reuse_s`` at most) or a provisional
    total — the rows so far plus one page when there are more — with ``total_exact: false``; the
    count lands here for the listing's next request. Later pages reuse the recent count.
    """

    def __init__(
        self, reuse_s: float = 30.0, budget_s: float = 0.01, max_entries: int = 256
    ) -> None:
        self.reuse_s = reuse_s
        self.budget_s = budget_s
        self.max_entries = max_entries
        self._totals: OrderedDict[Hashable, tuple[float, int]] = OrderedDict()
        self._counting: dict[Hashable, Future[int]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlops-count")

    def recent(self, key: Hashable) -> int | None:
        with self._lock:
            entry = self._totals.get(key)
        if entry is None or time.monotonic() - entry[0] > self.reuse_s:
            return None
        return entry[1]

    def remember(self, key: Hashable, total: int) -> None:
        with self._lock:
            self._totals[key] = (time.monotonic(), total)
            self._totals.move_to_end(key)
            while len(self._totals) > self.max_entries:
                self._totals.popitem(last=False)

    def start(self, key: Hashable, count: Callable[[], int]) -> Future[int]:
        """The running count of this listing, started if none is."""
        with self._lock:
            running = self._counting.get(key)
            if running is None:
                running = self._counting[key] = self._pool.submit(count)
                running.add_done_callback(lambda done: self._finished(key, done))
            return running

    def _finished(self, key: Hashable, done: Future[int]) -> None:
        with self._lock:
            self._counting.pop(key, None)
        if done.exception() is None:
            self.remember(key, done.result())

    def within_budget(self, running: Future[int], started: float) -> int | None:
        try:
            remaining = started + self.budget_s - time.monotonic()
            # a few ms at least: a small store's count, started first, is about done
            return running.result(timeout=max(0.005, remaining))
        except FutureTimeout:
            return None


page_totals = PageTotals()


def list_runs(
    store: Store,
    *,
    filter: str | None,
    extra: str | None,
    order_by: str | None,
    experiment: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    started = time.monotonic()
    query = combined_filter(filter, extra)
    listing = (store.location.db_url, query, experiment)
    total = page_totals.recent(listing)
    running = None
    if offset == 0 or total is None:
        running = page_totals.start(
            listing, lambda: count(query, experiment=experiment, store=store)
        )
    rows, _ = search(
        query, experiment=experiment, order_by=order_by, limit=limit + 1, offset=offset, store=store
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    if running is not None:
        counted = page_totals.within_budget(running, started)
        # a count still running means the recent total (if any) may be stale
        exact = counted is not None
        total = counted if counted is not None else total
    else:
        exact = total is not None
    if total is None:
        total = offset + len(rows) + (limit if has_more else 0)
    return {
        "runs": [run_summary(row) for row in rows],
        "total": total,
        "total_exact": exact,
        "has_more": has_more,
        "limit": limit,
        "offset": offset,
    }


def run_detail(store: Store, run_id: str) -> dict[str, Any]:
    view = get_run(run_id, store=store).to_dict()
    detail = {field: view.get(field) for field in SUMMARY_FIELDS}
    source = view["source"]
    detail.update(
        notebook_path=source["notebook_path"],
        cell_id=source["cell_id"],
        metric_keys=sorted(view["metrics"]),
        source={field: source.get(field) for field in SOURCE_FIELDS},
        environment=view["environment"],
        inputs=[_linked(item) for item in view["inputs"]],
        outputs=[_linked(item) for item in view["outputs"]],
        artifacts=[{f: item.get(f) for f in ARTIFACT_FIELDS} for item in view["artifacts"]],
        children=view["children"],
        error=view["error"],
    )
    return detail


def _linked(item: dict[str, Any]) -> dict[str, Any]:
    return {field: item.get(field) for field in LINKED_FIELDS}


def metric_series(store: Store, run_id: str, key: str, max_points: int) -> dict[str, Any]:
    run_id = resolve_run_id(run_id, store)
    history = store.runs.metric_history(run_id, key).get(key)
    if history is None:
        raise ApiError(404, f"run {run_id} has no metric {key!r}")
    return {"run_id": run_id, "key": key, **chart_series(history, max_points)}


def artifact_bytes(store: Store, run_id: str, name: str) -> bytes:
    """The artifact's verified bytes (looked up by name in the store, never opened as a path)."""
    run_id = resolve_run_id(run_id, store)
    for artifact in store.runs.list_artifacts(run_id):
        if artifact["name"] == name:
            return store.blobs.get_bytes(artifact["digest"])
    raise ApiError(404, f"run {run_id} has no artifact {name!r}")


class ExperimentsHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        experiments = await self.in_store(lambda store: store.runs.list_experiments())
        self.reply({"experiments": experiments})


class RunsHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        notebook = text_argument(self, "notebook")
        extra = notebook_condition(self.settings["server_root_dir"], notebook) if notebook else None
        page = await self.in_store(
            list_runs,
            filter=text_argument(self, "filter"),
            extra=extra,
            order_by=text_argument(self, "order_by"),
            experiment=text_argument(self, "experiment"),
            limit=int_argument(self, "limit", DEFAULT_RUNS_LIMIT, 0, MAX_RUNS_LIMIT),
            offset=int_argument(self, "offset", 0, 0, 2**62),
        )
        self.reply(page)


class RunHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        self.reply(await self.in_store(run_detail, check_text("run_id", run_id)))


class MetricSeriesHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str, key: str) -> None:
        max_points = int_argument(
            self, "max_points", DEFAULT_MAX_POINTS, MIN_MAX_POINTS, MAX_MAX_POINTS
        )
        series = await self.in_store(
            metric_series, check_text("run_id", run_id), check_text("key", key), max_points
        )
        self.reply(series)


class ArtifactHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str, name: str) -> None:
        payload = await self.in_store(
            artifact_bytes, check_text("run_id", run_id), check_text("artifact", name)
        )
        # Always an opaque download, never rendered in the Jupyter origin: an HTML or SVG
        # artifact served with its own media type could run script with the user's credentials.
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(payload, set_content_type="application/octet-stream")


handlers = [
    (r"experiments", ExperimentsHandler),
    (r"runs", RunsHandler),
    (r"runs/(?P<run_id>[^/]+)", RunHandler),
    (r"runs/(?P<run_id>[^/]+)/metrics/(?P<key>.+)", MetricSeriesHandler),
    (r"runs/(?P<run_id>[^/]+)/artifacts/(?P<name>.+)", ArtifactHandler),
]
