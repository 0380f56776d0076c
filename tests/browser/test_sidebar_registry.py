"""Release from the sidebar in a real JupyterLab: approve as the Jupyter user, promote after
seeing the gates, roll back, and register a model from a run.

Alice registered version 1 and 2 of ``diabetes-ridge``; Bob approved version 1 and released it
to ``production``; version 2 waits for review. The browser's user (the one jupyter_server
authenticated, neither Alice nor Bob) does the rest through the sidebar.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .lab import LabServer
from .seed import registry_as, seed_model_runs
from .sidebar import (
    PANEL,
    accept_dialog,
    apply_filter,
    collapse_section,
    dialog,
    expand_section,
    open_sidebar,
    widen_sidebar,
)

pytestmark = pytest.mark.browser

MODEL = "diabetes-ridge"
EXPERIMENT = "browser-registry"


@pytest.fixture(scope="module")
def released(lab_server: LabServer) -> list[str]:
    """Three runs with logged models; v1 (run 0) in production, v2 (run 1) pending review."""
    runs = seed_model_runs(lab_server, [1.0, 0.1, 0.01], EXPERIMENT)
    registry_as(
        lab_server,
        "alice",
        [
            ("register_model", [runs[0], MODEL], {}),
            ("set_policy", [MODEL], {"gates": ["r2 >= 0.3"]}),
            ("request_approval", [MODEL, 1], {}),
        ],
    )
    registry_as(
        lab_server,
        "bob",
        [
            ("approve", [MODEL, 1], {"comment": "baseline"}),
            ("promote", [MODEL, 1, "production"], {}),
        ],
    )
    registry_as(
        lab_server,
        "alice",
        [("register_model", [runs[1], MODEL], {}), ("request_approval", [MODEL, 2], {})],
    )
    return runs


def model_entry(page: Any) -> Any:
    entry = page.locator(f"{PANEL} .jp-mlops-Model[data-model='{MODEL}']")
    entry.wait_for(state="visible")
    return entry


def version_row(page: Any, version: int) -> Any:
    row = model_entry(page).locator(f".jp-mlops-Version[data-version='{version}']")
    row.wait_for(state="visible")
    return row


def wait_for_state(page: Any, version: int, state: str) -> None:
    page.wait_for_function(
        f"document.querySelector(\"{PANEL} .jp-mlops-Model[data-model='{MODEL}'] "
        f".jp-mlops-Version[data-version='{version}'] .jp-mlops-Approval\")?.textContent === '{state}'"
    )


def production_version(page: Any) -> str:
    return model_entry(page).locator(".jp-mlops-AliasPointer").inner_text().strip()


def test_approve_promote_rollback_and_register(
    fresh_lab: Any,
    lab_server: LabServer,
    released: list[str],
    screenshot: Callable[[str], Path],
    page_errors: list[str],
) -> None:
    page = fresh_lab
    open_sidebar(page)
    widen_sidebar(page)
    for section in ("Runs", "Lineage", "Monitoring", "Batch runs"):
        collapse_section(page, section)

    # the model with its alias; version 2 waits for review, version 1 holds production
    assert production_version(page) == "@production v1"
    entry = model_entry(page)
    if entry.locator(".jp-mlops-Model-header").get_attribute("aria-expanded") != "true":
        entry.locator(".jp-mlops-Model-header").click()
    assert version_row(page, 2).locator(".jp-mlops-Approval").inner_text() == "pending"
    assert "@production" in version_row(page, 1).inner_text()

    # the model card of version 1, rendered as Markdown by JupyterLab's rendermime
    version_row(page, 1).locator(".jp-mlops-Version-toggle").click()
    card = version_row(page, 1).locator(".jp-mlops-Card .jp-RenderedMarkdown")
    card.wait_for(state="visible")
    assert card.locator("h1, h2").count() >= 1
    screenshot("model-v2-pending")

    # approve version 2 as the browser's user, with a comment
    version_row(page, 2).locator("[data-action=approve]").click()
    dialog(page).locator("input").fill("metrics and card reviewed")
    accept_dialog(page, "Approve")
    wait_for_state(page, 2, "approved")

    # promote: the gate results come before anything moves
    version_row(page, 2).locator("[data-action=promote]").click()
    dialog(page)
    accept_dialog(page, "Check gates")
    report = dialog(page).locator(".jp-mlops-GateReport")
    report.wait_for(state="visible")
    assert report.get_attribute("data-passed") == "true"
    assert "r2" in report.inner_text()
    assert report.locator(".jp-mod-failed").count() == 0
    screenshot("promotion-gates")
    accept_dialog(page, "Promote")
    page.wait_for_function(
        f"document.querySelector(\"{PANEL} .jp-mlops-Model[data-model='{MODEL}'] "
        ".jp-mlops-AliasPointer\")?.textContent.trim() === '@production v2'"
    )
    screenshot("promoted")

    # roll production back to version 1
    version_row(page, 2).locator("[data-action=rollback]").click()
    dialog(page)
    accept_dialog(page, "Roll back")
    page.wait_for_function(
        f"document.querySelector(\"{PANEL} .jp-mlops-Model[data-model='{MODEL}'] "
        ".jp-mlops-AliasPointer\")?.textContent.trim() === '@production v1'"
    )
    timeline = model_entry(page).locator(".jp-mlops-Timeline li")
    page.wait_for_function(  # promote v1, promote v2, rollback
        f"document.querySelectorAll(\"{PANEL} .jp-mlops-Model[data-model='{MODEL}'] "
        '.jp-mlops-Timeline li").length === 3'
    )
    assert "rollback" in timeline.first.inner_text()
    screenshot("rolled-back")

    # the server agrees, and recorded the browser's user as the actor
    detail = lab_server.get_json(f"mlops/api/v1/models/{MODEL}")
    assert detail["aliases"] == {"production": 1}
    actors = {event["actor"] for event in detail["alias_history"]}
    assert "bob" in actors and len(actors) == 2  # bob, then the Jupyter user twice

    # register a model from a run's detail
    expand_section(page, "Runs")
    page.locator(f"{PANEL} .jp-mlops-Segmented button[data-scope='all']").click()
    apply_filter(page, f"run_id = '{released[2]}'")
    page.locator(f"{PANEL} .jp-mlops-RunsTable-row[data-run-id='{released[2]}']").click()
    detail_view = page.locator(f".jp-mlops-RunDetail[data-run-id='{released[2]}']")
    detail_view.wait_for(state="visible")
    detail_view.locator("button", has_text="Register model").click()
    dialog(page).locator("input").fill(MODEL)
    accept_dialog(page, "Register")
    version_row(page, 3)
    assert version_row(page, 3).locator(".jp-mlops-Approval").inner_text() == "not reviewed"
    screenshot("registered-from-run")
    assert not [e for e in page_errors if "pageerror" in e], page_errors
