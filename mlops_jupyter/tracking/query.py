"""Reading runs back: ``runs()`` as a pandas DataFrame and ``get_run()`` as a ``RunView``.

The filter and order-by strings are parsed here (``store.filters``) and compiled to SQL by
the store; this module only shapes the results for people and views.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.filters import all_of, parse_filter, parse_order_by
from mlops_jupyter.store.run_query import count_runs, search_runs
from mlops_jupyter.tracking.artifacts import read_artifact
from mlops_jupyter.tracking.context import find_dead_runs
from mlops_jupyter.tracking.display import html

if TYPE_CHECKING:
    import pandas as pd

FIXED_COLUMNS = [
    "run_id",
    "experiment",
    "name",
    "kind",
    "status",
    "start_time",
    "end_time",
    "duration_s",
]
EXTRA_COLUMNS = ["parent_run_id", "attempt", "user", "notebook_path", "cell_id"]
_DEAD_CHECK_EVERY = 2.0
#: per store: when its dead runs were last looked up (tests clear it to force a fresh look)
_last_reap: dict[int, float] = {}
_dead: dict[int, dict[str, float | None]] = {}


def dead_runs(store: Store) -> dict[str, float | None]:
    """Runs still ``running`` in the store whose process is gone, with their last heartbeat.

    Reads only (looked up at most every couple of seconds per store): readers show such runs
    as killed; the flusher, the server and ``runs reap`` record it (``context.reap_dead_runs``).
    """
    now = time.monotonic()
    key = id(store)
    if key not in _dead or now - _last_reap.get(key, 0.0) >= _DEAD_CHECK_EVERY:
        _last_reap[key] = now
        _dead[key] = find_dead_runs(store)
    return _dead[key]


def _as_seen(row: dict[str, Any], dead: dict[str, float | None]) -> None:
    """A running row whose process is gone reads as killed, ended at its last heartbeat."""
    if row["status"] == "running" and row["run_id"] in dead:
        row["status"] = "killed"
        heartbeat = dead[row["run_id"]]
        row["end_time"] = heartbeat if heartbeat is not None else row["start_time"]


def search(
    filter: str | None = None,
    *,
    experiment: str | None = None,
    order_by: str | list[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
    count_total: bool = False,
    where: Any = None,
    store: Store | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Run rows (with params, metrics and tags) for a filter; the base of every run listing.

    ``where`` is a filter tree built in code (``store.filters.attribute_in`` ...), ANDed with
    the parsed ``filter``: callers narrowing a listing never build filter text.
    """
    store = store or get_store()
    tree = all_of(where, parse_filter(filter))
    keys = parse_order_by(order_by)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")
    dead = dead_runs(store)
    with store.db.read() as conn:
        result = search_runs(
            conn,
            tree,
            keys,
            experiment=experiment,
            limit=limit,
            offset=offset,
            count_total=count_total,
        )
    values = store.runs.run_values([row["run_id"] for row in result.rows])
    for row in result.rows:
        row.update(values[row["run_id"]])
        _as_seen(row, dead)
        end = row["end_time"]
        row["duration_s"] = (end - row["start_time"]) if end is not None else None
    return result.rows, result.total


def count(
    filter: str | None = None,
    *,
    experiment: str | None = None,
    where: Any = None,
    store: Store | None = None,
) -> int:
    """How many runs match ``filter`` and ``where`` (in ``experiment``)."""
    store = store or get_store()
    tree = all_of(where, parse_filter(filter))
    with store.db.read() as conn:
        return count_runs(conn, tree, experiment=experiment)


def runs(
    experiment: str | None = None,
    filter: str | None = None,
    order_by: str | list[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
    *,
    store: Store | None = None,
) -> pd.DataFrame:
    """Runs as a DataFrame: the fixed columns, then params.<k>, metrics.<k>, tags.<k>."""
    import pandas as pd  # noqa: PLC0415 - start-up: pandas on first use

    rows, _ = search(
        filter, experiment=experiment, order_by=order_by, limit=limit, offset=offset, store=store
    )
    records = []
    for row in rows:
        record = {column: row.get(column) for column in FIXED_COLUMNS + EXTRA_COLUMNS}
        for namespace in ("params", "metrics", "tags"):
            for key, value in row[namespace].items():
                record[f"{namespace}.{key}"] = value
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=_ordered_columns(records))
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    frame["duration_s"] = frame["duration_s"].astype("float64")
    return frame.infer_objects()


