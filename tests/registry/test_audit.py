"""The audit chain on both back ends: every action is recorded, and editing, deleting or
rewriting events directly in the database makes ``audit verify`` fail naming the first broken
event (through the API, the CLI runner, and the installed command)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from registry_support import approved
from sqlalchemy import delete, select, update

import mlops_jupyter as mj
from mlops_jupyter.cli import cli
from mlops_jupyter.registry.audit import event_hash
from mlops_jupyter.store.schema import audit_events, audit_head

REPO = Path(__file__).resolve().parents[2]


def _history(name: str = "m") -> None:
    """register, request, approve, promote — events #1-#4."""
    approved(name)
    mj.promote(name, 1, actor="carol")


def _tamper(store, statement) -> None:  # type: ignore[no-untyped-def]
    with store.db.writer.connect() as conn, conn.begin():
        conn.execute(statement)


def _rewrite_with_fresh_hash(store, seq: int) -> None:  # type: ignore[no-untyped-def]
    """What a careful attacker does: change an event and recompute its own hash."""
    where = audit_events.c.seq == seq
    with store.db.writer.connect() as conn, conn.begin():
        row = dict(conn.execute(select(audit_events).where(where)).mappings().one())
        row["actor"] = "mallory"
        conn.execute(
            update(audit_events).where(where).values(actor="mallory", hash=event_hash(row))
        )


def test_every_action_is_chained_with_actor_and_payload(mj_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    mj.set_policy("m", gates=["r2 > 0"], actor="lead")
    events = list(reversed(mj.audit_log(limit=None)))
    assert [(e.seq, e.action, e.actor, e.target) for e in events] == [
        (1, "register", "alice", "models/m/1"),
        (2, "request", "alice", "models/m/1"),
        (3, "approve", "bob", "models/m/1"),
        (4, "promote", "carol", "models/m@production"),
        (5, "policy", "lead", "models/m"),
    ]
    assert events[0].prev_hash == "0" * 64
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash and later.at >= earlier.at
    assert events[3].payload["to_version"] == 1 and events[2].payload["status_after"] == "approved"
    report = mj.verify_audit()
    assert report.ok and report.events == 5 and report.head_hash == events[-1].hash
    assert [e.seq for e in mj.audit_log(actor="bob")] == [3]
    assert [e.action for e in mj.audit_log("m", limit=2)] == ["policy", "promote"]


def test_an_edited_event_is_named(mj_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    _tamper(mj_store, update(audit_events).where(audit_events.c.seq == 3).values(actor="mallory"))
    report = mj.verify_audit()
    assert not report.ok and report.broken_seq == 3
    assert (
        "event #3 (approve models/m/1 by mallory" in report.problem
        and "was edited" in report.problem
    )


def test_an_edited_payload_is_named(mj_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    _tamper(
        mj_store,
        update(audit_events).where(audit_events.c.seq == 4).values(payload='{"to_version":2}'),
    )
    report = mj.verify_audit()
    assert (report.ok, report.broken_seq) == (False, 4) and "was edited" in report.problem


def test_a_rewritten_event_with_a_fresh_hash_breaks_the_next_link(mj_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    _rewrite_with_fresh_hash(mj_store, 2)
    report = mj.verify_audit()
    assert report.broken_seq == 3 and "does not follow the event before it" in report.problem


def test_the_newest_event_rewritten_with_a_fresh_hash_is_named(mj_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    _rewrite_with_fresh_hash(mj_store, 4)
    report = mj.verify_audit()
    assert report.broken_seq == 4 and "rewritten" in report.problem


def test_deleted_events_are_named(mj_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    _tamper(mj_store, delete(audit_events).where(audit_events.c.seq == 2))
    report = mj.verify_audit()
    assert report.broken_seq == 2 and "event #2 was deleted" in report.problem


def test_deleting_the_newest_events_is_caught_by_the_head_and_by_an_expected_head(mj_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    recorded_head = mj.verify_audit().head_hash
    _tamper(mj_store, delete(audit_events).where(audit_events.c.seq == 4))
    report = mj.verify_audit()
    assert report.broken_seq == 4 and "newest events were deleted" in report.problem
    # a careful attacker also rewinds the head row: only a head recorded outside the DB tells
    third = mj.audit_log(limit=1)[0]
    _tamper(mj_store, update(audit_head).values(seq=3, hash=third.hash))
    assert mj.verify_audit().ok
    rewritten = mj.verify_audit(expect_head=recorded_head)
    assert not rewritten.ok and recorded_head in rewritten.problem
    assert mj.verify_audit(expect_head=third.hash).ok  # an older head that is still in the chain


def test_an_event_forged_beyond_the_head_is_named(mj_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    newest = mj.audit_log(limit=1)[0]
    forged = {
        "seq": 5,
        "event_id": "forged",
        "at": newest.at + 1,
        "actor": "mallory",
        "action": "approve",
        "model": "m",
        "target": "models/m/1",
        "payload": "{}",
        "prev_hash": newest.hash,
    }
    forged["hash"] = event_hash(forged)  # a well-formed link, but the head was not moved
    _tamper(mj_store, audit_events.insert().values(**forged))
    report = mj.verify_audit()
    assert report.broken_seq == 5 and "added outside the registry" in report.problem


def test_cli_audit_verify_exit_codes_and_ls(mj_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify"])
    assert intact.exit_code == 0 and "audit chain intact: 4 event(s)" in intact.output
    listed = runner.invoke(cli, ["audit", "ls", "--model", "m", "--format", "json"])
    assert listed.exit_code == 0
    assert [e["action"] for e in json.loads(listed.output)] == [
        "promote",
        "approve",
        "request",
        "register",
    ]
    table = runner.invoke(cli, ["audit", "ls", "--action", "approve"])
    assert table.exit_code == 0 and "bob" in table.output and "register" not in table.output
    assert runner.invoke(cli, ["audit", "ls", "--action", "nonsense"]).exit_code == 2
    _tamper(mj_store, update(audit_events).where(audit_events.c.seq == 2).values(at=0.0))
    broken = runner.invoke(cli, ["audit", "verify", "--format", "json"])
    assert broken.exit_code == 1
    assert json.loads(broken.output)["broken_seq"] == 2


@pytest.mark.slow
def test_installed_command_names_the_broken_event(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    _history()
    _tamper(
        sqlite_store, update(audit_events).where(audit_events.c.seq == 3).values(action="reject")
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1
    assert "audit chain broken at event #3: event #3 (reject models/m/1 by bob" in result.stderr
