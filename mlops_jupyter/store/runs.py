"""SQL for runs and what hangs off them: experiments, params, metrics, tags, artifact records,
environments. The tracking layer calls these; nothing else writes these tables.

The hot path (create a run, flush values, finish) runs pre-compiled SQL through the DBAPI.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import and_, bindparam, func, or_, select, update
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
# metric points travel as columns (keys, values, steps, timestamps): packing them is then numpy
# work, not a Python loop over every point
MetricColumns = tuple[list[str], list[float], list[int], list[float]]
ValueBatch = tuple[Sequence[ParamRow], MetricColumns, Sequence[tuple[str, str]]]
NO_METRICS: MetricColumns = ([], [], [], [])
_RUN_INSERT_COLUMNS = [column.name for column in runs.columns]


def dialect_insert(conn: Connection) -> Any:
    """The dialect's INSERT construct (it has ON CONFLICT on SQLite and PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite  # noqa: PLC0415 - start-up: the PostgreSQL dialect is imported on first write

    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _stored_float(value: float) -> float | None:
    return None if math.isnan(value) else value  # NULL stands for NaN


def loaded_float(value: float | None) -> float:
    return math.nan if value is None else float(value)


# -- statements of the hot path -----------------------------------------------------------------
def _count_attempts(_conn: Connection) -> Any:
    """Earlier runs of the same experiment, kind, name, notebook and cell."""
    same = [
        runs.c[column].is_not_distinct_from(bindparam(column))
        for column in ("name", "notebook_path", "cell_id")
    ]
    return select(func.count()).where(
        runs.c.experiment_id == bindparam("experiment_id"), runs.c.kind == bindparam("kind"), *same
    )


def _count_cell_attempts(_conn: Connection) -> Any:
    """Earlier runs of the same notebook cell (by cell id): a cell whose code — and so its
    default name — was edited between runs is still the same cell."""
    return select(func.count()).where(
        runs.c.experiment_id == bindparam("experiment_id"),
        runs.c.kind == bindparam("kind"),
        runs.c.notebook_path.is_not_distinct_from(bindparam("notebook_path")),
        runs.c.cell_id == bindparam("cell_id"),
    )


def _insert_run(_conn: Connection) -> Any:
    return runs.insert().values({column: bindparam(column) for column in _RUN_INSERT_COLUMNS})


def _finish_run(_conn: Connection) -> Any:
    return (
        update(runs)
        .where(runs.c.run_id == bindparam("run_id"))
        .values(
            status=bindparam("status"),
            end_time=bindparam("end_time"),
            heartbeat=bindparam("end_time"),
            error=bindparam("error"),
        )
    )


