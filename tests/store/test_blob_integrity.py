"""The blob store keeps what is referenced: gc spares young blobs and blobs referenced while it
runs (two processes), logging the same bytes again heals a corrupt blob, and ``store fsck``
names every artifact and model version whose blob is missing or corrupt (exit code 1)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from batch_support import run_cli

import mlops_jupyter as mj
from mlops_jupyter.store.maintenance import collect_garbage, fsck

HOURS_AGO = 2 * 3600


def age_blob(store, digest: str, seconds: float = HOURS_AGO) -> None:  # type: ignore[no-untyped-def]
    then = time.time() - seconds
    os.utime(store.blobs.path_for(digest), (then, then))


def test_logging_the_same_bytes_again_heals_a_corrupt_blob(mj_store) -> None:  # type: ignore[no-untyped-def]
    with mj.start_run(name="first") as first:
        mj.log_artifact(b"weights v1", name="w.bin")
    [record] = mj_store.runs.list_artifacts(first.run_id)
    Path(mj_store.blobs.path_for(record["digest"])).write_bytes(b"bit rot")
    with mj.start_run(name="second") as second:
        mj.log_artifact(b"weights v1", name="w.bin")
    for run in (first, second):
        assert mj.get_run(run.run_id).artifact_bytes("w.bin") == b"weights v1"
    assert fsck(mj_store).ok


def test_gc_keeps_young_blobs_and_removes_old_unreferenced_ones(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    store = sqlite_store
    with mj.start_run(name="kept") as run:
        mj.log_artifact(b"referenced", name="r.bin")
    young = store.blobs.put_bytes(b"written a moment ago, not referenced yet")
    old = store.blobs.put_bytes(b"orphaned long ago")
    age_blob(store, old)
    done = run_cli("gc")
    assert done.returncode == 0, done.stderr
    assert "removed 1 unreferenced blob(s)" in done.stdout
    assert "kept 1 referenced and 1 younger than the grace period" in done.stdout
    assert store.blobs.exists(young) and not store.blobs.exists(old)
    assert mj.get_run(run.run_id).artifact_bytes("r.bin") == b"referenced"
    # re-using old bytes makes them young again: the next gc keeps them
    stale = store.blobs.put_bytes(b"old but logged again")
    age_blob(store, stale)
    assert store.blobs.put_bytes(b"old but logged again") == stale
    assert collect_garbage(store).removed == []
    assert run_cli("gc", "--grace", "0").returncode == 0
    assert not store.blobs.exists(young) and not store.blobs.exists(stale)
    bad = run_cli("gc", "--grace", "soon")
    assert bad.returncode == 2 and "cannot read 'soon' as a duration" in bad.stderr


WRITER = """
import sys, mlops_jupyter as mj
count = int(sys.argv[1])
with mj.start_run(name="writer") as run:
    for i in range(0, count, 2):  # every other payload is referenced again
        mj.log_artifact(f"payload {i}".encode() * 50, name=f"a{i}.bin")
print(run.run_id)
"""

COLLECTOR = """
import os, sys, time
from mlops_jupyter.store import get_store
from mlops_jupyter.store.maintenance import collect_garbage
removed, stop = 0, sys.argv[1]
while True:
    last = os.path.exists(stop)
    removed += len(collect_garbage(get_store(), grace_s=0).removed)
    if last:
        break
print(removed)
"""


@pytest.mark.slow
def test_a_blob_referenced_while_gc_runs_survives(sqlite_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Worst case: grace 0, so only the re-check and the writer's ensure protect the blobs."""
    store = sqlite_store
    count = 200
    for i in range(count):
        age_blob(store, store.blobs.put_bytes(f"payload {i}".encode() * 50))
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    collector = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(COLLECTOR), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    writer = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(count)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    stop.touch()
    removed = int(collector.communicate(timeout=240)[0].strip())
    assert writer.returncode == 0, writer.stderr
    assert collector.returncode == 0
    run_id = writer.stdout.strip().splitlines()[-1]
    view = mj.get_run(run_id)
    for i in range(0, count, 2):
        assert view.artifact_bytes(f"a{i}.bin") == f"payload {i}".encode() * 50
    report = fsck(store)
    assert report.ok, report.lines()
    # the unreferenced half is gone (gc may also have removed a blob before the writer came
    # back for it: the writer then wrote it again); nothing referenced is missing
    assert removed >= count // 2
    assert report.blobs == count // 2


def test_fsck_names_artifacts_and_versions_with_missing_or_corrupt_blobs(mj_store) -> None:  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LinearRegression

    with mj.start_run(name="fit") as run:
        mj.log_artifact(LinearRegression().fit([[0], [1]], [0, 1]))
        mj.log_artifact(b"notes", name="notes.txt")
    mj.register_model(run.run_id, "line")
    assert fsck(mj_store).ok and fsck(mj_store).blobs == 2
    records = {r["name"]: r["digest"] for r in mj_store.runs.list_artifacts(run.run_id)}
    Path(mj_store.blobs.path_for(records["model.skops"])).write_bytes(b"tampered")
    os.remove(mj_store.blobs.path_for(records["notes.txt"]))
    done = run_cli("store", "fsck")
    assert done.returncode == 1
    assert (
        f"artifact 'model.skops' of run {run.run_id}: blob {records['model.skops']} is corrupt"
        in done.stdout
    )
    assert (
        f"artifact 'notes.txt' of run {run.run_id}: blob {records['notes.txt']} is missing"
        in done.stdout
    )
    assert f"model line version 1: blob {records['model.skops']} is corrupt" in done.stdout
    assert "3 problem(s)" in done.stderr
    assert sorted((item["kind"], item["problem"]) for item in fsck(mj_store).broken) == [
        ("artifact", "corrupt"),
        ("artifact", "missing"),
        ("model_version", "corrupt"),
    ]
