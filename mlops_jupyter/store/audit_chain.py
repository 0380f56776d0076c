"""The audit chain's hashing rule: what the store writes when it appends an audit event.

Each event's hash covers its sequence number, id, time, actor, action, model, target, payload
(the canonical JSON text exactly as stored) and the previous event's hash. The store appends
events (``store/registry.py``) and so owns the rule; the registry's ``verify_audit``
(``registry/audit.py``) recomputes it with the same functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS_HASH = "0" * 64  # the "previous hash" of the first event
HASHED_FIELDS = (
    "seq",
    "event_id",
    "at",
    "actor",
    "action",
    "model",
    "target",
    "payload",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    """The one text form of a payload: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 over the hashed fields of an event (``payload`` as its stored JSON text)."""
    material = json.dumps(
        [event[field] for field in HASHED_FIELDS], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(material.encode()).hexdigest()
