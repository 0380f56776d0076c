"""The event outbox: every governance event as a row written in the transaction of the change
it reports, plus one pending webhook delivery per matching subscriber — so an event exists if
and only if its change committed, and no event is lost when a delivery fails or a process dies.

Emitting from another practice (monitoring's ``check.failed``, for example) is one call on the
connection of the caller's own write transaction, as its last statement::

    from mlops_jupyter.store.outbox import emit_event

    def work(conn):
        ...  # write the check
        emit_event(conn, "check.failed", model="churn", version=3, actor=user,
                   data={"check_id": check_id, "kind": "drift", "alias": "production"})

    store.db.transact(work)

Registry transitions need no call: :func:`event_for_audit` turns the audit event every registry
action appends (``store/registry.py``) into the matching outbox event, in the same transaction.

Order: on PostgreSQL emitters take one transaction-scoped advisory lock before inserting, so
``seq`` order is commit order (a deliverer never sees event 11 before event 10 commits); SQLite
writers are already serialized by ``BEGIN IMMEDIATE``. Take it last in a transaction (after the
registry's audit head), as every caller here does, so emitters cannot deadlock.

Retention: :func:`prune_events` deletes old events whose deliveries are all done, with their
deliveries and delivery log (``hooks prune --older-than 30d``); nothing else deletes events.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from mlops_jupyter.store.ids import new_id
from mlops_jupyter.store.schema import (
    model_owners,
    outbox_events,
    registered_models,
    webhook_attempts,
    webhook_deliveries,
    webhooks,
)

PRUNE_BATCH = 500  # events per DELETE ... IN (...), well under SQLite's bound-parameter limit
OUTBOX_LOCK_KEY = 731_640_214  # PostgreSQL advisory lock id serializing event emitters
WROTE_EVENTS = "mlops_outbox_wrote_events"  # Connection.info flag: this transaction emitted
NOTIFY_CHANNEL = "mlops_outbox"  # PostgreSQL NOTIFY channel, one notification per emitting commit

EVENT_TYPES = (
    "model.registered",
    "approval.requested",
    "version.approved",
    "version.rejected",
    "alias.promoted",
    "alias.rolled_back",
    "version.archived",
    "gate.failed",
    "check.failed",
)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def model_owner_names(conn: Connection, model: str | None) -> list[str]:
    """Who to notify about ``model``: its owners, else whoever created it."""
    if model is None:
        return []
    owners = list(
        conn.execute(
            select(model_owners.c.owner)
            .where(model_owners.c.name == model)
            .order_by(model_owners.c.owner)
        ).scalars()
    )
    if owners:
        return owners
    creator = conn.execute(
        select(registered_models.c.owner).where(registered_models.c.name == model)
    ).scalar()
    return [str(creator)] if creator else []


def emit_event(
    conn: Connection,
    type: str,
    *,
    model: str | None = None,
    version: int | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
    at: float | None = None,
) -> dict[str, Any]:
    """Write one event (and its pending webhook deliveries) on ``conn``, inside the caller's
    transaction. Returns the event row. ``type`` must be one of :data:`EVENT_TYPES`."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}; one of {', '.join(EVENT_TYPES)}")
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK_KEY})
    at = round(time.time(), 6) if at is None else at
    owners = model_owner_names(conn, model)
    row = {
        "event_id": new_id(),
        "type": type,
        "model": model,
        "version": version,
        "actor": actor,
        "at": at,
        "owners": _json(owners),
        "data": _json(data or {}),
    }
    seq = conn.execute(
        outbox_events.insert().values(**row).returning(outbox_events.c.seq)
    ).scalar_one()
    conn.info[WROTE_EVENTS] = True  # a deliverer in this process wakes when this commits
    if conn.dialect.name == "postgresql":  # deliverers elsewhere LISTEN; sent at commit
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    row["seq"] = int(seq)
    _fan_out(conn, row)
    return row


def _fan_out(conn: Connection, event: dict[str, Any]) -> None:
    """One pending delivery per active hook subscribed to this event type and model."""
    hooks = conn.execute(
        select(webhooks.c.hook_id, webhooks.c.events).where(
            webhooks.c.active == 1,
            or_(webhooks.c.model.is_(None), webhooks.c.model == event["model"]),
        )
    ).all()
    rows = [
        {
            "hook_id": hook_id,
            "seq": event["seq"],
            "model": event["model"] or "",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": event["at"],
        }
        for hook_id, types in hooks
        if not json.loads(types) or event["type"] in json.loads(types)
    ]
    if rows:
        conn.execute(webhook_deliveries.insert(), rows)


