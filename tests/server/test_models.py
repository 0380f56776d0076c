"""REST: the model registry — listing, registration, approvals, gates, promotion, rollback,
archive and the audit log — with the actor always the authenticated user."""

from __future__ import annotations

from typing import Any

import pytest
from traitlets.config import Config

import mlops_jupyter as mj
from tests.server.conftest import ApiClient
from tests.server.users import named_users_config, train, user_clients


@pytest.fixture
def jp_server_config() -> Config:
    return named_users_config()


@pytest.fixture
def users(mj_store: Any, jp_fetch: Any) -> dict[str, ApiClient]:
    return user_clients(jp_fetch)


async def test_no_models_yet(users: dict[str, ApiClient]) -> None:
    answer = await users["alice"].get("models")
    assert answer.status == 200
    assert answer.json == {"models": []}


async def test_register_from_a_run_as_the_authenticated_user(users: dict[str, ApiClient]) -> None:
    run_id = train()
    body = {"run_id": run_id, "name": "iris", "user": "mallory", "actor": "mallory"}
    answer = await users["alice"].post("models", body)
    assert answer.status == 201, answer.body
    version = answer.json
    assert (version["name"], version["version"], version["status"]) == ("iris", 1, "registered")
    assert version["registered_by"] == "alice"  # the request's "user"/"actor" fields are ignored
    assert version["run_id"] == run_id
    assert version["metrics"]["accuracy"] > 0.9
    assert "# " in version["card"] and version["approvals"] == []
    listed = (await users["bob"].get("models")).json["models"]
    assert [(m["name"], m["versions"], m["owner"]) for m in listed] == [("iris", 1, "alice")]
    detail = (await users["bob"].get("models/iris")).json
    assert [v["version"] for v in detail["versions"]] == [1]
    assert "card" not in detail["versions"][0]
    audit = (await users["bob"].get("audit")).json["events"]
    assert [(e["action"], e["actor"], e["target"]) for e in audit] == [
        ("register", "alice", "models/iris/1")
    ]
    graph = (await users["bob"].get("lineage/models:/iris/1")).json
    assert graph["root"] == f"model_version:{version['version_id']}"
    assert {node["type"] for node in graph["nodes"]} == {"model_version", "run", "dataset"}


async def test_review_promote_and_roll_back(users: dict[str, ApiClient]) -> None:
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    await alice.post("models", {"run_id": train(0.01), "name": "iris"})
    requested = await alice.post("models/iris/versions/1/request-approval", {"comment": "ready"})
    assert requested.status == 200 and requested.json["version"]["status"] == "pending"

    gates = (await carol.get("models/iris/versions/1/gates", alias="production")).json
    assert gates["protected"] and not gates["allowed"]
    assert any("not approved" in reason for reason in gates["reasons"])
    refused = await carol.post("models/iris/versions/1/promote", {"alias": "production"})
    assert refused.status == 409 and "not approved" in refused.json["message"]

    own = await alice.post("models/iris/versions/1/approve", {"comment": "lgtm"})
    assert own.status == 409
    assert "cannot approve" in own.json["message"]
    approved = await bob.post("models/iris/versions/1/approve", {"comment": "ok", "actor": "alice"})
    assert approved.status == 200, approved.body
    assert approved.json["actor"] == "bob"
    assert approved.json["version"]["status"] == "approved"
    assert approved.json["version"]["approved_by"] == ["bob"]
    decisions = [(a["decision"], a["actor"]) for a in approved.json["version"]["approvals"]]
    assert decisions == [("request", "alice"), ("approve", "bob")]

    assert (await carol.get("models/iris/versions/1/gates")).json["allowed"]
    promoted = await carol.post("models/iris/versions/1/promote", {"alias": "production"})
    assert promoted.status == 200, promoted.body
    change = promoted.json["alias_change"]
    assert (change["alias"], change["from_version"], change["to_version"]) == (
        "production",
        None,
        1,
    )
    assert change["actor"] == "carol"

    await alice.post("models", {"run_id": train(1.0), "name": "iris"})
    await alice.post("models/iris/versions/2/request-approval")
    await bob.post("models/iris/versions/2/approve")
    await carol.post("models/iris/versions/2/promote")  # production is the default alias
    model = (await bob.get("models/iris")).json
    assert model["aliases"] == {"production": 2}

    stale = await carol.post("models/iris/versions/1/rollback", {"alias": "production"})
    assert stale.status == 409 and "held by version 2" in stale.json["message"]
    rolled = await carol.post("models/iris/versions/2/rollback", {"reason": "latency regression"})
    assert rolled.status == 200, rolled.body
    assert rolled.json["version"]["version"] == 1
    assert rolled.json["alias_change"]["reason"] == "latency regression"
    model = (await bob.get("models/iris")).json
    assert model["aliases"] == {"production": 1}
    moves = [
        (h["action"], h["from_version"], h["to_version"], h["actor"])
        for h in model["alias_history"]
    ]
    assert moves == [
        ("promote", None, 1, "carol"),
        ("promote", 1, 2, "carol"),
        ("rollback", 2, 1, "carol"),
    ]
    version_two = (await bob.get("models/iris/versions/2")).json
    assert [h["action"] for h in version_two["alias_history"]] == ["promote", "rollback"]

    audit = await bob.get("audit", model="iris", verify="true", limit=3)
    assert audit.status == 200
    page = audit.json
    assert page["verify"]["ok"] and page["verify"]["events"] == 9
    assert page["has_more"] and len(page["events"]) == 3
    assert [e["action"] for e in page["events"]] == ["rollback", "promote", "approve"]
    by_actor = (await bob.get("audit", actor="alice")).json["events"]
    assert {e["actor"] for e in by_actor} == {"alice"} and len(by_actor) == 4


