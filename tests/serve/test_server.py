"""The model server over real HTTP on loopback: input shapes, signature errors, headers,
/version, /metrics, following an alias, pinning (with a bearer token and a body limit), a corrupt
version, several workers, and `serve ls`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from registry_support import diabetes, train_and_register

import mlops_jupyter as mj
from serve.support import CLI, ServerProcess, cli_env, invoke, request

pytestmark = pytest.mark.slow


def _rows(n: int = 3) -> list[dict[str, float]]:
    X, _ = diabetes()
    return X.head(n).to_dict(orient="records")


def _expected(version: int, n: int = 3) -> list[float]:
    X, _ = diabetes()
    return mj.load_model(f"models:/diab/{version}").predict(X.head(n)).tolist()


def test_shapes_errors_headers_version_metrics_and_ls(serve_store: Path, tmp_path: Path) -> None:
    train_and_register("diab", 1.0)
    mj.promote("diab", 1, "staging")
    server = ServerProcess("diab@staging", env={}, log=tmp_path / "serve.log")
    try:
        server.wait_ready()
        X, _ = diabetes()
        rows = _rows()
        want = _expected(1)
        payloads = [
            {"dataframe_records": rows},
            {"dataframe_split": json.loads(X.head(3).to_json(orient="split"))},
            {"instances": rows},
            {"instances": X.head(3).to_numpy().tolist()},
            {"dataframe_records": [{k: row[k] for k in reversed(list(row))} for row in rows]},
        ]
        for payload in payloads:
            status, head, body = invoke(server.port, payload)
            assert status == 200, body
            assert head["mlops-model-version"] == "1"
            assert len(head["mlops-request-id"]) >= 16
            assert np.allclose(body["predictions"], want)
        status, head, body = request(
            server.port,
            "POST",
            "/invocations",
            X.head(3).to_csv(index=False),
            {"Content-Type": "text/csv"},
        )
        assert status == 200 and np.allclose(json.loads(body)["predictions"], want)

        # a missing, an extra and a mistyped column: one 400 naming all three
        bad = [
            {**{k: v for k, v in row.items() if k != "bmi"}, "colour": 1.0, "sex": "m"}
            for row in rows
        ]
        status, head, body = invoke(server.port, {"dataframe_records": bad})
        assert status == 400 and head["mlops-model-version"] == "1"
        message = body["message"]
        assert "'bmi'" in message and "'colour'" in message and "'sex'" in message

        # bad bodies: 4xx with a message, never a crash
        cases = [
            (b"{not json", "application/json", 400, "not valid JSON"),
            (b'{"rows": []}', "application/json", 400, "exactly one of"),
            (b"[1, 2]", "application/json", 400, "JSON object"),
            (b'{"dataframe_records": []}', "application/json", 400, "no rows"),
            (
                b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1]]}}',
                "application/json",
                400,
                "2 columns",
            ),
            (b"age,sex\n1", "text/plain", 415, "unsupported content type"),
            (b"", "text/csv", 400, "empty"),
            (b"\xff\xfe", "application/json", 400, "not valid JSON"),
        ]
        for body_bytes, content_type, want_status, words in cases:
            status, head, body = request(
                server.port, "POST", "/invocations", body_bytes, {"Content-Type": content_type}
            )
            assert status == want_status, (body_bytes, body)
            assert words in json.loads(body)["message"], body
            assert head["mlops-model-version"] == "1"
        status, head, _ = request(server.port, "GET", "/nowhere")
        assert status == 404 and head["mlops-model-version"] == "1"
        status, head, _ = request(server.port, "GET", "/invocations")
        assert status == 405 and head["mlops-model-version"] == "1"

        info = server.version()
        assert {"name", "version", "alias", "signature", "loaded_at", "error"} <= set(info)
        assert (info["name"], info["version"], info["alias"], info["error"]) == (
            "diab",
            1,
            "staging",
            None,
        )
        assert [c["name"] for c in info["signature"]["columns"]] == list(X.columns)
        status, head, _ = request(server.port, "GET", "/health")
        assert status == 200 and head["mlops-model-version"] == "1"

        status, head, text = request(server.port, "GET", "/metrics")
        metrics = text.decode()
        assert status == 200 and head["mlops-model-version"] == "1"
        assert 'mlops_serve_requests_total{model="diab",status="200",version="1"} 6.0' in metrics
        assert 'mlops_serve_rows_total{model="diab",version="1"} 18.0' in metrics
        assert 'mlops_serve_errors_total{kind="input",model="diab",version="1"}' in metrics
        assert 'mlops_serve_request_seconds_bucket{le="+Inf",model="diab",version="1"}' in metrics
        assert 'mlops_serve_cpu_seconds_total{model="diab",version="1"}' in metrics

        listed = subprocess.run(
            [*CLI, "serve", "ls", "--format", "json"], env=cli_env(), capture_output=True, text=True
        )
        assert listed.returncode == 0, listed.stderr
        (entry,) = json.loads(listed.stdout)
        assert {"server_id", "url", "model", "alias", "version", "heartbeat"} <= set(entry)
        assert (entry["url"], entry["model"], entry["alias"], entry["version"]) == (
            server.url,
            "diab",
            "staging",
            1,
        )
        assert entry["server_id"] == info["server_id"]
    finally:
        assert server.stop() == 0
    # a clean stop removes the server from the listing
    assert mj.model_servers() == []


def test_follows_pins_and_survives_a_corrupt_version(serve_store: Path, tmp_path: Path) -> None:
    train_and_register("diab", 1.0)
    train_and_register("diab", 0.1)
    v3 = train_and_register("diab", 0.01)
    mj.promote("diab", 1, "staging")
    follower = ServerProcess("diab@staging", "--poll", "0.2", env={}, log=tmp_path / "follow.log")
    # the pinned server also has a bearer token and a small body limit
    pinned = ServerProcess(
        "diab@staging",
        "--pin",
        "1",
        "--max-body",
        "2kb",
        env={"MLOPS_JUPYTER_SERVE_TOKEN": "s3cret"},
        log=tmp_path / "pin.log",
    )
    try:
        follower.wait_ready()
        pinned.wait_ready()
        mj.promote("diab", 2, "staging")
        assert follower.wait_version(2) < 5
        status, head, body = invoke(follower.port, {"dataframe_records": _rows()})
        assert head["mlops-model-version"] == "2" and np.allclose(body["predictions"], _expected(2))
        # corrupt version 3's file, then promote it: the old version keeps serving
        blob = Path(mj.get_store().blobs.path_for(v3.artifact_digest))
        blob.write_bytes(blob.read_bytes()[:-10] + b"0123456789")
        mj.promote("diab", 3, "staging")
        deadline = __import__("time").monotonic() + 10
        while follower.version()["error"] is None:
            assert __import__("time").monotonic() < deadline, follower.version()
            __import__("time").sleep(0.05)
        info = follower.version()
        assert info["version"] == 2 and info["alias_version"] == 3
        assert "version 3 failed to load" in info["error"] and "SHA-256" in info["error"]
        assert "version 3 failed to load" in follower.log()
        status, head, _ = invoke(follower.port, {"dataframe_records": _rows()})
        assert status == 200 and head["mlops-model-version"] == "2"
        # rollback to version 2: the error clears
        mj.rollback("diab", "staging")
        __import__("time").sleep(0.6)
        assert follower.version()["error"] is None
        # the pinned server never moved
        assert pinned.version()["version"] == 1 and pinned.version()["pinned"] is True
        auth = {"Authorization": "Bearer s3cret"}
        assert (
            invoke(pinned.port, {"dataframe_records": _rows()}, auth)[1]["mlops-model-version"]
            == "1"
        )
        # bearer token on /invocations only
        payload = {"dataframe_records": _rows(1)}
        status, head, body = invoke(pinned.port, payload)
        assert status == 401 and "bearer token" in body["message"]
        assert head["www-authenticate"].startswith("Bearer")
        assert invoke(pinned.port, payload, {"Authorization": "Bearer wrong"})[0] == 401
        assert request(pinned.port, "GET", "/version")[0] == 200
        # the body limit: declared size, and a chunked upload without Content-Length
        big = {"dataframe_records": _rows(40)}
        status, _, body = invoke(pinned.port, big, auth)
        assert status == 413 and "2048 bytes" in body["message"]
        chunks = (json.dumps(big).encode()[i : i + 500] for i in range(0, 6000, 500))
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", pinned.port, timeout=10)
        connection.request(
            "POST",
            "/invocations",
            body=chunks,
            headers={"Content-Type": "application/json", **auth},
            encode_chunked=True,
        )
        assert connection.getresponse().status == 413
        connection.close()
        assert request(pinned.port, "GET", "/health")[0] == 200
    finally:
        follower.stop()
        pinned.stop()


def test_every_worker_follows_and_metrics_aggregate(serve_store: Path, tmp_path: Path) -> None:
    train_and_register("diab", 1.0)
    train_and_register("diab", 0.1)
    mj.promote("diab", 1, "staging")
    server = ServerProcess(
        "diab@staging",
        "--workers",
        "2",
        "--poll",
        "0.2",
        "--heartbeat",
        "0.5",
        env={},
        log=tmp_path / "serve.log",
    )
    try:
        server.wait_ready()
        import time

        deadline = time.monotonic() + 30
        while len(mj.get_store().serving.servers("diab")) < 2:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        for _ in range(20):
            assert invoke(server.port, {"dataframe_records": _rows(1)})[0] == 200
        mj.promote("diab", 2, "staging")
        time.sleep(2.0)
        # new connections land on either worker: all of them answer with version 2
        seen = {
            invoke(server.port, {"dataframe_records": _rows(1)})[1]["mlops-model-version"]
            for _ in range(40)
        }
        assert seen == {"2"}
        time.sleep(1.0)
        (entry,) = [s.to_dict() for s in mj.model_servers("diab")]
        assert entry["workers"] == 2 and entry["version"] == 2 and entry["versions"] == [2]
        metrics = request(server.port, "GET", "/metrics")[2].decode()
        assert 'mlops_serve_requests_total{model="diab",status="200",version="1"} 20.0' in metrics
        assert 'mlops_serve_requests_total{model="diab",status="200",version="2"} 40.0' in metrics
    finally:
        assert server.stop() == 0


def test_cli_refuses_bad_references_and_busy_ports(serve_store: Path) -> None:
    from click.testing import CliRunner

    from mlops_jupyter.cli import cli

    train_and_register("diab", 1.0)
    mj.promote("diab", 1, "staging")
    runner = CliRunner()
    cases = [
        (["serve", "nosuch@staging"], "no registered model"),
        (["serve", "diab@production"], "has no alias 'production'"),
        (["serve", "diab@staging", "--pin", "9"], "has no version 9"),
        (["serve", "diab@staging", "--max-body", "lots"], "not a size"),
        (["serve", "diab"], "does not say which version"),
    ]
    for args, words in cases:
        done = runner.invoke(cli, args)
        assert done.exit_code == 2, (args, done.output)
        assert words in done.output and "Traceback" not in done.output, done.output
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = runner.invoke(cli, ["serve", "diab@staging", "--port", str(port)])
    assert done.exit_code == 2 and "cannot listen" in done.output
    help_text = runner.invoke(cli, ["serve", "start", "--help"]).output
    assert "--workers" in help_text and "MLOps-Model-Version" in help_text
    # the real command line too: a usage error is exit 2 with one line, no traceback
    done = subprocess.run(
        [*CLI, "serve", "nosuch@staging"], env=cli_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stderr.startswith("error: no registered model")
