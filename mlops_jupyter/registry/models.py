"""Registered models: the named container of versions, its owner, description and policy, and
the acting user every registry action is recorded under.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_jupyter.config import current_user
from mlops_jupyter.registry.errors import ModelNotFoundError, RegistryError
from mlops_jupyter.registry.names import check_model_name
from mlops_jupyter.registry.policy import Gate, Policy
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.ids import now
from mlops_jupyter.store.owners import owners, owners_by_model

if TYPE_CHECKING:
    from mlops_jupyter.store.registry import RegistryTransaction


def resolve_actor(actor: str | None, store: Store | None = None) -> str:
    """The acting user: an explicit one (the REST layer passes the user it authenticated), else
    ``MLOPS_JUPYTER_USER``, else the OS login — except on a PostgreSQL store whose connection
    is not the store's owner: there the database role (``session_user``) acts, whatever name
    is claimed, so nobody can act as someone else by setting a variable."""
    if actor is not None and (not isinstance(actor, str) or not actor.strip()):
        raise RegistryError("the acting user must be a non-empty name")
    if store is not None:
        role = store.registry.pinned_role()
        if role is not None:
            return role
    return current_user() if actor is None else actor.strip()


def actor_key(name: str) -> str:
    """How actor names compare: trimmed and case-folded (``" Alice "`` is ``alice``)."""
    return name.strip().casefold()


def same_actor(first: str | None, second: str | None) -> bool:
    return first is not None and second is not None and actor_key(first) == actor_key(second)


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    description: str | None
    owner: str
    policy: Policy
    created_at: float
    updated_at: float
    versions: int = 0
    latest_version: int | None = None
    aliases: dict[str, int] = field(default_factory=dict)
    owners: list[str] = field(default_factory=list)  # set with set_owners (registry/owners.py)

    @classmethod
    def from_row(
        cls,
        row: dict[str, Any],
        aliases: list[dict[str, Any]],
        owners: list[str] | None = None,
    ) -> RegisteredModel:
        return cls(
            name=row["name"],
            description=row["description"],
            owner=row["owner"],
            policy=Policy.from_json(row["policy"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            versions=int(row.get("versions") or 0),
            latest_version=row.get("latest_version"),
            aliases={a["alias"]: a["version"] for a in aliases},
            owners=list(owners or []),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "owner": self.owner,
            "policy": self.policy.to_dict(),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "versions": self.versions,
            "latest_version": self.latest_version,
            "aliases": dict(self.aliases),
            "owners": list(self.owners),
        }


def require_model(tx: RegistryTransaction, name: str, *, lock: bool = False) -> dict[str, Any]:
    """The model's row, or a clear error naming what does exist."""
    row = tx.model(check_model_name(name), lock=lock)
    if row is None:
        known = [m["name"] for m in tx.models()]
        hint = (
            f"; registered models: {', '.join(known[:20])}"
            if known
            else "; nothing is registered yet"
        )
        raise ModelNotFoundError(f"no registered model named {name!r}{hint}")
    return row


def list_models(*, store: Store | None = None) -> list[RegisteredModel]:
    """Every registered model with its version count, latest version and aliases."""
    store = store or get_store()

    def read(tx: RegistryTransaction) -> list[RegisteredModel]:
        owners = owners_by_model(tx.conn)
        return [
            RegisteredModel.from_row(row, tx.aliases(row["name"]), owners.get(row["name"]))
            for row in tx.models()
        ]

    return store.registry.read(read)


def get_model(name: str, *, store: Store | None = None) -> RegisteredModel:
    store = store or get_store()

    def read(tx: RegistryTransaction) -> RegisteredModel:
        require_model(tx, name)

        row = next(row for row in tx.models() if row["name"] == name)
        return RegisteredModel.from_row(row, tx.aliases(name), owners(tx.conn, name))

    return store.registry.read(read)


def get_policy(name: str, *, store: Store | None = None) -> Policy:
    return get_model(name, store=store).policy


def set_policy(
    name: str,
    *,
    required_approvals: int | None = None,
    allow_self_approval: bool | None = None,
    protected_aliases: Iterable[str] | None = None,
    gates: Iterable[str | Gate | dict[str, Any]] | None = None,
    approvers: str | None = None,
    auto_rollback: bool | None = None,
    performance_tolerance: float | None = None,
    actor: str | None = None,
    store: Store | None = None,
) -> Policy:
    """Change a model's policy (fields left as None keep their value); audited as ``policy``.
    ``approvers="owners"`` accepts approvals only from the model's owners (``set_owners``)."""
    store = store or get_store()
    actor = resolve_actor(actor, store)
    if isinstance(gates, (str, dict)):
        gates = [gates]
    if isinstance(protected_aliases, str):
        protected_aliases = [protected_aliases]

    def work(tx: RegistryTransaction) -> Policy:
        row = require_model(tx, name, lock=True)
        before = Policy.from_json(row["policy"])
        after = before.changed(
            required_approvals=required_approvals,
            allow_self_approval=allow_self_approval,
            protected_aliases=protected_aliases,
            gates=gates,
            approvers=approvers,
            auto_rollback=auto_rollback,
            performance_tolerance=performance_tolerance,
        )
        at = now()
        tx.update_model(name, policy=after.to_json(), updated_at=at)
        tx.append_audit(
            actor=actor,
            action="policy",
            model=name,
            target=f"models/{name}",
            payload={"before": before.to_dict(), "after": after.to_dict()},
            at=at,
        )
        return after

    return store.registry.write(work)
