"""Helpers for the serving tests: a real `mlops-jupyter serve` process on a free loopback port,
and a small keep-alive HTTP client (the standard library's, so the tests measure the server)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "mlops_jupyter.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.update(extra or {})
    return env


class ServerProcess:
    """``mlops-jupyter serve ARGS`` in a subprocess; ``stop()`` sends SIGTERM (a clean stop)."""

    def __init__(
        self, reference: str, *args: str, env: dict[str, str] | None = None, log: Path
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [*CLI, "serve", reference, "--port", str(self.port), *args],
            env=cli_env(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}: {self.log()}")
            try:
                status, _, body = request(self.port, "GET", "/health", timeout=2)
                if status == 200:
                    return json.loads(body)
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready in {timeout} s: {self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        return int(self.process.returncode)

    def version(self) -> dict[str, Any]:
        return json.loads(request(self.port, "GET", "/version")[2])

    def wait_version(self, version: int, timeout: float = 15.0) -> float:
        """Seconds until /version names ``version``."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.version()["version"] == version:
                return time.monotonic() - started
            time.sleep(0.02)
        raise AssertionError(f"still serving {self.version()} after {timeout} s")


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def invoke(
    port: int, payload: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    status, head, body = request(
        port,
        "POST",
        "/invocations",
        json.dumps(payload),
        {"Content-Type": "application/json", **(headers or {})},
    )
    return status, head, json.loads(body) if body else None


class Client:
    """One keep-alive connection (what a load-generating client holds)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(
        self, body: bytes, content_type: str = "application/json"
    ) -> tuple[int, dict[str, str], bytes]:
        self.connection.request(
            "POST", "/invocations", body=body, headers={"Content-Type": content_type}
        )
        response = self.connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()

    def close(self) -> None:
        self.connection.close()
