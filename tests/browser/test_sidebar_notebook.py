"""The sidebar next to a real notebook: execute an example notebook in JupyterLab's own kernel,
see its runs under "This notebook", toggle ``%%track`` from the cell toolbar, and run a
parameterised notebook as a batch sweep from the command palette."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .lab import REPO, LabServer
from .sidebar import PANEL, accept_dialog, collapse_section, dialog, open_sidebar, widen_sidebar

pytestmark = pytest.mark.browser

FOLDER = "notebooks-under-test"
TRACKED_CELLS = {
    "export-data",
    "load-data",
    "baseline",
    "logistic-regression",
    "random-forest",
    "grid-search",
}
ROWS = f"{PANEL} .jp-mlops-RunsTable-row[data-run-id]"


@pytest.fixture(scope="module")
def notebooks(lab_server: LabServer) -> Path:
    """The example notebooks, copied into the server's root."""
    folder = lab_server.root_dir / FOLDER
    folder.mkdir(exist_ok=True)
    for name in ("01_track_experiments.ipynb", "02_parameterised_sweep.ipynb"):
        shutil.copy(REPO / "example_notebooks" / name, folder / name)
    return folder


def open_notebook(page: Any, server: LabServer, name: str) -> Any:
    page.goto(f"{server.base_url}/lab/tree/{FOLDER}/{name}?token={server.token}&reset")
    panel = page.locator(".jp-NotebookPanel").first
    panel.wait_for(state="visible", timeout=60_000)
    # a first open may ask which kernel to start: the notebook's own (python3)
    choose = page.locator(".jp-Dialog-content", has_text="Select Kernel")
    try:
        choose.wait_for(state="visible", timeout=10_000)
    except PlaywrightTimeout:
        pass
    else:
        accept_dialog(page, "Select")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    return panel


def point_errors(server: LabServer, sweep_id: str) -> list[str]:
    """Why a sweep's points failed, from the REST API (for an assertion message)."""
    detail = server.get_json(f"mlops/api/v1/sweeps/{sweep_id}")
    failed = [child for child in detail["children"] if child["status"] != "finished"]
    runs = [server.get_json(f"mlops/api/v1/runs/{child['run_id']}") for child in failed]
    return [f"{run['status']}: {run['error']}" for run in runs]


def run_palette_command(page: Any, label: str) -> None:
    page.keyboard.press("Control+Shift+C")
    search = page.locator(".lm-CommandPalette-input")
    search.wait_for(state="visible")
    search.fill(label)
    page.locator(".lm-CommandPalette-item", has_text=label).first.click()


def test_runs_of_an_executed_notebook_and_the_track_toggle(
    page: Any,
    lab_server: LabServer,
    notebooks: Path,
    screenshot: Callable[[str], Path],
    page_errors: list[str],
) -> None:
    notebook = open_notebook(page, lab_server, "01_track_experiments.ipynb")
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    last_prompt = notebook.locator(".jp-CodeCell .jp-InputPrompt").last
    page.wait_for_function(
        "el => /\\[\\d+\\]/.test(el.textContent)", arg=last_prompt.element_handle(), timeout=240_000
    )
    assert (
        notebook.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        .filter(has_text="Traceback")
        .count()
        == 0
    )

    open_sidebar(page)
    widen_sidebar(page)
    page.locator(f"{PANEL} .jp-mlops-Segmented button[data-scope='notebook']").click()
    page.wait_for_function(
        f"document.querySelectorAll('{ROWS}').length >= {len(TRACKED_CELLS)}", timeout=30_000
    )
    names = {n.strip() for n in page.locator(f"{ROWS} .jp-mlops-RunsTable-name").all_inner_texts()}
    assert names >= TRACKED_CELLS, names
    statuses = set(page.locator(f"{ROWS} .jp-mlops-Status").all_inner_texts())
    assert statuses <= {"finished", "running"}, statuses  # the notebook's own run may still run
    screenshot("this-notebook-runs")

    # the grid-search run: its code, its data lineage, and the best model it logged
    exact_name = page.locator(".jp-mlops-RunsTable-name", has_text=re.compile("^grid-search$"))
    page.locator(ROWS).filter(has=exact_name).click()
    detail = page.locator(".jp-mlops-RunDetail")
    detail.wait_for(state="visible")
    assert "GridSearchCV" in detail.locator("[data-section=code]").inner_text()
    # the graph loads after the detail: its data set node shows up once it has
    detail.locator("[data-section=lineage] .jp-mlops-Lineage-dataset").first.wait_for(
        state="attached"
    )
    screenshot("grid-search-detail")

    # "Track this cell" from the cell toolbar: adds %%track, and removes it again
    notebook_tab = page.locator(
        ".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="01_track_experiments"
    )
    notebook_tab.first.click()
    cell = notebook.locator(".jp-CodeCell", has_text="mj.set_experiment(experiment)").first
    cell.locator(".jp-InputArea-editor").click()
    button = cell.locator(".jp-cell-toolbar [data-command='mlops-jupyter:toggle-track']")
    button.wait_for(state="visible")
    button.click()
    editor = cell.locator(".cm-content")
    page.wait_for_function("el => el.innerText.startsWith('%%track')", arg=editor.element_handle())
    screenshot("track-toggled-on")
    button.click()
    page.wait_for_function(
        "el => el.innerText.startsWith('mj.set_experiment')", arg=editor.element_handle()
    )
    assert not [e for e in page_errors if "pageerror" in e], page_errors


