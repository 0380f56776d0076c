"""The sidebar under JupyterLab Dark: it takes the theme's colours (no hard-coded light
backgrounds), and its text stays readable."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .lab import LabServer
from .seed import seed_ridge_runs
from .sidebar import PANEL, apply_filter, open_sidebar, widen_sidebar

pytestmark = pytest.mark.browser

EXPERIMENT = "browser-dark"

#: WCAG relative luminance and contrast ratio of two computed CSS colours, in the page.
CONTRAST_JS = """
([foreground, background]) => {
  const rgb = color => color.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const [a, b] = [luminance(rgb(foreground)), luminance(rgb(background))];
  return [b, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
}
"""


@pytest.fixture(scope="module")
def dark_runs(lab_server: LabServer) -> list[str]:
    return seed_ridge_runs(lab_server, [0.01, 1.0], EXPERIMENT)


@pytest.fixture
def dark_theme(lab_server: LabServer) -> Iterator[None]:
    """JupyterLab Dark for this test only (the server reads user settings on each page load)."""
    folder = Path(lab_server.env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True, exist_ok=True)
    settings = folder / "themes.jupyterlab-settings"
    settings.write_text(json.dumps({"theme": "JupyterLab Dark"}))
    yield
    settings.unlink()


def colours(page: Any, selector: str) -> tuple[str, str]:
    return page.eval_on_selector(
        selector,
        "el => [getComputedStyle(el).color, getComputedStyle(el.closest('.jp-mlops-Sidebar')).backgroundColor]",
    )


def test_sidebar_reads_well_in_the_dark_theme(
    dark_runs: list[str],
    dark_theme: None,
    fresh_lab: Any,
    screenshot: Callable[[str], Path],
) -> None:
    page = fresh_lab
    page.wait_for_function("document.body.dataset.jpThemeLight === 'false'")
    open_sidebar(page)
    widen_sidebar(page)
    page.locator(f"{PANEL} .jp-mlops-Segmented button[data-scope='all']").click()
    apply_filter(page, f"experiment = '{EXPERIMENT}'")
    rows = f"{PANEL} .jp-mlops-RunsTable-row[data-run-id]"
    page.wait_for_function(f"document.querySelectorAll('{rows}').length === 2", timeout=60_000)

    for selector in (
        f"{rows} .jp-mlops-RunsTable-name",
        f"{PANEL} .jp-mlops-RunsTable-header span",
        f"{PANEL} .jp-mlops-FilterBox-input",
        f"{rows} .jp-mlops-Status",
    ):
        background_luminance, contrast = page.evaluate(CONTRAST_JS, list(colours(page, selector)))
        assert background_luminance < 0.1, f"{selector}: the panel is not dark"
        assert contrast >= 4.5, f"{selector}: contrast {contrast:.1f} is below WCAG AA"

    page.locator(rows).first.click()
    page.locator(".jp-mlops-RunDetail .jp-mlops-Chart-line").first.wait_for(state="attached")
    screenshot("dark-run-detail")
