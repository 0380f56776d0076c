"""The Jupyter server extension delivers webhooks: an approval made over REST reaches a real
receiver on 127.0.0.1, signed, woken by the commit rather than the poll."""

from __future__ import annotations

import time
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook
from traitlets.config import Config

from mlops_jupyter.registry.events import list_events
from mlops_jupyter.registry.webhooks import add_hook, new_secret
from tests.governance.receiver import Receiver
from tests.server.users import named_users_config, train, user_clients


@pytest.fixture
def jp_server_config() -> Config:
    # a poll far longer than the test: only the commit's wake-up can deliver in time
    return named_users_config(webhook_poll=30.0)


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    server = Receiver().start()
    yield server
    server.stop()


async def test_the_server_delivers_events_of_its_own_actions(
    sqlite_store: Any, jp_fetch: Any, receiver: Receiver
) -> None:
    import asyncio

    secret = new_secret()
    add_hook(receiver.url, secret=secret, events="approval.requested,version.approved")
    clients = user_clients(jp_fetch)
    alice, bob = clients["alice"], clients["bob"]
    assert (await alice.post("models", {"run_id": train(), "name": "iris"})).status == 201
    await asyncio.sleep(0.5)  # the deliverer thread has found the store by now
    assert (await alice.post("models/iris/versions/1/request-approval")).status == 200
    assert (await bob.post("models/iris/versions/1/approve", {"comment": "ok"})).status == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(receiver.accepted()) < 2:
        await asyncio.sleep(0.02)
    accepted = receiver.accepted()
    bodies = [Webhook(secret).verify(r.body, r.headers) for r in accepted]
    assert [b["type"] for b in bodies] == ["approval.requested", "version.approved"]
    assert bodies[1]["data"]["actor"] == "bob" and bodies[1]["data"]["owners"] == ["alice"]
    approved = list_events(types=["version.approved"])[0]
    assert accepted[1].at - approved.at < 5.0  # far below the 30 s poll
