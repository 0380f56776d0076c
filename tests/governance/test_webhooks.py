"""Events and webhooks end to end: registry transitions write outbox events in their own
transaction; a real receiver on 127.0.0.1 that fails the first two deliveries gets every event
exactly once after retries, signed (checked with the standardwebhooks verifier) and in order; a
process killed between the change and the delivery delivers after a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from registry_support import approved, train_and_register
from standardwebhooks.webhooks import Webhook

import mlops_jupyter as mj
from mlops_jupyter.registry.delivery import Deliverer, RetryPolicy
from mlops_jupyter.registry.events import list_events
from mlops_jupyter.registry.webhooks import (
    WebhookError,
    add_hook,
    delivery_log,
    list_hooks,
    new_secret,
    remove_hook,
)

from .receiver import Receiver

REPO = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(base_delay=0.05, max_delay=0.2, max_attempts=6, timeout=5, lease=30)


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    server = Receiver().start()
    yield server
    server.stop()


def _deliver_until(deliverer: Deliverer, done, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done():
        deliverer.run_once()
        time.sleep(0.02)


def test_transitions_write_events_in_their_transaction(mj_store) -> None:  # type: ignore[no-untyped-def]
    version = approved("churn")
    mj.promote("churn", version.version)
    train_and_register("churn", alpha=2.0)
    mj.archive("churn", 2, reason="superseded")
    types = [(e.type, e.version) for e in list_events()]
    assert types == [
        ("model.registered", 1),
        ("approval.requested", 1),
        ("version.approved", 1),
        ("alias.promoted", 1),
        ("model.registered", 2),
        ("version.archived", 2),
    ]
    promoted = list_events(types=["alias.promoted"])[0]
    assert promoted.data["alias"] == "production" and promoted.data["uri"] == "models:/churn/1"
    assert promoted.owners == ["alice"]  # no owners set: the creator is notified
    # a refused action writes no event: the transaction rolled back as a whole
    before = len(list_events())
    with pytest.raises(mj.RegistryError):
        mj.approve("churn", 2, actor="bob")  # archived
    assert len(list_events()) == before


def test_rejection_rollback_and_gate_failure_events(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    first = approved("credit")
    mj.promote("credit", first.version)
    second = approved("credit", alpha=3.0)
    mj.promote("credit", second.version)
    mj.rollback("credit", reason="latency")
    third = train_and_register("credit", alpha=5.0)
    mj.request_approval("credit", third.version)
    mj.reject("credit", third.version, "worse on holdout", actor="bob")
    mj.set_policy("credit", gates=["r2 >= 0.99"])
    fourth = approved("credit", alpha=7.0)
    with pytest.raises(mj.PromotionRefusedError):
        mj.promote("credit", fourth.version)
    kinds = [e.type for e in list_events()]
    assert kinds.count("alias.rolled_back") == 1 and kinds.count("version.rejected") == 1
    [rolled] = list_events(types=["alias.rolled_back"])
    assert (rolled.version, rolled.data["from_version"], rolled.data["reason"]) == (1, 2, "latency")
    [gate] = list_events(types=["gate.failed"])
    assert gate.version == fourth.version and gate.data["stage"] == "promote"
    assert gate.data["failed"][0]["gate"] == "r2 >= 0.99"
    assert any("gate failed: r2 >= 0.99" in reason for reason in gate.data["reasons"])


def test_retries_then_exactly_once_signed_and_in_order(mj_store, receiver) -> None:  # type: ignore[no-untyped-def]
    secret = new_secret()
    add_hook(receiver.url, secret=secret)
    receiver.fail_first = 2
    version = approved("fraud")  # registered, requested, approved
    mj.promote("fraud", version.version)
    other = train_and_register("other")  # another model: its own queue
    events = list_events()
    assert len(events) == 5
    deliverer = Deliverer(policy=FAST)
    try:
        _deliver_until(deliverer, lambda: len(receiver.accepted()) >= 5)
    finally:
        deliverer.close()
    accepted = receiver.accepted()
    verifier = Webhook(secret)
    bodies = [verifier.verify(r.body, r.headers) for r in accepted]  # raises if a signature is bad
    ids = [r.headers["webhook-id"] for r in accepted]
    assert sorted(ids) == sorted(e.event_id for e in events)  # each exactly once
    assert len(set(ids)) == len(ids) == 5
    fraud = [b for b in bodies if b["data"]["model"] == "fraud"]
    assert [b["type"] for b in fraud] == [
        "model.registered",
        "approval.requested",
        "version.approved",
        "alias.promoted",
    ]
    assert [b["data"]["seq"] for b in fraud] == sorted(b["data"]["seq"] for b in fraud)
    assert {b["data"]["model"] for b in bodies} == {"fraud", "other"}
    assert all(set(b) == {"type", "timestamp", "data"} for b in bodies)
    assert other.version == 1
    # the failed tries were retries of the same message (same webhook-id), logged with their codes
    assert len(receiver.requests) == 7
    log = delivery_log()
    codes = sorted(tuple(t["status_code"] for t in entry["tries"]) for entry in log)
    assert sum(len(c) for c in codes) == 7 and all(c[-1] == 200 for c in codes)
    assert sum(c.count(503) for c in codes) == 2
    assert all(entry["status"] == "delivered" for entry in log)
    # nothing is delivered twice once done
    assert deliverer.run_once() == 0 and len(receiver.requests) == 7


def test_slack_template_model_filter_and_event_filter(sqlite_store, receiver) -> None:  # type: ignore[no-untyped-def]
    secret = new_secret()
    add_hook(
        receiver.url,
        secret=secret,
        template="slack",
        model="churn",
        events="approval.requested",
    )
    approved("churn")
    approved("not-this-one")
    deliverer = Deliverer(policy=FAST)
    try:
        deliverer.run_once()
    finally:
        deliverer.close()
    [only] = receiver.accepted()
    body = Webhook(secret).verify(only.body, only.headers)
    assert body["text"].startswith("[approval.requested] churn v1 awaits approval by alice")
    assert "models:/churn/1" in body["text"]


def test_secrets_are_encrypted_and_never_returned(sqlite_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = new_secret()
    created = add_hook("http://127.0.0.1:9/hook", secret=secret)
    assert created.secret == secret
    listed = list_hooks()[0].to_dict()
    assert "secret" not in listed and secret not in json.dumps(listed)
    [row] = sqlite_store.webhooks.hooks()
    assert secret.encode() not in bytes(row["secret"])
    assert secret[6:].encode() not in bytes(row["secret"])
    cli = subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", "hooks", "ls", "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert cli.returncode == 0, cli.stderr
    assert (
        secret not in cli.stdout and json.loads(cli.stdout)[0]["url"] == "http://127.0.0.1:9/hook"
    )
    for bad in ("nope", "whsec_!!!", "whsec_" + "QUJD"):
        with pytest.raises(WebhookError):
            add_hook("http://127.0.0.1:9/", secret=bad)
    with pytest.raises(WebhookError):
        add_hook("ftp://example.org/", secret=secret)
    with pytest.raises(WebhookError, match="unknown event type"):
        add_hook("http://127.0.0.1:9/", events="model.exploded")


@pytest.mark.slow
def test_a_killed_process_delivers_after_restart(sqlite_store, receiver, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The change commits, the process dies (SIGKILL) before any delivery; a deliverer started
    afterwards delivers the event."""
    secret = new_secret()
    add_hook(receiver.url, secret=secret)
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(REPO / "tests")!r})
        from registry_support import train_and_register
        train_and_register("survivor")  # commits the version and its event
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    killed = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path)
    assert killed.returncode == -9
    assert receiver.requests == []
    [event] = list_events()
    assert event.type == "model.registered" and event.model == "survivor"
    restarted = subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", "hooks", "deliver"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    [received] = receiver.accepted()
    body = Webhook(secret).verify(received.body, received.headers)
    assert received.headers["webhook-id"] == event.event_id
    assert body["type"] == "model.registered" and body["data"]["model"] == "survivor"


