"""SQL for data lineage: dataset versions (uri + content fingerprint) and the edges that tie
runs to what they read and wrote (datasets, other runs, model versions).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from mlops_jupyter.store.database import Database
from mlops_jupyter.store.ids import new_id
from mlops_jupyter.store.runs import dialect_insert
from mlops_jupyter.store.schema import datasets, lineage_edges, runs


class LineageStore:
    """Reads and writes dataset versions and lineage edges."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def dataset_version(
        self,
        uri: str,
        fingerprint: str,
        *,
        format: str | None = None,
        rows: int | None = None,
        columns: int | None = None,
        schema: dict[str, str] | None = None,
    ) -> str:
        """The id of the dataset version (uri, fingerprint), created on first sight."""

        def work(conn: Connection) -> str:
            insert = dialect_insert(conn)
            conn.execute(
                insert(datasets)
                .values(
                    dataset_id=new_id(),
                    uri=uri,
                    fingerprint=fingerprint,
                    format=format,
                    rows=rows,
                    columns=columns,
                    schema=json.dumps(schema) if schema is not None else None,
                    created_at=time.time(),
                )
                .on_conflict_do_nothing(index_elements=["uri", "fingerprint"])
            )
            return str(
                conn.execute(
                    select(datasets.c.dataset_id).where(
                        datasets.c.uri == uri, datasets.c.fingerprint == fingerprint
                    )
                ).scalar()
            )

        return self.db.transact(work)

    def add_edges(self, edges: Sequence[dict[str, Any]]) -> None:
        """Edges: dicts with run_id, node_type, node_id, role, name. Duplicates are ignored."""
        if not edges:
            return
        now = time.time()

        def work(conn: Connection) -> None:
            insert = dialect_insert(conn)
            conn.execute(
                insert(lineage_edges).on_conflict_do_nothing(
                    index_elements=["run_id", "node_type", "node_id", "role"]
                ),
                [{"created_at": now, **edge} for edge in edges],
            )

        self.db.transact(work)

    def edges_of_runs(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(lineage_edges).where(lineage_edges.c.run_id.in_(list(run_ids)))
            ).mappings()
            return [dict(row) for row in rows]

    def edges_of_nodes(self, node_type: str, node_ids: Sequence[str]) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(lineage_edges).where(
                    lineage_edges.c.node_type == node_type,
                    lineage_edges.c.node_id.in_(list(node_ids)),
                )
            ).mappings()
            return [dict(row) for row in rows]

    def datasets_by_id(self, dataset_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(datasets).where(datasets.c.dataset_id.in_(list(dataset_ids)))
            ).mappings()
            return {row["dataset_id"]: _decoded(dict(row)) for row in rows}

    def find_datasets(self, uri_or_fingerprint: str) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(datasets)
                .where(
                    or_(
                        datasets.c.dataset_id == uri_or_fingerprint,
                        datasets.c.uri == uri_or_fingerprint,
                        datasets.c.fingerprint == uri_or_fingerprint,
                    )
                )
                .order_by(datasets.c.created_at)
            ).mappings()
            return [_decoded(dict(row)) for row in rows]

    def runs_by_id(self, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(
                    runs.c.run_id,
                    runs.c.name,
                    runs.c.kind,
                    runs.c.status,
                    runs.c.start_time,
                    runs.c.notebook_path,
                    runs.c.cell_id,
                    runs.c.parent_run_id,
                ).where(runs.c.run_id.in_(list(run_ids)))
            ).mappings()
            return {row["run_id"]: dict(row) for row in rows}


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("schema", "profile"):
        if row.get(key):
            row[key] = json.loads(row[key])
    return row