def test_run_a_notebook_as_batch_from_the_palette(
    page: Any,
    lab_server: LabServer,
    notebooks: Path,
    screenshot: Callable[[str], Path],
    page_errors: list[str],
) -> None:
    open_notebook(page, lab_server, "02_parameterised_sweep.ipynb")
    run_palette_command(page, "Run notebook as batch")

    form = dialog(page).locator(".jp-mlops-BatchForm")
    form.wait_for(state="visible")
    parameters = form.locator("tbody tr[data-parameter]")
    names = [parameters.nth(i).get_attribute("data-parameter") for i in range(parameters.count())]
    assert names[:3] == ["model", "alpha", "n_estimators"], names
    assert form.locator("tr[data-parameter='alpha'] .jp-mlops-Type").inner_text() == "float"
    assert "'ridge'" in form.locator("tr[data-parameter='model'] .jp-mlops-Type").inner_text()
    # a grid over the seed: two points, each writing the example's CSV on a fresh folder
    form.get_by_label("Values of seed").fill("0, 1")
    form.get_by_label("Values of alpha").fill("10")
    form.get_by_label("Workers").fill("2")
    summary = form.locator(".jp-mlops-BatchForm-summary")
    assert summary.inner_text() == "Sweeps alpha, seed on 2 workers"
    # the server parses the values (the CLI's --grid parser): a bad one is refused in the form
    form.get_by_label("Values of seed").fill("0,,1")
    accept_dialog(page, "Start sweep")
    error = dialog(page).locator(".jp-mlops-BatchForm-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "grid seed=0,,1: value 2 of 3 is empty"
    form = dialog(page).locator(".jp-mlops-BatchForm")
    assert form.get_by_label("Values of alpha").input_value() == "10"  # the values are kept
    form.get_by_label("Values of seed").fill("0, 1")
    screenshot("batch-dialog")
    accept_dialog(page, "Start sweep")

    sweep = page.locator(f"{PANEL} .jp-mlops-Sweep").first
    sweep.wait_for(state="visible")
    for section in ("Runs", "Lineage", "Models", "Monitoring"):
        collapse_section(page, section)
    page.wait_for_function(
        f"document.querySelector('{PANEL} .jp-mlops-Sweep .jp-mlops-Status')?.textContent !== 'running'",
        timeout=300_000,
    )
    sweep_id = sweep.get_attribute("data-sweep-id")
    assert sweep.locator(".jp-mlops-Status").inner_text() == "finished", point_errors(
        lab_server, sweep_id
    )
    assert sweep.locator(".jp-mlops-Sweep-counts").inner_text().startswith("2 of 2 done")
    screenshot("sweep-finished")
    assert not [e for e in page_errors if "pageerror" in e], page_errors
