"""Finding 2 over REST: with jupyter_server's own token login every request gets a fresh
anonymous user name, so one person could register, request and approve their own version in
three calls. In a single-user server the actor is the server's owner (``MLOPS_JUPYTER_USER``,
else the OS login), so the approval is refused as self-approval."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import mlops_jupyter as mj
from mlops_jupyter.server.actor import acting_user, names_users
from tests.server.conftest import ApiClient
from tests.server.identity import NamedTokenIdentityProvider


def _run() -> str:
    X, y = load_iris(return_X_y=True, as_frame=True)
    with mj.start_run("logreg") as run:
        run.log_artifact(LogisticRegression(max_iter=500).fit(X, y))
    return run.run_id


async def test_token_holder_is_the_owner_and_cannot_approve_their_own_version(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "Alice ")  # the owner; compared trimmed, case-folded
    registered = await api.post("models", {"run_id": _run(), "name": "iris"})
    assert registered.status == 201, registered.body
    assert registered.json["registered_by"] == "Alice"
    requested = await api.post("models/iris/versions/1/request-approval", {})
    assert requested.status == 200, requested.body
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "alice")
    approved = await api.post("models/iris/versions/1/approve", {"comment": "lgtm"})
    assert approved.status == 409, approved.body
    assert "cannot approve" in approved.json["message"]
    events = (await api.get("audit")).json["events"]
    assert {e["actor"] for e in events} == {"Alice"}  # never an anonymous per-request name


def test_only_providers_that_name_users_decide_the_actor(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider, User

    monkeypatch.setenv("MLOPS_JUPYTER_USER", "owner")
    anonymous = User(username="3f2a9c0d1e", name="Anonymous Io")
    assert acting_user(IdentityProvider(), anonymous) == "owner"
    assert acting_user(PasswordIdentityProvider(), anonymous) == "owner"
    hub = NamedTokenIdentityProvider()
    assert names_users(hub) and acting_user(hub, User(username="bob", name="Bob")) == "bob"
