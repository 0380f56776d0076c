"""Governance events: what happened to a model, for webhooks and notifications.

Registry transitions write their event in their own transaction (the store's outbox, see
``store/outbox.py``): ``model.registered``, ``approval.requested``, ``version.approved``,
``version.rejected``, ``alias.promoted``, ``alias.rolled_back``, ``version.archived``. A refused
promotion or a failing notebook gate is recorded as ``gate.failed`` (:func:`record_gate_failure`),
and monitoring emits ``check.failed`` in the transaction that stores the failed check.

Every event names the model's owners to notify (its creator when no owners are set). The body a
subscriber receives is ``{"type", "timestamp", "data"}`` (:meth:`Event.body`).

Events are kept until :func:`prune_events` removes old ones that every subscriber has received.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mlops_jupyter.registry.owners import fold
from mlops_jupyter.store import Store, get_store, outbox
from mlops_jupyter.store.ids import now
from mlops_jupyter.store.outbox import EVENT_TYPES, emit_event, event_rows

if TYPE_CHECKING:
    from mlops_jupyter.registry.gates import GateResult
    from mlops_jupyter.store.registry import RegistryTransaction

__all__ = [
    "EVENT_TYPES",
    "Event",
    "PruneReport",
    "list_events",
    "notifications",
    "prune_events",
    "record_gate_failure",
]


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Event:
    """One outbox event."""

    seq: int
    event_id: str
    type: str
    model: str | None
    version: int | None
    actor: str | None
    at: float
    owners: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})

    def body(self) -> dict[str, Any]:
        """The JSON a webhook subscriber receives."""
        return {
            "type": self.type,
            "timestamp": iso(self.at),
            "data": {
                "event_id": self.event_id,
                "seq": self.seq,
                "model": self.model,
                "version": self.version,
                "actor": self.actor,
                "owners": self.owners,
                **self.data,
            },
        }

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "time": iso(self.at)}

    def summary(self) -> str:
        """One line for people (notifications, Slack/Teams templates)."""
        what = f"{self.model} v{self.version}" if self.version is not None else str(self.model)
        data = self.data
        text = {
            "model.registered": f"{what} was registered",
            "approval.requested": f"{what} awaits approval",
            "version.approved": f"{what} was approved",
            "version.rejected": f"{what} was rejected",
            "alias.promoted": f"{what} now holds @{data.get('alias')}",
            "alias.rolled_back": f"@{data.get('alias')} of {self.model} rolled back to v{self.version}",
            "version.archived": f"{what} was archived",
            "gate.failed": f"{what} failed a gate",
            "check.failed": f"a monitoring check of {what} failed",
        }.get(self.type, f"{self.type} on {what}")
        by = f" by {self.actor}" if self.actor else ""
        reason = data.get("reason") or data.get("comment")
        return f"{text}{by}" + (f": {reason}" if reason else "")


def list_events(
    *,
    after: int = 0,
    model: str | None = None,
    owner: str | None = None,
    types: list[str] | None = None,
    limit: int = 100,
    newest_first: bool = False,
    store: Store | None = None,
) -> list[Event]:
    """Outbox events after ``seq``, optionally of one model or naming one owner."""
    for kind in types or []:
        if kind not in EVENT_TYPES:
            raise ValueError(f"unknown event type {kind!r}; one of {', '.join(EVENT_TYPES)}")
    store = store or get_store()
    with store.db.read() as conn:
        rows = event_rows(
            conn,
            after=after,
            models=[model] if model is not None else None,
            owners=[fold(owner)] if owner is not None else None,
            types=types,
            limit=limit,
            newest_first=newest_first,
        )
    return [Event.from_row(row) for row in rows]


NOTIFY_TYPES = ["approval.requested", "gate.failed", "check.failed", "version.rejected"]


def notifications(
    user: str, *, after: int = 0, limit: int = 50, store: Store | None = None
) -> list[Event]:
    """What ``user`` should hear about as an owner: pending approvals, failed gates and checks,
    rejections of their models; newest first."""
    return list_events(
        after=after,
        owner=user,
        types=NOTIFY_TYPES,
        limit=limit,
        newest_first=True,
        store=store,
    )


def record_gate_failure(
    name: str,
    version: int,
    results: list[GateResult],
    *,
    reasons: list[str],
    alias: str | None,
    actor: str,
    stage: str,
    store: Store | None = None,
) -> Event:
    """Write ``gate.failed`` for a refused promotion or approval request (its own
    transaction: the refusal changed nothing else)."""
    store = store or get_store()
    failed = [r.to_dict() for r in results if not r.passed]
    data = {
        "alias": alias,
        "stage": stage,
        "reasons": reasons,
        "failed": json.loads(json.dumps(failed, default=str)),
        "uri": f"models:/{name}/{version}",
    }
    row = store.db.transact(
        lambda conn: emit_event(
            conn, "gate.failed", model=name, version=version, actor=actor, data=data
        )
    )
    row = {**row, "owners": json.loads(row["owners"]), "data": json.loads(row["data"])}
    return Event.from_row(row)


@dataclass(frozen=True)
class PruneReport:
    """What :func:`prune_events` removed (or, on a dry run, would remove)."""

    before: float
    events: int
    deliveries: int
    attempts: int
    dry_run: bool

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"{verb} {self.events} event(s) written before {iso(self.before)}, with "
            f"{self.deliveries} delivery(ies) and {self.attempts} logged try(ies); kept events "
            "still to deliver or retry, and the newest"
        )


def prune_events(
    older_than: float, *, dry_run: bool = False, store: Store | None = None
) -> PruneReport:
    """Remove events older than ``older_than`` seconds that every subscriber received (or whose
    hook was removed), with their deliveries and delivery log. Events with a pending delivery or
    a failed one to a current hook stay (a deliverer or ``hooks retry`` still needs them), and
    so does the newest.
    Also ends the notifications they stood for. On PostgreSQL only the store's owner may delete
    events (they are insert-only for every other role): an :class:`AccessError` otherwise."""
    if older_than < 0:
        raise ValueError(f"older_than must be 0 or more seconds, got {older_than}")
    store = store or get_store()
    before = now() - older_than

    def prune(tx: RegistryTransaction) -> dict[str, int]:
        return outbox.prune_events(tx.conn, before=before, dry_run=dry_run)

    counts = store.registry.read(prune) if dry_run else store.registry.write(prune)
    return PruneReport(before=before, dry_run=dry_run, **counts)
