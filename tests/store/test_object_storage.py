"""Artifacts, input snapshots, model loading and gc on a local artifact root and on S3 (moto's
standalone server on 127.0.0.1, started by the session fixture ``s3_endpoint``).

Every test here takes ``artifact_store``, which runs it twice: once with the artifacts on the
local disk, once with ``MLOPS_JUPYTER_ARTIFACTS=s3://BUCKET/artifacts``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_support import run_cli
from shell_support import run, tracked_shell
from sklearn.linear_model import LogisticRegression

import mlops_jupyter as mj
from mlops_jupyter.store.blobs import CorruptArtifactError
from mlops_jupyter.tracking.snapshots import restore


def _csv(path: Path, rows: int = 50, shift: float = 0.0) -> Path:
    frame = pd.DataFrame({"x": np.arange(rows) + shift, "y": np.arange(rows) % 2})
    frame.to_csv(path, index=False)
    return path


def _corrupt(store, digest: str) -> None:  # type: ignore[no-untyped-def]
    """Overwrite a blob in place (a bit flip on disk, a bad upload on S3)."""
    with store.blobs.fs.open(store.blobs.path_for(digest), "wb") as handle:
        handle.write(b"not the bytes that were stored")


def test_blobs_round_trip_stream_and_refuse_corruption(artifact_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blobs = artifact_store.blobs
    digest = blobs.put_bytes(b"hello")
    assert blobs.put_bytes(b"hello") == digest and blobs.get_bytes(digest) == b"hello"
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024 + 17))  # more than one 8 MB streaming chunk
    streamed = blobs.put_path(big)
    target = tmp_path / "back.bin"
    with open(target, "wb") as handle:
        assert blobs.read_into(streamed, handle) == big.stat().st_size
    assert target.read_bytes() == big.read_bytes()
    assert set(blobs.digests()) == {digest, streamed}
    _corrupt(artifact_store, digest)
    with pytest.raises(CorruptArtifactError, match=digest):
        blobs.get_bytes(digest)
    assert blobs.delete(streamed) > 0 and not blobs.exists(streamed)


def test_artifacts_and_models_load_from_the_artifact_root(artifact_store) -> None:  # type: ignore[no-untyped-def]
    X = pd.DataFrame({"a": np.linspace(0, 1, 30), "b": np.arange(30) % 5})
    y = np.arange(30) % 2
    with mj.start_run() as run:
        mj.log_artifact(b'{"k": 1}', "notes/config.json")
        model = LogisticRegression().fit(X, y)
        mj.register_model(model, "stored")
    assert mj.get_run(run.run_id).artifact_bytes("notes/config.json") == b'{"k": 1}'
    loaded = mj.load_model("models:/stored/1")
    assert list(loaded.predict(X)) == list(model.predict(X))
    assert str(loaded.signature) == "a: float64, b: int64"
    record = artifact_store.registry.read(lambda tx: tx.version("stored", 1))
    _corrupt(artifact_store, record["artifact_digest"])
    with pytest.raises(mj.ModelIntegrityError):
        mj.load_model("models:/stored/1")


def test_the_same_file_read_by_100_runs_is_stored_once(artifact_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _csv(tmp_path / "shared.csv")
    copy = tmp_path / "elsewhere" / "same-bytes.csv"
    copy.parent.mkdir()
    copy.write_bytes(data.read_bytes())
    for index in range(100):
        with mj.start_run(name=f"reader {index}"):
            pd.read_csv(data if index % 2 else copy)
    versions = mj.get_store().data.versions()
    assert {v["uri"] for v in versions} == {data.as_uri(), copy.resolve().as_uri()}
    assert all(len(v["runs"]) == 50 and v["snapshot"] for v in versions)
    assert len({v["snapshot"]["digest"] for v in versions}) == 1
    assert list(artifact_store.blobs.digests()) == [versions[0]["snapshot"]["digest"]]


def test_snapshot_policies(artifact_store, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def snapshotted(path: Path) -> bool:
        [version] = [v for v in mj.get_store().data.versions() if v["uri"] == path.as_uri()]
        return version["snapshot"] is not None

    small, large = _csv(tmp_path / "small.csv", 10), _csv(tmp_path / "large.csv", 5000)
    mj.autolog(snapshot_inputs="auto", snapshot_max_bytes=small.stat().st_size)
    with mj.start_run():
        mj.log_input(str(small))
        mj.log_input(str(large))
    assert snapshotted(small) and not snapshotted(large)  # auto: only up to the limit

    from mlops_jupyter.tracking import settings

    settings.reset()  # no explicit policy: the environment decides
    monkeypatch.setenv("MLOPS_JUPYTER_SNAPSHOT_INPUTS", "never")
    never = _csv(tmp_path / "never.csv", 12)
    with mj.start_run():
        pd.read_csv(never)
    assert not snapshotted(never)

    with tracked_shell() as shell:
        assert run(shell, "%config Track.snapshot_inputs = 'always'").success
        with mj.start_run():
            pd.read_csv(large)
    assert snapshotted(large)  # always: over the auto limit too


def test_data_get_restores_a_deleted_version_and_refuses_a_corrupt_one(
    artifact_store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = _csv(tmp_path / "train.csv")
    original = data.read_bytes()
    with mj.start_run() as reader:
        pd.read_csv(data)
    fingerprint = mj.fingerprint(data)
    _csv(data, shift=1.0)  # the data moves on
    with mj.start_run():
        pd.read_csv(data)
    data.unlink()

    listed = json.loads(run_cli("data", "ls", "--format", "json").stdout)
    assert [v["fingerprint"] for v in listed][1] == fingerprint  # newest first
    assert set(listed[0]) >= {"uri", "fingerprint", "rows", "format", "created", "runs"}
    assert listed[1]["runs"] == [reader.run_id] and listed[1]["snapshot"] is True
    assert listed[1]["rows"] == 50 and listed[1]["format"] == "csv"

    restored = run_cli("data", "get", f"{data}@{fingerprint[:8]}", str(tmp_path))
    assert restored.returncode == 0, restored.stderr
    assert data.read_bytes() == original and "verified" in restored.stdout
    exists = run_cli("data", "get", f"{data}@{fingerprint}", str(data))
    assert exists.returncode == 2 and "--force" in exists.stderr

    snapshot = mj.get_store().data.snapshots([fingerprint])[fingerprint]
    _corrupt(artifact_store, snapshot["digest"])
    target = tmp_path / "again.csv"
    refused = run_cli("data", "get", f"{data}@{fingerprint}", str(target))
    assert refused.returncode == 1 and "corrupt" in refused.stderr
    assert not target.exists() and not list(tmp_path.glob(".again.csv*"))


def test_gc_keeps_snapshots_artifacts_and_models(artifact_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _csv(tmp_path / "kept.csv")
    with mj.start_run():
        frame = pd.read_csv(data)
        mj.register_model(LogisticRegression().fit(frame[["x"]], frame["y"]), "kept")
    orphan = artifact_store.blobs.put_bytes(b"nobody refers to this")
    before = set(artifact_store.blobs.digests())
    result = run_cli("gc", "--grace", "0")
    assert result.returncode == 0, result.stderr
    after = set(artifact_store.blobs.digests())
    assert after == before - {orphan}
    assert artifact_store.data.snapshot_digests() <= after
    restored = restore(artifact_store, mj.fingerprint(data), tmp_path / "x.csv")
    assert restored.read_bytes() == data.read_bytes()
    assert mj.load_model("models:/kept/1") is not None