def _ordered_columns(records: list[dict[str, Any]]) -> list[str]:
    dynamic: dict[str, None] = {}
    for record in records:
        for key in record:
            if "." in key and key.split(".", 1)[0] in ("params", "metrics", "tags"):
                dynamic[key] = None
    by_namespace = sorted(
        dynamic, key=lambda k: (("params", "metrics", "tags").index(k.split(".", 1)[0]), k)
    )
    return FIXED_COLUMNS + by_namespace + EXTRA_COLUMNS


@dataclass
class RunView:
    """Everything recorded about one run (what ``mj.get_run`` returns)."""

    run_id: str
    experiment: str
    name: str | None
    kind: str
    status: str
    attempt: int
    parent_run_id: str | None
    start_time: float
    end_time: float | None
    user: str | None
    params: dict[str, Any]
    metrics: dict[str, float]
    tags: dict[str, str]
    source: dict[str, Any]
    environment: dict[str, Any] | None
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    artifacts: list[dict[str, Any]]
    error: str | None
    children: list[str] = field(default_factory=list)
    _store: Store | None = field(default=None, repr=False)

    @property
    def duration_s(self) -> float | None:
        return None if self.end_time is None else self.end_time - self.start_time

    def metric_history(self, key: str | None = None) -> pd.DataFrame:
        """Every logged point (key, step, value, timestamp) of one metric or all of them."""
        import pandas as pd  # noqa: PLC0415 - start-up: pandas on first use

        store = self._store or get_store()
        frames = [
            pd.DataFrame({"key": name, **arrays})
            for name, arrays in store.runs.metric_history(self.run_id, key).items()
        ]
        if not frames:
            return pd.DataFrame(columns=["key", "step", "value", "timestamp"])
        return pd.concat(frames, ignore_index=True)

    def artifact_bytes(self, name: str) -> bytes:
        return read_artifact(self._store or get_store(), self.run_id, name)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        data["duration_s"] = self.duration_s
        return data

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)


class RunNotFoundError(LookupError):
    """No run with that id (or the prefix matches several)."""


def resolve_run_id(run_id: str, store: Store | None = None) -> str:
    """Accept a full id or a unique prefix of one."""
    store = store or get_store()
    if store.runs.get_run_row(run_id) is not None:
        return run_id
    matches = store.runs.find_run_ids(run_id) if len(run_id) >= 4 else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise RunNotFoundError(
            f"run id prefix {run_id!r} matches several runs: {', '.join(matches)}"
        )
    raise RunNotFoundError(f"no run with id {run_id!r}")


def get_run(run_id: str, *, store: Store | None = None) -> RunView:
    store = store or get_store()
    run_id = resolve_run_id(run_id, store)
    row = store.runs.get_run_row(run_id)
    assert row is not None
    _as_seen(row, dead_runs(store))
    values = store.runs.run_values([run_id])[run_id]
    edges = store.lineage.edges_of_runs([run_id])
    dataset_ids = [e["node_id"] for e in edges if e["node_type"] == "dataset"]
    datasets = store.lineage.datasets_by_id(dataset_ids) if dataset_ids else {}

    def linked(role: str) -> list[dict[str, Any]]:
        items = []
        for edge in edges:
            if edge["role"] != role:
                continue
            item = {
                "node_type": edge["node_type"],
                "node_id": edge["node_id"],
                "name": edge["name"],
            }
            item.update(datasets.get(edge["node_id"], {}))
            items.append(item)
        return items

    return RunView(
        run_id=run_id,
        experiment=row["experiment"],
        name=row["name"],
        kind=row["kind"],
        status=row["status"],
        attempt=row["attempt"],
        parent_run_id=row["parent_run_id"],
        start_time=row["start_time"],
        end_time=row["end_time"],
        user=row["user"],
        params=values["params"],
        metrics=values["metrics"],
        tags=values["tags"],
        source={
            "notebook_path": row["notebook_path"],
            "cell_id": row["cell_id"],
            "execution_count": row["execution_count"],
            "code": row["code"],
            "code_hash": row["code_hash"],
            "host": row["host"],
            "pid": row["pid"],
        },
        environment=store.runs.get_environment(row["environment_id"]),
        inputs=linked("input"),
        outputs=linked("output"),
        artifacts=store.runs.list_artifacts(run_id),
        error=row["error"],
        children=store.runs.child_run_ids(run_id),
        _store=store,
    )
