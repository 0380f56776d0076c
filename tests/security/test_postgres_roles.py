"""Finding 2 on a PostgreSQL team store: the database role acts. Real login roles ``alice`` and
``bob`` connect to a store owned by ``postgres``; ``store grant`` gives them levels. Whatever
name they claim (``MLOPS_JUPYTER_USER``, ``actor=``), registry actions are recorded and checked
as their ``session_user``; each level can do exactly its part, and audit events are insert-only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import mlops_jupyter as mj
from mlops_jupyter.cli import cli
from mlops_jupyter.config import StoreLocation
from mlops_jupyter.store import Store, get_store, reset_stores
from tests.conftest import new_postgres_schema, postgres_url

pytestmark = pytest.mark.postgres
ROLES = ("alice", "bob")


def _create_role(admin: Any, role: str) -> None:
    """CREATE ROLE, tolerant of reruns and of another test process creating it at the same time
    (roles are cluster-wide)."""
    statement = (
        f"DO $$ BEGIN CREATE ROLE {role} LOGIN; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    )
    for attempt in range(5):
        try:
            with admin.connect() as conn:
                conn.execute(text(statement))
                conn.execute(text(f"ALTER ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"))
            return
        except DBAPIError:  # "tuple concurrently updated" and the like: try again
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture(scope="session")
def pg_roles(postgres_admin: Any) -> tuple[str, ...]:
    for role in ROLES:
        _create_role(postgres_admin, role)
    return ROLES


class Team:
    """A fresh store in its own schema, owned by ``postgres``, and a store per login role."""

    def __init__(self, owner_url: str, artifacts: str) -> None:
        self.owner_url, self.artifacts = owner_url, artifacts

    def url(self, role: str) -> str:
        return self.owner_url.replace("://postgres@", f"://{role}@")

    def store(self, role: str) -> Store:
        return get_store(StoreLocation(self.url(role), self.artifacts, f"role {role}"))

    def grant(self, role: str, level: str) -> None:
        result = CliRunner().invoke(cli, ["store", "grant", role, "--role", level])
        assert result.exit_code == 0, result.output
        assert f"granted {level}" in result.output


@pytest.fixture
def team(
    postgres_admin: Any,
    pg_roles: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Team]:
    from mlops_jupyter.tracking import context

    schema = new_postgres_schema(postgres_admin)
    owner_url = postgres_url(schema)
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", owner_url)
    monkeypatch.setenv("MLOPS_JUPYTER_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "owner")
    monkeypatch.chdir(tmp_path)
    context.reset()
    reset_stores()
    get_store()  # the owner creates the schema
    try:
        yield Team(owner_url, str(tmp_path / "artifacts"))
    finally:
        context.reset()
        reset_stores()
        with postgres_admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def _ridge() -> Ridge:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return Ridge().fit(X, y)


def test_the_database_role_acts_whatever_name_is_claimed(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    team.grant("alice", "writer")
    team.grant("bob", "approver")
    alice, bob = team.store("alice"), team.store("bob")
    assert get_store().registry.pinned_role() is None  # the owner names its actor
    assert (alice.registry.pinned_role(), bob.registry.pinned_role()) == ("alice", "bob")

    monkeypatch.setenv("MLOPS_JUPYTER_USER", "bob")  # alice pretends to be bob
    first = mj.register_model(_ridge(), "m", actor="bob", store=alice)
    assert first.registered_by == "alice"
    mj.request_approval("m", 1, store=alice)
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "alice")  # bob pretends to be alice
    assert mj.approve("m", 1, "ok", actor="alice", store=bob).approved_by == ["bob"]

    # bob cannot approve his own version by claiming to be alice
    mj.register_model(_ridge(), "m", store=bob)
    mj.request_approval("m", 2, store=bob)
    with pytest.raises(mj.SelfApprovalError, match="bob registered"):
        mj.approve("m", 2, actor="alice", store=bob)
    # a writer cannot approve, promote or change the policy; the database says so
    with pytest.raises(PermissionError, match="database role alice may not"):
        mj.approve("m", 2, store=alice)
    with pytest.raises(PermissionError, match="database role alice"):
        mj.promote("m", 1, store=alice)
    change = mj.promote("m", 1, actor="alice", store=bob)
    assert change.actor == "bob"
    with pytest.raises(PermissionError, match="database role bob"):
        mj.set_policy("m", required_approvals=2, store=bob)
    team.grant("bob", "admin")
    assert mj.set_policy("m", required_approvals=2, store=bob).required_approvals == 2

    events = mj.audit_log(limit=None, store=alice)
    assert {e.actor for e in events} == {"alice", "bob"}
    assert [e.action for e in reversed(events)] == [
        "register",
        "request",
        "approve",
        "register",
        "request",
        "promote",
        "policy",
    ]
    assert mj.verify_audit(store=alice).ok


def test_audit_events_are_insert_only_and_carry_the_session_role(team: Team) -> None:
    team.grant("alice", "writer")
    team.grant("bob", "admin")
    mj.register_model(_ridge(), "m", store=team.store("alice"))
    for role in ("alice", "bob"):
        with team.store(role).db.writer.connect() as conn:
            for statement in (
                "UPDATE audit_events SET actor = 'mallory'",
                "DELETE FROM audit_events",
                "UPDATE model_approvals SET actor = 'mallory'",
            ):
                with pytest.raises(DBAPIError, match="permission denied"):
                    conn.execute(text(statement))
                conn.rollback()
            # a role cannot record an event, an approval or a version under another name
            for statement in (
                "INSERT INTO audit_events VALUES (99, 'x', 0, 'carol', 'approve', 'm', 't', "
                "'{}', 'p', 'h')",
                "INSERT INTO model_approvals (name, version, round, actor, decision, at) "
                "VALUES ('m', 1, 1, 'carol', 'approve', 0)",
            ):
                with pytest.raises(DBAPIError, match="row-level security"):
                    conn.execute(text(statement))
                conn.rollback()
    assert mj.verify_audit(store=team.store("bob")).ok


def test_readers_read_and_grant_is_for_the_owner_on_postgres_only(
    team: Team, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mj.register_model(_ridge(), "m")  # as the owner
    team.grant("alice", "reader")
    alice = team.store("alice")
    assert [m.name for m in mj.list_models(store=alice)] == ["m"]
    assert mj.verify_audit(store=alice).ok
    with pytest.raises(PermissionError, match="database role alice"):
        mj.request_approval("m", 1, store=alice)
    runner = CliRunner()
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", team.url("alice"))
    reset_stores()
    refused = runner.invoke(cli, ["store", "grant", "alice", "--role", "admin"])
    assert refused.exit_code == 1 and "only the store's owner" in refused.output
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", team.owner_url)
    reset_stores()
    unknown = runner.invoke(cli, ["store", "grant", "nobody_here_9", "--role", "reader"])
    assert unknown.exit_code == 2 and "does not exist" in unknown.output
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(tmp_path / "sqlite-store"))
    reset_stores()
    sqlite = runner.invoke(cli, ["store", "grant", "alice", "--role", "reader"])
    assert sqlite.exit_code == 1 and "only on a PostgreSQL store" in sqlite.output
