"""Sidebar speed (issue 6) over a store of 100k runs, through a real JupyterLab server.

REST (this part): the request the Runs section makes, end to end over HTTP with the token —
  1. top 50 runs by ``metrics.acc`` with a filter (``params.model = 'rf' and metrics.acc > 0.5``),
     first page: the page plus the count of every match (``total``). Target: <= 50 ms median.
  2. the next page of the same listing (the first page's count is reused);
  3. top 50 by ``metrics.acc`` without a filter;
  4. side by side, in-process (no HTTP): the same page query alone and the count alone, so the
     REST overhead and the share of the count are visible.
The issue names no anchor for the REST measure; the ratio printed is target / median (above 1
meets the target). Medians after warm-up; the machine is small and shared, so read ratios.

Usage: python benchmarks/bench_ui.py [--runs 100000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(Path(__file__).parent)]

from _runs_fixture import fill_runs  # noqa: E402

from tests.browser.lab import LabServer, start_lab_server, stop_lab_server  # noqa: E402

REST_TARGET_MS = 50.0
FILTER = "params.model = 'rf' and metrics.acc > 0.5"
ORDER = "metrics.acc desc"
PAGE = 50


def median_ms(action: Callable[[], Any], repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def fill_store(store_dir: Path, count: int) -> None:
    """``count`` synthetic finished runs, bulk-imported (the store writes the SQL)."""
    from mlops_jupyter.store import get_store, reset_stores

    os.environ["MLOPS_JUPYTER_STORE"] = str(store_dir)
    reset_stores()
    fill_runs(get_store(), count)


class RestClient:
    """GETs below /mlops/api/v1 on one kept-alive connection, as a browser tab makes them."""

    def __init__(self, server: LabServer) -> None:
        self.server = server
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

    def get(self, endpoint: str, **params: Any) -> bytes:
        path = f"/mlops/api/v1/{endpoint}?{urlencode(params)}"
        self.connection.request(
            "GET", path, headers={"Authorization": f"token {self.server.token}"}
        )
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} -> {response.status}: {body[:300]!r}")
        return body


def rest_medians(server: LabServer, repeat: int) -> dict[str, float]:
    """Medians (ms) of the Runs section's requests over HTTP."""
    client = RestClient(server)
    listing = {"filter": FILTER, "order_by": ORDER, "limit": PAGE}
    return {
        "REST top-50 by metric, filter, first page (with total)": median_ms(
            lambda: client.get("runs", **listing, offset=0), repeat
        ),
        "REST same listing, next page (total reused)": median_ms(
            lambda: client.get("runs", **listing, offset=PAGE), repeat
        ),
        "REST top-50 by metric, no filter (with total)": median_ms(
            lambda: client.get("runs", order_by=ORDER, limit=PAGE), repeat
        ),
    }


def query_medians(repeat: int) -> dict[str, float]:
    """The same page and count in-process, without HTTP (what the REST numbers contain)."""
    from mlops_jupyter.store import get_store
    from mlops_jupyter.tracking.query import search

    store = get_store()

    def page() -> None:
        search(FILTER, order_by=ORDER, limit=PAGE, store=store)

    def page_and_count() -> None:
        search(FILTER, order_by=ORDER, limit=PAGE, count_total=True, store=store)

    page_ms = median_ms(page, repeat)
    both_ms = median_ms(page_and_count, repeat)
    return {
        "in-process page query alone": page_ms,
        "in-process page query + count": both_ms,
        "in-process count alone (difference)": both_ms - page_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as folder:
        base = Path(folder)
        started = time.perf_counter()
        fill_store(base / "store", options.runs)
        print(
            f"store: {options.runs:,} runs bulk-imported in {time.perf_counter() - started:.1f} s"
        )
        server = start_lab_server(base)
        try:
            rest = rest_medians(server, options.repeat)
        finally:
            stop_lab_server(server)
        local = query_medians(options.repeat)
    print(f"\n{'measure':58} {'median ms':>10} {'target/median':>14}")
    for name, value in rest.items():
        print(f"{name:58} {value:10.1f} {REST_TARGET_MS / value:13.2f}x")
    for name, value in local.items():
        print(f"{name:58} {value:10.1f}")
    print(f"\ntarget: REST top-50 with a filter <= {REST_TARGET_MS:.0f} ms (first page)")


if __name__ == "__main__":
    main()
