"""Fixtures for tests against a real JupyterLab: a server subprocess and Chromium pages.

``lab_server`` (session): ``python -m jupyterlab`` on a free loopback port with a random token,
its own root dir, store (``MLOPS_JUPYTER_STORE``) and Jupyter config/runtime/settings/workspace
dirs, so nothing from the developer's home leaks in (see ``lab.py``). Its log goes to
``test-output/logs/jupyterlab-<port>.log``.

``page`` (function): a Playwright page in Debian's Chromium (``/usr/bin/chromium``; Playwright's
own browser download is impossible here). A screenshot of every test's final state is saved to
``test-output/screenshots/<test>.png``; ``screenshot("name")`` saves more on demand.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .lab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    LabServer,
    start_lab_server,
    stop_lab_server,
)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """One JupyterLab for the session, with mlops_jupyter's server and lab extensions."""
    server = start_lab_server(tmp_path_factory.mktemp("jupyterlab"))
    yield server
    stop_lab_server(server)


# -- browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (one browser for the browser tests).

    Package scope, not session: Playwright's sync API keeps an event loop running in the main
    thread while it is open, and the REST tests that follow need to own the thread's loop.
    """
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:150]


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught page errors and console errors of the current test's page."""
    return []


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest, page_errors: list[str]) -> Iterator[Any]:
    """A fresh browser context and page; its final state is saved as a screenshot."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    pw_page = context.new_page()
    pw_page.on("pageerror", lambda error: page_errors.append(f"pageerror: {error}"))
    pw_page.on(
        "console",
        lambda message: (
            page_errors.append(f"console.{message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    yield pw_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        pw_page.screenshot(path=str(SCREENSHOTS / f"{_safe_name(request.node.nodeid)}.png"))
    except Exception as error:  # a crashed page must not hide the test's own failure
        print(f"screenshot failed: {error}")
    context.close()


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``screenshot("after-click")`` saves test-output/screenshots/<test>--after-click.png."""

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_safe_name(request.node.nodeid)}--{_safe_name(name)}.png"
        page.screenshot(path=str(path))
        return path

    return take


@pytest.fixture
def lab_page(page: Any, lab_server: LabServer) -> Any:
    """A page with JupyterLab loaded (``#jp-main-dock-panel`` present)."""
    page.goto(lab_server.lab_url)
    page.wait_for_selector("#jp-main-dock-panel", state="attached", timeout=60_000)
    return page


@pytest.fixture
def fresh_lab(page: Any, lab_server: LabServer) -> Any:
    """JupyterLab with a reset workspace: no sidebar or tab left open by an earlier test."""
    page.goto(f"{lab_server.lab_url}&reset")
    page.wait_for_selector("#jp-main-dock-panel", state="attached", timeout=60_000)
    page.wait_for_selector(".jp-SideBar li.lm-TabBar-tab", state="visible")
    return page
