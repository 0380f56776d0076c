"""Governance for the REST API: a model's owners, and the notifications of the acting user
(events of the models they own: pending approvals, failed gates and checks, rejections)."""

from __future__ import annotations

from mlops_jupyter.registry.events import notifications as user_notifications
from mlops_jupyter.registry.owners import get_owners, set_owners
from mlops_jupyter.server.models import (
    GovernanceEvent,
    Notifications,
    NotificationsQuery,
    Owners,
    OwnersRequest,
)
from mlops_jupyter.server.serialize import json_safe
from mlops_jupyter.store import Store


def owners(store: Store, name: str) -> Owners:
    return Owners(name=name, owners=get_owners(name, store=store))


def change_owners(store: Store, name: str, request: OwnersRequest, actor: str) -> Owners:
    return Owners(name=name, owners=set_owners(name, request.owners, actor=actor, store=store))


def notifications(store: Store, user: str, query: NotificationsQuery) -> Notifications:
    events = user_notifications(user, after=query.after, limit=query.limit, store=store)
    return Notifications(
        user=user,
        notifications=[
            GovernanceEvent.model_validate(json_safe({**e.to_dict(), "summary": e.summary()}))
            for e in events
        ],
    )
