"""The release pipeline end to end against a live server: example_notebooks/ci/release.sh trains
through papermill, registers, approves, checks gates, tests the bundle, promotes, smoke-tests;
the server ends on the new version; a rollback brings the old one back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from registry_support import approved

import mlops_jupyter as mj
from serve.support import CLI, REPO, ServerProcess, cli_env

pytestmark = pytest.mark.slow


def test_release_script_moves_the_live_server_and_rollback_returns(
    serve_store: Path, tmp_path: Path
) -> None:
    approved("diabetes", 1.0)  # version 1, registered by alice, approved by bob
    mj.promote("diabetes", 1)
    server = ServerProcess(
        "diabetes@production", "--poll", "0.2", env={}, log=tmp_path / "serve.log"
    )
    try:
        server.wait_ready()
        env = cli_env(
            {
                "MODEL_NAME": "diabetes",
                "SERVER_URL": server.url,
                "APPROVER": "bob",
                "GATE": "r2 >= 0.1",
                "ALPHA": "0.5",
                "MJ": " ".join(CLI),
                "PYTHON": sys.executable,
            }
        )
        done = subprocess.run(
            ["bash", str(REPO / "example_notebooks/ci/release.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "released diabetes version 2 as @production" in done.stdout
        assert server.version()["version"] == 2
        version = mj.get_version("diabetes", 2)
        assert version.status == "approved" and "production" in version.aliases
        # roll back: the server returns to version 1
        rolled = subprocess.run(
            [*CLI, "models", "rollback", "diabetes"], env=cli_env(), capture_output=True, text=True
        )
        assert rolled.returncode == 0, rolled.stderr
        check = subprocess.run(
            [*CLI, "serve", "check", server.url, "--version", "1", "--timeout", "20"],
            env=cli_env(),
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0 and "version 1" in check.stdout, check.stderr
        wrong = subprocess.run(
            [*CLI, "serve", "check", server.url, "--version", "2", "--timeout", "1"],
            env=cli_env(),
            capture_output=True,
            text=True,
        )
        assert wrong.returncode == 1 and "expected 2" in wrong.stderr
    finally:
        server.stop()
