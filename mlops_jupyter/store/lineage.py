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

    def link_datasets(
        self, run_id: str, uses: Sequence[tuple[dict[str, Any], str, str | None]]
    ) -> list[str]:
        """Dataset versions (created on first sight) and their edges to one run, in one
        transaction. ``uses``: (dataset fields, role, name); returns the dataset ids in order."""
        if not uses:
            return []
        now = time.time()

        def work(conn: Connection) -> list[str]:
            insert = dialect_insert(conn)
            distinct = {(fields["uri"], fields["fingerprint"]): fields for fields, _, _ in uses}
            conn.execute(
                insert(datasets).on_conflict_do_nothing(index_elements=["uri", "fingerprint"]),
                [_dataset_row(fields, now) for fields in distinct.values()],
            )
            ids = []
            for fields, _, _ in uses:
                ids.append(
                    str(
                        conn.execute(
                            select(datasets.c.dataset_id).where(
                                datasets.c.uri == fields["uri"],
                                datasets.c.fingerprint == fields["fingerprint"],
                            )
                        ).scalar()
                    )
                )
            conn.execute(
                insert(lineage_edges).on_conflict_do_nothing(
                    index_elements=["run_id", "node_type", "node_id", "role"]
                ),
                [
                    {
                        "run_id": run_id,
                        "node_type": "dataset",
                        "node_id": dataset_id,
                        "role": role,
                        "name": name,
                        "created_at": now,
                    }
                    for dataset_id, (_, role, name) in zip(ids, uses, strict=True)
                ],
            )
            return ids

        return self.db.transact(work)

    def traverse(
        self, start: Sequence[tuple[str, str]], direction: str, max_depth: int = 100
    ) -> list[dict[str, Any]]:
        """Every edge reachable from the start nodes ``(node_type, node_id)`` along the data flow.

        An ``input`` edge flows node → run, an ``output`` edge run → node. Upstream follows the
        flow backwards (what a node was made from), downstream forwards (what was made from it).
        Runs are nodes of type ``run``. One pair of queries per level of the graph.
        """
        if direction not in ("upstream", "downstream"):
            raise ValueError(f"direction must be 'upstream' or 'downstream', got {direction!r}")
        into_run, out_of_node = (
            ("input", "output") if direction == "upstream" else ("output", "input")
        )
        found: dict[int, dict[str, Any]] = {}
        seen = set(start)
        frontier = set(start)
        with self.db.read() as conn:
            for _ in range(max_depth):
                if not frontier:
                    break
                reached: set[tuple[str, str]] = set()
                run_ids = sorted(node_id for node_type, node_id in frontier if node_type == "run")
                for row in _edges_where(conn, lineage_edges.c.run_id, run_ids, into_run):
                    found[row["edge_id"]] = row
                    reached.add((row["node_type"], row["node_id"]))
                for node_type in sorted({node_type for node_type, _ in frontier}):
                    node_ids = sorted(node_id for kind, node_id in frontier if kind == node_type)
                    for row in _edges_where(
                        conn,
                        lineage_edges.c.node_id,
                        node_ids,
                        out_of_node,
                        lineage_edges.c.node_type == node_type,
                    ):
                        found[row["edge_id"]] = row
                        reached.add(("run", row["run_id"]))
                frontier = reached - seen
                seen |= reached
        return sorted(found.values(), key=lambda row: row["edge_id"])

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


_IN_CHUNK = 500


def _edges_where(
    conn: Connection, column: Any, values: Sequence[str], role: str, *extra: Any
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for start in range(0, len(values), _IN_CHUNK):
        chunk = list(values[start : start + _IN_CHUNK])
        query = select(lineage_edges).where(column.in_(chunk), lineage_edges.c.role == role, *extra)
        rows.extend(dict(row) for row in conn.execute(query).mappings())
    return rows


def _dataset_row(fields: dict[str, Any], now: float) -> dict[str, Any]:
    schema = fields.get("schema")
    return {
        "dataset_id": new_id(),
        "uri": fields["uri"],
        "fingerprint": fields["fingerprint"],
        "format": fields.get("format"),
        "rows": fields.get("rows"),
        "columns": fields.get("columns"),
        "schema": json.dumps(schema) if schema is not None else None,
        "created_at": now,
    }


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("schema", "profile"):
        if row.get(key):
            row[key] = json.loads(row[key])
    return row