async def test_reject_archive_and_force(users: dict[str, ApiClient]) -> None:
    alice, bob = users["alice"], users["bob"]
    await alice.post("models", {"run_id": train(), "name": "iris"})
    await alice.post("models/iris/versions/1/request-approval")
    silent = await bob.post("models/iris/versions/1/reject", {})
    assert silent.status == 400 and "needs a comment" in silent.json["message"]
    rejected = await bob.post("models/iris/versions/1/reject", {"comment": "leaks the label"})
    assert rejected.json["version"]["status"] == "rejected"
    unexplained = await bob.post("models/iris/versions/1/promote", {"force": True})
    assert unexplained.status == 400 and "needs a reason" in unexplained.json["message"]
    forced = await bob.post(
        "models/iris/versions/1/promote", {"alias": "staging", "force": True, "reason": "demo"}
    )
    assert forced.status == 200 and forced.json["alias_change"]["forced"]
    holding = await bob.post("models/iris/versions/1/archive", {"reason": "superseded"})
    assert holding.status == 409  # the request is well formed; the version's state forbids it
    assert "holds alias" in holding.json["message"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fragment"),
    [
        ("GET", "models/nothing", None, 404, "no registered model named 'nothing'"),
        ("GET", "models/iris/versions/9", None, 404, "version 9"),
        ("GET", "models/iris/versions/x", None, 400, "version must be a positive integer"),
        ("GET", "models/iris/versions/0", None, 400, "version must be a positive integer"),
        ("GET", "models/bad name!", None, 400, "bad name!"),
        ("GET", "models/iris/versions/1/gates?alias=no such alias", None, 400, "alias"),
        ("POST", "models/iris/versions/1/launch", {}, 400, "unknown action 'launch'"),
        ("POST", "models/iris/versions/1/approve", {"comment": 5}, 400, "comment"),
        ("POST", "models/iris/versions/1/approve", "[", 400, "not valid JSON"),
        ("POST", "models", {"name": "iris"}, 400, "'run_id' is a required property"),
        ("POST", "models", {"run_id": "0000nosuchrun", "name": "x"}, 404, "no run"),
        ("POST", "models", {"run_id": "RUN", "name": "bad name!"}, 400, "bad name!"),
    ],
)
async def test_bad_requests_change_nothing(
    users: dict[str, ApiClient], method: str, path: str, body: Any, status: int, fragment: str
) -> None:
    alice = users["alice"]
    run_id = train()
    await alice.post("models", {"run_id": run_id, "name": "iris"})
    before = (await alice.get("audit")).json["events"]
    if isinstance(body, dict) and body.get("run_id") == "RUN":
        body = {**body, "run_id": run_id}
    endpoint, _, query = path.partition("?")
    params = dict([query.split("=", 1)]) if query else None
    answer = await alice.request(method, endpoint, params=params, body=body)
    assert answer.status == status, answer.body
    assert fragment in answer.json["message"]
    assert (await alice.get("audit")).json["events"] == before


async def test_run_without_a_model_cannot_be_registered(users: dict[str, ApiClient]) -> None:
    with mj.start_run(name="no model") as run:
        run.log_metric("accuracy", 0.5)
    answer = await users["alice"].post("models", {"run_id": run.run_id, "name": "iris"})
    assert answer.status == 400
    assert "has no logged model" in answer.json["message"]
    assert (await users["alice"].get("models")).json == {"models": []}


async def test_other_tokens_are_refused(mj_store: Any, jp_fetch: Any) -> None:
    stranger = ApiClient(jp_fetch, {"Authorization": "token mallory-token"})
    assert (await stranger.get("models")).status == 403
