"""The registry's audit log for the REST API: events newest first, and the chain's verdict."""

from __future__ import annotations

from mlops_jupyter.registry.audit import audit_log, verify_audit
from mlops_jupyter.server.models import AuditEvent, AuditPage, AuditQuery, AuditVerification
from mlops_jupyter.store import Store


def audit_page(store: Store, query: AuditQuery) -> AuditPage:
    # one event more than asked tells whether an older page exists, without counting them all
    events = audit_log(
        query.model or None,
        action=query.action,
        actor=query.actor or None,
        limit=query.limit + 1,
        offset=query.offset,
        store=store,
    )
    verdict = None
    if query.verify:
        report = verify_audit(store=store)
        verdict = AuditVerification.model_validate({**report.to_dict(), "message": str(report)})
    return AuditPage(
        events=[AuditEvent.model_validate(event) for event in events[: query.limit]],
        has_more=len(events) > query.limit,
        limit=query.limit,
        offset=query.offset,
        verify=verdict,
    )
