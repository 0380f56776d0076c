"""Finding 1 over REST: registering a run whose logged model file names ``subprocess.Popen``
is refused with 422 naming the type, and no command runs inside the Jupyter server."""

from __future__ import annotations

from pathlib import Path

import mlops_jupyter as mj
from tests.security.malicious import popen_skops_file
from tests.server.conftest import ApiClient


async def test_rest_register_refuses_a_hostile_file(api: ApiClient, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with mj.start_run("hostile") as run:
        mj.log_artifact(popen_skops_file(marker), "model/model.skops")
    answer = await api.post("models", {"run_id": run.run_id, "name": "m"})
    assert answer.status == 422, answer.body
    assert "subprocess.Popen" in answer.json["message"]
    assert not marker.exists()
    assert (await api.get("models")).json == {"models": []}
