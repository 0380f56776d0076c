"""The Runs section, run detail and comparison in a real JupyterLab, in real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .lab import LabServer
from .seed import seed_ridge_runs
from .sidebar import PANEL, apply_filter, open_sidebar, widen_sidebar

pytestmark = pytest.mark.browser

ROWS = f"{PANEL} .jp-mlops-RunsTable-row[data-run-id]"
EXPERIMENT = "browser-runs"
ALPHAS = [0.0001, 0.01, 0.1, 1.0]


@pytest.fixture(scope="module")
def ridge_runs(lab_server: LabServer) -> list[str]:
    return seed_ridge_runs(lab_server, ALPHAS, EXPERIMENT)


def show_experiment(page: Any) -> None:
    """All runs of this module's experiment (other tests share the store)."""
    page.locator(f"{PANEL} .jp-mlops-Segmented button[data-scope='all']").click()
    apply_filter(page, f"experiment = '{EXPERIMENT}'")
    page.wait_for_function(
        f"document.querySelectorAll('{ROWS}').length === {len(ALPHAS)}", timeout=30_000
    )


def row_names(page: Any) -> list[str]:
    return [
        name.strip() for name in page.locator(f"{ROWS} .jp-mlops-RunsTable-name").all_inner_texts()
    ]


def test_runs_section_lists_sorts_and_filters(
    fresh_lab: Any, ridge_runs: list[str], screenshot: Callable[[str], Path], page_errors: list[str]
) -> None:
    page = fresh_lab
    open_sidebar(page)
    widen_sidebar(page)
    show_experiment(page)

    # newest first by default; every run finished, with its metrics in columns
    assert row_names(page) == [f"sgd-alpha-{a}" for a in reversed(ALPHAS)]
    badges = page.locator(f"{ROWS} .jp-mlops-Status").all_inner_texts()
    assert badges == ["finished"] * len(ALPHAS)
    headers = page.locator(
        f"{PANEL} .jp-mlops-RunsTable-header [role=columnheader]"
    ).all_inner_texts()
    assert "mse" in [h.strip().lower() for h in headers]
    assert (
        page.locator(f"{PANEL} .jp-mlops-Runs-footer")
        .inner_text()
        .startswith(f"{len(ALPHAS)} runs")
    )
    screenshot("runs-newest-first")

    # sort by name ascending, then descending
    page.locator(f"{PANEL} .jp-mlops-RunsTable-header .jp-mlops-RunsTable-name").click()
    page.wait_for_function(
        f"document.querySelector('{ROWS} .jp-mlops-RunsTable-name')?.textContent === 'sgd-alpha-0.0001'"
    )
    assert row_names(page) == sorted(row_names(page))
    page.locator(f"{PANEL} .jp-mlops-RunsTable-header .jp-mlops-RunsTable-name").click()
    page.wait_for_function(
        f"document.querySelector('{ROWS} .jp-mlops-RunsTable-name')?.textContent === 'sgd-alpha-1.0'"
    )

    # a malformed filter: the server's message with its caret, inline, no toast
    apply_filter(page, f"experiment = '{EXPERIMENT}' and metrics.r2 >")
    error = page.locator(f"{PANEL} .jp-mlops-FilterBox-error")
    error.wait_for(state="visible")
    assert "malformed filter" in error.inner_text()
    assert "^" in error.inner_text()
    screenshot("bad-filter")

    # a good filter narrows the rows to what the server says matches
    apply_filter(page, f"experiment = '{EXPERIMENT}' and params.alpha >= 0.1")
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 2")
    assert error.count() == 0
    assert set(row_names(page)) == {"sgd-alpha-0.1", "sgd-alpha-1.0"}
    assert not [e for e in page_errors if "pageerror" in e], page_errors


def test_open_a_run_then_compare_two(
    fresh_lab: Any, ridge_runs: list[str], screenshot: Callable[[str], Path], page_errors: list[str]
) -> None:
    page = fresh_lab
    open_sidebar(page)
    widen_sidebar(page)
    show_experiment(page)

    # click opens the run's detail in the main area: params, metric charts, code, lineage
    page.locator(f"{ROWS}[data-run-id='{ridge_runs[1]}']").click()
    detail = page.locator(f".jp-mlops-RunDetail[data-run-id='{ridge_runs[1]}']")
    detail.wait_for(state="visible")
    params = detail.locator("[data-section=params] .jp-mlops-KeyValue").inner_text()
    assert "alpha" in params and "0.01" in params
    chart = detail.locator(".jp-mlops-Chart[data-metric='mse'] path.jp-mlops-Chart-line")
    chart.wait_for(state="attached")
    assert chart.count() == 1
    assert len(chart.get_attribute("d") or "") > 100  # 30 points drawn
    lineage = detail.locator("[data-section=lineage]")
    lineage.locator(".jp-mlops-Lineage-dataset").first.wait_for(state="attached")
    assert "Read" in lineage.inner_text()
    screenshot("run-detail")

    # tick two runs, compare: the param diff and overlaid metric charts
    for run_id in (ridge_runs[0], ridge_runs[3]):
        page.locator(f"{ROWS}[data-run-id='{run_id}'] input[type=checkbox]").check()
    compare_button = page.locator(f"{PANEL} .jp-mlops-CompareButton")
    assert compare_button.inner_text().strip() == "Compare (2)"
    compare_button.click()
    compare = page.locator(".jp-mlops-Compare")
    compare.wait_for(state="visible")
    diff = compare.locator("table[data-table=params] tbody tr.jp-mod-differs")
    assert diff.count() == 1
    assert "alpha" in diff.inner_text() and "0.0001" in diff.inner_text()
    overlaid = compare.locator(".jp-mlops-Chart[data-metric='mse'] path.jp-mlops-Chart-line")
    overlaid.first.wait_for(state="attached")
    assert overlaid.count() == 2
    screenshot("compare")
    assert not [e for e in page_errors if "pageerror" in e], page_errors
