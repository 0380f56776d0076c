"""Governance from the sidebar in a real JupyterLab: a model's owners set from the Models section,
and an owner's notifications with a link to the version.

Alice registered the models. The browser's user (the server's owner, ``browser-test``: see
``lab.py``) may not change the owners of a model Alice created until Alice makes them an owner;
then a bad name is refused with the server's reason and a good list is saved. As an owner, the
browser's user hears of Alice's approval request and of a failed gate in JupyterLab's
notification center; "Open version" shows the version in the Models section.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .lab import LabServer
from .seed import registry_as, run_in_store, seed_model_runs
from .sidebar import PANEL, accept_dialog, collapse_section, dialog, open_sidebar, widen_sidebar

pytestmark = pytest.mark.browser

ME = "browser-test"  # MLOPS_JUPYTER_USER of the server (lab.py): the browser's user
EXPERIMENT = "browser-governance"
OWNED = "governed-ridge"  # owners set from the sidebar
WATCHED = "watched-ridge"  # the browser's user owns it and hears of its events

#: Alice promotes version 1 of argv[1] to production past a failing gate: refused, so the
#: registry records ``gate.failed``.
PROMOTE_PAST_GATE = textwrap.dedent(
    """
    import json, sys
    import mlops_jupyter as mj

    try:
        mj.promote(sys.argv[1], 1, alias="production")
    except mj.PromotionRefusedError as refused:
        print(json.dumps(str(refused)))
    else:
        raise SystemExit("the promotion past a failing gate went through")
    """
)


@pytest.fixture(scope="module")
def runs(lab_server: LabServer) -> list[str]:
    """Two runs with logged Ridge models."""
    return seed_model_runs(lab_server, [1.0, 0.1], EXPERIMENT)


def model_entry(page: Any, name: str) -> Any:
    entry = page.locator(f"{PANEL} .jp-mlops-Model[data-model='{name}']")
    entry.wait_for(state="visible")
    return entry


def owners_of(page: Any, name: str) -> str:
    return str(model_entry(page, name).locator(".jp-mlops-Owners").get_attribute("data-owners"))


def wait_for_owners(page: Any, name: str, owners: str) -> None:
    """Until the Models section shows ``owners`` (space-separated) for ``name``."""
    page.wait_for_function(
        f"document.querySelector(\"{PANEL} .jp-mlops-Model[data-model='{name}'] "
        f'.jp-mlops-Owners")?.dataset.owners === "{owners}"'
    )


def save_owners(page: Any, name: str, text: str) -> None:
    """Edit owners… of ``name``, type ``text``, Save."""
    model_entry(page, name).locator(".jp-mlops-Owners-edit").click()
    dialog(page).locator("input").fill(text)
    accept_dialog(page, "Save")


def test_set_owners_from_the_models_section(
    fresh_lab: Any,
    lab_server: LabServer,
    runs: list[str],
    screenshot: Callable[[str], Path],
    page_errors: list[str],
) -> None:
    registry_as(lab_server, "alice", [("register_model", [runs[0], OWNED], {})])
    page = fresh_lab
    open_sidebar(page)
    widen_sidebar(page)
    for section in ("Runs", "Lineage", "Monitoring", "Batch runs"):
        collapse_section(page, section)
    entry = model_entry(page, OWNED)
    assert "owner: alice (creator; no owners set)" in entry.inner_text()

    # not the creator, not an owner, not an admin: the server refuses and the dialog says why
    save_owners(page, OWNED, ME)
    refusal = dialog(page).locator("[role=alert]")
    refusal.wait_for(state="visible")
    assert f"{ME} cannot change the owners of {OWNED}" in refusal.inner_text()
    assert "only its creator (alice)" in refusal.inner_text()
    screenshot("refused")
    accept_dialog(page, "Cancel")
    assert owners_of(page, OWNED) == ""

    # Alice makes the browser's user an owner; the section shows it at its next look
    registry_as(lab_server, "alice", [("set_owners", [OWNED, [ME]], {})])
    wait_for_owners(page, OWNED, ME)

    # a name with a space: the server's reason, with what was typed kept for fixing
    save_owners(page, OWNED, f"{ME}, ml team")
    problem = dialog(page).locator("[role=alert]")
    problem.wait_for(state="visible")
    assert "invalid owner 'ml team'" in problem.inner_text()
    assert dialog(page).locator("input").input_value() == f"{ME}, ml team"
    screenshot("bad-name")
    dialog(page).locator("input").fill(f"{ME}, Group:ML-Team, carol")
    accept_dialog(page, "Save")
    wait_for_owners(page, OWNED, f"{ME} carol group:ml-team")
    assert f"owners: {ME}, carol, group:ml-team" in entry.inner_text()
    screenshot("saved")

    # the server agrees
    assert lab_server.get_json(f"mlops/api/v1/models/{OWNED}/owners")["owners"] == [
        ME,
        "carol",
        "group:ml-team",
    ]
    assert not [e for e in page_errors if "pageerror" in e], page_errors


def test_owner_hears_of_approvals_and_failed_gates_and_opens_the_version(
    fresh_lab: Any,
    lab_server: LabServer,
    runs: list[str],
    screenshot: Callable[[str], Path],
    page_errors: list[str],
) -> None:
    registry_as(
        lab_server,
        "alice",
        [
            ("register_model", [runs[0], WATCHED], {}),
            ("set_owners", [WATCHED, [ME]], {}),
            ("set_policy", [WATCHED], {"gates": ["r2 >= 0.99"]}),
            ("register_model", [runs[1], WATCHED], {}),
            ("request_approval", [WATCHED, 2], {}),
        ],
    )
    run_in_store(lab_server, PROMOTE_PAST_GATE, WATCHED, user="alice")

    # a fresh page: the notifier's first look announces the newest events of the user's models
    page = fresh_lab
    toasts = page.locator(".Toastify__toast")
    awaiting = toasts.filter(has_text=f"MLOps: {WATCHED} v2 awaits approval by alice")
    failed = toasts.filter(has_text=f"MLOps: {WATCHED} v1 failed a gate by alice")
    awaiting.wait_for(state="visible", timeout=60_000)
    failed.wait_for(state="visible")
    assert "jp-Notification-Toast-warning" in str(awaiting.get_attribute("class"))
    assert "jp-Notification-Toast-error" in str(failed.get_attribute("class"))
    screenshot("notifications")

    # the server chose them for the browser's user, as an owner
    mine = lab_server.get_json("mlops/api/v1/notifications")
    assert mine["user"] == ME
    assert {(e["type"], e["version"]) for e in mine["notifications"] if e["model"] == WATCHED} == {
        ("approval.requested", 2),
        ("gate.failed", 1),
    }

    # "Open version": the sidebar shows version 2 in the Models section, card open and marked
    awaiting.locator(".jp-toast-button", has_text="Open version").click()
    panel = page.locator(PANEL)
    panel.wait_for(state="visible")
    row = model_entry(page, WATCHED).locator(".jp-mlops-Version[data-version='2']")
    row.wait_for(state="visible")
    assert "jp-mod-revealed" in str(row.get_attribute("class"))
    row.locator(".jp-mlops-VersionDetail").wait_for(state="visible")
    assert row.locator(".jp-mlops-Approval").inner_text() == "pending"
    # ... and its lineage
    lineage = panel.locator(".jp-mlops-LineageView")
    assert lineage.get_attribute("data-focus") == f"models:/{WATCHED}/2"
    screenshot("opened-version")
    assert not [e for e in page_errors if "pageerror" in e], page_errors
