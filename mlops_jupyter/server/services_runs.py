"""Runs for the REST API: the run list with its totals, one run, a metric's chart series, an
artifact's bytes, the experiments.

Services take the store and validated input (``server/models.py``), call the query layer
(``tracking.query``) and return response models; they know nothing about HTTP beyond raising
:class:`~mlops_jupyter.server.validation.ApiError` for "not found" that the domain does not name.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from cachetools import TTLCache

from mlops_jupyter.server.models import (
    ExperimentList,
    MetricSeries,
    RunDetail,
    RunPage,
    RunsQuery,
    RunSummary,
)
from mlops_jupyter.server.serialize import json_safe
from mlops_jupyter.server.series import chart_series
from mlops_jupyter.server.validation import ApiError
from mlops_jupyter.store import Store
from mlops_jupyter.store.filters import attribute_in, parse_filter
from mlops_jupyter.tracking.query import count, get_run, resolve_run_id, search


def notebook_condition(root_dir: str, notebook: str) -> Any:
    """Filter tree for runs of one notebook, recorded by relative path (papermill) or absolute
    path (JupyterLab kernels get the absolute path in ``JPY_SESSION_NAME``)."""
    forms = dict.fromkeys([notebook, os.path.normpath(os.path.join(root_dir, notebook))])
    return attribute_in("notebook_path", forms)


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
        self.budget_s = budget_s
        self._totals: TTLCache[Hashable, int] = TTLCache(maxsize=max_entries, ttl=reuse_s)
        self._counting: dict[Hashable, Future[int]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlops-count")

    def recent(self, key: Hashable) -> int | None:
        with self._lock:
            return self._totals.get(key)

    def remember(self, key: Hashable, total: int) -> None:
        with self._lock:
            self._totals[key] = total

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


def list_runs(store: Store, query: RunsQuery, root_dir: str) -> RunPage:
    """One page of runs matching the query, with the listing's total (see :class:`PageTotals`)."""
    started = time.monotonic()
    parse_filter(query.filter)  # the user's text alone first: errors point into what they wrote
    where = notebook_condition(root_dir, query.notebook) if query.notebook else None
    experiment, limit, offset = query.experiment, query.limit, query.offset
    listing = (store.location.db_url, query.filter, where, experiment)
    total = page_totals.recent(listing)
    running = None
    if offset == 0 or total is None:
        running = page_totals.start(
            listing,
            lambda: count(query.filter, experiment=experiment, where=where, store=store),
        )
    rows, _ = search(
        query.filter,
        where=where,
        experiment=experiment,
        order_by=query.order_by,
        limit=limit + 1,
        offset=offset,
        store=store,
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
    return RunPage(
        runs=[run_summary(row) for row in rows],
        total=total,
        total_exact=exact,
        has_more=has_more,
        limit=limit,
        offset=offset,
    )


def run_summary(row: dict[str, Any]) -> RunSummary:
    """A search row as the API's RunSummary."""
    return RunSummary.model_validate(json_safe(row))


def run_detail(store: Store, run_id: str) -> RunDetail:
    view = get_run(run_id, store=store).to_dict()
    source = view["source"]
    return RunDetail.model_validate(
        json_safe(
            {
                **view,
                "notebook_path": source["notebook_path"],
                "cell_id": source["cell_id"],
                "metric_keys": sorted(view["metrics"]),
            }
        )
    )


def metric_series(store: Store, run_id: str, key: str, max_points: int) -> MetricSeries:
    """One metric's history, downsampled for a chart (LTTB, ``server/series.py``)."""
    run_id = resolve_run_id(run_id, store)
    history = store.runs.metric_history(run_id, key).get(key)
    if history is None:
        raise ApiError(404, f"run {run_id} has no metric {key!r}")
    return MetricSeries.model_validate(
        {"run_id": run_id, "key": key, **chart_series(history, max_points)}
    )


def artifact_bytes(store: Store, run_id: str, name: str) -> bytes:
    """The artifact's verified bytes (looked up by name in the store, never opened as a path)."""
    run_id = resolve_run_id(run_id, store)
    for artifact in store.runs.list_artifacts(run_id):
        if artifact["name"] == name:
            return store.blobs.get_bytes(artifact["digest"])
    raise ApiError(404, f"run {run_id} has no artifact {name!r}")


def list_experiments(store: Store) -> ExperimentList:
    return ExperimentList.model_validate({"experiments": json_safe(store.runs.list_experiments())})
