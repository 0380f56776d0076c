"""SQL for monitoring checks: insert a check, record what it led to (retrain, rollback), list
and read checks by model and alias."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from mlops_jupyter.store.database import Database
from mlops_jupyter.store.outbox import emit_event
from mlops_jupyter.store.schema import monitor_checks

ACTION_FIELDS = ("retrain_run_id", "candidate_version", "rolled_back_to")


def _row(row: Any, with_summary: bool) -> dict[str, Any]:
    data = dict(row._mapping)
    if "summary" in data:
        data["summary"] = json.loads(data["summary"]) if with_summary else None
    if data.get("drifted") is not None:
        data["drifted"] = bool(data["drifted"])
    return data


class MonitorStore:
    """Reads and writes ``monitor_checks``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert_check(self, row: dict[str, Any], *, actor: str | None = None) -> None:
        """Write a check; a failed one also emits ``check.failed`` to the event outbox in the
        same transaction (so webhooks hear of exactly the failures that were recorded)."""
        values = dict(row)
        values["summary"] = json.dumps(values["summary"], allow_nan=False)
        if values.get("drifted") is not None:
            values["drifted"] = int(bool(values["drifted"]))

        def work(conn: Connection) -> None:
            conn.execute(monitor_checks.insert().values(**values))
            if values["status"] == "failed":
                emit_event(
                    conn,
                    "check.failed",
                    model=values.get("name"),
                    version=values.get("version"),
                    actor=actor,
                    data={
                        "check_id": values["check_id"],
                        "run_id": values["run_id"],
                        "kind": values["kind"],
                        "alias": values.get("alias"),
                        "drifted": bool(values["drifted"])
                        if values.get("drifted") is not None
                        else None,
                        "drifted_columns": row["summary"].get("drifted_columns"),
                        "problems": [p.get("message") for p in row["summary"].get("problems", [])][
                            :20
                        ],
                    },
                    at=values["at"],
                )

        self.db.transact(work)

    def record_action(self, check_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(ACTION_FIELDS)
        if unknown:
            raise ValueError(f"unknown check fields: {', '.join(sorted(unknown))}")

        def work(conn: Connection) -> None:
            conn.execute(
                monitor_checks.update()
                .where(monitor_checks.c.check_id == check_id)
                .values(**fields)
            )

        self.db.transact(work)

    def get_check(self, check_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute(
                select(monitor_checks).where(monitor_checks.c.check_id == check_id)
            ).first()
        return _row(row, True) if row is not None else None

    def list_checks(
        self,
        name: str | None = None,
        alias: str | None = None,
        *,
        kind: str | None = None,
        limit: int | None = 100,
        with_summary: bool = False,
    ) -> list[dict[str, Any]]:
        """Newest first."""
        columns = [c for c in monitor_checks.c if with_summary or c.name != "summary"]
        query = select(*columns).order_by(
            monitor_checks.c.at.desc(), monitor_checks.c.check_id.desc()
        )
        if name is not None:
            query = query.where(monitor_checks.c.name == name)
        if alias is not None:
            query = query.where(monitor_checks.c.alias == alias)
        if kind is not None:
            query = query.where(monitor_checks.c.kind == kind)
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as conn:
            return [_row(r, with_summary) for r in conn.execute(query)]
