"""SQL of the serving tables: live model servers (their heartbeats), sampled predictions and the
delayed outcomes joined to them.

Server rows are upserted by each worker process's heartbeat (update first, insert when the row
is new), so a worker that lost its row (a store restored from backup) re-creates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, insert, select, update

from mlops_jupyter.store.schema import model_servers, served_outcomes, served_predictions

if TYPE_CHECKING:
    from mlops_jupyter.store.database import Database


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


class ServingStore:
    """Entry point to the serving tables of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- live servers ---------------------------------------------------------------------------
    def beat(self, row: Mapping[str, Any]) -> None:
        """Record one worker's state (insert on its first beat, update afterwards)."""
        key = (row["server_id"], row["worker"])
        values = {k: v for k, v in row.items() if k not in ("server_id", "worker")}

        def work(conn: Any) -> None:
            done = conn.execute(
                update(model_servers)
                .where(model_servers.c.server_id == key[0], model_servers.c.worker == key[1])
                .values(**values)
            )
            if done.rowcount == 0:
                conn.execute(insert(model_servers).values(**row))

        self.db.transact(work)

    def remove(self, server_id: str, worker: int | None = None) -> None:
        """Forget a server (all its workers) or one worker, when it stops."""
        query = delete(model_servers).where(model_servers.c.server_id == server_id)
        if worker is not None:
            query = query.where(model_servers.c.worker == worker)
        self.db.transact(lambda conn: conn.execute(query))

    def servers(
        self, name: str | None = None, *, since: float | None = None
    ) -> list[dict[str, Any]]:
        """Worker rows, newest server first; ``since``: only those that beat after that time."""
        query = select(model_servers)
        if name is not None:
            query = query.where(model_servers.c.name == name)
        if since is not None:
            query = query.where(model_servers.c.heartbeat >= since)
        query = query.order_by(model_servers.c.started_at.desc(), model_servers.c.worker)
        with self.db.read() as conn:
            return _rows(conn.execute(query))

    def prune(self, before: float) -> int:
        """Delete rows of workers whose last beat is older than ``before`` (gone servers)."""
        query = delete(model_servers).where(model_servers.c.heartbeat < before)
        return int(self.db.transact(lambda conn: conn.execute(query).rowcount) or 0)

    # -- predictions and outcomes --------------------------------------------------------------
    def add_predictions(self, rows: list[dict[str, Any]]) -> None:
        """Insert a batch of logged predictions in one transaction."""
        if rows:
            self.db.transact(lambda conn: conn.execute(insert(served_predictions), rows))

    def add_outcomes(self, name: str, rows: Iterable[tuple[str, str, float]]) -> int:
        """Record ``(request_id, y_true JSON, at)`` labels; a repeated id replaces its label."""
        batch = list(rows)

        def work(conn: Any) -> int:
            ids = [request_id for request_id, _, _ in batch]
            for start in range(0, len(ids), 500):
                conn.execute(
                    delete(served_outcomes).where(
                        served_outcomes.c.name == name,
                        served_outcomes.c.request_id.in_(ids[start : start + 500]),
                    )
                )
            if batch:
                conn.execute(
                    insert(served_outcomes),
                    [
                        {"name": name, "request_id": rid, "y_true": y, "at": at}
                        for rid, y, at in batch
                    ],
                )
            return len(batch)

        return int(self.db.transact(work))

    def prediction_log(
        self,
        name: str,
        *,
        version: int | None = None,
        since: float | None = None,
        until: float | None = None,
        labelled_only: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Logged predictions of ``name`` with their outcome (``y_true`` None when unknown)."""
        p, o = served_predictions, served_outcomes
        join = p.outerjoin(o, and_(o.c.name == p.c.name, o.c.request_id == p.c.request_id))
        query = select(
            p.c.request_id,
            p.c.name,
            p.c.version,
            p.c.alias,
            p.c.server_id,
            p.c.at,
            p.c.inputs,
            p.c.output,
            o.c.y_true,
            o.c.at.label("outcome_at"),
        ).select_from(join)
        query = query.where(p.c.name == name)
        if version is not None:
            query = query.where(p.c.version == version)
        if since is not None:
            query = query.where(p.c.at >= since)
        if until is not None:
            query = query.where(p.c.at < until)
        if labelled_only:
            query = query.where(o.c.y_true.is_not(None))
        query = query.order_by(p.c.at, p.c.prediction_id)
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as conn:
            return _rows(conn.execute(query))

    def known_request_ids(self, name: str, request_ids: list[str]) -> set[str]:
        """Which of ``request_ids`` have a logged prediction."""
        found: set[str] = set()
        with self.db.read() as conn:
            for start in range(0, len(request_ids), 500):
                chunk = request_ids[start : start + 500]
                found.update(
                    conn.execute(
                        select(served_predictions.c.request_id).where(
                            served_predictions.c.name == name,
                            served_predictions.c.request_id.in_(chunk),
                        )
                    ).scalars()
                )
        return found
