"""The MLOps sidebar in a real JupyterLab, in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .lab import SIDEBAR_ID, LabServer, start_lab_server, stop_lab_server

pytestmark = pytest.mark.browser

TAB = f'.jp-SideBar li.lm-TabBar-tab[data-id="{SIDEBAR_ID}"]'


def test_sidebar_shows_server_version(
    page: Any, lab_server: LabServer, screenshot: Any, page_errors: list[str]
) -> None:
    # reset the workspace: an earlier test may have left the sidebar open (the layout restorer
    # would then show it already expanded, and the click below would collapse it)
    page.goto(f"{lab_server.lab_url}&reset")
    page.wait_for_selector("#jp-main-dock-panel", state="attached", timeout=60_000)
    lab_page = page
    expected = lab_server.get_json("mlops/api/v1/version")

    tab = lab_page.locator(TAB)
    tab.wait_for(state="visible")
    assert tab.get_attribute("title") == "MLOps"  # the tab's tooltip is the title caption
    tab.click()

    panel = lab_page.locator(f"#{SIDEBAR_ID}")
    panel.wait_for(state="visible")
    status = panel.locator(".jp-mlops-ServerStatus-body")
    status.wait_for(state="visible")
    lab_page.wait_for_function(
        "el => el.dataset.status !== 'loading'",
        arg=status.element_handle(),
        timeout=30_000,
    )
    assert status.get_attribute("data-status") == "ok", status.inner_text()
    version = panel.locator(".jp-mlops-ServerVersion")
    assert version.inner_text().strip() == f"mlops_jupyter {expected['version']}"
    assert "v1" in status.inner_text()
    screenshot("sidebar-open")

    # no error notification was raised by the sidebar
    assert lab_page.locator(".Toastify__toast", has_text="MLOps sidebar").count() == 0
    assert not [e for e in page_errors if "mlops" in e.lower()], page_errors

    # clicking the tab again collapses the sidebar
    tab.click()
    panel.wait_for(state="hidden")


@pytest.fixture(scope="module")
def lab_without_server_extension(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab with the frontend installed but the mlops_jupyter server extension off."""
    server = start_lab_server(
        tmp_path_factory.mktemp("lab-no-server-ext"),
        ["--ServerApp.jpserver_extensions=mlops_jupyter=False"],
    )
    yield server
    stop_lab_server(server)


def test_sidebar_reports_a_missing_server_extension(
    page: Any, lab_without_server_extension: LabServer, screenshot: Any
) -> None:
    server = lab_without_server_extension
    status, _, _ = server.request("mlops/api/v1/version")
    assert status == 404  # the premise: the REST API is really not there

    page.goto(f"{server.lab_url}&reset")
    page.wait_for_selector("#jp-main-dock-panel", state="attached", timeout=60_000)
    toast = page.locator(".Toastify__toast", has_text="MLOps sidebar")
    toast.wait_for(state="visible")
    assert "server extension installed and enabled" in toast.inner_text()

    page.locator(TAB).click()
    status_view = page.locator(f"#{SIDEBAR_ID} .jp-mlops-ServerStatus-body")
    status_view.wait_for(state="visible")
    assert status_view.get_attribute("data-status") == "error"
    assert "Not found" in status_view.inner_text()
    screenshot("missing-server-extension")
