"""SQL for data versions: input snapshots (a fingerprint's bytes as a blob) and the listing of
dataset versions with the runs that read or wrote them (``mlops-jupyter data ls``)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from mlops_jupyter.store.database import Database
from mlops_jupyter.store.runs import dialect_insert
from mlops_jupyter.store.schema import dataset_snapshots, datasets, lineage_edges

_IN_CHUNK = 500


class DataStore:
    """Reads and writes input snapshots and lists dataset versions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def snapshots(self, fingerprints: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The snapshots held for these fingerprints: fingerprint -> {digest, size, created_at}."""
        wanted = sorted(set(fingerprints))
        found: dict[str, dict[str, Any]] = {}
        if not wanted:
            return found
        with self.db.read() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                query = select(dataset_snapshots).where(
                    dataset_snapshots.c.fingerprint.in_(wanted[start : start + _IN_CHUNK])
                )
                for row in conn.execute(query).mappings():
                    found[row["fingerprint"]] = dict(row)
        return found

    def add_snapshot(self, fingerprint: str, digest: str, size: int) -> None:
        """Record that ``fingerprint``'s bytes are blob ``digest`` (the first record wins)."""

        def work(conn: Connection) -> None:
            insert = dialect_insert(conn)
            conn.execute(
                insert(dataset_snapshots)
                .values(fingerprint=fingerprint, digest=digest, size=size, created_at=time.time())
                .on_conflict_do_nothing(index_elements=["fingerprint"])
            )

        self.db.transact(work)

    def snapshot_digests(self) -> set[str]:
        """Blob keys snapshots point at (garbage collection keeps them)."""
        with self.db.read() as conn:
            return {str(d) for d in conn.execute(select(dataset_snapshots.c.digest)).scalars()}

    def versions(
        self, uri: str | None = None, *, include_memory: bool = False
    ) -> list[dict[str, Any]]:
        """Dataset versions, newest first, each with ``runs`` ([(run_id, role)]) and
        ``snapshot`` (the snapshot row or None). ``uri``: only that dataset's versions."""
        query = select(datasets).order_by(datasets.c.created_at.desc(), datasets.c.dataset_id)
        if uri is not None:
            query = query.where(datasets.c.uri == uri)
        elif not include_memory:
            query = query.where(datasets.c.uri.not_like("memory://%"))
        with self.db.read() as conn:
            rows = [dict(row) for row in conn.execute(query).mappings()]
            ids = [row["dataset_id"] for row in rows]
            edges: dict[str, list[tuple[str, str]]] = {}
            for start in range(0, len(ids), _IN_CHUNK):
                edge_query = (
                    select(lineage_edges.c.node_id, lineage_edges.c.run_id, lineage_edges.c.role)
                    .where(
                        lineage_edges.c.node_type == "dataset",
                        lineage_edges.c.node_id.in_(ids[start : start + _IN_CHUNK]),
                    )
                    .order_by(lineage_edges.c.run_id)
                )
                for node_id, run_id, role in conn.execute(edge_query):
                    edges.setdefault(node_id, []).append((run_id, role))
        held = self.snapshots(row["fingerprint"] for row in rows)
        for row in rows:
            row["runs"] = edges.get(row["dataset_id"], [])
            row["snapshot"] = held.get(row["fingerprint"])
        return rows
