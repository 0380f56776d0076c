"""Owners and events on a PostgreSQL team store with real login roles: a writer's registry
actions write their events, but cannot edit or prune them; only an admin sets owners."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import mlops_jupyter as mj
from mlops_jupyter.registry.events import list_events, prune_events
from mlops_jupyter.registry.owners import NotOwnerError
from tests.security.test_postgres_roles import Team, _ridge, pg_roles, team  # noqa: F401

pytestmark = pytest.mark.postgres


def test_writers_emit_events_but_only_admins_set_owners(team: Team) -> None:  # noqa: F811
    team.grant("alice", "writer")
    team.grant("bob", "approver")
    alice, bob = team.store("alice"), team.store("bob")
    mj.register_model(_ridge(), "m", store=alice)
    mj.request_approval("m", 1, store=alice)
    events = list_events(store=bob)
    assert [(e.type, e.actor) for e in events] == [
        ("model.registered", "alice"),
        ("approval.requested", "alice"),
    ]
    with alice.db.writer.connect() as conn:
        for statement in ("DELETE FROM outbox_events", "UPDATE outbox_events SET actor = 'x'"):
            with pytest.raises(DBAPIError, match="permission denied"):
                conn.execute(text(statement))
            conn.rollback()
    # nor prune them: the events stay, and the refusal names the role
    with pytest.raises(PermissionError, match="database role alice"):
        prune_events(0, store=alice)
    assert len(list_events(store=bob)) == 2
    # the creator is a writer: on a team store owners are the admins' call
    with pytest.raises(PermissionError, match="database role alice"):
        mj.set_owners("m", ["alice"], store=alice)
    with pytest.raises(NotOwnerError, match="bob cannot change the owners of m"):
        mj.set_owners("m", ["bob"], store=bob)
    team.grant("bob", "admin")
    assert mj.set_owners("m", ["bob", "group:risk"], store=bob) == ["bob", "group:risk"]
    mj.set_policy("m", approvers="owners", store=bob)
    mj.register_model(_ridge(), "m", store=alice)
    mj.request_approval("m", 2, store=alice)
    assert mj.approve("m", 2, store=bob).status == "approved"
    assert list_events(types=["version.approved"], store=alice)[0].owners == ["bob", "group:risk"]
