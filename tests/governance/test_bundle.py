"""`models test BUNDLE_DIR`: an exported bundle passes in a fresh isolated process; tampered
bundles fail with exit 1, naming the check that failed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from registry_support import approved

import mlops_jupyter as mj
from mlops_jupyter.cli import cli
from mlops_jupyter.registry.bundle_test import check_bundle

pytestmark = pytest.mark.slow  # each check starts a fresh Python that imports scikit-learn


def _rewrite_manifest(bundle: Path) -> None:
    """What a careful tamperer does: recompute the manifest after editing."""
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(bundle).as_posix()}"
        for p in sorted(bundle.rglob("*"))
        if p.is_file() and p.name != "MANIFEST.sha256"
    ]
    (bundle / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")


@pytest.fixture
def bundle(sqlite_store, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    version = approved("diabetes")
    mj.promote("diabetes", version.version)
    return mj.export_release("diabetes@production", tmp_path / "release")


def test_an_exported_bundle_passes(bundle: Path) -> None:
    signature = json.loads((bundle / "signature.json").read_text())
    assert signature["output"] == {"shape": [None], "dtype": "float64"}
    result = CliRunner().invoke(cli, ["models", "test", str(bundle)])
    assert result.exit_code == 0, result.output
    for name in ("manifest", "load", "input", "predict", "output"):
        assert f"[ok  ] {name}:" in result.output
    assert "shape [5] and dtype float64 match the signature" in result.output


def test_a_tampered_model_file_fails(bundle: Path) -> None:
    model = bundle / "model.skops"
    model.write_bytes(model.read_bytes() + b"\0")
    result = CliRunner().invoke(cli, ["models", "test", str(bundle)])
    assert result.exit_code == 1
    assert "[FAIL] manifest: model.skops does not match its hash" in result.output
    assert "failed: manifest" in result.output


def test_a_swapped_model_with_a_rewritten_manifest_fails(bundle: Path, tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    from mlops_jupyter.registry.serialization import serialize

    X, y = [[0.0] * 10, [1.0] * 10], [0.0, 1.0]
    (bundle / "model.skops").write_bytes(serialize(LinearRegression().fit(X, y)).data)
    _rewrite_manifest(bundle)
    report = check_bundle(bundle)
    assert report.failed() == ["manifest"]
    assert "is not the registered model" in report.checks[0]["detail"]


def test_an_added_file_and_a_changed_example_fail(bundle: Path) -> None:
    (bundle / "extra.py").write_text("print('hi')\n")
    report = check_bundle(bundle)
    assert report.failed() == ["manifest"]
    assert "extra.py is not in the manifest" in report.checks[0]["detail"]
    (bundle / "extra.py").unlink()
    example = json.loads((bundle / "input_example.json").read_text())
    example["columns"][0] = "renamed"
    example["dtypes"] = {"renamed" if k == "age" else k: v for k, v in example["dtypes"].items()}
    (bundle / "input_example.json").write_text(json.dumps(example))
    _rewrite_manifest(bundle)
    report = check_bundle(bundle)
    assert report.failed() == ["input"], report.checks
    assert "missing columns age" in report.checks[2]["detail"]
    assert report.checks[3]["detail"].startswith("not run")


def test_the_check_process_sees_only_the_bundle(bundle: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A bundle file named like a module the check imports is not picked up (isolated mode),
    and the store's environment does not leak in."""
    (bundle / "skops.py").write_text("raise SystemExit('imported from the bundle')\n")
    _rewrite_manifest(bundle)
    monkeypatch.setenv("PYTHONPATH", str(bundle))
    report = check_bundle(bundle)
    assert report.ok, report.checks
