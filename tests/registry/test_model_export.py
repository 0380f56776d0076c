"""Release bundles on both back ends: every file the release needs, a manifest that
``sha256sum -c`` accepts, a model file that loads with the recorded trusted types, and refusals
that leave nothing behind."""

from __future__ import annotations

import hashlib
import json
import subprocess

import numpy as np
import pytest
import skops.io
from registry_support import approved, diabetes

import mlops_jupyter as mj
from mlops_jupyter.registry.errors import RegistryError

BUNDLE_FILES = {
    "model.skops",
    "signature.json",
    "input_example.json",
    "requirements.txt",
    "MODEL_CARD.md",
    "lineage.json",
    "release.json",
    "audit_head.json",
    "MANIFEST.sha256",
}


def test_release_bundle_contents(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    version = approved("m", 2.0)
    mj.promote("m", 1)
    target = mj.export_release("m@production", tmp_path / "release", actor="releaser")
    assert {p.name for p in target.iterdir()} == BUNDLE_FILES

    model_bytes = (target / "model.skops").read_bytes()
    assert hashlib.sha256(model_bytes).hexdigest() == version.artifact_digest
    release = json.loads((target / "release.json").read_text())
    assert (release["name"], release["version"], release["alias"], release["sha256"]) == (
        "m",
        1,
        "production",
        version.artifact_digest,
    )
    assert release["approved_by"] == ["bob"] and release["exported_by"] == "releaser"
    model = skops.io.loads(model_bytes, trusted=release["trusted_types"])
    X, _ = diabetes()
    np.testing.assert_allclose(
        model.predict(X.head()), mj.load_model("models:/m/1").predict(X.head())
    )

    assert json.loads((target / "signature.json").read_text())["columns"][0] == {
        "name": "age",
        "dtype": "float64",
    }
    assert json.loads((target / "input_example.json").read_text())["columns"] == list(X.columns)
    requirements = (target / "requirements.txt").read_text()
    from importlib.metadata import version as installed

    assert (
        f"scikit-learn=={installed('scikit-learn')}" in requirements and "skops==" in requirements
    )
    assert (target / "MODEL_CARD.md").read_text() == version.card
    lineage = json.loads((target / "lineage.json").read_text())
    assert lineage["run"]["run_id"] == version.run_id
    assert lineage["datasets"][0]["fingerprint"] == mj.fingerprint(X)

    manifest = (target / "MANIFEST.sha256").read_text().splitlines()
    assert sorted(line.split("  ", 1)[1] for line in manifest) == sorted(
        BUNDLE_FILES - {"MANIFEST.sha256"}
    )
    checked = subprocess.run(
        ["sha256sum", "-c", "MANIFEST.sha256"], cwd=target, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    [event] = mj.audit_log("m", action="export")
    assert event.actor == "releaser" and event.payload["alias"] == "production"


def test_manifest_catches_an_edited_bundle_file(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    approved("m")
    target = mj.export_release("m/1", tmp_path / "release")
    (target / "MODEL_CARD.md").write_text("# something else\n")
    checked = subprocess.run(
        ["sha256sum", "-c", "MANIFEST.sha256"], cwd=target, capture_output=True, text=True
    )
    assert checked.returncode == 1 and "MODEL_CARD.md: FAILED" in checked.stdout


def test_export_refuses_a_used_directory_and_unknown_versions(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    approved("m")
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    with pytest.raises(RegistryError, match="already exists and is not an empty directory"):
        mj.export_release("m/1", used)
    assert [p.name for p in used.iterdir()] == ["keep.txt"]
    with pytest.raises(mj.ModelNotFoundError, match="has no alias 'production'"):
        mj.export_release("m@production", tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".fresh")] == []
    empty = tmp_path / "empty"
    empty.mkdir()
    assert mj.export_release("m/1", empty) == empty.resolve()
    assert mj.audit_log("m", action="export")[0].payload["version"] == 1
