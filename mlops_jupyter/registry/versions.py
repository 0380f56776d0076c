"""Model versions: immutable numbered records of a model file (its hash, format, trusted types),
where it came from (run, data, params, metrics) and its lifecycle state; looking them up by
number or alias; and the few later changes a version allows — archive, card edits, and the
monitoring reference profile slot.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_jupyter.registry.errors import InvalidStateError, ModelNotFoundError, RegistryError
from mlops_jupyter.registry.models import actor_key, require_model, resolve_actor
from mlops_jupyter.registry.names import (
    ModelRef,
    check_alias,
    check_version,
    parse_model_uri,
    version_target,
)
from mlops_jupyter.registry.signature import Signature
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.audit_chain import canonical_json
from mlops_jupyter.store.ids import now

if TYPE_CHECKING:
    from mlops_jupyter.store.registry import RegistryTransaction

_JSON_FIELDS = ("trusted_types", "metrics", "params", "datasets")
_OPTIONAL_JSON_FIELDS = ("input_example", "reference_profile")


def finite_or_none(values: dict[str, Any]) -> dict[str, Any]:
    """NaN and infinities become None, so snapshots are valid JSON for every reader."""
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()
    }


def approvers_in_round(approvals: list[dict[str, Any]], round_number: int) -> list[str]:
    """Distinct users who approved since the latest approval request (names compared trimmed
    and case-folded, so ``Bob`` and ``bob`` are one approver; the first spelling is kept)."""
    distinct: dict[str, str] = {}
    for approval in approvals:
        if approval["round"] == round_number and approval["decision"] == "approve":
            distinct.setdefault(actor_key(approval["actor"]), approval["actor"])
    return list(distinct.values())


@dataclass(frozen=True)
class ModelVersion:
    """One registered version (what ``register_model`` returns and the REST API lists)."""

    name: str
    version: int
    version_id: str
    status: str
    run_id: str
    artifact_name: str
    artifact_digest: str
    artifact_size: int
    flavor: str
    format: str
    model_class: str | None
    trusted_types: list[str]
    signature: Signature | None
    input_example: dict[str, Any] | None
    card: str
    metrics: dict[str, Any]
    params: dict[str, Any]
    datasets: list[dict[str, Any]]
    reference_profile: dict[str, Any] | None
    description: str | None
    approval_round: int
    registered_by: str
    registered_at: float
    archived_at: float | None = None
    archived_by: str | None = None
    aliases: list[str] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_row(
        cls,
        row: dict[str, Any],
        aliases: list[str] | None = None,
        approvals: list[dict[str, Any]] | None = None,
    ) -> ModelVersion:
        values = dict(row)
        for key in _JSON_FIELDS:
            values[key] = json.loads(values[key])
        for key in _OPTIONAL_JSON_FIELDS:
            values[key] = json.loads(values[key]) if values[key] else None
        values["signature"] = (
            Signature.from_dict(json.loads(row["signature"])) if row["signature"] else None
        )
        history = [
            {k: a[k] for k in ("round", "actor", "decision", "comment", "at")}
            for a in approvals or []
        ]
        return cls(**values, aliases=sorted(aliases or []), approvals=history)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def approved_by(self) -> list[str]:
        return approvers_in_round(self.approvals, self.approval_round)

    def to_dict(self) -> dict[str, Any]:
        data = {key: getattr(self, key) for key in self.__dataclass_fields__}
        data["signature"] = self.signature.to_dict() if self.signature is not None else None
        data["uri"] = self.uri
        data["approved_by"] = self.approved_by
        return data

    def __repr__(self) -> str:
        aliases = f" @{',@'.join(self.aliases)}" if self.aliases else ""
        return f"<ModelVersion {self.uri} {self.status}{aliases} {self.model_class or ''}>"

    def _repr_markdown_(self) -> str:
        return self.card


def require_version(
    tx: RegistryTransaction, name: str, version: int, *, lock: bool = False
) -> dict[str, Any]:
    require_model(tx, name)
    number = check_version(version)
    row = tx.version(name, number, lock=lock)
    if row is None:
        latest = tx.next_version(name) - 1
        known = f"it has versions 1-{latest}" if latest else "it has no versions yet"
        raise ModelNotFoundError(f"model {name!r} has no version {number}; {known}")
    return row


def version_number(tx: RegistryTransaction, ref: ModelRef) -> int:
    """The number a reference points at (an alias is looked up)."""
    require_model(tx, ref.name)
    if ref.alias is None:
        assert ref.version is not None
        return ref.version
    alias = tx.alias(ref.name, ref.alias)
    if alias is None:
        held = ", ".join(a["alias"] for a in tx.aliases(ref.name)) or "none"
        raise ModelNotFoundError(
            f"model {ref.name!r} has no alias {ref.alias!r} (its aliases: {held})"
        )
    return int(alias["version"])


def load_version(tx: RegistryTransaction, name: str, version: int) -> ModelVersion:
    row = require_version(tx, name, version)
    aliases = [a["alias"] for a in tx.aliases(name) if a["version"] == row["version"]]
    return ModelVersion.from_row(row, aliases, tx.approvals(name, row["version"]))


def to_ref(name_or_uri: str, version: int | str | None = None) -> ModelRef:
    """``("iris", 3)``, ``("iris", "production")``, ``"models:/iris@production"`` -> a reference."""
    if version is None:
        return parse_model_uri(name_or_uri)
    if isinstance(version, int) or (isinstance(version, str) and version.strip().isdigit()):
        return ModelRef(name_or_uri, version=check_version(version))
    return ModelRef(name_or_uri, alias=check_alias(version))


def get_version(
    name: str, version: int | str | None = None, *, store: Store | None = None
) -> ModelVersion:
    """A version by number or alias: ``get_version("iris", 3)``, ``get_version("iris", "production")``
    or ``get_version("models:/iris@production")``."""
    ref = to_ref(name, version)
    store = store or get_store()
    return store.registry.read(lambda tx: load_version(tx, ref.name, version_number(tx, ref)))


def list_versions(name: str, *, store: Store | None = None) -> list[ModelVersion]:
    """Every version of a model, oldest first, with aliases and approval history."""
    store = store or get_store()

    def read(tx: RegistryTransaction) -> list[ModelVersion]:
        require_model(tx, name)
        aliases = tx.aliases(name)
        approvals = tx.approvals(name)
        return [
            ModelVersion.from_row(
                row,
                [a["alias"] for a in aliases if a["version"] == row["version"]],
                [a for a in approvals if a["version"] == row["version"]],
            )
            for row in tx.versions(name)
        ]

    return store.registry.read(read)


def archive(
    name: str,
    version: int,
    *,
    reason: str | None = None,
    actor: str | None = None,
    store: Store | None = None,
) -> ModelVersion:
    """Retire a version: it keeps its record and file, but cannot be approved or promoted.
    A version that holds an alias must give it up first."""
    store = store or get_store()
    actor = resolve_actor(actor, store)

    def work(tx: RegistryTransaction) -> ModelVersion:
        row = require_version(tx, name, version, lock=True)
        if row["archived_at"] is not None:
            raise InvalidStateError(f"{name} version {row['version']} is already archived")
        held = [a["alias"] for a in tx.aliases(name) if a["version"] == row["version"]]
        if held:
            raise InvalidStateError(
                f"{name} version {row['version']} holds alias(es) {', '.join(held)}: "
                "promote another version or roll back before archiving it"
            )
        at = now()
        tx.update_version(name, row["version"], archived_at=at, archived_by=actor)
        tx.append_audit(
            actor=actor,
            action="archive",
            model=name,
            target=version_target(name, row["version"]),
            payload={"version": row["version"], "reason": reason},
            at=at,
        )
        return load_version(tx, name, row["version"])

    return store.registry.write(work)


def _digest(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text is not None else None


def update_card(
    name: str, version: int, markdown: str, *, actor: str | None = None, store: Store | None = None
) -> ModelVersion:
    """Replace a version's model card (Markdown); audited with the hashes of both texts."""
    if not isinstance(markdown, str) or not markdown.strip():
        raise RegistryError("a model card must be non-empty Markdown text")
    store = store or get_store()
    actor = resolve_actor(actor, store)

    def work(tx: RegistryTransaction) -> ModelVersion:
        row = require_version(tx, name, version, lock=True)
        at = now()
        tx.update_version(name, row["version"], card=markdown)
        tx.append_audit(
            actor=actor,
            action="card",
            model=name,
            target=version_target(name, row["version"]),
            payload={"before_sha256": _digest(row["card"]), "after_sha256": _digest(markdown)},
            at=at,
        )
        return load_version(tx, name, row["version"])

    return store.registry.write(work)


def set_reference_profile(
    name: str, version: int, profile: Any, *, actor: str | None = None, store: Store | None = None
) -> ModelVersion:
    """Fill the monitoring reference profile slot (a dict, or an object with ``to_dict()``)."""
    data = profile.to_dict() if hasattr(profile, "to_dict") else profile
    if not isinstance(data, dict):
        raise RegistryError(
            f"a reference profile must be a dict or have to_dict(), got {type(profile).__name__}"
        )
    text = canonical_json(data)
    store = store or get_store()
    actor = resolve_actor(actor, store)

    def work(tx: RegistryTransaction) -> ModelVersion:
        row = require_version(tx, name, version, lock=True)
        at = now()
        tx.update_version(name, row["version"], reference_profile=text)
        tx.append_audit(
            actor=actor,
            action="profile",
            model=name,
            target=version_target(name, row["version"]),
            payload={"sha256": _digest(text), "replaced": row["reference_profile"] is not None},
            at=at,
        )
        return load_version(tx, name, row["version"])

    return store.registry.write(work)
