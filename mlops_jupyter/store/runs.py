"""SQL for runs and what hangs off them: experiments, params, metrics, tags, artifact records,
environments. The tracking layer calls these; nothing else writes these tables.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection

from mlops_jupyter.store.database import Database
from mlops_jupyter.store.ids import new_id
from mlops_jupyter.store.schema import (
    artifacts,
    environments,
    experiments,
    latest_metrics,
    metrics,
    params,
    runs,
    tags,
)

ParamRow = tuple[str, str, float | None, str]  # key, json value, numeric view, text view
MetricRow = tuple[str, float, int, float]  # key, value, step, timestamp
TERMINAL_STATUSES = ("finished", "failed", "killed")


def _dialect_insert(conn: Connection):  # type: ignore[no-untyped-def]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _stored_float(value: float) -> float | None:
    return None if math.isnan(value) else value  # NULL stands for NaN


def loaded_float(value: float | None) -> float:
    return math.nan if value is None else float(value)


class RunStore:
    """Reads and writes the run tables of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._experiment_ids: dict[str, str] = {}
        self._known_environments: set[str] = set()
        self._metric_insert_sql: dict[str, tuple[str, bool]] = {}

    # -- experiments ---------------------------------------------------------------------------
    def experiment_id(self, name: str) -> str:
        cached = self._experiment_ids.get(name)
        if cached:
            return cached

        def work(conn: Connection) -> str:
            found = conn.execute(
                select(experiments.c.experiment_id).where(experiments.c.name == name)
            ).scalar()
            if found:
                return str(found)
            insert = _dialect_insert(conn)
            new = new_id()
            conn.execute(
                insert(experiments)
                .values(experiment_id=new, name=name, created_at=time.time())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return str(
                conn.execute(
                    select(experiments.c.experiment_id).where(experiments.c.name == name)
                ).scalar()
            )

        self._experiment_ids[name] = self.db.transact(work)
        return self._experiment_ids[name]

    def list_experiments(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(
                    experiments.c.experiment_id,
                    experiments.c.name,
                    experiments.c.created_at,
                    func.count(runs.c.run_id).label("runs"),
                )
                .select_from(experiments.outerjoin(runs))
                .group_by(experiments.c.experiment_id)
                .order_by(experiments.c.name)
            ).mappings()
            return [dict(row) for row in rows]

    # -- environments ---------------------------------------------------------------------------
    def ensure_environment(self, environment_id: str, fields: dict[str, Any]) -> str:
        if environment_id in self._known_environments:
            return environment_id

        def work(conn: Connection) -> None:
            insert = _dialect_insert(conn)
            conn.execute(
                insert(environments)
                .values(environment_id=environment_id, created_at=time.time(), **fields)
                .on_conflict_do_nothing(index_elements=["environment_id"])
            )

        self.db.transact(work)
        self._known_environments.add(environment_id)
        return environment_id

    def get_environment(self, environment_id: str | None) -> dict[str, Any] | None:
        if not environment_id:
            return None
        with self.db.read() as conn:
            row = conn.execute(
                select(environments).where(environments.c.environment_id == environment_id)
            ).mappings().first()
        if row is None:
            return None
        result = dict(row)
        result["packages"] = json.loads(result["packages"] or "{}")
        return result

    # -- runs ---------------------------------------------------------------------------------
    def create_run(self, fields: dict[str, Any]) -> str:
        """Insert a run; its attempt number counts earlier runs of the same source."""
        run_id = fields.get("run_id") or new_id()

        def work(conn: Connection) -> None:
            same_source = and_(
                runs.c.experiment_id == fields["experiment_id"],
                runs.c.name.is_(None) if fields.get("name") is None else runs.c.name == fields["name"],
                runs.c.notebook_path.is_(None)
                if fields.get("notebook_path") is None
                else runs.c.notebook_path == fields["notebook_path"],
                runs.c.cell_id.is_(None)
                if fields.get("cell_id") is None
                else runs.c.cell_id == fields["cell_id"],
                runs.c.kind == fields["kind"],
            )
            earlier = conn.execute(select(func.count()).where(same_source)).scalar() or 0
            conn.execute(runs.insert().values(**{**fields, "run_id": run_id, "attempt": earlier + 1}))

        self.db.transact(work)
        return run_id

    def finish_run(self, run_id: str, status: str, end_time: float, error: str | None) -> None:
        self.db.transact(
            lambda conn: conn.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(status=status, end_time=end_time, heartbeat=end_time, error=error)
            )
        )

    def update_run(self, run_id: str, **fields: Any) -> None:
        self.db.transact(
            lambda conn: conn.execute(update(runs).where(runs.c.run_id == run_id).values(**fields))
        )

    def beat(self, run_ids: Sequence[str], now: float) -> None:
        if run_ids:
            self.db.transact(
                lambda conn: conn.execute(
                    update(runs)
                    .where(runs.c.run_id.in_(list(run_ids)), runs.c.status == "running")
                    .values(heartbeat=now)
                )
            )

    def running_runs(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(runs.c.run_id, runs.c.host, runs.c.pid, runs.c.heartbeat).where(
                    runs.c.status == "running"
                )
            ).mappings()
            return [dict(row) for row in rows]

    def mark_killed(self, run_ids: Sequence[str]) -> None:
        if not run_ids:
            return
        self.db.transact(
            lambda conn: conn.execute(
                update(runs)
                .where(runs.c.run_id.in_(list(run_ids)), runs.c.status == "running")
                .values(status="killed", end_time=func.coalesce(runs.c.heartbeat, runs.c.start_time))
            )
        )

    def get_run_row(self, run_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute(
                select(runs, experiments.c.name.label("experiment"))
                .select_from(runs.join(experiments))
                .where(runs.c.run_id == run_id)
            ).mappings().first()
            return dict(row) if row else None

    def find_run_ids(self, prefix: str, limit: int = 5) -> list[str]:
        with self.db.read() as conn:
            return list(
                conn.execute(
                    select(runs.c.run_id).where(runs.c.run_id.like(f"{prefix}%")).limit(limit)
                ).scalars()
            )

    def child_run_ids(self, run_id: str) -> list[str]:
        with self.db.read() as conn:
            return list(
                conn.execute(
                    select(runs.c.run_id)
                    .where(runs.c.parent_run_id == run_id)
                    .order_by(runs.c.start_time)
                ).scalars()
            )

    # -- params, metrics, tags ----------------------------------------------------------------
    def _metric_insert(self, conn: Connection) -> tuple[str, bool]:
        dialect = conn.dialect.name
        if dialect not in self._metric_insert_sql:
            compiled = metrics.insert().compile(
                dialect=conn.dialect, column_keys=["run_id", "key", "value", "step", "timestamp"]
            )
            self._metric_insert_sql[dialect] = (str(compiled), bool(compiled.positional))
        return self._metric_insert_sql[dialect]

    def write_batch(
        self,
        run_id: str,
        param_rows: Sequence[ParamRow] = (),
        metric_rows: Sequence[MetricRow] = (),
        tag_rows: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Write buffered params, metrics and tags of one run in one transaction."""
        if not (param_rows or metric_rows or tag_rows):
            return

        def work(conn: Connection) -> None:
            insert = _dialect_insert(conn)
            if param_rows:
                latest_params = {row[0]: row for row in param_rows}  # last write wins
                stmt = insert(params)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["run_id", "key"],
                        set_={"value": stmt.excluded.value, "num": stmt.excluded.num, "text": stmt.excluded.text},
                    ),
                    [
                        {"run_id": run_id, "key": k, "value": v, "num": n, "text": t}
                        for k, v, n, t in latest_params.values()
                    ],
                )
            if metric_rows:
                self._write_metrics(conn, insert, run_id, metric_rows)
            if tag_rows:
                stmt = insert(tags)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["run_id", "key"], set_={"value": stmt.excluded.value}
                    ),
                    [{"run_id": run_id, "key": k, "value": v} for k, v in dict(tag_rows).items()],
                )

        self.db.transact(work)

    def _write_metrics(
        self, conn: Connection, insert: Any, run_id: str, metric_rows: Sequence[MetricRow]
    ) -> None:
        sql, positional = self._metric_insert(conn)
        if positional:
            history: list[Any] = [
                (run_id, key, _stored_float(value), step, stamp)
                for key, value, step, stamp in metric_rows
            ]
        else:
            history = [
                {"run_id": run_id, "key": key, "value": _stored_float(value), "step": step, "timestamp": stamp}
                for key, value, step, stamp in metric_rows
            ]
        conn.exec_driver_sql(sql, history)
        newest: dict[str, MetricRow] = {}
        for row in metric_rows:
            held = newest.get(row[0])
            if held is None or (row[2], row[3]) >= (held[2], held[3]):
                newest[row[0]] = row
        stmt = insert(latest_metrics)
        later = or_(
            stmt.excluded.step > latest_metrics.c.step,
            and_(
                stmt.excluded.step == latest_metrics.c.step,
                stmt.excluded.timestamp >= latest_metrics.c.timestamp,
            ),
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["run_id", "key"],
                set_={
                    "value": stmt.excluded.value,
                    "step": stmt.excluded.step,
                    "timestamp": stmt.excluded.timestamp,
                },
                where=later,
            ),
            [
                {"run_id": run_id, "key": k, "value": _stored_float(v), "step": s, "timestamp": t}
                for k, v, s, t in newest.values()
            ],
        )

    def run_values(self, run_ids: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """Params (decoded), latest metrics and tags for the given runs, keyed by run id."""
        result: dict[str, dict[str, dict[str, Any]]] = {
            run_id: {"params": {}, "metrics": {}, "tags": {}} for run_id in run_ids
        }
        if not run_ids:
            return result
        with self.db.read() as conn:
            for chunk_start in range(0, len(run_ids), 900):
                chunk = list(run_ids[chunk_start : chunk_start + 900])
                for run_id, key, value in conn.execute(
                    select(params.c.run_id, params.c.key, params.c.value).where(params.c.run_id.in_(chunk))
                ):
                    result[run_id]["params"][key] = json.loads(value)
                for run_id, key, value in conn.execute(
                    select(latest_metrics.c.run_id, latest_metrics.c.key, latest_metrics.c.value).where(
                        latest_metrics.c.run_id.in_(chunk)
                    )
                ):
                    result[run_id]["metrics"][key] = loaded_float(value)
                for run_id, key, value in conn.execute(
                    select(tags.c.run_id, tags.c.key, tags.c.value).where(tags.c.run_id.in_(chunk))
                ):
                    result[run_id]["tags"][key] = value
        return result

    def metric_history(self, run_id: str, key: str | None = None) -> list[dict[str, Any]]:
        query = select(metrics.c.key, metrics.c.value, metrics.c.step, metrics.c.timestamp).where(
            metrics.c.run_id == run_id
        )
        if key is not None:
            query = query.where(metrics.c.key == key)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(metrics.c.key, metrics.c.step, metrics.c.timestamp))
            return [
                {"key": k, "value": loaded_float(v), "step": s, "timestamp": t} for k, v, s, t in rows
            ]

    # -- artifact records -------------------------------------------------------------------
    def add_artifact(self, run_id: str, name: str, digest: str, size: int, media_type: str | None) -> None:
        def work(conn: Connection) -> None:
            insert = _dialect_insert(conn)
            stmt = insert(artifacts).values(
                run_id=run_id, name=name, digest=digest, size=size, media_type=media_type, created_at=time.time()
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["run_id", "name"],
                    set_={"digest": stmt.excluded.digest, "size": stmt.excluded.size, "media_type": stmt.excluded.media_type},
                )
            )

        self.db.transact(work)

    def list_artifacts(self, run_id: str) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.name)
            ).mappings()
            return [dict(row) for row in rows]

    def artifact_digests(self) -> set[str]:
        with self.db.read() as conn:
            return set(conn.execute(select(artifacts.c.digest).distinct()).scalars())

    # -- maintenance --------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self.db.read() as conn:
            return {
                table.name: int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
                for table in (experiments, runs, params, metrics, tags, artifacts)
            }
