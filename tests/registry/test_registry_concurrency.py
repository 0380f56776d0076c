"""Concurrency on both back ends, with real processes: two promotions of different versions to the
same alias at the same moment (exactly one wins, the other gets a conflict, the history stays one
line), and concurrent audited actions that must extend one hash chain, never fork it.

"At the same moment" is forced, not hoped for: the test holds the database's write lock while
both processes start their promotion, so both read the alias before either can write.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from registry_support import approved

import mlops_jupyter as mj

REPO = Path(__file__).resolve().parents[2]

PROMOTER = """
import json, sys
import mlops_jupyter as mj
from mlops_jupyter.registry.errors import AliasConflictError

name, version = sys.argv[1], int(sys.argv[2])
mj.get_model(name)  # imports done and store open before the start signal
print("ready", flush=True)
sys.stdin.readline()
try:
    change = mj.promote(name, version, "production", actor=f"user{version}")
    print(json.dumps({"version": version, "won": True, "revision": change.revision}), flush=True)
except AliasConflictError as error:
    print(json.dumps({"version": version, "won": False, "error": str(error)}), flush=True)
"""

POLICY_CHANGER = """
import sys
import mlops_jupyter as mj
name, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
mj.get_model(name)
print("ready", flush=True)
sys.stdin.readline()
for index in range(count):
    mj.set_policy(name, gates=[f"r2 >= 0.{index}"], actor=f"worker{worker}")
print("done", flush=True)
"""


def _spawn(script: str, *args: str, store_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MLOPS_JUPYTER_STORE": store_url, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line == "ready", (
        f"worker did not start: {line!r} {process.stderr.read() if process.stderr else ''}"
    )
    return process


def _go(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()


def _finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


class WriteBlocker:
    """Holds the store's write lock so both promoters read the alias before either writes."""

    def __init__(self, store, application_name: str) -> None:  # type: ignore[no-untyped-def]
        self.store = store
        self.application_name = application_name
        self.dialect = store.db.dialect

    def __enter__(self) -> WriteBlocker:
        if self.dialect == "sqlite":
            path = self.store.location.db_url.split(":///", 1)[1]
            self.conn = sqlite3.connect(path, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn = self.store.db.writer.raw_connection()
            cursor = self.conn.cursor()
            # writes to aliases wait; reads (what each promoter does first) go through
            cursor.execute("LOCK TABLE model_aliases IN SHARE ROW EXCLUSIVE MODE")
        return self

    def wait_until_both_blocked(self, processes: list[subprocess.Popen[str]]) -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            assert all(p.poll() is None for p in processes), (
                "a promoter finished while writes were blocked"
            )
            if self.dialect == "sqlite":
                time.sleep(3)  # SQLite cannot show waiters; each read phase takes milliseconds
                return
            if self._postgres_waiters() == len(processes):
                return
            time.sleep(0.05)
        raise AssertionError("the promoters never reached the blocked write")

    def _postgres_waiters(self) -> int:
        from sqlalchemy import text

        with self.store.db.reader.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                        "AND wait_event_type = 'Lock'"
                    ),
                    {"name": self.application_name},
                ).scalar()
                or 0
            )

    def __exit__(self, *exc: object) -> None:
        if self.dialect == "sqlite":
            self.conn.execute("ROLLBACK")
        else:
            self.conn.rollback()
        self.conn.close()


def _worker_url(store_uri: str, application_name: str) -> str:
    if "://" not in store_uri:
        return store_uri
    return f"{store_uri}&application_name={application_name}"


@pytest.mark.slow
@pytest.mark.parametrize("initially", ["unset", "v1"])
def test_two_processes_promote_at_the_same_moment(mj_store, store_uri, initially) -> None:  # type: ignore[no-untyped-def]
    for alpha in (1.0, 2.0, 3.0):
        approved("race", alpha)
    if initially == "v1":
        mj.promote("race", 1)
    before = mj.alias_history("race", "production")
    application_name = f"race_{uuid.uuid4().hex[:8]}"
    url = _worker_url(store_uri, application_name)
    promoters = [_spawn(PROMOTER, "race", str(version), store_url=url) for version in (2, 3)]
    with WriteBlocker(mj_store, application_name) as blocker:
        _go(promoters)
        blocker.wait_until_both_blocked(promoters)
    results = [json.loads(_finish(p).strip().splitlines()[-1]) for p in promoters]

    winners = [r for r in results if r["won"]]
    losers = [r for r in results if not r["won"]]
    assert len(winners) == 1 and len(losers) == 1, results
    winner, loser = winners[0]["version"], losers[0]
    assert (
        f"it now points at version {winner}" in loser["error"]
        and "Nothing was changed" in loser["error"]
    )
    assert mj.get_model("race").aliases == {"production": winner}
    history = mj.alias_history("race", "production")
    assert len(history) == len(before) + 1
    assert [h.revision for h in history] == list(range(1, len(history) + 1))
    assert history[-1].to_version == winner and history[-1].actor == f"user{winner}"
    for earlier, later in itertools.pairwise(history):
        assert later.from_version == earlier.to_version  # one unbroken line
    assert len(mj.audit_log("race", action="promote")) == len(history)
    assert mj.verify_audit().ok


@pytest.mark.slow
def test_concurrent_actions_extend_one_audit_chain(mj_store, store_uri) -> None:  # type: ignore[no-untyped-def]
    for index in range(3):  # one model each: only the audit chain is shared
        approved(f"chain{index}")
    start = len(mj.audit_log(limit=None))
    workers = [
        _spawn(POLICY_CHANGER, f"chain{index}", str(index), "15", store_url=store_uri)
        for index in range(3)
    ]
    _go(workers)
    for worker in workers:
        assert _finish(worker).strip().endswith("done")
    report = mj.verify_audit()
    assert report.ok, str(report)
    assert report.events == start + 45
    events = mj.audit_log(limit=None)
    assert sorted(e.seq for e in events) == list(range(1, start + 46))
    assert {e.actor for e in events if e.action == "policy"} == {"worker0", "worker1", "worker2"}
