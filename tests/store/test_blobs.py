"""Content-addressed artifact blobs: atomic writes, verified reads, no escape from the root."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlops_jupyter.store.blobs import (
    ArtifactPathError,
    BlobStore,
    CorruptArtifactError,
    safe_artifact_name,
)


def test_round_trip_and_dedup(tmp_path: Path) -> None:
    blobs = BlobStore(str(tmp_path / "a"))
    digest = blobs.put_bytes(b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert blobs.put_bytes(b"hello") == digest
    assert blobs.get_bytes(digest) == b"hello"
    assert list(blobs.digests()) == [digest]
    assert not list((tmp_path / "a" / "tmp").iterdir())  # no temporary file left behind


def test_put_file(tmp_path: Path) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(b"\x00\x01" * 1000)
    blobs = BlobStore(str(tmp_path / "a"))
    assert blobs.get_bytes(blobs.put_file(source)) == source.read_bytes()


def test_corrupt_blob_names_the_blob(tmp_path: Path) -> None:
    blobs = BlobStore(str(tmp_path / "a"))
    digest = blobs.put_bytes(b"model bytes")
    Path(blobs.path_for(digest)).write_bytes(b"tampered")
    with pytest.raises(CorruptArtifactError, match=digest):
        blobs.get_bytes(digest)


def test_missing_blob_is_reported(tmp_path: Path) -> None:
    blobs = BlobStore(str(tmp_path / "a"))
    with pytest.raises(CorruptArtifactError, match="missing"):
        blobs.get_bytes("0" * 64)


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "ab", "g" * 64, "0" * 63 + "/"])
def test_keys_cannot_leave_the_root(tmp_path: Path, key: str) -> None:
    with pytest.raises(ArtifactPathError):
        BlobStore(str(tmp_path)).path_for(key)


@pytest.mark.parametrize("name", ["../secret", "a/../../b", "/abs/path", "C:\\windows", "", "./.."])
def test_artifact_names_cannot_leave_the_root(name: str) -> None:
    with pytest.raises(ArtifactPathError, match="outside the artifact root"):
        safe_artifact_name(name)


def test_artifact_names_are_normalised() -> None:
    assert safe_artifact_name("./model//weights.bin") == "model/weights.bin"
    assert safe_artifact_name("dir\\file.txt") == "dir/file.txt"


def test_any_fsspec_url(tmp_path: Path) -> None:
    blobs = BlobStore("memory://blob-test-root")
    digest = blobs.put_bytes(b"remote")
    assert blobs.get_bytes(digest) == b"remote"
    assert blobs.exists(digest)
