"""Artifact blobs: a content-addressed store on fsspec (local by default, any fsspec URL).

A blob's key is the SHA-256 of its bytes. Writes go to a temporary name and are renamed into
place, so a crash never leaves a half-written blob under a real key; reads re-hash the bytes and
refuse a mismatch. Keys are validated, so no path built here can leave the artifact root.

Writing bytes whose blob already exists verifies the stored copy: a corrupt one is rewritten
(healed), a good one is touched, so its age tells garbage collection it is in use again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 8 * 1024 * 1024


class CorruptArtifactError(RuntimeError):
    """A blob's bytes no longer hash to its key."""


class ArtifactRootError(RuntimeError):
    """The artifact root cannot be created or written (a file in the way, no permission)."""


class ArtifactPathError(ValueError):
    """A key or name that would address something outside the artifact root."""


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class BlobStore:
    """Content-addressed blobs under one fsspec root."""

    def __init__(self, url: str) -> None:
        import fsspec  # noqa: PLC0415 - start-up: fsspec is imported on first use

        self.url = url
        fs, root = fsspec.core.url_to_fs(url)
        self.fs: Any = fs
        self.root = root.rstrip("/")
        self.is_local = fs.protocol in ("file", "local") or "file" in (fs.protocol or ())
        try:
            self.fs.makedirs(self.root, exist_ok=True)
        except OSError as error:
            raise ArtifactRootError(
                f"cannot use the artifact root {url}: {error.strerror or error}"
            ) from None

    def path_for(self, digest: str) -> str:
        if not _DIGEST.match(digest or ""):
            raise ArtifactPathError(f"not a blob key: {digest!r} (expected 64 hex characters)")
        return f"{self.root}/{digest[:2]}/{digest[2:4]}/{digest}"

    def exists(self, digest: str) -> bool:
        return bool(self.fs.exists(self.path_for(digest)))

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._put(digest, lambda: data)
        return digest

    def put_file(self, path: str | os.PathLike[str]) -> str:
        digest = sha256_file(path)
        self._put(digest, lambda: Path(path).read_bytes())
        return digest

    def put_path(self, path: str | os.PathLike[str], hashers: Sequence[Any] = ()) -> str:
        """Store a file of any size in one streaming pass (never whole in memory); ``hashers``
        (``update``-able) see the same bytes, so a caller can check what was stored."""
        temporary = f"{self.root}/tmp/{uuid.uuid4().hex}"
        self.fs.makedirs(f"{self.root}/tmp", exist_ok=True)
        digest = hashlib.sha256()
        with open(path, "rb") as source, self.fs.open(temporary, "wb") as handle:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                for hasher in hashers:
                    hasher.update(chunk)
                handle.write(chunk)
            if self.is_local:
                handle.flush()
                os.fsync(handle.fileno())
        key = digest.hexdigest()
        final = self.path_for(key)
        if self.check(key) == "ok":  # already stored (and intact): keep it, refresh its age
            self.fs.rm(temporary)
            self._touch(key)
            return key
        self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        if self.is_local:
            os.replace(temporary, final)
        else:
            self.fs.mv(temporary, final)
        return key

    def read_into(self, digest: str, handle: BinaryIO, hashers: Sequence[Any] = ()) -> int:
        """Stream a blob into ``handle``, verifying it hashes to its key; returns its size.
        On a mismatch ``CorruptArtifactError`` is raised (what was written is the caller's)."""
        path = self.path_for(digest)
        actual, size = hashlib.sha256(), 0
        try:
            with self.fs.open(path, "rb") as source:
                while chunk := source.read(_CHUNK):
                    actual.update(chunk)
                    for hasher in hashers:
                        hasher.update(chunk)
                    handle.write(chunk)
                    size += len(chunk)
        except FileNotFoundError:
            raise CorruptArtifactError(f"blob {digest} is missing from {self.url}") from None
        if actual.hexdigest() != digest:
            raise CorruptArtifactError(
                f"blob {digest} is corrupt: its bytes hash to {actual.hexdigest()} ({path})"
            )
        return size

    def ensure(self, digest: str, data: Callable[[], bytes]) -> bool:
        """After a reference to ``digest`` was recorded: write the blob again if it is missing
        (garbage collection may have removed it in between). True if rewritten."""
        if self.exists(digest):
            return False
        self._write_atomically(digest, data())
        return True

    def _put(self, digest: str, data: Callable[[], bytes]) -> None:
        state = self.check(digest)
        if state == "ok":
            self._touch(digest)
        else:  # missing, or corrupt: (re)write it
            self._write_atomically(digest, data())

    def check(self, digest: str) -> str:
        """'ok', 'missing' or 'corrupt' (the bytes, read in chunks, no longer hash to the key)."""
        path = self.path_for(digest)
        hasher = hashlib.sha256()
        try:
            with self.fs.open(path, "rb") as handle:
                while chunk := handle.read(_CHUNK):
                    hasher.update(chunk)
        except FileNotFoundError:
            return "missing"
        return "ok" if hasher.hexdigest() == digest else "corrupt"

    def _touch(self, digest: str) -> None:
        if self.is_local:
            with contextlib.suppress(FileNotFoundError):
                os.utime(self.path_for(digest))

    def age(self, digest: str) -> float | None:
        """Seconds since the blob was last written or re-used (None if it is gone)."""
        path = self.path_for(digest)
        try:
            if self.is_local:
                return time.time() - os.stat(path).st_mtime
            modified = self.fs.modified(path)
        except FileNotFoundError:
            return None
        except (NotImplementedError, OSError):
            return float("inf")  # no modification time here: only references protect it
        return time.time() - modified.timestamp()

    def _write_atomically(self, digest: str, data: bytes) -> None:
        try:
            self._write(digest, data)
        except OSError as error:
            raise ArtifactRootError(
                f"cannot write to the artifact root {self.url}: {error.strerror or error}"
            ) from None

    def _write(self, digest: str, data: bytes) -> None:
        final = self.path_for(digest)
        self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        temporary = f"{self.root}/tmp/{uuid.uuid4().hex}"
        self.fs.makedirs(f"{self.root}/tmp", exist_ok=True)
        with self.fs.open(temporary, "wb") as handle:
            handle.write(data)
            if self.is_local:
                handle.flush()
                os.fsync(handle.fileno())
        if self.is_local:
            os.replace(temporary, final)
        else:
            self.fs.mv(temporary, final)

    def get_bytes(self, digest: str) -> bytes:
        path = self.path_for(digest)
        try:
            with self.fs.open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise CorruptArtifactError(f"blob {digest} is missing from {self.url}") from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise CorruptArtifactError(
                f"blob {digest} is corrupt: its bytes hash to {actual} ({path})"
            )
        return data

    def digests(self) -> Iterator[str]:
        """Every blob key present (for garbage collection)."""
        temporary = f"{self.root}/tmp/".lstrip("/")
        for path in self.fs.find(self.root):
            name = str(path).rsplit("/", 1)[-1]
            if _DIGEST.match(name) and not str(path).lstrip("/").startswith(temporary):
                yield name

    # -- removal in two steps, so garbage collection can change its mind ----------------------
    def set_aside(self, digest: str) -> str | None:
        """Move the blob out of its key's place (atomically); returns where, None if gone."""
        aside = f"{self.root}/tmp/gc-{digest}-{uuid.uuid4().hex[:8]}"
        self.fs.makedirs(f"{self.root}/tmp", exist_ok=True)
        try:
            if self.is_local:
                os.replace(self.path_for(digest), aside)
            else:
                self.fs.mv(self.path_for(digest), aside)
        except FileNotFoundError:
            return None
        return aside

    def put_back(self, digest: str, aside: str) -> None:
        """Undo :meth:`set_aside` (a writer may have rewritten the same bytes meanwhile)."""
        if self.is_local:
            os.replace(aside, self.path_for(digest))
        else:
            self.fs.mv(aside, self.path_for(digest))

    def discard(self, aside: str) -> int:
        size = int(self.fs.size(aside))
        self.fs.rm(aside)
        return size

    def delete(self, digest: str) -> int:
        path = self.path_for(digest)
        size = int(self.fs.size(path))
        self.fs.rm(path)
        return size


def safe_artifact_name(name: str) -> str:
    """Normalise an artifact name; refuse absolute names and names that climb out with '..'."""
    cleaned = name.replace("\\", "/").strip()
    parts = [part for part in cleaned.split("/") if part not in ("", ".")]
    if not parts or cleaned.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", cleaned):
        raise ArtifactPathError(
            f"artifact name {name!r} is outside the artifact root; use a relative name like 'model/weights.bin'"
        )
    return "/".join(parts)
