"""REST: live model servers (``GET servers``), as their heartbeats record them in the store."""

from __future__ import annotations

import time
from typing import Any

from mlops_jupyter.serve.follower import ModelHolder
from mlops_jupyter.serve.settings import ServeSettings
from mlops_jupyter.serve.telemetry import Heartbeat, LatencyWindow


def beat(store: Any, server_id: str, alias: str, worker: int, latencies: list[float]) -> None:
    """One worker's heartbeat, as a running server writes it (its holder has nothing loaded)."""
    settings = ServeSettings(name="churn", alias=alias, port=5000 + worker, server_id=server_id)
    window = LatencyWindow()
    for seconds in latencies:
        window.add(time.time(), seconds)
    heartbeat = Heartbeat(settings, store, ModelHolder(settings, store), window)
    heartbeat.worker = worker
    assert heartbeat.beat()


async def test_live_servers_with_their_workers_and_latency(api: Any, mj_store: Any) -> None:
    answer = await api.get("servers")
    assert answer.status == 200 and answer.json == {"servers": []}
    beat(mj_store, "s1", "production", 1, [0.002] * 19 + [0.004])
    beat(mj_store, "s1", "production", 2, [0.003] * 20)
    beat(mj_store, "s2", "staging", 3, [])
    answer = await api.get("servers", model="churn")
    servers = {s["server_id"]: s for s in answer.json["servers"]}
    assert set(servers) == {"s1", "s2"}
    first = servers["s1"]
    assert (first["model"], first["alias"], first["workers"], first["requests"]) == (
        "churn",
        "production",
        2,
        40,
    )
    assert first["p95_ms"] == 4.0 and first["p50_ms"] == 3.0
    assert servers["s2"]["p95_ms"] is None and servers["s2"]["version"] is None
    assert (await api.get("servers", model="other")).json == {"servers": []}
    # a server whose heartbeat is older than 30 s is gone
    with mj_store.db.writer.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE model_servers SET heartbeat = heartbeat - 60 WHERE server_id = 's2'"
        )
    assert [s["server_id"] for s in (await api.get("servers")).json["servers"]] == ["s1"]
