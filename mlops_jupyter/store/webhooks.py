"""SQL for webhook subscribers, their at-least-once deliveries and the delivery log.

A delivery is due when it is pending, its next attempt time has come, no deliverer holds its
lease, and no earlier delivery of the same (hook, model) is still pending — so each subscriber
receives a model's events in the order they happened, while different models (and hooks)
proceed independently. A deliverer claims a due delivery by compare-and-set on its lease, so
several deliverers (the Jupyter server's and ``hooks deliver``) can run at once; a deliverer
that dies leaves its lease to expire and the delivery is tried again (at-least-once).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from mlops_jupyter.store.database import Database
from mlops_jupyter.store.schema import (
    outbox_events,
    webhook_attempts,
    webhook_deliveries,
    webhooks,
)


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in result.mappings()]


class WebhookStore:
    """Subscribers, deliveries and attempts of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- subscribers ----------------------------------------------------------------------------
    def add_hook(self, row: dict[str, Any]) -> None:
        self.db.transact(lambda conn: conn.execute(webhooks.insert().values(**row)))

    def hooks(self, *, include_inactive: bool = False) -> list[dict[str, Any]]:
        query = select(webhooks).order_by(webhooks.c.created_at)
        if not include_inactive:
            query = query.where(webhooks.c.active == 1)
        with self.db.read() as conn:
            return _rows(conn.execute(query))

    def hook(self, hook_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute(select(webhooks).where(webhooks.c.hook_id == hook_id)).mappings()
            first = row.first()
            return dict(first) if first is not None else None

    def deactivate(self, hook_id: str, at: float) -> int:
        """Stop a hook: no new deliveries; its pending ones are cancelled. Returns how many."""

        def work(conn: Any) -> int:
            conn.execute(update(webhooks).where(webhooks.c.hook_id == hook_id).values(active=0))
            return int(
                conn.execute(
                    update(webhook_deliveries)
                    .where(
                        webhook_deliveries.c.hook_id == hook_id,
                        webhook_deliveries.c.status == "pending",
                    )
                    .values(status="cancelled", last_error="hook removed", delivered_at=at)
                ).rowcount
            )

        return self.db.transact(work)

    # -- deliveries -----------------------------------------------------------------------------
    def due(self, now: float, limit: int = 50) -> list[dict[str, Any]]:
        """The head of each (hook, model) queue whose next attempt is due and not leased."""
        d, earlier = webhook_deliveries, aliased(webhook_deliveries)
        blocked = exists().where(
            earlier.c.hook_id == d.c.hook_id,
            earlier.c.model == d.c.model,
            earlier.c.seq < d.c.seq,
            earlier.c.status == "pending",
        )
        query = (
            select(
                d,
                outbox_events.c.event_id,
                outbox_events.c.type,
                outbox_events.c.version,
                outbox_events.c.actor,
                outbox_events.c.at,
                outbox_events.c.owners,
                outbox_events.c.data,
                outbox_events.c.model.label("event_model"),
                webhooks.c.url,
                webhooks.c.template,
                webhooks.c.secret,
                webhooks.c.key_id,
            )
            .join(outbox_events, outbox_events.c.seq == d.c.seq)
            .join(webhooks, webhooks.c.hook_id == d.c.hook_id)
            .where(
                d.c.status == "pending",
                d.c.next_attempt_at <= now,
                or_(d.c.lease_until.is_(None), d.c.lease_until < now),
                ~blocked,
            )
            .order_by(d.c.seq)
            .limit(limit)
        )
        with self.db.read() as conn:
            return _rows(conn.execute(query))

    def next_due_at(self) -> float | None:
        """When the earliest pending delivery becomes due (None: nothing pending)."""
        with self.db.read() as conn:
            value = conn.execute(
                select(func.min(webhook_deliveries.c.next_attempt_at)).where(
                    webhook_deliveries.c.status == "pending"
                )
            ).scalar()
        return float(value) if value is not None else None

    def claim(self, delivery_id: int, now: float, lease_until: float) -> bool:
        """Take the lease of a pending delivery; False when another deliverer holds it."""
        d = webhook_deliveries

        def work(conn: Any) -> bool:
            result = conn.execute(
                update(d)
                .where(
                    d.c.delivery_id == delivery_id,
                    d.c.status == "pending",
                    or_(d.c.lease_until.is_(None), d.c.lease_until < now),
                )
                .values(lease_until=lease_until)
            )
            return bool(result.rowcount == 1)

        return self.db.transact(work)

    def record_attempt(
        self,
        delivery_id: int,
        *,
        attempt: dict[str, Any],
        status: str,
        next_attempt_at: float,
    ) -> None:
        """Log one try and move the delivery on (delivered, failed, or pending again later)."""
        d = webhook_deliveries

        def work(conn: Any) -> None:
            conn.execute(webhook_attempts.insert().values(delivery_id=delivery_id, **attempt))
            conn.execute(
                update(d)
                .where(d.c.delivery_id == delivery_id)
                .values(
                    status=status,
                    attempts=attempt["attempt"],
                    next_attempt_at=next_attempt_at,
                    lease_until=None,
                    last_code=attempt["status_code"],
                    last_error=attempt["error"],
                    delivered_at=attempt["at"] if status == "delivered" else None,
                )
            )

        self.db.transact(work)

    def retry_failed(self, hook_id: str | None, now: float) -> int:
        """Give failed deliveries a fresh set of attempts."""
        d = webhook_deliveries
        condition = and_(d.c.status == "failed")
        if hook_id is not None:
            condition = and_(condition, d.c.hook_id == hook_id)
        return int(
            self.db.transact(
                lambda conn: (
                    conn.execute(
                        update(d)
                        .where(condition)
                        .values(status="pending", attempts=0, next_attempt_at=now, lease_until=None)
                    ).rowcount
                )
            )
        )

    def deliveries(
        self, *, hook_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Deliveries (newest first) with their event and hook."""
        d = webhook_deliveries
        query = (
            select(
                d,
                outbox_events.c.event_id,
                outbox_events.c.type,
                outbox_events.c.version,
                webhooks.c.url,
            )
            .join(outbox_events, outbox_events.c.seq == d.c.seq)
            .join(webhooks, webhooks.c.hook_id == d.c.hook_id)
            .order_by(d.c.delivery_id.desc())
            .limit(limit)
        )
        if hook_id is not None:
            query = query.where(d.c.hook_id == hook_id)
        if status is not None:
            query = query.where(d.c.status == status)
        with self.db.read() as conn:
            return _rows(conn.execute(query))

    def attempts(self, delivery_ids: list[int]) -> list[dict[str, Any]]:
        query = (
            select(webhook_attempts)
            .where(webhook_attempts.c.delivery_id.in_(delivery_ids))
            .order_by(webhook_attempts.c.delivery_id, webhook_attempts.c.attempt)
        )
        with self.db.read() as conn:
            return _rows(conn.execute(query))
