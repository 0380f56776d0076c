"""Input snapshots: the bytes of the files a run read, kept in the content-addressed blob store
so any recorded version can be brought back (``data get``, ``reproduce --restore-inputs``).

A snapshot is keyed by the dataset version's content fingerprint: the same bytes read by a
hundred runs, or found at two paths, are stored once. Taking one costs a query when the
fingerprint already has a snapshot (and the fingerprint of an unchanged file is a ``stat``,
cached); otherwise the file is streamed once into the blob store while its fingerprint is
computed again, and the snapshot is recorded only when that fingerprint is still the one the
run read (a file rewritten in between is not passed off as the version the run saw).

The policy (``auto``: files up to ``snapshot_max_bytes``; ``always``; ``never``) comes from
``tracking.settings``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import xxhash

from mlops_jupyter.store.blobs import CorruptArtifactError
from mlops_jupyter.tracking import settings

if TYPE_CHECKING:
    from mlops_jupyter.store import Store
    from mlops_jupyter.tracking.datasets import DatasetRef

log = logging.getLogger("mlops_jupyter.snapshots")


class DataVersionError(LookupError):
    """A dataset version that is not recorded, is ambiguous, or has no snapshot."""


def local_path(uri: str) -> str | None:
    """The filesystem path of a ``file://`` uri (None for any other uri)."""
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def snapshot_datasets(store: Store, refs: Iterable[DatasetRef]) -> list[str]:
    """Snapshot the input files among ``refs`` under the policy; returns the fingerprints that
    are now held (already or newly)."""
    policy = settings.snapshot_policy()
    files = [ref for ref in refs if ref.uri.startswith("file://")]
    if policy == "never" or not files:
        return []
    limit = settings.snapshot_max_bytes() if policy == "auto" else None
    held = set(store.data.snapshots(ref.fingerprint for ref in files))
    for ref in files:
        if ref.fingerprint in held:
            continue
        path = local_path(ref.uri)
        if path is None or not os.path.isfile(path):
            continue
        size = os.path.getsize(path)
        if limit is not None and size > limit:
            log.debug("%s not snapshotted: %d bytes is over the %d-byte limit", path, size, limit)
            continue
        if take_snapshot(store, path, ref.fingerprint):
            held.add(ref.fingerprint)
    return sorted(held)


def take_snapshot(store: Store, path: str | os.PathLike[str], fingerprint: str) -> bool:
    """Stream ``path`` into the blob store; record it as ``fingerprint``'s snapshot when the
    bytes stored still have that fingerprint. False when the file changed meanwhile."""
    hasher = xxhash.xxh3_128()
    digest = store.blobs.put_path(path, hashers=[hasher])
    if hasher.hexdigest() != fingerprint:
        log.debug("%s changed since it was read: not snapshotted as %s", path, fingerprint)
        return False
    store.data.add_snapshot(fingerprint, digest, os.path.getsize(path))
    # garbage collection may have removed the blob between its write and the record: heal
    store.blobs.ensure(digest, lambda: _verified_bytes(path, digest))
    return True


def _verified_bytes(path: str | os.PathLike[str], digest: str) -> bytes:
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise OSError(f"{path} changed while its snapshot was being stored")
    return data


# -- listing and restoring ---------------------------------------------------------------------
@dataclass
class DataVersion:
    """One recorded dataset version (``data ls``)."""

    uri: str
    fingerprint: str
    rows: int | None
    format: str | None
    created: float
    runs: list[tuple[str, str]]  # (run_id, role)
    snapshot: bool
    size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "fingerprint": self.fingerprint,
            "rows": self.rows,
            "format": self.format,
            "created": self.created,
            "runs": [{"run_id": run_id, "role": role} for run_id, role in self.runs],
            "snapshot": self.snapshot,
        }


def as_uri(uri_or_path: str) -> str:
    """A dataset uri from what a user typed: a uri stays, a path becomes its ``file://`` uri."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", uri_or_path):
        return uri_or_path
    return Path(uri_or_path).expanduser().resolve().as_uri()


def data_versions(
    store: Store, uri: str | None = None, *, include_memory: bool = False
) -> list[DataVersion]:
    """Recorded dataset versions, newest first (all of them, or one uri's / path's)."""
    rows = store.data.versions(as_uri(uri) if uri else None, include_memory=include_memory)
    return [
        DataVersion(
            uri=row["uri"],
            fingerprint=row["fingerprint"],
            rows=row["rows"],
            format=row["format"],
            created=row["created_at"],
            runs=row["runs"],
            snapshot=row["snapshot"] is not None,
            size=row["snapshot"]["size"] if row["snapshot"] else None,
        )
        for row in rows
    ]


def parse_version(spec: str) -> tuple[str, str]:
    """``URI@FINGERPRINT`` (a path for the uri; the fingerprint or a unique prefix of it)."""
    uri, separator, fingerprint = spec.rpartition("@")
    if not separator or not uri or not re.fullmatch(r"[0-9a-fA-F]{6,64}", fingerprint):
        raise DataVersionError(
            f"expected URI@FINGERPRINT (a path or uri, '@', and at least 6 hex digits of the "
            f"fingerprint from 'mlops-jupyter data ls'), got {spec!r}"
        )
    return as_uri(uri), fingerprint.lower()


def find_version(store: Store, uri: str, fingerprint: str) -> DataVersion:
    """The one version of ``uri`` whose fingerprint starts with ``fingerprint``."""
    matches = [v for v in data_versions(store, uri) if v.fingerprint.startswith(fingerprint)]
    if not matches:
        raise DataVersionError(f"no recorded version of {uri} has fingerprint {fingerprint}")
    if len({v.fingerprint for v in matches}) > 1:
        raise DataVersionError(
            f"fingerprint prefix {fingerprint} matches several versions of {uri}: give more digits"
        )
    return matches[0]


def restore(
    store: Store, fingerprint: str, destination: str | os.PathLike[str], *, label: str = ""
) -> Path:
    """Write the snapshot of ``fingerprint`` to ``destination`` (a file path), verified twice:
    the blob against its SHA-256 key, the bytes against the fingerprint. Nothing is left at
    ``destination`` when either check fails."""
    held = store.data.snapshots([fingerprint]).get(fingerprint)
    if held is None:
        raise DataVersionError(
            f"{label or fingerprint} has no snapshot: the run read it with snapshots off "
            "(policy never, or over the auto size limit)"
        )
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.mlops-partial")
    hasher = xxhash.xxh3_128()
    try:
        with open(partial, "wb") as handle:
            store.blobs.read_into(held["digest"], handle, hashers=[hasher])
        if hasher.hexdigest() != fingerprint:
            raise CorruptArtifactError(
                f"snapshot of {label or fingerprint} does not match its fingerprint "
                f"(got {hasher.hexdigest()})"
            )
        os.replace(partial, target)
    finally:
        if partial.exists():
            partial.unlink()
    return target
