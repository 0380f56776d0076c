"""Finding 1: a model file is data until proven safe. A skops file whose schema names
``subprocess.Popen`` must be refused, naming the type, before any object is built — on every
path: ``register_model`` (from a run's logged file), ``load_model``, the REST register call,
``models export`` and the MLflow export. The proof that nothing ran is a marker file the
hostile command would have created."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import skops.io
from click.testing import CliRunner
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sqlalchemy import update

import mlops_jupyter as mj
from mlops_jupyter.cli import cli
from mlops_jupyter.registry.errors import UntrustedModelError
from mlops_jupyter.registry.serialization import SKLEARN_TRUSTED_TYPES, check_trusted
from mlops_jupyter.store.schema import model_versions
from tests.security.malicious import popen_skops_file


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


def _hostile_run(marker: Path) -> str:
    with mj.start_run("hostile") as run:
        mj.log_artifact(popen_skops_file(marker), "model/model.skops")
    return run.run_id


def test_the_file_really_is_hostile(marker: Path) -> None:
    """The test's own file names Popen, and skops with that type trusted runs it (so the
    refusals below are the registry's doing, not a broken fixture)."""
    data = popen_skops_file(marker)
    assert skops.io.get_untrusted_types(data=data) == ["subprocess.Popen"]
    process = skops.io.loads(data, trusted=["subprocess.Popen"])
    process.wait()
    assert marker.exists()


def test_register_from_a_run_refuses_before_building_anything(mj_store, marker: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = _hostile_run(marker)
    with pytest.raises(UntrustedModelError, match=r"subprocess\.Popen") as caught:
        mj.register_model(run_id, "m")
    assert "trusted=" in str(caught.value)
    assert not marker.exists()
    assert mj.list_models() == [] and mj.audit_log() == []


def test_load_export_and_mlflow_refuse_a_version_whose_file_was_swapped(  # type: ignore[no-untyped-def]
    mj_store, marker: Path, tmp_path: Path
) -> None:
    """Someone with write access to the database points a version at the hostile file and
    records Popen as trusted: the recorded list is not trust, so every reader refuses."""
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    mj.register_model(Ridge().fit(X, y), "m")
    digest = mj_store.blobs.put_bytes(popen_skops_file(marker))
    with mj_store.db.writer.connect() as conn, conn.begin():
        conn.execute(
            update(model_versions).values(
                artifact_digest=digest, trusted_types=json.dumps(["subprocess.Popen"])
            )
        )
    with pytest.raises(UntrustedModelError, match=r"subprocess\.Popen"):
        mj.load_model("models:/m/1")
    with pytest.raises(UntrustedModelError, match=r"subprocess\.Popen"):
        mj.export_release("m/1", tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()
    result = CliRunner().invoke(cli, ["models", "export", "m/1", str(tmp_path / "b2")])
    assert result.exit_code == 1 and "subprocess.Popen" in result.output
    assert "Traceback" not in result.output
    from mlops_jupyter.registry.mlflow_export import export_to_mlflow

    with pytest.raises(UntrustedModelError, match=r"subprocess\.Popen"):
        export_to_mlflow(directory=tmp_path / "mlflow")
    assert not (tmp_path / "mlflow").exists()  # refused before MLflow was touched
    assert not marker.exists()


def test_scikit_learn_models_load_with_the_allowlist_and_callers_trust(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    forest = RandomForestRegressor(n_estimators=2, random_state=0).fit(X, y)
    version = mj.register_model(forest, "forest")
    assert version.trusted_types == ["sklearn.tree._tree.Tree"]
    assert "sklearn.tree._tree.Tree" in SKLEARN_TRUSTED_TYPES
    assert mj.load_model("models:/forest/1").predict(X.head(2)).shape == (2,)
    # a type outside skops' defaults and the allowlist loads only when the caller trusts it
    data = skops.io.dumps(forest)
    with pytest.raises(UntrustedModelError, match=r"sklearn\.tree\._tree\.Tree"):
        check_trusted(data, allowlist=())
    assert check_trusted(data, ["sklearn.tree._tree.Tree"], allowlist=()) == (
        "sklearn.tree._tree.Tree",
    )


def test_models_test_does_not_trust_the_types_a_bundle_lists(  # type: ignore[no-untyped-def]
    sqlite_store, marker: Path, tmp_path: Path
) -> None:
    """A bundle is a file too: its release.json naming Popen as trusted grants nothing."""
    import hashlib

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    mj.register_model(Ridge().fit(X, y), "m", input_example=X.head())
    bundle = mj.export_release("m/1", tmp_path / "bundle")
    (bundle / "model.skops").write_bytes(popen_skops_file(marker))
    release = json.loads((bundle / "release.json").read_text())
    release["sha256"] = hashlib.sha256((bundle / "model.skops").read_bytes()).hexdigest()
    release["trusted_types"] = ["subprocess.Popen"]
    (bundle / "release.json").write_text(json.dumps(release))
    (bundle / "MANIFEST.sha256").write_text(
        "".join(
            f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
            for p in sorted(bundle.iterdir())
            if p.name != "MANIFEST.sha256"
        )
    )
    result = CliRunner().invoke(cli, ["models", "test", str(bundle)])
    assert result.exit_code == 1, result.output
    assert "[ok  ] manifest" in result.output
    assert "[FAIL] load" in result.output and "subprocess.Popen" in result.output
    assert not marker.exists()
