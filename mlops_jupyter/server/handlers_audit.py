"""REST end point for the registry's audit log: events newest first, and the chain's verdict."""

from __future__ import annotations

from typing import Any

import tornado.web

from mlops_jupyter.registry.audit import HASHED_FIELDS, audit_log, verify_audit
from mlops_jupyter.server.openapi import AUDIT_ACTIONS, DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT
from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.validation import (
    bool_argument,
    choice_argument,
    int_argument,
    text_argument,
)
from mlops_jupyter.store import Store

EVENT_FIELDS = (*HASHED_FIELDS, "hash")


def audit_page(
    store: Store,
    *,
    model: str | None,
    action: str | None,
    actor: str | None,
    limit: int,
    offset: int,
    verify: bool,
) -> dict[str, Any]:
    # one event more than asked tells whether an older page exists, without counting them all
    events = audit_log(
        model, action=action, actor=actor, limit=limit + 1, offset=offset, store=store
    )
    verdict = None
    if verify:
        report = verify_audit(store=store)
        verdict = {**report.to_dict(), "message": str(report)}
    return {
        "events": [
            {field: getattr(event, field) for field in EVENT_FIELDS} for event in events[:limit]
        ],
        "has_more": len(events) > limit,
        "limit": limit,
        "offset": offset,
        "verify": verdict,
    }


class AuditHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        action = choice_argument(self, "action", [*AUDIT_ACTIONS, ""], "")
        page = await self.in_store(
            audit_page,
            model=text_argument(self, "model") or None,
            action=action or None,
            actor=text_argument(self, "actor") or None,
            limit=int_argument(self, "limit", DEFAULT_AUDIT_LIMIT, 0, MAX_AUDIT_LIMIT),
            offset=int_argument(self, "offset", 0, 0, 2**62),
            verify=bool_argument(self, "verify", False),
        )
        self.reply(page)


handlers = [(r"audit", AuditHandler)]
