"""Example notebook 03 executed by papermill in a real kernel, on both back ends: registration from
tracked cells, a refused self-approval, approval by a second user, gated promotion, a better
version, a rollback — and the history, audit chain and release bundle it leaves."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from notebook_support import execute_example, stream_text

import mlops_jupyter as mj

pytestmark = pytest.mark.slow


def test_notebook_03_registers_reviews_releases_and_rolls_back(
    mj_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    executed = execute_example(
        "03_register_and_release.ipynb",
        tmp_path / "out.ipynb",
        monkeypatch,
        parameters={"bundle_dir": str(tmp_path / "release")},
        cwd=tmp_path,
    )
    text = stream_text(executed)
    assert "refused: alice registered wine version 1 and cannot approve it" in text
    assert (
        "input does not match the signature of models:/wine/2: missing columns: 'alcohol'" in text
    )

    first, second = mj.list_versions("wine")
    assert (first.registered_by, second.registered_by) == ("alice", "alice")
    assert first.approved_by == ["bob"] and second.approved_by == ["bob"]
    assert (
        mj.get_run(first.run_id).name == "shallow-tree"
        and mj.get_run(second.run_id).name == "logistic"
    )
    assert mj.get_run(second.run_id).kind == "cell"
    assert second.metrics["accuracy"] >= first.metrics["accuracy"] + 0.01
    assert first.input_example is not None and second.signature.names == first.signature.names

    history = mj.alias_history("wine", "production")
    assert [(h.action, h.from_version, h.to_version, h.actor) for h in history] == [
        ("promote", None, 1, "bob"),
        ("promote", 1, 2, "bob"),
        ("rollback", 2, 1, "bob"),
    ]
    assert history[-1].reason.startswith("incident 7")
    assert mj.get_model("wine").aliases == {"production": 1}
    assert mj.verify_audit().ok
    actions = [e.action for e in reversed(mj.audit_log("wine", limit=None))]
    assert actions == [
        "register",
        "policy",
        "request",
        "approve",
        "promote",
        "register",
        "request",
        "approve",
        "promote",
        "rollback",
        "export",
    ]

    bundle = tmp_path / "release" / "wine-production"
    assert (bundle / "input_example.json").is_file() and (bundle / "MODEL_CARD.md").is_file()
    checked = subprocess.run(
        ["sha256sum", "-c", "MANIFEST.sha256"], cwd=bundle, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout
