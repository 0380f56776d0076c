"""A real JupyterLab server in a subprocess, for the browser and live-server tests.

``start_lab_server(base)`` runs ``python -m jupyterlab`` on a free loopback port with a random
token, its own root dir, store (``MLOPS_JUPYTER_STORE``) and Jupyter config/runtime/settings/
workspace dirs under ``base``, so nothing from the developer's home leaks in; its log goes to
``test-output/logs/jupyterlab-<port>.log``. Fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
LOGS = OUTPUT / "logs"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT_S = 90
SIDEBAR_ID = "mlops-jupyter-sidebar"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    """A running JupyterLab subprocess."""

    process: subprocess.Popen[bytes]
    port: int
    token: str
    root_dir: Path
    store_dir: Path
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def lab_url(self) -> str:
        return f"{self.base_url}/lab?token={self.token}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        body: Any = None,
        authenticated: bool = True,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """HTTP request to the server; returns (status, headers, body) without raising."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url(path), data=data, method=method)
        if authenticated:
            request.add_header("Authorization", f"token {self.token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def get_json(self, path: str) -> Any:
        status, _, payload = self.request(path)
        assert status == 200, f"GET {path} -> {status}: {payload[:500]!r}"
        return json.loads(payload)

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer to assert on, not to follow


def _wait_until_up(server: LabServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with {server.process.returncode} during start-up:\n"
                f"{server.log_tail()}"
            )
        try:
            status, _, _ = server.request("api/status")
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as error:
            last = str(error)
        time.sleep(0.25)
    raise RuntimeError(
        f"JupyterLab did not answer within {STARTUP_TIMEOUT_S}s ({last}):\n{server.log_tail()}"
    )


def start_lab_server(base: Path, extra_args: list[str] | None = None) -> LabServer:
    """Start ``python -m jupyterlab`` in its own sandbox under ``base``; wait until it answers.

    The free port is picked before the server binds it; if another process takes it in between,
    the start is retried on a new port (up to 3 times).
    """
    token = secrets.token_hex(24)
    root_dir = base / "root"
    store_dir = base / "store"
    jupyter_dirs = {
        "JUPYTER_CONFIG_DIR": base / "jupyter-config",
        "JUPYTER_RUNTIME_DIR": base / "jupyter-runtime",
        "JUPYTERLAB_SETTINGS_DIR": base / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "lab-workspaces",
    }
    for folder in (root_dir, store_dir, *jupyter_dirs.values()):
        folder.mkdir(parents=True, exist_ok=True)
    # no "get Jupyter news?" toast and no update check: nothing but the page under test
    notification = jupyter_dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false"})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    # serve a worktree's own build: a folder whose labextensions/mlops-jupyter links to it
    if os.environ.get("MLOPS_TEST_JUPYTER_PATH"):
        env["JUPYTER_PATH"] = os.environ["MLOPS_TEST_JUPYTER_PATH"]
    env.update({k: str(v) for k, v in jupyter_dirs.items()})
    env["MLOPS_JUPYTER_STORE"] = str(store_dir)
    env.setdefault("MLOPS_JUPYTER_USER", "browser-test")
    env["PYTHONUNBUFFERED"] = "1"
    LOGS.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        port = free_port()
        log_path = LOGS / f"jupyterlab-{port}.log"
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={root_dir}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(extra_args or []),
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        server = LabServer(process, port, token, root_dir, store_dir, log_path, env)
        try:
            _wait_until_up(server)
        except BaseException:
            stop_lab_server(server)
            if attempt < 2 and "already in use" in server.log_tail():
                continue
            raise
        break
    return server


def stop_lab_server(server: LabServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=15)
