"""The audit log: every registry action as an event in a SHA-256 hash chain.

Each event's hash covers its sequence number, id, time, actor, action, target, payload (the
canonical JSON text exactly as stored) and the previous event's hash. Editing any field of any
event, deleting one, or reordering them breaks the chain at that event; :func:`verify_audit`
recomputes the chain and names the first event that no longer fits. Appends happen inside the
store's write transaction, under the lock of the single ``audit_head`` row (see
``store/registry.py``), so concurrent actions extend one chain instead of forking it. The
hashing rule itself is in ``store/audit_chain.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mlops_jupyter.registry.anchor import (
    FINGERPRINT_DIGITS,
    Anchor,
    audit_key,
    check_anchor,
    parse_head,
)
from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.store import get_store

# the hashing rule is the store's (it appends the events); re-exported for readers of the chain
from mlops_jupyter.store.audit_chain import GENESIS_HASH, event_hash
from mlops_jupyter.store.ids import now

if TYPE_CHECKING:
    from mlops_jupyter.store import Store

ACTIONS = (
    "register",
    "request",
    "approve",
    "reject",
    "promote",
    "rollback",
    "archive",
    "policy",
    "force",
    "card",
    "profile",
    "export",
    "owners",  # governance: set_owners
)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AuditEvent:
    """One recorded registry action."""

    seq: int
    event_id: str
    at: float
    actor: str
    action: str
    model: str | None
    target: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AuditEvent:
        return cls(**{**row, "payload": json.loads(row["payload"])})

    def describe(self) -> str:
        return f"event #{self.seq} ({self.action} {self.target} by {self.actor} at {_iso(self.at)})"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "time": _iso(self.at)}


@dataclass(frozen=True)
class AuditReport:
    """The outcome of recomputing the chain: intact, or where it first breaks and why."""

    ok: bool
    events: int
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.events} event(s), head {self.head_hash}"
        return f"audit chain broken at event #{self.broken_seq}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _first_break(rows: Any) -> tuple[int, str, int | None, str | None]:
    """Walk the events in order; (count, last hash, broken seq, problem)."""
    previous_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for row in rows:
        event = AuditEvent.from_row(row)
        if row["seq"] != expected_seq:
            gap = (
                f"#{expected_seq}"
                if row["seq"] == expected_seq + 1
                else f"#{expected_seq}-#{row['seq'] - 1}"
            )
            return (
                count,
                previous_hash,
                expected_seq,
                (f"event {gap} was deleted (the next remaining one is {event.describe()})"),
            )
        if event_hash(row) != row["hash"]:
            return (
                count,
                previous_hash,
                row["seq"],
                (f"{event.describe()} was edited: its content no longer matches its hash"),
            )
        if row["prev_hash"] != previous_hash:
            return (
                count,
                previous_hash,
                row["seq"],
                (
                    f"{event.describe()} does not follow the event before it "
                    "(an earlier event was rewritten, or events were removed or reordered)"
                ),
            )
        previous_hash, expected_seq, count = row["hash"], expected_seq + 1, count + 1
    return count, previous_hash, None, None


def _tail_problem(
    count: int, last_hash: str, head: tuple[int, str, int]
) -> tuple[int | None, str | None]:
    """What is wrong at the end of an intact chain of ``count`` events, if anything."""
    head_seq, head_hash, highest = head
    if highest > head_seq:
        return head_seq + 1, (
            f"event #{head_seq + 1} lies beyond the head (#{head_seq}): it was added outside the registry"
        )
    if head_seq != count:
        return count + 1, (
            f"the log ends at event #{count} but its head records #{head_seq}: "
            "the newest events were deleted"
        )
    if head_hash != last_hash:
        return count, f"event #{count} was rewritten: its hash is not the one the head records"
    return None, None


def verify_audit(
    *,
    expect_head: str | None = None,
    anchor: Anchor | None = None,
    store: Store | None = None,
) -> AuditReport:
    """Recompute the whole chain. ``expect_head``: a head recorded earlier outside the database
    (``HASH`` or ``SEQ:HASH``; anything else is a :class:`ValueError`). ``anchor``: an
    :class:`~mlops_jupyter.registry.anchor.Anchor` (see ``audit anchor``). Both also catch the
    newest events deleted together with the head, and a chain whose hashes were recomputed."""
    if expect_head is not None:
        try:
            expected_seq, expect_head = parse_head(expect_head)
        except ValueError as error:
            raise RegistryError(str(error)) from None
        if expected_seq is not None and anchor is None:
            anchor, expect_head = Anchor(expected_seq, expect_head, 0.0), None
    store = store or get_store()
    # the head first: events appended while we verify lie beyond it and are not judged
    head = store.registry.audit_head()
    count, last_hash, broken, problem = _first_break(store.registry.iter_audit_rows(head[0]))
    if broken is None:
        broken, problem = _tail_problem(count, last_hash, head)
    rewritten = expect_head is not None and expect_head != last_hash
    if broken is None and rewritten and not _chain_contains(store, str(expect_head), head[0]):
        broken = count
        problem = f"the expected head {expect_head} is not in the chain: the log was rewritten"
    if broken is None and anchor is not None:
        broken, problem = _anchor_problem(store, anchor, head)
    if broken is not None:
        return AuditReport(False, count, last_hash, broken, problem)
    return AuditReport(True, count, last_hash)


def _anchor_problem(
    store: Store, anchor: Anchor, head: tuple[int, str, int]
) -> tuple[int | None, str | None]:
    """The first event that no longer matches an anchor recorded outside the database."""
    mismatch = check_anchor(anchor, head, store.registry.iter_audit_rows(head[0]))
    return (None, None) if mismatch is None else (mismatch.seq, mismatch.problem)


def _chain_contains(store: Store, event_hash_value: str, up_to: int) -> bool:
    return any(row["hash"] == event_hash_value for row in store.registry.iter_audit_rows(up_to))


def current_anchor(*, store: Store | None = None, fingerprints: bool = True) -> Anchor:
    """The chain's head now (signed when ``MLOPS_JUPYTER_AUDIT_KEY`` is set); refuses a chain
    that does not verify, so an anchor never pins a tampered log."""
    store = store or get_store()
    report = verify_audit(store=store)
    if not report.ok:
        raise RegistryError(f"refusing to anchor a broken audit chain: {report}")
    seq = report.events
    prints: tuple[str, ...] = ()
    if fingerprints:
        prints = tuple(
            row["hash"][:FINGERPRINT_DIGITS] for row in store.registry.iter_audit_rows(seq)
        )
    return Anchor(seq, report.head_hash, now(), prints).signed(audit_key())


def audit_log(
    model: str | None = None,
    *,
    action: str | None = None,
    actor: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
    store: Store | None = None,
) -> list[AuditEvent]:
    """Events, newest first, optionally only those of one model, action or actor."""
    if action is not None and action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {', '.join(ACTIONS)}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")
    store = store or get_store()
    rows = store.registry.audit_rows(
        model=model, action=action, actor=actor, limit=limit, offset=offset
    )
    return [AuditEvent.from_row(row) for row in rows]
