"""Reliability of the model server: 2,000 requests from 4 clients while the alias flips 10
times (no failure, every response names its version, versions only move forward), and the store
going away (a private PostgreSQL stopped and restarted) while serving."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from registry_support import diabetes, train_and_register

import mlops_jupyter as mj
from serve.support import Client, ServerProcess, invoke

pytestmark = pytest.mark.slow

REQUESTS, CLIENTS, FLIPS = 2_000, 4, 10


def test_alias_flips_under_load_fail_no_request(serve_store: Path, tmp_path: Path) -> None:
    X, _ = diabetes()
    row = X.head(1)
    body = json.dumps({"dataframe_split": json.loads(row.to_json(orient="split"))}).encode()
    # versions 1..11 with clearly different predictions, so a response proves which computed it
    expected = {}
    for number, alpha in enumerate(np.geomspace(10.0, 0.001, FLIPS + 1), start=1):
        version = train_and_register("flip", float(alpha))
        assert version.version == number
        expected[number] = float(mj.load_model(f"models:/flip/{number}").predict(row)[0])
    assert len({round(v, 6) for v in expected.values()}) == FLIPS + 1
    mj.promote("flip", 1, "staging")
    server = ServerProcess("flip@staging", "--poll", "0.1", env={}, log=tmp_path / "serve.log")
    server.wait_ready()
    remaining = [REQUESTS]
    lock = threading.Lock()
    results: list[list[tuple[int, str, float | None]]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []

    def client(index: int) -> None:
        connection = Client(server.port)
        try:
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                try:
                    status, head, raw = connection.post(body)
                    value = json.loads(raw)["predictions"][0] if status == 200 else None
                    results[index].append((status, head.get("mlops-model-version", ""), value))
                except Exception as error:  # a dropped connection is a failed request
                    errors.append(repr(error))
                    connection.close()
                    connection = Client(server.port)
                time.sleep(0.001)  # leave the flipper a share of the CPU
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        swap_times = []
        for target in range(2, FLIPS + 2):
            time.sleep(0.15)
            mj.promote("flip", target, "staging")
            swap_times.append(server.wait_version(target))
        for thread in threads:
            thread.join(timeout=300)
        flat = [r for per in results for r in per]
        assert errors == [] and len(flat) == REQUESTS
        assert [r for r in flat if r[0] != 200] == []
        for per_client in results:
            versions = [int(version) for _, version, _ in per_client]
            assert versions == sorted(versions), "a client saw a version go backwards"
            for _, version, value in per_client:
                assert value == pytest.approx(expected[int(version)], rel=1e-9)
        seen = {int(version) for _, version, _ in flat}
        assert len(seen) >= 2 and max(seen) <= FLIPS + 1
        assert max(swap_times) < 2.0, swap_times
        assert server.version()["version"] == FLIPS + 1
    finally:
        with lock:
            remaining[0] = 0
        server.stop()


@pytest.mark.postgres
def test_store_going_away_keeps_serving_and_following_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serve.private_postgres import PrivatePostgres, postgres_bin

    if postgres_bin() is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) are missing: install Debian's postgresql"
        )
    from mlops_jupyter.store import reset_stores
    from mlops_jupyter.tracking import context

    database = PrivatePostgres()
    server = None
    try:
        database.init()
        database.start()
        monkeypatch.setenv("MLOPS_JUPYTER_STORE", database.url)
        monkeypatch.setenv("MLOPS_JUPYTER_ARTIFACTS", str(tmp_path / "artifacts"))
        monkeypatch.setenv("MLOPS_JUPYTER_USER", "alice")
        monkeypatch.chdir(tmp_path)
        context.reset()
        reset_stores()
        train_and_register("diab", 1.0)
        train_and_register("diab", 0.01)
        mj.promote("diab", 1, "staging")
        server = ServerProcess(
            "diab@staging",
            "--poll",
            "0.2",
            "--heartbeat",
            "0.5",
            env={},
            log=tmp_path / "serve.log",
        )
        server.wait_ready()
        payload = {"dataframe_records": diabetes()[0].head(2).to_dict(orient="records")}
        reset_stores()  # the test's own pooled connections go with the database
        database.stop()
        deadline = time.monotonic() + 15
        while "store unreachable" not in (server.version()["error"] or ""):
            assert time.monotonic() < deadline, server.version()
            time.sleep(0.1)
        for _ in range(50):  # answered by the loaded version while the store is down
            status, head, _ = invoke(server.port, payload)
            assert status == 200 and head["mlops-model-version"] == "1"
        assert "store unreachable" in server.log()
        database.start()
        mj.promote("diab", 2, "staging")
        assert server.wait_version(2, timeout=20) < 20
        status, head, _ = invoke(server.port, payload)
        assert status == 200 and head["mlops-model-version"] == "2"
        assert server.version()["error"] is None
        assert "following resumes" in server.log()
        time.sleep(1.0)
        (listed,) = mj.model_servers("diab")  # the heartbeat resumed too
        assert listed.version == 2
    finally:
        if server is not None:
            server.stop()
        context.reset()
        reset_stores()
        database.destroy()