def test_an_expired_lease_is_delivered_again(sqlite_store, receiver) -> None:  # type: ignore[no-untyped-def]
    """A deliverer that claimed a delivery and died: once its lease expires another takes it."""
    add_hook(receiver.url, secret=new_secret())
    train_and_register("leased")
    [due] = sqlite_store.webhooks.due(time.time())
    now = time.time()
    assert sqlite_store.webhooks.claim(due["delivery_id"], now, now + 0.3)  # then "dies"
    assert sqlite_store.webhooks.due(time.time()) == []  # held by the dead deliverer
    time.sleep(0.35)
    deliverer = Deliverer(policy=FAST)
    try:
        assert deliverer.run_once() == 1
    finally:
        deliverer.close()
    assert len(receiver.accepted()) == 1


def test_in_process_follow_latency(sqlite_store, receiver) -> None:  # type: ignore[no-untyped-def]
    """A deliverer thread in the process that makes the change (as in the Jupyter server) is
    woken by the commit instead of waiting for its poll."""
    add_hook(receiver.url, secret=new_secret())
    deliverer = Deliverer(policy=FAST, poll=5.0).start()
    try:
        train_and_register("fast")
        committed = list_events()[0].at
        [received] = receiver.wait_for(1, timeout=10)
    finally:
        deliverer.close()
    assert received.at - committed < 2.0


