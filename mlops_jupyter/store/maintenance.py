"""Store maintenance: garbage collection of artifact blobs and the integrity check (fsck).

Garbage collection never removes a blob that is younger than the grace period (a blob is
"young" when it was written or re-used recently: writing existing bytes touches the blob). An
old unreferenced blob is first moved aside, then its references are checked again: if a run or
a model version started to refer to it meanwhile it goes back, else it is deleted. A writer
records its reference and then makes sure the blob exists, writing it again if not
(``BlobStore.ensure``), so a reference recorded after that last check still finds its blob.

``fsck`` hashes every blob and reports the artifacts and model versions whose blob is missing
or corrupt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mlops_jupyter.store.schema import artifacts, dataset_snapshots, model_versions

if TYPE_CHECKING:
    from mlops_jupyter.store import Store

DEFAULT_GRACE_S = 3600.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """'90s', '30m', '1h', '2d' or plain seconds -> seconds; ValueError otherwise."""
    match = _DURATION.match(text or "")
    if match is None:
        raise ValueError(f"cannot read {text!r} as a duration: use e.g. 0, 90s, 30m, 1h or 2d")
    return float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]


@dataclass
class GcReport:
    removed: list[str] = field(default_factory=list)
    freed: int = 0
    kept_referenced: int = 0
    kept_young: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"{verb} {len(self.removed)} unreferenced blob(s), {self.freed} bytes freed; "
            f"kept {self.kept_referenced} referenced and {self.kept_young} younger than the grace period"
        )


def digest_in_use(store: Store, digest: str) -> bool:
    """Whether an artifact, a model version or an input snapshot refers to ``digest`` now."""
    with store.db.read() as conn:
        for query in (
            select(artifacts.c.digest).where(artifacts.c.digest == digest).limit(1),
            select(model_versions.c.artifact_digest)
            .where(model_versions.c.artifact_digest == digest)
            .limit(1),
            select(dataset_snapshots.c.digest).where(dataset_snapshots.c.digest == digest).limit(1),
        ):
            if conn.execute(query).first() is not None:
                return True
    return False


def collect_garbage(
    store: Store, grace_s: float = DEFAULT_GRACE_S, dry_run: bool = False
) -> GcReport:
    """Remove blobs nothing refers to that are older than ``grace_s`` seconds."""
    report = GcReport(dry_run=dry_run)
    keep = store.referenced_digests()
    for digest in list(store.blobs.digests()):
        if digest in keep:
            report.kept_referenced += 1
            continue
        age = store.blobs.age(digest)
        if age is None:  # removed meanwhile
            continue
        if age < grace_s:
            report.kept_young += 1
            continue
        if dry_run:
            if not digest_in_use(store, digest):
                report.removed.append(digest)
                report.freed += int(store.blobs.fs.size(store.blobs.path_for(digest)))
            continue
        aside = store.blobs.set_aside(digest)
        if aside is None:
            continue
        # a reference recorded before this check is seen here and the blob goes back; a writer
        # recording one after it finds the blob missing and writes it again (BlobStore.ensure)
        if digest_in_use(store, digest):
            store.blobs.put_back(digest, aside)
            report.kept_referenced += 1
            continue
        report.removed.append(digest)
        report.freed += store.blobs.discard(aside)
    return report


@dataclass
class FsckReport:
    blobs: int = 0
    corrupt_blobs: list[str] = field(default_factory=list)
    #: {"kind": "snapshot"|"artifact"|"model_version", "digest", "problem": "missing"|"corrupt", ...names}
    broken: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.corrupt_blobs and not self.broken

    def lines(self) -> list[str]:
        out = []
        for item in self.broken:
            if item["kind"] == "snapshot":
                where = f"input snapshot of fingerprint {item['fingerprint']}"
            elif item["kind"] == "artifact":
                where = f"artifact {item['name']!r} of run {item['run_id']}"
            else:
                where = f"model {item['name']} version {item['version']}"
            out.append(f"{where}: blob {item['digest']} is {item['problem']}")
        referenced = {item["digest"] for item in self.broken}
        for digest in self.corrupt_blobs:
            if digest not in referenced:
                out.append(f"unreferenced blob {digest} is corrupt")
        return out


def fsck(store: Store) -> FsckReport:
    """Hash every blob; name each artifact and model version whose blob is missing or corrupt."""
    report = FsckReport()
    state: dict[str, str] = {}
    for digest in list(store.blobs.digests()):
        report.blobs += 1
        state[digest] = store.blobs.check(digest)
        if state[digest] == "corrupt":
            report.corrupt_blobs.append(digest)
    with store.db.read() as conn:
        artifact_rows = conn.execute(
            select(artifacts.c.run_id, artifacts.c.name, artifacts.c.digest).order_by(
                artifacts.c.run_id, artifacts.c.name
            )
        ).all()
        version_rows = conn.execute(
            select(
                model_versions.c.name, model_versions.c.version, model_versions.c.artifact_digest
            ).order_by(model_versions.c.name, model_versions.c.version)
        ).all()
        snapshot_rows = conn.execute(
            select(dataset_snapshots.c.fingerprint, dataset_snapshots.c.digest).order_by(
                dataset_snapshots.c.fingerprint
            )
        ).all()
    # every reference to a blob, as (kind, what refers to it, digest), in report order
    references = [
        *(("snapshot", {"fingerprint": fingerprint}, d) for fingerprint, d in snapshot_rows),
        *(("artifact", {"run_id": run_id, "name": name}, d) for run_id, name, d in artifact_rows),
        *(("model_version", {"name": name, "version": v}, d) for name, v, d in version_rows),
    ]
    for kind, referrer, digest in references:
        problem = state.get(digest, "missing")
        if problem != "ok":
            report.broken.append({"kind": kind, **referrer, "digest": digest, "problem": problem})
    return report
