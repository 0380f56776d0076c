"""REST: a model's owners and the acting user's notifications."""

from __future__ import annotations

from typing import Any

import pytest
from traitlets.config import Config

from tests.server.conftest import ApiClient
from tests.server.users import named_users_config, train, user_clients


@pytest.fixture
def jp_server_config() -> Config:
    return named_users_config(deliver_webhooks=False)


@pytest.fixture
def users(sqlite_store: Any, jp_fetch: Any) -> dict[str, ApiClient]:
    return user_clients(jp_fetch)


async def test_owners_and_notifications(users: dict[str, ApiClient]) -> None:
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    assert (await alice.post("models", {"run_id": train(), "name": "iris"})).status == 201
    assert (await bob.get("models/iris/owners")).json == {"name": "iris", "owners": []}
    refused = await carol.post("models/iris/owners", {"owners": ["carol"]})
    assert refused.status == 409 and "cannot change the owners" in refused.json["message"]
    changed = await alice.post("models/iris/owners", {"owners": ["Bob", "group:ml"]})
    assert changed.status == 200 and changed.json["owners"] == ["bob", "group:ml"]
    bad = await alice.post("models/iris/owners", {"owners": "bob"})
    assert bad.status == 400
    model = (await carol.get("models/iris")).json
    assert model["owners"] == ["bob", "group:ml"]

    assert (await alice.post("models/iris/versions/1/request-approval")).status == 200
    notes = (await bob.get("notifications")).json
    assert notes["user"] == "bob"
    [event] = notes["notifications"]
    assert event["type"] == "approval.requested" and event["data"]["uri"] == "models:/iris/1"
    assert event["summary"] == "iris v1 awaits approval by alice"
    assert (await bob.get("notifications", after=event["seq"])).json["notifications"] == []
    assert (await carol.get("notifications")).json["notifications"] == []
    assert (await bob.get("notifications", limit=0)).status == 400
    assert (await bob.get("models/nope/owners")).status == 404