def test_another_practice_emits_in_its_own_transaction(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    """The API monitoring uses for check.failed: the event commits or rolls back with the
    caller's transaction."""
    from mlops_jupyter.store.outbox import emit_event

    train_and_register("watched")
    mj.set_owners("watched", ["dana"])
    add_hook("http://127.0.0.1:9/hook", secret=new_secret(), events="check.failed")

    def failing(conn):  # type: ignore[no-untyped-def]
        emit_event(conn, "check.failed", model="watched", version=1, data={"kind": "drift"})
        raise RuntimeError("the check's own write failed")

    with pytest.raises(RuntimeError):
        sqlite_store.db.transact(failing)
    assert list_events(types=["check.failed"]) == []
    sqlite_store.db.transact(
        lambda conn: emit_event(
            conn,
            "check.failed",
            model="watched",
            version=1,
            actor="monitor",
            data={"kind": "drift", "uri": "models:/watched/1"},
        )
    )
    [event] = list_events(types=["check.failed"])
    assert event.owners == ["dana"] and event.data["kind"] == "drift"
    [pending] = delivery_log(status="pending")
    assert pending["type"] == "check.failed"
    with pytest.raises(ValueError, match="unknown event type"):
        sqlite_store.db.transact(lambda conn: emit_event(conn, "check.exploded"))


@pytest.mark.slow
def test_another_process_sees_a_commit_before_its_poll(mj_store, receiver, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`hooks deliver --follow` in another process, polling every 30 s, delivers within
    seconds: it watches the embedded store's write-ahead log, or LISTENs on PostgreSQL."""
    secret = new_secret()
    add_hook(receiver.url, secret=secret, events="approval.requested")
    train_and_register("watched")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    follower = subprocess.Popen(
        [sys.executable, "-m", "mlops_jupyter.cli", "hooks", "deliver", "--follow", "--poll", "30"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stderr is not None
        assert "delivering webhooks" in follower.stderr.readline()  # started, first pass done
        time.sleep(1.0)
        mj.request_approval("watched", 1)
        [event] = list_events(types=["approval.requested"])
        [received] = receiver.wait_for(1, timeout=10)
    finally:
        follower.terminate()
        follower.wait(10)
    assert received.headers["webhook-id"] == event.event_id
    assert received.at - event.at < 5.0


def test_hooks_cli(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from mlops_jupyter.cli import cli

    runner = CliRunner()
    added = runner.invoke(cli, ["hooks", "add", "http://127.0.0.1:9/h", "--events", "gate.failed"])
    assert added.exit_code == 0, added.output
    secret = next(line.split()[1] for line in added.output.splitlines() if "secret" in line)
    assert secret.startswith("whsec_") and "shown only now" in added.output
    listed = runner.invoke(cli, ["hooks", "ls"])
    assert listed.exit_code == 0 and "gate.failed" in listed.output and secret not in listed.output
    for args, message in (
        (["hooks", "add", "ftp://x/"], "must be http(s)"),
        (["hooks", "add", "http://x/", "--events", "nope"], "unknown event type"),
        (["hooks", "add", "http://x/", "--secret", "plain"], "starts with whsec_"),
        (["hooks", "rm", "nope"], "no webhook with id"),
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    hook_id = list_hooks()[0].hook_id
    removed = runner.invoke(cli, ["hooks", "rm", hook_id])
    assert removed.exit_code == 0 and list_hooks() == []
    assert runner.invoke(cli, ["hooks", "log"]).exit_code == 0


def _backdate(store, seqs: list[int], days: float) -> None:  # type: ignore[no-untyped-def]
    """Make events look ``days`` old (as if written then)."""
    from sqlalchemy import update

    from mlops_jupyter.store.schema import outbox_events

    at = time.time() - days * 86400
    store.db.transact(
        lambda conn: conn.execute(
            update(outbox_events).where(outbox_events.c.seq.in_(seqs)).values(at=at)
        )
    )


def test_prune_removes_old_received_events_and_keeps_what_is_needed(mj_store, receiver) -> None:  # type: ignore[no-untyped-def]
    """`hooks prune`: old events every subscriber received go, with their deliveries and tries;
    events with a pending delivery or a failed one to a current hook, recent ones and the newest
    stay."""
    from click.testing import CliRunner

    from mlops_jupyter.cli import cli
    from mlops_jupyter.registry.events import prune_events

    add_hook(receiver.url, secret=new_secret())
    gone = add_hook("http://127.0.0.1:9/gone", secret=new_secret(), model="b").hook  # no listener
    train_and_register("a")  # seq 1
    mj.request_approval("a", 1)  # seq 2
    train_and_register("b")  # seq 3: its second delivery fails for good
    once = RetryPolicy(base_delay=0.01, max_attempts=1, timeout=2, lease=30)
    deliverer = Deliverer(policy=once)
    try:
        _deliver_until(
            deliverer,
            lambda: len(receiver.accepted()) >= 3 and len(delivery_log(status="failed")) == 1,
        )
        train_and_register("c")  # seq 4: received, but recent
        _deliver_until(deliverer, lambda: len(receiver.accepted()) >= 4)
    finally:
        deliverer.close()
    train_and_register("d")  # seq 5: pending (not delivered yet), and the newest
    seqs = [e.seq for e in list_events()]
    assert len(seqs) == 5
    _backdate(mj_store, seqs[:3], days=40)
    tries_before = sum(len(d["tries"]) for d in delivery_log(limit=100))

    runner = CliRunner()
    dry = runner.invoke(cli, ["hooks", "prune", "--older-than", "30d", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove 2 event(s)" in dry.output and "2 delivery(ies)" in dry.output
    assert [e.seq for e in list_events()] == seqs  # a dry run removes nothing

    done = runner.invoke(cli, ["hooks", "prune", "--older-than", "30d"])
    assert done.exit_code == 0, done.output
    assert "removed 2 event(s)" in done.output
    assert [e.seq for e in list_events()] == seqs[2:]  # a's two events went
    log = delivery_log(limit=100)
    assert {d["seq"] for d in log} == set(seqs[2:])
    assert sum(len(d["tries"]) for d in log) == tries_before - 2  # a's tries went too
    assert [d["seq"] for d in delivery_log(status="failed")] == [seqs[2]]  # retryable: kept

    # everything old and received now, and the failing hook removed: only the newest stays
    deliverer = Deliverer(policy=once)
    try:
        _deliver_until(deliverer, lambda: len(receiver.accepted()) >= 5)
    finally:
        deliverer.close()
    assert delivery_log(status="pending") == []
    _backdate(mj_store, seqs, days=40)
    assert prune_events(30 * 86400).events == 1  # seq 4; seq 3's failed delivery may be retried
    remove_hook(gone.hook_id)
    report = prune_events(30 * 86400)
    assert (report.events, report.deliveries) == (1, 2)  # seq 3: received, and failed for good
    assert [e.seq for e in list_events()] == [seqs[4]]
    # the newest stays so that a new event gets the next seq: SQLite would reuse a deleted
    # maximum, and notification readers would take the new event for one already seen
    train_and_register("e")
    assert list_events()[-1].seq == seqs[4] + 1

    bad = runner.invoke(cli, ["hooks", "prune", "--older-than", "a month"])
    assert bad.exit_code == 2 and "cannot read 'a month' as a duration" in bad.output
