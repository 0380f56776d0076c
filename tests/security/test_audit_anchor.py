"""Finding 7: the audit chain can be rewritten whole (hashes are not keyed). Deleting the newest
events and rolling the head back, or editing an event and recomputing every later hash, verifies
"intact" without an anchor; with an anchor written outside the database, ``audit verify``
fails naming the first event that no longer matches. Anchors are HMAC-signed with
``MLOPS_JUPYTER_AUDIT_KEY``, go to any fsspec URL, and every release bundle carries the head."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from registry_support import approved
from sqlalchemy import delete, select, update

import mlops_jupyter as mj
from mlops_jupyter.cli import cli
from mlops_jupyter.registry.anchor import AnchorError, read_anchor, write_anchor
from mlops_jupyter.registry.audit import current_anchor, event_hash
from mlops_jupyter.store.schema import audit_events, audit_head

KEY = "correct horse battery staple"


def _history() -> None:
    """register, request, approve, promote: events #1-#4."""
    approved("m")
    mj.promote("m", 1, actor="carol")


def _recompute_from(store, seq: int, actor: str = "mallory") -> None:  # type: ignore[no-untyped-def]
    """The careful attacker: edit event ``seq``, recompute it and every later hash, move the head."""
    with store.db.writer.connect() as conn, conn.begin():
        rows = [
            dict(r)
            for r in conn.execute(select(audit_events).order_by(audit_events.c.seq)).mappings()
        ]
        previous = None
        for row in rows:
            if row["seq"] == seq:
                row["actor"] = actor
            if row["seq"] >= seq:
                row["prev_hash"] = previous if previous is not None else row["prev_hash"]
                row["hash"] = event_hash(row)
                conn.execute(
                    update(audit_events)
                    .where(audit_events.c.seq == row["seq"])
                    .values(actor=row["actor"], prev_hash=row["prev_hash"], hash=row["hash"])
                )
            previous = row["hash"]
        conn.execute(update(audit_head).values(seq=rows[-1]["seq"], hash=rows[-1]["hash"]))


def _truncate_to(store, seq: int) -> None:  # type: ignore[no-untyped-def]
    """Delete every event after ``seq`` and roll the head back to it."""
    with store.db.writer.connect() as conn, conn.begin():
        kept = conn.execute(select(audit_events.c.hash).where(audit_events.c.seq == seq)).scalar()
        conn.execute(delete(audit_events).where(audit_events.c.seq > seq))
        conn.execute(update(audit_head).values(seq=seq, hash=kept))


def test_a_recomputed_chain_fails_against_the_anchor_naming_the_first_changed_event(  # type: ignore[no-untyped-def]
    mj_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_AUDIT_KEY", KEY)
    _history()
    write_anchor(current_anchor(), str(tmp_path / "anchor.json"))
    write_anchor(current_anchor(fingerprints=False), str(tmp_path / "head.json"))
    assert mj.verify_audit(anchor=read_anchor(str(tmp_path / "anchor.json"))).ok
    _recompute_from(mj_store, 2)
    assert mj.verify_audit().ok  # the finding: consistent with itself
    report = mj.verify_audit(anchor=read_anchor(str(tmp_path / "anchor.json")))
    assert not report.ok and report.broken_seq == 2 and "event #2" in report.problem
    head_only = mj.verify_audit(anchor=read_anchor(str(tmp_path / "head.json")))
    assert not head_only.ok and head_only.broken_seq == 4 and "recomputed" in head_only.problem
    result = CliRunner().invoke(cli, ["audit", "verify", "--anchor", str(tmp_path / "anchor.json")])
    assert result.exit_code == 1 and "broken at event #2" in result.output


def test_a_truncated_tail_fails_naming_the_first_missing_event(mj_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _history()
    runner = CliRunner()
    anchored = runner.invoke(cli, ["audit", "anchor", "--to", "memory://anchors/today.json"])
    assert anchored.exit_code == 0 and "anchored audit head 4:" in anchored.output
    assert "unsigned" in anchored.output
    head = current_anchor().head
    _truncate_to(mj_store, 2)
    assert mj.verify_audit().ok  # the finding: the rolled-back head agrees
    result = runner.invoke(cli, ["audit", "verify", "--anchor", "memory://anchors/today.json"])
    assert result.exit_code == 1, result.output
    assert "broken at event #3" in result.output and "missing" in result.output
    expected = runner.invoke(cli, ["audit", "verify", "--expect-head", head])
    assert expected.exit_code == 1 and "event #3" in expected.output


@pytest.mark.parametrize("value", ["zzz", "12:abc", "1" * 63, "-1:" + "a" * 64, ""])
def test_a_malformed_expected_head_is_a_usage_error(sqlite_store, value: str) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["audit", "verify", "--expect-head", value])
    assert result.exit_code == 2, result.output
    assert "not an audit head" in result.output and "Traceback" not in result.output
    with pytest.raises(ValueError, match="not an audit head"):
        mj.verify_audit(expect_head=value)


def test_anchors_are_signed_and_a_forged_or_unsigned_one_is_refused(  # type: ignore[no-untyped-def]
    sqlite_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history()
    path = tmp_path / "anchor.json"
    write_anchor(current_anchor(), str(path))  # no key: unsigned
    monkeypatch.setenv("MLOPS_JUPYTER_AUDIT_KEY", KEY)
    with pytest.raises(AnchorError, match="not signed"):
        read_anchor(str(path))
    write_anchor(current_anchor(), str(path))
    document = json.loads(path.read_text())
    assert document["signature"]["algorithm"] == "HMAC-SHA256"
    assert read_anchor(str(path)).seq == 4
    # rewinding the anchor together with the database needs the key
    document["seq"], document["fingerprints"] = 2, document["fingerprints"][:2]
    path.write_text(json.dumps(document))
    with pytest.raises(AnchorError, match="signature does not match"):
        read_anchor(str(path))
    result = CliRunner().invoke(cli, ["audit", "verify", "--anchor", str(path)])
    assert result.exit_code == 2 and "signature does not match" in result.output
    monkeypatch.setenv("MLOPS_JUPYTER_AUDIT_KEY", "another key")
    write_anchor(current_anchor(), str(path))
    monkeypatch.setenv("MLOPS_JUPYTER_AUDIT_KEY", KEY)
    with pytest.raises(AnchorError, match="signature does not match"):
        read_anchor(str(path))


def test_every_release_bundle_carries_the_head(sqlite_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _history()
    head = current_anchor().head
    bundle = mj.export_release("m@production", tmp_path / "bundle")
    carried = json.loads((bundle / "audit_head.json").read_text())
    assert f"{carried['seq']}:{carried['hash']}" == head
    assert "audit_head.json" in (bundle / "MANIFEST.sha256").read_text()
    _truncate_to(sqlite_store, 3)
    result = CliRunner().invoke(cli, ["audit", "verify", "--anchor", str(bundle)])
    assert result.exit_code == 1 and "event #4 is missing" in result.output
