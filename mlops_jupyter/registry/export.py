"""Release bundles: one directory holding everything needed to ship and audit a version.

``export_release("NAME@ALIAS", DIR)`` writes the model file (hash-checked on the way out), its
signature and input example, pinned requirements of the packages the training run used, the
model card, a lineage summary, release metadata, the audit chain's head at export time
(``audit_head.json``, signed when ``MLOPS_JUPYTER_AUDIT_KEY`` is set; ``audit verify --anchor
BUNDLE`` checks the registry against it later) and a ``MANIFEST.sha256`` that
``sha256sum -c MANIFEST.sha256`` verifies. The bundle is assembled in a temporary directory
and renamed into place, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter.registry.anchor import BUNDLE_ANCHOR, Anchor
from mlops_jupyter.registry.audit import current_anchor
from mlops_jupyter.registry.bundle_test import output_spec
from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.registry.loaded import read_model_bytes
from mlops_jupyter.registry.models import resolve_actor
from mlops_jupyter.registry.names import parse_model_uri, version_target
from mlops_jupyter.registry.serialization import SKOPS, check_trusted, deserialize
from mlops_jupyter.registry.versions import ModelVersion, load_version, version_number
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.ids import now
from mlops_jupyter.tracking.query import get_run

if TYPE_CHECKING:
    from mlops_jupyter.store.registry import RegistryTransaction
    from mlops_jupyter.tracking.query import RunView

MANIFEST = "MANIFEST.sha256"
# what loading the file needs, even when the training run never imported it
LOADER_PACKAGES = {
    "skops": ("skops", "scikit-learn", "numpy", "scipy"),
    "pickle": ("scikit-learn", "numpy", "scipy"),
}


def _installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def requirements_text(packages: dict[str, str], format: str) -> str:
    """Pinned requirements: the packages the run imported, plus what loading the file needs."""
    lines = ["# packages imported by the training run, at the versions it used"]
    lines += [
        f"{name}=={version}"
        for name, version in sorted(packages.items(), key=lambda kv: kv[0].lower())
    ]
    pinned = {name.lower() for name in packages}
    missing = [name for name in LOADER_PACKAGES.get(format, ()) if name.lower() not in pinned]
    extra = [(name, _installed_version(name)) for name in missing]
    if any(version for _, version in extra):
        lines.append("# needed to load the model file (versions of the exporting environment)")
        lines += [f"{name}=={version}" for name, version in extra if version]
    return "\n".join(lines) + "\n"


def _lineage_summary(version: ModelVersion, run: RunView) -> dict[str, Any]:
    environment = run.environment or {}
    return {
        "model": version.uri,
        "run": {
            "run_id": run.run_id,
            "experiment": run.experiment,
            "name": run.name,
            "kind": run.kind,
            "status": run.status,
            "start_time": run.start_time,
            "end_time": run.end_time,
            "user": run.user,
            **{
                k: run.source.get(k)
                for k in ("notebook_path", "cell_id", "execution_count", "code_hash")
            },
        },
        "environment": {
            k: environment.get(k)
            for k in ("python", "platform", "git_commit", "git_branch", "git_dirty_hash", "host")
        },
        "datasets": version.datasets,
        "params": version.params,
        "metrics": version.metrics,
        "approvals": version.approvals,
    }


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def _manifest(folder: Path) -> str:
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}")
    return "\n".join(lines) + "\n"


def _check_target(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise RegistryError(
            f"{directory} already exists and is not an empty directory; choose a new one"
        )


def _signature_with_output(version: ModelVersion, data: bytes) -> dict[str, Any] | None:
    """The input signature plus the output (shape, dtype) of the input example's prediction,
    which ``models test`` checks the shipped bundle against (skops models only: loading them
    runs no code)."""
    signature = version.signature.to_dict() if version.signature else None
    if version.format != SKOPS or version.input_example is None:
        return signature
    model = deserialize(data, version.format, version.trusted_types)
    output = output_spec(model, version.input_example)
    return {**(signature or {}), "output": output} if output else signature


def _write_bundle(
    folder: Path,
    version: ModelVersion,
    run: RunView,
    data: bytes,
    alias: str | None,
    actor: str,
    head: Anchor,
) -> None:
    file_name = version.artifact_name.rsplit("/", 1)[-1]
    (folder / file_name).write_bytes(data)
    _write_json(folder / "signature.json", _signature_with_output(version, data))
    if version.input_example is not None:
        _write_json(folder / "input_example.json", version.input_example)
    (folder / "requirements.txt").write_text(
        requirements_text((run.environment or {}).get("packages") or {}, version.format)
    )
    (folder / "MODEL_CARD.md").write_text(version.card)
    _write_json(folder / "lineage.json", _lineage_summary(version, run))
    _write_json(
        folder / "release.json",
        {
            "name": version.name,
            "version": version.version,
            "alias": alias,
            "uri": version.uri,
            "model_file": file_name,
            "sha256": version.artifact_digest,
            "format": version.format,
            "flavor": version.flavor,
            "model_class": version.model_class,
            "trusted_types": version.trusted_types,
            "status": version.status,
            "approved_by": version.approved_by,
            "registered_by": version.registered_by,
            "registered_at": version.registered_at,
            "exported_by": actor,
            "exported_at": now(),
        },
    )
    (folder / BUNDLE_ANCHOR).write_text(head.to_json())
    (folder / MANIFEST).write_text(_manifest(folder))


def export_release(
    ref: str,
    directory: str | Path,
    *,
    trusted: Iterable[Any] | None = None,
    actor: str | None = None,
    store: Store | None = None,
) -> Path:
    """Write the release bundle of ``NAME@ALIAS`` or ``NAME/VERSION`` into a new ``directory``.

    A skops file is checked like a load (skops' defaults, the scikit-learn allowlist and
    ``trusted``) before anything is written: a bundle never ships a file its users cannot
    load safely.
    """
    model_ref = parse_model_uri(ref)
    target = Path(directory).expanduser().resolve()
    _check_target(target)
    store = store or get_store()
    actor = resolve_actor(actor, store)

    def read(tx: RegistryTransaction) -> ModelVersion:
        return load_version(tx, model_ref.name, version_number(tx, model_ref))

    version = store.registry.read(read)
    record = {
        "name": version.name,
        "version": version.version,
        "artifact_digest": version.artifact_digest,
    }
    data = read_model_bytes(store, record)
    if version.format == SKOPS:
        check_trusted(data, trusted)
    run = get_run(version.run_id, store=store)
    head = current_anchor(store=store, fingerprints=False)  # refuses a broken chain
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _write_bundle(staging, version, run, data, model_ref.alias, actor, head)
        manifest_hash = hashlib.sha256((staging / MANIFEST).read_bytes()).hexdigest()
        if target.exists():
            target.rmdir()  # checked empty above
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    store.registry.write(
        lambda tx: tx.append_audit(
            actor=actor,
            action="export",
            model=version.name,
            target=version_target(version.name, version.version),
            payload={
                "version": version.version,
                "alias": model_ref.alias,
                "directory": str(target),
                "manifest_sha256": manifest_hash,
                "audit_head": head.head,
            },
            at=now(),
        )
    )
    return target
