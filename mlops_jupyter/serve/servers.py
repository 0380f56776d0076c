"""The live model servers, as their workers' heartbeats in the store report them.

A server is one ``mlops-jupyter serve`` process (one address); with ``--workers N`` it has N
worker rows. A server is live while some worker beat within ``STALE_SECONDS``.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mlops_jupyter.store import get_store

if TYPE_CHECKING:
    from mlops_jupyter.store import Store

STALE_SECONDS = 30.0


@dataclass(frozen=True)
class ModelServer:
    """One live server (its workers aggregated)."""

    server_id: str
    url: str
    model: str
    alias: str | None
    version: int | None  # what most workers serve
    versions: list[int]  # every version some worker serves (two during a swap)
    heartbeat: str  # ISO time of the newest beat
    workers: int
    pinned: bool
    requests: int
    request_rate: float  # per second, all workers, last minute
    p50_ms: float | None  # the slowest worker's (a safe upper figure)
    p95_ms: float | None
    error: str | None
    host: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _aggregate(rows: list[dict[str, Any]]) -> ModelServer:
    first = rows[0]
    versions = [r["version"] for r in rows if r["version"] is not None]
    common = Counter(versions).most_common(1)
    beat = max(r["heartbeat"] for r in rows)

    def worst(key: str) -> float | None:
        values = [r[key] for r in rows if r[key] is not None]
        return max(values) if values else None

    errors = [r["error"] for r in rows if r["error"]]
    return ModelServer(
        server_id=first["server_id"],
        url=first["url"],
        model=first["name"],
        alias=first["alias"],
        version=common[0][0] if common else None,
        versions=sorted(set(versions)),
        heartbeat=datetime.fromtimestamp(beat, timezone.utc).isoformat(timespec="seconds"),
        workers=len(rows),
        pinned=bool(first["pinned"]),
        requests=sum(int(r["requests"] or 0) for r in rows),
        request_rate=round(sum(float(r["request_rate"] or 0.0) for r in rows), 3),
        p50_ms=worst("p50_ms"),
        p95_ms=worst("p95_ms"),
        error=errors[0] if errors else None,
        host=first["host"],
    )


def list_servers(
    name: str | None = None, *, store: Store | None = None, stale_seconds: float = STALE_SECONDS
) -> list[ModelServer]:
    """Live servers (optionally of one model), newest first."""
    store = store or get_store()
    rows = store.serving.servers(name, since=time.time() - stale_seconds)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["server_id"], []).append(row)
    return [_aggregate(group) for group in grouped.values()]


def serving_summary(name: str, *, store: Store | None = None) -> list[dict[str, Any]]:
    """Per alias of ``name``: the versions served, how many servers, their worst p95 — what
    the sidebar shows as "production → v3, served by 2 servers, p95 4 ms"."""
    by_alias: dict[str | None, list[ModelServer]] = {}
    for server in list_servers(name, store=store):
        by_alias.setdefault(server.alias, []).append(server)
    summary = []
    for alias, servers in sorted(by_alias.items(), key=lambda item: str(item[0])):
        p95 = [s.p95_ms for s in servers if s.p95_ms is not None]
        summary.append(
            {
                "alias": alias,
                "versions": sorted({v for s in servers for v in s.versions}),
                "servers": len(servers),
                "p95_ms": max(p95) if p95 else None,
                "request_rate": round(sum(s.request_rate for s in servers), 3),
                "errors": [s.error for s in servers if s.error],
                "urls": [s.url for s in servers],
            }
        )
    return summary


model_servers = list_servers