def upsert(
    conn: Connection, table: Any, keys: list[str], updated: list[str], where: Any = None
) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET updated (with bind parameters named as columns)."""
    stmt = dialect_insert(conn)(table).values(
        {column: bindparam(column) for column in keys + updated}
    )
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={column: stmt.excluded[column] for column in updated}, where=where
    )


def _upsert_param(conn: Connection) -> Any:
    return upsert(conn, params, ["run_id", "key"], ["value", "num", "text"])


def _upsert_tag(conn: Connection) -> Any:
    return upsert(conn, tags, ["run_id", "key"], ["value"])


def _upsert_latest_metric(conn: Connection) -> Any:
    excluded = dialect_insert(conn)(latest_metrics).excluded
    later = or_(
        excluded.step > latest_metrics.c.step,
        and_(
            excluded.step == latest_metrics.c.step, excluded.timestamp >= latest_metrics.c.timestamp
        ),
    )
    return upsert(conn, latest_metrics, ["run_id", "key"], ["value", "step", "timestamp"], later)


def _insert_metric_chunk(_conn: Connection) -> Any:
    columns = [column.name for column in metrics.columns if column.name != "chunk_id"]
    return metrics.insert().values({column: bindparam(column) for column in columns})


class CompiledStatements:
    """Statements compiled once per dialect and run through the DBAPI directly.

    Building and cache-keying a SQLAlchemy statement costs ~100 µs; a run writes several, so
    the tracking hot path compiles each once and reuses the SQL text.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[str, tuple[str, ...] | None]] = {}

    def _get(self, conn: Connection, build: Any) -> tuple[str, tuple[str, ...] | None]:
        key = (conn.dialect.name, build.__name__)
        entry = self._cache.get(key)
        if entry is None:
            compiled = build(conn).compile(dialect=conn.dialect)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            entry = self._cache[key] = (str(compiled), order)
        return entry

    def execute(self, conn: Connection, build: Any, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        sql, order = self._get(conn, build)
        values: list[Any] = (
            [tuple(row[k] for k in order) for row in rows] if order is not None else list(rows)
        )
        conn.exec_driver_sql(sql, values if len(values) > 1 else values[0])

    def scalar(self, conn: Connection, build: Any, row: dict[str, Any]) -> Any:
        sql, order = self._get(conn, build)
        values = tuple(row[k] for k in order) if order is not None else row
        return conn.exec_driver_sql(sql, values).scalar()


def pack_metric_chunks(
    run_id: str, columns: MetricColumns
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """History chunks (one per key, packed arrays) and the newest point per key."""
    keys, values, steps, stamps = columns
    all_values = np.array(values, dtype="<f8")
    all_steps = np.array(steps, dtype="<i8")
    all_stamps = np.array(stamps, dtype="<f8")
    distinct = dict.fromkeys(keys)
    if len(distinct) == 1:
        groups: dict[str, Any] = {keys[0]: slice(None)}
    else:
        key_array = np.array(keys, dtype=object)
        groups = {key: key_array == key for key in distinct}
    chunks, newest = [], []
    for key, selection in groups.items():
        key_steps, key_values, key_stamps = (
            all_steps[selection],
            all_values[selection],
            all_stamps[selection],
        )
        chunks.append(
            {
                "run_id": run_id,
                "key": key,
                "points": len(key_steps),
                "first_step": int(key_steps.min()),
                "last_step": int(key_steps.max()),
                "steps": key_steps.tobytes(),
                "values": key_values.tobytes(),
                "timestamps": key_stamps.tobytes(),
            }
        )
        last = int(np.lexsort((key_stamps, key_steps))[-1])
        newest.append(
            {
                "run_id": run_id,
                "key": key,
                "value": _stored_float(float(key_values[last])),
                "step": int(key_steps[last]),
                "timestamp": float(key_stamps[last]),
            }
        )
    return chunks, newest


class RunStore:
    """Reads and writes the run tables of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._experiment_ids: dict[str, str] = {}
        self._known_environments: set[str] = set()
        self._sql = CompiledStatements()

    # -- experiments ---------------------------------------------------------------------------
    def experiment_id(self, name: str) -> str:
        cached = self._experiment_ids.get(name)
        if cached:
            return cached

        def work(conn: Connection) -> str:
            conn.execute(
                dialect_insert(conn)(experiments)
                .values(experiment_id=new_id(), name=name, created_at=time.time())
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
    def ensure_environment(self, environment_id: str, fields: Callable[[], dict[str, Any]]) -> str:
        """Record an environment once; ``fields`` is only called when it is new to this store."""
        if environment_id in self._known_environments:
            return environment_id
        row = fields()
        self.db.transact(
            lambda conn: conn.execute(
                dialect_insert(conn)(environments)
                .values(environment_id=environment_id, created_at=time.time(), **row)
                .on_conflict_do_nothing(index_elements=["environment_id"])
            )
        )
        self._known_environments.add(environment_id)
        return environment_id

    def get_environment(self, environment_id: str | None) -> dict[str, Any] | None:
        if not environment_id:
            return None
        with self.db.read() as conn:
            row = (
                conn.execute(
                    select(environments).where(environments.c.environment_id == environment_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        result = dict(row)
        result["packages"] = json.loads(result["packages"] or "{}")
        return result

    # -- runs ---------------------------------------------------------------------------------
    def create_run(self, fields: dict[str, Any]) -> tuple[str, int]:
        """Insert a run; returns (run_id, attempt), attempt counting earlier runs of the same source."""
        run_id = str(fields.get("run_id") or new_id())
        row = {column: fields.get(column) for column in _RUN_INSERT_COLUMNS}
        row["run_id"] = run_id

        def work(conn: Connection) -> int:
            count = _count_cell_attempts if row["cell_id"] is not None else _count_attempts
            attempt = int(self._sql.scalar(conn, count, row) or 0) + 1
            self._sql.execute(conn, _insert_run, [{**row, "attempt": attempt}])
            return attempt

        return run_id, self.db.transact(work)

    def finish_run(
        self,
        run_id: str,
        status: str,
        end_time: float,
        error: str | None,
        batch: ValueBatch = ((), NO_METRICS, ()),
    ) -> None:
        """Write the last buffered values and the outcome in one transaction."""
        outcome = {"run_id": run_id, "status": status, "end_time": end_time, "error": error}

        def work(conn: Connection) -> None:
            self._write_values(conn, run_id, *batch)
            self._sql.execute(conn, _finish_run, [outcome])

        self.db.transact(work)

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
                .values(
                    status="killed", end_time=func.coalesce(runs.c.heartbeat, runs.c.start_time)
                )
            )
        )

    def get_run_row(self, run_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = (
                conn.execute(
                    select(runs, experiments.c.name.label("experiment"))
                    .select_from(runs.join(experiments))
                    .where(runs.c.run_id == run_id)
                )
                .mappings()
                .first()
            )
            return dict(row) if row else None

    def find_run_ids(self, prefix: str, limit: int = 5) -> list[str]:
        if not prefix.isalnum():
            return []
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
    def write_batch(
        self,
        run_id: str,
        param_rows: Sequence[ParamRow] = (),
        metric_columns: MetricColumns = NO_METRICS,
        tag_rows: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Write buffered params, metrics and tags of one run in one transaction."""
        if param_rows or metric_columns[0] or tag_rows:
            self.db.transact(
                lambda conn: self._write_values(conn, run_id, param_rows, metric_columns, tag_rows)
            )

    def _write_values(
        self,
        conn: Connection,
        run_id: str,
        param_rows: Sequence[ParamRow],
        metric_columns: MetricColumns,
        tag_rows: Sequence[tuple[str, str]],
    ) -> None:
        if param_rows:
            latest_params = {row[0]: row for row in param_rows}  # last write wins
            self._sql.execute(
                conn,
                _upsert_param,
                [
                    {"run_id": run_id, "key": k, "value": v, "num": n, "text": t}
                    for k, v, n, t in latest_params.values()
                ],
            )
        if metric_columns[0]:
            chunks, newest = pack_metric_chunks(run_id, metric_columns)
            self._sql.execute(conn, _insert_metric_chunk, chunks)
            self._sql.execute(conn, _upsert_latest_metric, newest)
        if tag_rows:
            self._sql.execute(
                conn,
                _upsert_tag,
                [{"run_id": run_id, "key": k, "value": v} for k, v in dict(tag_rows).items()],
            )

    def run_values(self, run_ids: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """Params (decoded), latest metrics and tags for the given runs, keyed by run id."""
        result: dict[str, dict[str, dict[str, Any]]] = {
            run_id: {"params": {}, "metrics": {}, "tags": {}} for run_id in run_ids
        }
        with self.db.read() as conn:
            for start in range(0, len(run_ids), 900):
                chunk = list(run_ids[start : start + 900])
                for run_id, key, value in conn.execute(
                    select(params.c.run_id, params.c.key, params.c.value).where(
                        params.c.run_id.in_(chunk)
                    )
                ):
                    result[run_id]["params"][key] = json.loads(value)
                for run_id, key, value in conn.execute(
                    select(
                        latest_metrics.c.run_id, latest_metrics.c.key, latest_metrics.c.value
                    ).where(latest_metrics.c.run_id.in_(chunk))
                ):
                    result[run_id]["metrics"][key] = loaded_float(value)
                for run_id, key, value in conn.execute(
                    select(tags.c.run_id, tags.c.key, tags.c.value).where(tags.c.run_id.in_(chunk))
                ):
                    result[run_id]["tags"][key] = value
        return result

    def metric_history(
        self, run_id: str, key: str | None = None
    ) -> dict[str, dict[str, np.ndarray]]:
        """Every point of a run's metrics: {key: {"step", "value", "timestamp"} arrays}, in step order."""
        query = select(
            metrics.c.key, metrics.c.steps, metrics.c["values"], metrics.c.timestamps
        ).where(metrics.c.run_id == run_id)
        if key is not None:
            query = query.where(metrics.c.key == key)
        parts: dict[str, list[tuple[bytes, bytes, bytes]]] = {}
        with self.db.read() as conn:
            for chunk_key, steps, values, stamps in conn.execute(
                query.order_by(metrics.c.chunk_id)
            ):
                parts.setdefault(chunk_key, []).append((steps, values, stamps))
        history = {}
        for chunk_key, chunks in parts.items():
            steps = np.concatenate([np.frombuffer(c[0], dtype="<i8") for c in chunks])
            values = np.concatenate([np.frombuffer(c[1], dtype="<f8") for c in chunks])
            stamps = np.concatenate([np.frombuffer(c[2], dtype="<f8") for c in chunks])
            order = np.lexsort((stamps, steps))  # by step, then time
            history[chunk_key] = {
                "step": steps[order],
                "value": values[order],
                "timestamp": stamps[order],
            }
        return history

    # -- artifact records -------------------------------------------------------------------
    def add_artifact(
        self, run_id: str, name: str, digest: str, size: int, media_type: str | None
    ) -> None:
        row = {
            "run_id": run_id,
            "name": name,
            "digest": digest,
            "size": size,
            "media_type": media_type,
            "created_at": time.time(),
        }
        self.db.transact(
            lambda conn: conn.execute(
                upsert(
                    conn,
                    artifacts,
                    ["run_id", "name"],
                    ["digest", "size", "media_type", "created_at"],
                ),
                row,
            )
        )

    def list_artifacts(self, run_id: str) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.name)
            ).mappings()
            return [dict(row) for row in rows]

    def artifact_digests(self) -> set[str]:
        with self.db.read() as conn:
            return set(conn.execute(select(artifacts.c.digest).distinct()).scalars())

    # -- bulk import ----------------------------------------------------------------------------
    def import_runs(
        self,
        run_rows: Sequence[dict[str, Any]],
        param_rows: Sequence[dict[str, Any]] = (),
        latest_rows: Sequence[dict[str, Any]] = (),
        tag_rows: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Insert finished runs with their values in one transaction (imports, benchmarks).

        Run rows need experiment_id, kind, status, start_time; params rows run_id/key/value/num/text;
        latest rows run_id/key/value/step/timestamp; tag rows run_id/key/value.
        """
        runs_full = [
            {**{column: None for column in _RUN_INSERT_COLUMNS}, "attempt": 1, **row}
            for row in run_rows
        ]

        def work(conn: Connection) -> None:
            self._sql.execute(conn, _insert_run, runs_full)
            self._sql.execute(conn, _upsert_param, param_rows)
            self._sql.execute(conn, _upsert_latest_metric, latest_rows)
            self._sql.execute(conn, _upsert_tag, tag_rows)

        self.db.transact(work)

    # -- maintenance --------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self.db.read() as conn:
            return {
                table.name: int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
                for table in (experiments, runs, params, latest_metrics, tags, artifacts)
            }