def event_for_audit(
    conn: Connection,
    *,
    actor: str,
    action: str,
    model: str | None,
    target: str,
    payload: dict[str, Any],
    at: float,
) -> dict[str, Any] | None:
    """Emit the outbox event a registry audit action stands for (None for actions that are not
    transitions: policy, card, profile, export, and approvals short of the required number)."""
    version = payload.get("version")
    data: dict[str, Any] = {"target": target}
    if action == "register":
        kind = "model.registered"
        data.update(run_id=payload.get("run_id"), model_created=payload.get("model_created"))
    elif action == "request":
        kind = "approval.requested"
        data.update(round=payload.get("round"), comment=payload.get("comment"))
    elif action == "approve":
        if payload.get("status_after") != "approved":
            return None
        kind = "version.approved"
        data.update(round=payload.get("round"), comment=payload.get("comment"))
    elif action == "reject":
        kind = "version.rejected"
        data.update(round=payload.get("round"), comment=payload.get("comment"))
    elif action in ("promote", "force", "rollback"):
        kind = "alias.rolled_back" if action == "rollback" else "alias.promoted"
        version = payload.get("to_version")
        data.update(
            alias=target.rsplit("@", 1)[-1],
            from_version=payload.get("from_version"),
            revision=payload.get("revision"),
            reason=payload.get("reason"),
            forced=action == "force",
        )
    elif action == "archive":
        kind = "version.archived"
        data.update(reason=payload.get("reason"))
    else:
        return None
    if model is not None and version is not None:
        data["uri"] = f"models:/{model}/{version}"
    return emit_event(conn, kind, model=model, version=version, actor=actor, data=data, at=at)


def event_rows(
    conn: Connection,
    *,
    after: int = 0,
    models: list[str] | None = None,
    owners: list[str] | None = None,
    types: list[str] | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    """Events after ``seq``, optionally only those of some models or naming some owners."""
    query = select(outbox_events).where(outbox_events.c.seq > after)
    if types:
        query = query.where(outbox_events.c.type.in_(types))
    conditions: list[ColumnElement[bool]] = []
    if models is not None:
        conditions.append(outbox_events.c.model.in_(models))
    if owners is not None:
        # owners is a JSON list of names: match the quoted name inside it
        conditions += [
            outbox_events.c.owners.contains(_json(name), autoescape=True) for name in owners
        ]
    if conditions:
        query = query.where(or_(*conditions))
    order = outbox_events.c.seq.desc() if newest_first else outbox_events.c.seq
    rows = conn.execute(query.order_by(order).limit(limit)).mappings().all()
    return [_decode(dict(row)) for row in rows]


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row["owners"] = json.loads(row["owners"])
    row["data"] = json.loads(row["data"])
    return row


def prune_events(conn: Connection, *, before: float, dry_run: bool = False) -> dict[str, int]:
    """Delete the events written before ``before`` whose deliveries are all done (delivered,
    cancelled, or failed for a hook since removed), with those deliveries and their tries; counts
    of each. Kept: events with a pending delivery or a failed one to a current subscriber (``hooks
    retry`` may send it), and the newest event whatever its age — SQLite would hand its ``seq``
    out again, and notification readers remember the newest ``seq`` they saw.

    The events are chosen once, up front: a delivery finishing meanwhile cannot make an event
    deletable whose deliveries were not deleted with it."""
    newest = conn.execute(select(func.max(outbox_events.c.seq))).scalar()
    if newest is None:
        return {"events": 0, "deliveries": 0, "attempts": 0}
    d = webhook_deliveries
    current_hooks = select(webhooks.c.hook_id).where(webhooks.c.active == 1)
    still_needed = exists().where(
        d.c.seq == outbox_events.c.seq,
        or_(
            d.c.status == "pending",
            and_(d.c.status == "failed", d.c.hook_id.in_(current_hooks)),
        ),
    )
    seqs = list(
        conn.execute(
            select(outbox_events.c.seq)
            .where(outbox_events.c.at < before, outbox_events.c.seq < newest, ~still_needed)
            .order_by(outbox_events.c.seq)
        ).scalars()
    )
    counts = {"events": len(seqs), "deliveries": 0, "attempts": 0}
    for start in range(0, len(seqs), PRUNE_BATCH):
        batch = seqs[start : start + PRUNE_BATCH]
        deliveries = select(d.c.delivery_id).where(d.c.seq.in_(batch))
        if dry_run:
            counts["deliveries"] += conn.execute(
                select(func.count()).select_from(deliveries.subquery())
            ).scalar_one()
            counts["attempts"] += conn.execute(
                select(func.count()).where(webhook_attempts.c.delivery_id.in_(deliveries))
            ).scalar_one()
            continue
        counts["attempts"] += conn.execute(
            delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(deliveries))
        ).rowcount
        counts["deliveries"] += conn.execute(delete(d).where(d.c.seq.in_(batch))).rowcount
        conn.execute(delete(outbox_events).where(outbox_events.c.seq.in_(batch)))
    return counts
