"""Prediction logging (sampled, batched, off the request path, bounded) and delayed outcomes."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from registry_support import diabetes, train_and_register

import mlops_jupyter as mj
from mlops_jupyter.serve.predictions import PredictionLogger, row_ids
from serve.support import ServerProcess, invoke


@pytest.mark.slow
def test_logged_predictions_join_delayed_outcomes(serve_store: Path, tmp_path: Path) -> None:
    train_and_register("diab", 1.0)
    mj.promote("diab", 1, "staging")
    server = ServerProcess(
        "diab@staging", "--log-predictions", "1.0", env={}, log=tmp_path / "serve.log"
    )
    X, y = diabetes()
    try:
        server.wait_ready()
        ids: list[str] = []
        for start in range(0, 12, 3):  # four 3-row requests (fast path) ...
            _, head, _ = invoke(
                server.port, {"dataframe_records": X.iloc[start : start + 3].to_dict("records")}
            )
            ids += row_ids(head["mlops-request-id"], 3)
        # ... and a one-row request with the caller's own id, through the frame path (CSV)
        from serve.support import request

        status, head, _ = request(
            server.port,
            "POST",
            "/invocations",
            X.iloc[12:13].to_csv(index=False),
            {"Content-Type": "text/csv", "MLOps-Request-Id": "order-4711"},
        )
        assert status == 200 and head["mlops-request-id"] == "order-4711"
        ids.append("order-4711")
        deadline = time.monotonic() + 15
        while len(mj.serving_log("diab")) < 13:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
    finally:
        server.stop()
    log = mj.serving_log("diab")
    assert sorted(log["request_id"]) == sorted(ids)
    assert set(log["version"]) == {1} and set(log["alias"]) == {"staging"}
    expected = mj.load_model("models:/diab/1").predict(X.head(13))
    by_id = log.set_index("request_id")
    assert np.allclose(by_id.loc[ids, "prediction"].astype(float), expected)
    assert np.allclose(by_id.loc[ids, list(X.columns)].to_numpy(), X.head(13).to_numpy())
    assert log["y_true"].isna().all()
    # labels arrive later, for some rows only
    assert mj.log_outcomes("diab", ids[:5], y.head(5)) == 5
    labelled = mj.serving_log("diab", labelled_only=True).set_index("request_id")
    assert list(labelled.index) == ids[:5] or sorted(labelled.index) == sorted(ids[:5])
    assert np.allclose(labelled.loc[ids[:5], "y_true"].astype(float), y.head(5))
    # a repeated label replaces the first; bad calls say why
    mj.log_outcomes("diab", [ids[0]], [1.5])
    assert (
        mj.serving_log("diab", labelled_only=True).set_index("request_id").loc[ids[0], "y_true"]
        == 1.5
    )
    with pytest.raises(mj.RegistryError, match="2 request ids but 1 outcomes"):
        mj.log_outcomes("diab", ids[:2], [1.0])
    # live quality of the served version from the labelled rows (the monitoring module's check)
    mj.log_outcomes("diab", ids, y.head(13))
    (report,) = mj.check_served_performance("diab")
    assert report.model_uri == "models:/diab/1" and report.rows == 13
    assert {row["metric"] for row in report.metrics} >= {"r2", "rmse"}
    # the same through the CLI: monitor performance|drift NAME@ALIAS --from-serving-log
    from click.testing import CliRunner

    from mlops_jupyter.cli import cli

    done = CliRunner().invoke(
        cli, ["monitor", "performance", "diab@staging", "--from-serving-log", "--format", "json"]
    )
    assert done.exit_code in (0, 1), done.output
    assert '"rows": 13' in done.output and "models:/diab/1" in done.output
    # served inputs against the version's reference profile
    mj.set_reference_profile("diab", 1, mj.profile(X))
    (drift,) = mj.check_served_drift("diab", record=False)
    assert set(drift.to_frame()["column"]) >= set(X.columns)
    done = CliRunner().invoke(cli, ["monitor", "drift", "diab@staging", "--from-serving-log"])
    assert done.exit_code in (0, 1) and "columns drifted" in done.output, done.output
    done = CliRunner().invoke(
        cli, ["monitor", "drift", "diab@staging", "--from-serving-log", "--data", "x.csv"]
    )
    assert done.exit_code == 2 and "takes a MODEL and no --data" in done.output


class _SlowStore:
    """A store whose writes block until released, then fail or succeed."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.rows: list[dict[str, Any]] = []
        self.fail = True

        outer = self

        class Serving:
            def add_predictions(self, rows: list[dict[str, Any]]) -> None:
                outer.release.wait(10)
                if outer.fail:
                    raise ConnectionError("store down")
                outer.rows.extend(rows)

        self.serving = Serving()


def test_the_prediction_queue_is_bounded_and_never_blocks_requests() -> None:
    store = _SlowStore()
    logger = PredictionLogger(
        store,  # type: ignore[arg-type]
        name="m",
        alias="production",
        server_id="s",
        rate=1.0,
        max_rows=100,
        flush_seconds=0.05,
    )
    logger.start()
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    outputs = np.array([0.5, 0.7])
    started = time.perf_counter()
    accepted = sum(logger.offer(f"r{i}", 1, frame, outputs) for i in range(1_000))
    per_offer = (time.perf_counter() - started) / 1_000
    assert per_offer < 0.001  # the request path never waits on the store
    assert accepted == 50 and logger.dropped == 2 * (1_000 - 50)
    assert logger.queued_rows <= 100
    store.release.set()  # the store answers with errors: rows are kept for the next try
    time.sleep(0.3)
    assert store.rows == [] and logger.queued_rows == 100
    store.fail = False  # the store is back: the backlog is written, room frees up
    deadline = time.monotonic() + 5
    while logger.written < 100:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert logger.queued_rows == 0 and len(store.rows) == 100
    assert {r["request_id"] for r in store.rows} >= {"r0/0", "r0/1", "r49/1"}
    assert logger.offer("again", 1, frame, outputs)
    logger.stop()
    assert len(store.rows) == 102


def test_sampling_rate_is_respected() -> None:
    store = _SlowStore()
    logger = PredictionLogger(
        store,  # type: ignore[arg-type]
        name="m",
        alias=None,
        server_id="s",
        rate=0.1,
        max_rows=1_000_000,
    )
    frame = pd.DataFrame({"a": [1.0]})
    taken = sum(logger.offer(str(i), 1, frame, np.array([1.0])) for i in range(20_000))
    assert 1_600 < taken < 2_400
