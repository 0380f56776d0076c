"""REST: bad input is a 4xx with a message that says what is wrong, never a 500 — oversized
numbers and filters, deeply nested bodies, a corrupt artifact blob. An unexpected error is a
500 whose body carries the id under which the traceback was logged (and no traceback)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import mlops_jupyter as mj
from tests.server.users import train


def corrupt(store: Any, digest: str) -> None:
    Path(store.blobs.path_for(digest)).write_bytes(b"not what was stored")


BAD_FILTERS = [
    ({"filter": "(" * 400 + "name = 'a'" + ")" * 400}, "nested too deeply"),
    ({"filter": " or ".join(f"name = 'n{i}'" for i in range(1_500))}, "filter too large"),
    ({"filter": "metrics.acc > 99999999999999999999999"}, "does not fit in 64 bits"),
    ({"filter": "attempt > 1e999"}, "not a finite"),
]


async def test_oversized_filters_are_400(api: Any) -> None:
    for params, fragment in BAD_FILTERS:
        answer = await api.get("runs", **params)
        assert answer.status == 400, answer.body
        assert fragment in answer.json["message"]
    answer = await api.get("runs", filter="name like 'a\\%'", order_by="params.x desc")
    assert answer.status == 200, answer.body


async def test_huge_version_numbers_and_nested_bodies_are_400(api: Any) -> None:
    run_id = train()
    mj.register_model(run_id, "iris")
    for path in (
        "models/iris/versions/99999999999999999999999",
        "models/iris/versions/2147483648/gates",
    ):
        answer = await api.get(path)
        assert answer.status == 400, answer.body
        assert "version must be at most 2147483647" in answer.json["message"]
    answer = await api.post("models/iris/versions/99999999999999999999999/approve", {})
    assert answer.status == 400, answer.body
    nested = "[" * 5_000 + json.dumps(run_id) + "]" * 5_000
    answer = await api.post("models", body='{"run_id": ' + nested + ', "name": "deep"}')
    assert answer.status == 400, answer.body
    assert "nested too deeply" in answer.json["message"]
    answer = await api.post("models", body="[" * 100_000)
    assert answer.status == 400 and "nested too deeply" in answer.json["message"]
    assert [v.version for v in mj.list_versions("iris")] == [1]  # nothing was changed


async def test_a_corrupt_blob_is_409_naming_it(api: Any, mj_store: Any) -> None:
    run_id = train()
    [artifact] = mj_store.runs.list_artifacts(run_id)
    corrupt(mj_store, artifact["digest"])
    answer = await api.get(f"runs/{run_id}/artifacts/{artifact['name']}")
    assert answer.status == 409, answer.body
    assert "corrupt" in answer.json["message"] and artifact["digest"] in answer.json["message"]
    answer = await api.post("models", {"run_id": run_id, "name": "iris"})
    assert answer.status == 409, answer.body
    assert artifact["digest"][:12] in answer.json["message"]


async def test_unexpected_errors_carry_a_logged_error_id(
    api: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from mlops_jupyter.server import handlers_runs

    run_id = train()

    def broken(*_args: Any) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(handlers_runs, "run_detail", broken)
    with caplog.at_level(logging.ERROR):
        answer = await api.get(f"runs/{run_id}")
    assert answer.status == 500
    body = answer.json
    assert "traceback" not in body or body["traceback"] == ""
    assert "ZeroDivisionError" not in answer.body.decode()
    error_id = body["error_id"]
    assert error_id in body["message"]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info and logged[0].exc_info[0] is ZeroDivisionError
