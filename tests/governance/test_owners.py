"""Owners: who may set them, events naming them, owners-only approval, notifications."""

from __future__ import annotations

import pytest
from registry_support import train_and_register

import mlops_jupyter as mj
from mlops_jupyter.registry.events import list_events, notifications
from mlops_jupyter.registry.owners import NotOwnerError


def test_owners_are_set_by_the_creator_and_named_in_events(mj_store) -> None:  # type: ignore[no-untyped-def]
    version = train_and_register("churn", actor="alice")
    assert mj.get_owners("churn") == []
    assert mj.set_owners("churn", [" Bob ", "group:Risk-Team", "bob"]) == ["bob", "group:risk-team"]
    mj.request_approval("churn", version.version)
    requested = list_events(types=["approval.requested"])[0]
    assert requested.owners == ["bob", "group:risk-team"]
    assert list_events(types=["model.registered"])[0].owners == ["alice"]  # before owners were set
    # carol is neither creator nor owner; bob (an owner) may hand over, case-folded. (On
    # PostgreSQL the tests connect as the store's owner, which is an admin: tests/security covers
    # other roles.)
    if mj_store.db.dialect == "sqlite":
        with pytest.raises(NotOwnerError, match="cannot change the owners of churn"):
            mj.set_owners("churn", ["carol"], actor="carol")
    assert mj.set_owners("churn", ["carol"], actor="BOB") == ["carol"]
    [event] = mj.audit_log("churn", action="owners", limit=1)
    assert event.payload == {"before": ["bob", "group:risk-team"], "after": ["carol"]}
    with pytest.raises(mj.RegistryError, match="invalid owner"):
        mj.set_owners("churn", ["two words"], actor="carol")


def test_owners_only_approval(mj_store) -> None:  # type: ignore[no-untyped-def]
    version = train_and_register("credit", actor="alice")
    mj.set_policy("credit", approvers="owners")
    assert mj.get_policy("credit").approvers == "owners"
    mj.request_approval("credit", version.version)
    with pytest.raises(NotOwnerError, match="none are set"):
        mj.approve("credit", version.version, actor="bob")
    mj.set_owners("credit", ["bob", "dana"])
    with pytest.raises(NotOwnerError, match="only from its owners"):
        mj.approve("credit", version.version, actor="carol")
    assert mj.get_version("credit", version.version).status == "pending"  # nothing changed
    approved = mj.approve("credit", version.version, "fine", actor="Bob")
    assert approved.status == "approved"
    [event] = list_events(types=["version.approved"])
    assert event.actor == "Bob" and event.owners == ["bob", "dana"]


def test_group_owner_approves_through_os_group(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    import grp
    import os
    import pwd

    me = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    version = train_and_register("grouped", actor="alice")
    mj.set_policy("grouped", approvers="owners")
    mj.set_owners("grouped", [f"group:{group}"])
    mj.request_approval("grouped", version.version)
    assert mj.approve("grouped", version.version, actor=me).status == "approved"


def test_notifications_for_owners(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    version = train_and_register("fraud", actor="alice")
    mj.set_owners("fraud", ["bob"])
    mj.request_approval("fraud", version.version)
    mj.set_policy("fraud", gates=["r2 >= 0.99"])
    mj.approve("fraud", version.version, actor="carol")
    with pytest.raises(mj.PromotionRefusedError):
        mj.promote("fraud", version.version)
    seen = notifications("BOB")
    assert [e.type for e in seen] == ["gate.failed", "approval.requested"]  # newest first
    assert all(e.data["uri"] == "models:/fraud/1" for e in seen)
    assert notifications("carol") == []


def test_cli_owners_and_policy(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from mlops_jupyter.cli import cli

    train_and_register("cli-model", actor="alice")
    runner = CliRunner()
    result = runner.invoke(cli, ["models", "owners", "cli-model", "Bob", "group:ops"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "bob group:ops"
    assert runner.invoke(cli, ["models", "owners", "cli-model"]).output.strip() == "bob group:ops"
    result = runner.invoke(cli, ["models", "policy", "cli-model", "--approvers", "owners"])
    assert result.exit_code == 0 and '"approvers": "owners"' in result.output
