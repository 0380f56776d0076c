"""SQL for the model registry: registered models, versions, approvals, aliases and their
history, and the hash-chained audit log. Nothing else writes these tables.

The registry's rules (who may approve, which gates hold) live in ``mlops_jupyter.registry``;
they run inside one write transaction through :class:`RegistryTransaction`, so a check, the
change it allows and the audit event that records it commit together or not at all.

Concurrency: an alias moves by compare-and-set on its ``revision``; an audit append locks the
single ``audit_head`` row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite writers are already
serialized by ``BEGIN IMMEDIATE``), so the chain never forks. Rows are always locked in the
order model/version/alias first, audit head last, so two actions cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from mlops_jupyter.store.access import AccessError, SessionRole, is_permission_error, session_role
from mlops_jupyter.store.audit_chain import canonical_json, event_hash
from mlops_jupyter.store.database import Database
from mlops_jupyter.store.ids import new_id
from mlops_jupyter.store.outbox import event_for_audit
from mlops_jupyter.store.runs import dialect_insert
from mlops_jupyter.store.schema import (
    alias_history,
    audit_events,
    audit_head,
    model_aliases,
    model_approvals,
    model_versions,
    registered_models,
)

T = TypeVar("T")
AUDIT_HEAD_ID = 1
_AUDIT_CHUNK = 1000


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in result.mappings()]


class RegistryTransaction:
    """The registry's reads and writes on one connection (one transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _first(self, query: Any, lock: bool) -> dict[str, Any] | None:
        if lock:
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    # -- registered models ----------------------------------------------------------------------
    def model(self, name: str, *, lock: bool = False) -> dict[str, Any] | None:
        return self._first(select(registered_models).where(registered_models.c.name == name), lock)

    def models(self) -> list[dict[str, Any]]:
        counts = (
            select(
                model_versions.c.name,
                func.count().label("versions"),
                func.max(model_versions.c.version).label("latest_version"),
            )
            .group_by(model_versions.c.name)
            .subquery()
        )
        query = (
            select(registered_models, counts.c.versions, counts.c.latest_version)
            .select_from(
                registered_models.outerjoin(counts, counts.c.name == registered_models.c.name)
            )
            .order_by(registered_models.c.name)
        )
        return _rows(self.conn.execute(query))

    def create_model(
        self, name: str, owner: str, policy: str, description: str | None, at: float
    ) -> bool:
        """Insert the model unless it exists; True when this call created it."""
        inserted = self.conn.execute(
            dialect_insert(self.conn)(registered_models)
            .values(
                name=name,
                owner=owner,
                policy=policy,
                description=description,
                created_at=at,
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(registered_models.c.name)  # psycopg reports rowcount -1 here
        ).first()
        return inserted is not None

    def update_model(self, name: str, **fields: Any) -> None:
        self.conn.execute(
            update(registered_models).where(registered_models.c.name == name).values(**fields)
        )

    # -- versions -------------------------------------------------------------------------------
    def next_version(self, name: str) -> int:
        latest = self.conn.execute(
            select(func.max(model_versions.c.version)).where(model_versions.c.name == name)
        ).scalar()
        return int(latest or 0) + 1

    def insert_version(self, row: dict[str, Any]) -> None:
        self.conn.execute(model_versions.insert().values(**row))

    def version(self, name: str, version: int, *, lock: bool = False) -> dict[str, Any] | None:
        query = select(model_versions).where(
            model_versions.c.name == name, model_versions.c.version == version
        )
        return self._first(query, lock)

    def versions(self, name: str) -> list[dict[str, Any]]:
        query = (
            select(model_versions)
            .where(model_versions.c.name == name)
            .order_by(model_versions.c.version)
        )
        return _rows(self.conn.execute(query))

    def versions_by_id(self, version_ids: list[str]) -> list[dict[str, Any]]:
        query = select(model_versions).where(model_versions.c.version_id.in_(version_ids))
        return _rows(self.conn.execute(query))

    def update_version(self, name: str, version: int, **fields: Any) -> None:
        self.conn.execute(
            update(model_versions)
            .where(model_versions.c.name == name, model_versions.c.version == version)
            .values(**fields)
        )

    # -- approvals ------------------------------------------------------------------------------
    def insert_approval(self, row: dict[str, Any]) -> None:
        self.conn.execute(model_approvals.insert().values(**row))

    def approvals(self, name: str, version: int | None = None) -> list[dict[str, Any]]:
        query = select(model_approvals).where(model_approvals.c.name == name)
        if version is not None:
            query = query.where(model_approvals.c.version == version)
        return _rows(self.conn.execute(query.order_by(model_approvals.c.approval_id)))

    # -- aliases --------------------------------------------------------------------------------
    def aliases(self, name: str) -> list[dict[str, Any]]:
        query = (
            select(model_aliases)
            .where(model_aliases.c.name == name)
            .order_by(model_aliases.c.alias)
        )
        return _rows(self.conn.execute(query))

    def alias(self, name: str, alias: str) -> dict[str, Any] | None:
        query = select(model_aliases).where(
            model_aliases.c.name == name, model_aliases.c.alias == alias
        )
        return self._first(query, lock=False)

    def move_alias(
        self, name: str, alias: str, version: int, expected_revision: int, actor: str, at: float
    ) -> int | None:
        """Compare-and-set: point the alias at ``version`` only if its revision is still
        ``expected_revision`` (0: the alias must not exist yet). The new revision, or None when
        someone else moved it first."""
        values = {"version": version, "updated_at": at, "updated_by": actor}
        if expected_revision == 0:
            inserted = self.conn.execute(
                dialect_insert(self.conn)(model_aliases)
                .values(name=name, alias=alias, revision=1, **values)
                .on_conflict_do_nothing(index_elements=["name", "alias"])
                .returning(model_aliases.c.revision)  # psycopg reports rowcount -1 here
            ).first()
            return 1 if inserted is not None else None
        result = self.conn.execute(
            update(model_aliases)
            .where(
                model_aliases.c.name == name,
                model_aliases.c.alias == alias,
                model_aliases.c.revision == expected_revision,
            )
            .values(revision=expected_revision + 1, **values)
        )
        return expected_revision + 1 if result.rowcount == 1 else None

    def record_alias_change(self, row: dict[str, Any]) -> None:
        self.conn.execute(alias_history.insert().values(**row))

    def alias_history(self, name: str, alias: str | None = None) -> list[dict[str, Any]]:
        query = select(alias_history).where(alias_history.c.name == name)
        if alias is not None:
            query = query.where(alias_history.c.alias == alias)
        order = (alias_history.c.alias, alias_history.c.revision)
        return _rows(self.conn.execute(query.order_by(*order)))

    # -- audit ----------------------------------------------------------------------------------
    def append_audit(
        self,
        *,
        actor: str,
        action: str,
        model: str | None,
        target: str,
        payload: dict[str, Any],
        at: float,
    ) -> dict[str, Any]:
        """Add one event at the end of the chain (locks the head row until commit)."""
        head = self._first(select(audit_head).where(audit_head.c.id == AUDIT_HEAD_ID), lock=True)
        if head is None:
            raise RuntimeError("the audit log has no head row; run `mlops-jupyter store migrate`")
        event = {
            "seq": int(head["seq"]) + 1,
            "event_id": new_id(),
            "at": at,
            "actor": actor,
            "action": action,
            "model": model,
            "target": target,
            "payload": canonical_json(payload),
            "prev_hash": head["hash"],
        }
        event["hash"] = event_hash(event)
        self.conn.execute(audit_events.insert().values(**event))
        self.conn.execute(
            update(audit_head)
            .where(audit_head.c.id == AUDIT_HEAD_ID)
            .values(seq=event["seq"], hash=event["hash"])
        )
        # the transition's outbox event, in this same transaction (store/outbox.py)
        event_for_audit(
            self.conn,
            actor=actor,
            action=action,
            model=model,
            target=target,
            payload=payload,
            at=at,
        )
        return event


class RegistryStore:
    """Entry point to the registry tables of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._role: SessionRole | bool | None = False  # False: not looked up yet

    def pinned_role(self) -> str | None:
        """On PostgreSQL, the role every action of this connection is recorded under, when the
        role is not the store's owner (see ``store/access.py``); None otherwise."""
        if self._role is False:
            self._role = session_role(self.db)
        role = self._role
        return role.name if isinstance(role, SessionRole) and not role.owner else None

    def write(self, work: Callable[[RegistryTransaction], T]) -> T:
        """Run ``work`` in one write transaction; an exception rolls everything back. A
        privilege the database role lacks is an :class:`AccessError` naming the role."""
        try:
            return self.db.transact(lambda conn: work(RegistryTransaction(conn)))
        except DBAPIError as error:
            if not is_permission_error(error):
                raise
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            role = self.pinned_role() or "this role"
            raise AccessError(
                f"database role {role} may not do this on this store ({reason}); "
                "ask the store's owner: mlops-jupyter store grant ROLE --role LEVEL"
            ) from None

    def read(self, work: Callable[[RegistryTransaction], T]) -> T:
        """Run read-only ``work`` on one consistent snapshot."""
        with self.db.read() as conn:
            return work(RegistryTransaction(conn))

    def model_digests(self) -> set[str]:
        with self.db.read() as conn:
            return set(conn.execute(select(model_versions.c.artifact_digest).distinct()).scalars())

    # -- audit reads ----------------------------------------------------------------------------
    def audit_head(self) -> tuple[int, str, int]:
        """(head seq, head hash, highest stored seq), from one snapshot: an append changes the
        head and adds its event in one transaction, so a stored event beyond the head was
        added some other way."""
        highest = select(func.coalesce(func.max(audit_events.c.seq), 0)).scalar_subquery()
        with self.db.read() as conn:
            row = conn.execute(
                select(audit_head.c.seq, audit_head.c.hash, highest).where(
                    audit_head.c.id == AUDIT_HEAD_ID
                )
            ).first()
        if row is None:
            raise RuntimeError("the audit log has no head row; run `mlops-jupyter store migrate`")
        return int(row[0]), str(row[1]), int(row[2])

    def iter_audit_rows(self, up_to: int) -> Iterator[dict[str, Any]]:
        """Events numbered up to ``up_to``, in chain order, read in chunks (the log can be long)."""
        after = -1
        while True:
            with self.db.read() as conn:
                chunk = _rows(
                    conn.execute(
                        select(audit_events)
                        .where(audit_events.c.seq > after, audit_events.c.seq <= up_to)
                        .order_by(audit_events.c.seq)
                        .limit(_AUDIT_CHUNK)
                    )
                )
            yield from chunk
            if len(chunk) < _AUDIT_CHUNK:
                return
            after = chunk[-1]["seq"]

    def audit_rows(
        self,
        *,
        model: str | None = None,
        action: str | None = None,
        actor: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Events, newest first, filtered by model, action and actor."""
        query = select(audit_events)
        for column, value in (("model", model), ("action", action), ("actor", actor)):
            if value is not None:
                query = query.where(audit_events.c[column] == value)
        query = query.order_by(audit_events.c.seq.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as conn:
            return _rows(conn.execute(query))
