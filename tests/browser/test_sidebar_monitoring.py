"""Monitoring from the sidebar in a real JupyterLab: a drifted check with its report and
histograms, Retrain (a batch run of the training notebook, with progress), Roll back.

Alice trained ``demand`` v1 with the example training notebook (a batch notebook run), Bob
released it; a drift check on this season's data failed. The browser's user retrains from the
panel; Bob releases the candidate; a check on it fails and the browser's user rolls back.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from .lab import LabServer
from .seed import registry_as, run_in_store
from .sidebar import PANEL, accept_dialog, collapse_section, dialog, open_sidebar, widen_sidebar

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
MODEL = "demand-browser"

#: the data of example 04: `temperature` and `region` move in the shifted season
SEED = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    import numpy as np, pandas as pd
    import mlops_jupyter as mj

    model = sys.argv[1]
    root = Path.cwd()

    def make(n, seed, shifted=False):
        rng = np.random.default_rng(seed)
        frame = pd.DataFrame({
            "price": rng.normal(10, 2, n),
            "temperature": rng.normal(18 + (8 if shifted else 0), 6, n),
            "promo": rng.choice([0.0, 1.0], n, p=[0.8, 0.2]),
            "weekday": rng.integers(0, 7, n),
            "region": rng.choice(["north", "south", "east", "west"], n,
                                 p=[0.1, 0.1, 0.4, 0.4] if shifted else [0.4, 0.3, 0.2, 0.1]),
        })
        effect = frame["region"].map({"north": 5.0, "south": -3.0, "east": 0.0, "west": 2.0})
        frame["demand"] = (100 - 3 * frame["price"] + 1.5 * frame["temperature"]
                           + 10 * frame["promo"] + effect + rng.normal(0, 3, n))
        return frame

    (root / "data").mkdir(exist_ok=True)
    make(3000, 0).to_csv(root / "data" / "train.csv", index=False)
    make(3000, 1, True).drop(columns=["demand"]).to_csv(root / "data" / "current.csv", index=False)
    make(3000, 2, True).to_csv(root / "data" / "labelled.csv", index=False)
    done = mj.run_notebook("train_demand.ipynb",
                           {"data_path": str(root / "data" / "train.csv"), "model_name": model})
    assert done.ok, done.error
    print(json.dumps(done.run_id))
    """
)

CHECK = textwrap.dedent(
    """
    import json, sys
    import mlops_jupyter as mj
    report = mj.check_drift(f"models:/{sys.argv[1]}@production", sys.argv[2])
    print(json.dumps([report.check_id, report.status, report.drifted_columns]))
    """
)


@pytest.fixture(scope="module")
def drifted(lab_server: LabServer) -> str:
    shutil.copy(
        REPO / "example_notebooks" / "monitoring" / "train_demand.ipynb",
        lab_server.root_dir / "train_demand.ipynb",
    )
    run_in_store(lab_server, SEED, MODEL, user="alice", timeout=600)
    registry_as(
        lab_server,
        "alice",
        [
            ("set_policy", [MODEL], {"gates": ["r2 >= 0.5"]}),
            ("request_approval", [MODEL, 1], {}),
        ],
    )
    registry_as(
        lab_server,
        "bob",
        [("approve", [MODEL, 1], {"comment": "ok"}), ("promote", [MODEL, 1, "production"], {})],
    )
    check_id, status, columns = run_in_store(lab_server, CHECK, MODEL, "data/current.csv")
    assert status == "failed" and sorted(columns) == ["region", "temperature"]
    return str(check_id)


def check_item(page: Any, check_id: str) -> Any:
    item = page.locator(f"{PANEL} .jp-mlops-CheckItem[data-check-id='{check_id}']")
    item.wait_for(state="visible", timeout=30_000)
    return item


def test_drifted_check_retrain_and_rollback(
    fresh_lab: Any,
    lab_server: LabServer,
    drifted: str,
    screenshot: Callable[[str], Path],
    page_errors: list[str],
) -> None:
    page = fresh_lab
    open_sidebar(page)
    widen_sidebar(page, 320)
    for section in ("Runs", "Lineage", "Models", "Batch runs"):
        collapse_section(page, section)

    # the failed check, its drifted columns, and its report with a histogram per column
    item = check_item(page, drifted)
    assert item.locator(".jp-mlops-Check").inner_text() == "failed"
    assert sorted(item.locator(".jp-mlops-Drifted code").all_inner_texts()) == [
        "region",
        "temperature",
    ]
    item.locator("[data-action=report]").click()
    temperature = item.locator("tr[data-column='temperature']")
    temperature.wait_for(state="visible")
    assert "jp-mlops-ColumnDrifted" in (temperature.get_attribute("class") or "")
    assert temperature.locator("svg.jp-mlops-Histogram rect").count() > 10
    assert item.locator("tr[data-column='price']").get_attribute("class") in (None, "")
    screenshot("drift-report")

    # retrain from the panel on the labelled new data: a batch run with progress
    item.locator("[data-action=retrain]").click()
    dialog(page).locator("input").fill("data/labelled.csv")
    accept_dialog(page, "Retrain")
    progress = item.locator(".jp-mlops-Retrain")
    progress.wait_for(state="visible")
    page.wait_for_function(
        f"document.querySelector(\"{PANEL} .jp-mlops-CheckItem[data-check-id='{drifted}'] "
        ".jp-mlops-Retrain\")?.dataset.retrainStatus !== 'running'",
        timeout=300_000,
    )
    assert progress.get_attribute("data-retrain-status") == "finished", progress.inner_text()
    assert "candidate v2 (approval-requested)" in progress.inner_text()
    screenshot("retrained")
    chain = lab_server.get_json(f"mlops/api/v1/monitor/{drifted}")["check"]
    assert chain["candidate_version"] == 2 and chain["retrain_run_id"]

    # Bob releases the candidate; a check on it fails (a column went missing upstream)
    registry_as(
        lab_server,
        "bob",
        [("approve", [MODEL, 2], {"comment": "ok"}), ("promote", [MODEL, 2, "production"], {})],
    )
    broken = lab_server.root_dir / "data" / "broken.csv"
    pd.read_csv(lab_server.root_dir / "data" / "current.csv").drop(columns=["price"]).to_csv(
        broken, index=False
    )
    bad_id, status, _ = run_in_store(lab_server, CHECK, MODEL, "data/broken.csv")
    assert status == "failed"

    # roll production back from that check
    bad = check_item(page, bad_id)
    assert "v2" in bad.inner_text()
    bad.locator("[data-action=rollback]").click()
    dialog(page)
    accept_dialog(page, "Roll back")
    holder = None
    for _ in range(50):
        holder = lab_server.get_json(f"mlops/api/v1/models/{MODEL}")["aliases"].get("production")
        if holder == 1:
            break
        page.wait_for_timeout(200)
    assert holder == 1
    screenshot("rolled-back")
    assert page_errors == []
