"""Page helpers for the MLOps sidebar in a real JupyterLab (selectors and common steps)."""

from __future__ import annotations

from typing import Any

from .lab import SIDEBAR_ID

TAB = f'.jp-SideBar li.lm-TabBar-tab[data-id="{SIDEBAR_ID}"]'
PANEL = f"#{SIDEBAR_ID}"


def open_sidebar(page: Any) -> Any:
    """Click the MLOps tab and wait until the panel shows and the handshake passed."""
    page.locator(TAB).click()
    panel = page.locator(PANEL)
    panel.wait_for(state="visible")
    page.wait_for_function(
        f"document.querySelector('{PANEL} .jp-mlops-ServerStatus-body')?.dataset.status === 'ok'"
    )
    return panel


def widen_sidebar(page: Any, pixels: int = 220) -> None:
    """Drag the left panel's edge to the right, as a user does for a wide table."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=5)
    page.mouse.up()


def _section_title(page: Any, label: str) -> Any:
    return page.locator(f"{PANEL} .jp-AccordionPanel-title", has_text=label).first


def collapse_section(page: Any, label: str) -> None:
    """Fold an accordion section of the sidebar to give the others room."""
    title = _section_title(page, label)
    if title.get_attribute("aria-expanded") == "true":
        title.click()


def expand_section(page: Any, label: str) -> None:
    title = _section_title(page, label)
    if title.get_attribute("aria-expanded") != "true":
        title.click()


def apply_filter(page: Any, text: str) -> None:
    """Type a filter into the Runs section's filter box and apply it."""
    box = page.locator(f"{PANEL} .jp-mlops-FilterBox-input")
    box.fill(text)
    box.press("Enter")


def dialog(page: Any) -> Any:
    """The open JupyterLab dialog."""
    found = page.locator(".jp-Dialog-content")
    found.wait_for(state="visible")
    return found


def accept_dialog(page: Any, button: str) -> None:
    """Click the dialog's button labelled ``button`` and wait for the dialog to close."""
    current = page.locator(".jp-Dialog").last.element_handle()
    page.locator(".jp-Dialog-content .jp-Dialog-button", has_text=button).click()
    # wait for this dialog only: the next one (say, the gate report) may open at once
    page.wait_for_function("dialog => !dialog.isConnected", arg=current)
