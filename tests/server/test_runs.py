"""REST: the run list, run detail, metric series and artifact downloads, on both back ends."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj


def record_runs(count: int = 6) -> list[str]:
    """Runs of a small model search: params model/alpha, metric acc, two experiments."""
    run_ids = []
    for index in range(count):
        experiment = "search" if index % 2 == 0 else "other"
        with mj.start_run(name=f"run-{index}", experiment=experiment) as run:
            run.log_params({"model": "rf" if index < 3 else "svm", "alpha": index / 10})
            run.log_metric("acc", 0.5 + index / 20)
            run.set_tag("team", "fraud")
        run_ids.append(run.run_id)
    return run_ids


async def test_lists_runs_with_total_and_pages(api: Any) -> None:
    run_ids = record_runs()
    first = await api.get("runs", limit=4)
    assert first.status == 200
    page = first.json
    assert (page["total"], page["limit"], page["offset"]) == (6, 4, 0)
    assert [run["run_id"] for run in page["runs"]] == run_ids[::-1][:4]  # newest first
    second = (await api.get("runs", limit=4, offset=4)).json
    assert [run["run_id"] for run in second["runs"]] == run_ids[::-1][4:]
    run = page["runs"][0]
    assert run["params"] == {"model": "svm", "alpha": 0.5}
    assert run["metrics"] == {"acc": pytest.approx(0.75)}
    assert run["tags"] == {"team": "fraud"}
    assert run["status"] == "finished" and run["kind"] == "script"
    assert run["duration_s"] == pytest.approx(run["end_time"] - run["start_time"])


async def test_filter_order_and_experiment(api: Any) -> None:
    run_ids = record_runs()
    answer = await api.get(
        "runs", filter="metrics.acc > 0.52 and params.model = 'rf'", order_by="metrics.acc desc"
    )
    assert answer.status == 200
    assert [run["run_id"] for run in answer.json["runs"]] == [run_ids[2], run_ids[1]]
    assert answer.json["total"] == 2
    only = (await api.get("runs", experiment="other")).json
    assert {run["experiment"] for run in only["runs"]} == {"other"}
    assert only["total"] == 3


async def test_notebook_filter_matches_relative_and_absolute_paths(
    api: Any, jp_root_dir: Any
) -> None:
    record_runs(2)
    with mj.start_run(name="from-lab", notebook_path=str(jp_root_dir / "study" / "a.ipynb")):
        pass
    with mj.start_run(name="from-papermill", notebook_path="study/a.ipynb"):
        pass
    with mj.start_run(name="elsewhere", notebook_path="study/b.ipynb"):
        pass
    answer = await api.get("runs", notebook="study/a.ipynb", filter="name like 'from-%'")
    assert answer.status == 200
    assert sorted(run["name"] for run in answer.json["runs"]) == ["from-lab", "from-papermill"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"filter": "metrics.acc >"}, "position 13"),
        ({"filter": "metrics.acc > 1 and"}, "expected"),
        ({"filter": "bogus = 1"}, "unknown field"),
        ({"filter": "metrics.acc = 'x'"}, "holds numbers"),
        ({"order_by": "metrics.acc sideways"}, "asc or desc"),
        ({"limit": "many"}, "limit must be an integer"),
        ({"limit": "1001"}, "between 0 and 1000"),
        ({"offset": "-1"}, "offset must be between"),
    ],
)
async def test_bad_run_queries_are_400_with_a_message(
    api: Any, params: dict[str, str], fragment: str
) -> None:
    record_runs(1)
    answer = await api.get("runs", **params)
    assert answer.status == 400, answer.body
    assert fragment in answer.json["message"]


async def test_nul_characters_in_paths_are_400(api: Any) -> None:
    # tornado turns control characters in query arguments into spaces; path segments keep them,
    # and PostgreSQL refuses NUL in text, so they must be stopped before the store
    record_runs(1)
    for path in ("runs/ab\x00cd", "runs/abcd/metrics/a\x00b", "lineage/ab\x00cd"):
        answer = await api.get(path)
        assert answer.status == 400, path
        assert "NUL" in answer.json["message"]


async def test_nan_and_infinite_metrics_are_null(api: Any) -> None:
    with mj.start_run(name="diverged") as run:
        run.log_metric("loss", math.nan)
        run.log_metric("ratio", math.inf)
        run.log_param("weird", math.nan)
    listed = await api.get("runs")
    assert listed.status == 200
    row = listed.json["runs"][0]
    assert row["metrics"] == {"loss": None, "ratio": None}
    detail = (await api.get(f"runs/{run.run_id}")).json
    assert detail["metrics"] == {"loss": None, "ratio": None}
    assert detail["metric_keys"] == ["loss", "ratio"]


async def test_run_detail(api: Any, tmp_path: Any) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]})
    report = tmp_path / "report.txt"
    report.write_text("all good\n")
    with mj.start_run(name="parent", experiment="detail", params={"depth": 3}) as parent:
        parent.log_input(frame, name="train")
        parent.log_artifact(str(report))
        for step in range(3):
            parent.log_metric("loss", 1.0 / (step + 1), step=step)
        with mj.start_run(name="child") as child:
            pass
    answer = await api.get(f"runs/{parent.run_id}")
    assert answer.status == 200
    detail = answer.json
    assert detail["name"] == "parent" and detail["experiment"] == "detail"
    assert detail["params"] == {"depth": 3}
    assert detail["metric_keys"] == ["loss"]
    assert detail["children"] == [child.run_id]
    assert detail["inputs"][0]["name"] == "train"
    assert detail["inputs"][0]["node_type"] == "dataset"
    assert detail["inputs"][0]["rows"] == 3
    assert detail["inputs"][0]["fingerprint"] == mj.fingerprint(frame)
    assert [a["name"] for a in detail["artifacts"]] == ["report.txt"]
    assert detail["environment"]["python"]
    assert set(detail["source"]) >= {"code", "notebook_path", "cell_id"}
    # a unique prefix of the id works, as on the CLI
    assert (await api.get(f"runs/{parent.run_id[:-6]}")).json["run_id"] == parent.run_id


async def test_unknown_run_is_404(api: Any) -> None:
    record_runs(1)
    for path in ("runs/0000nosuchrun", "runs/0000nosuchrun/metrics/acc", "runs/zz/artifacts/a"):
        answer = await api.get(path)
        assert answer.status == 404, path
        assert "no run" in answer.json["message"]


async def test_metric_series_is_downsampled_keeping_spikes(api: Any) -> None:
    values = np.sin(np.arange(5000) / 300.0)
    values[1234] = 25.0  # a spike a chart must still show
    values[10] = math.nan
    with mj.start_run(name="curve") as run:
        for step, value in enumerate(values):
            run.log_metric("loss", float(value), step=step)
    answer = await api.get(f"runs/{run.run_id}/metrics/loss", max_points=200)
    assert answer.status == 200
    series = answer.json
    assert series["total_points"] == 5000
    assert series["nonfinite_points"] == 1
    assert series["method"] == "lttb"
    assert len(series["step"]) == len(series["value"]) == len(series["timestamp"]) == 200
    assert series["step"][0] == 0 and series["step"][-1] == 4999
    assert 1234 in series["step"] and 25.0 in series["value"]
    assert series["step"] == sorted(series["step"])
    full = (await api.get(f"runs/{run.run_id}/metrics/loss", max_points=10000)).json
    assert full["method"] == "none" and len(full["step"]) == 4999


async def test_metric_series_bad_input(api: Any) -> None:
    with mj.start_run(name="curve") as run:
        run.log_metric("acc", 0.9)
    missing = await api.get(f"runs/{run.run_id}/metrics/nope")
    assert missing.status == 404
    assert "no metric 'nope'" in missing.json["message"]
    for bad in ("2", "10001", "x"):
        answer = await api.get(f"runs/{run.run_id}/metrics/acc", max_points=bad)
        assert answer.status == 400
        assert "max_points" in answer.json["message"]


async def test_metric_keys_with_slashes(api: Any) -> None:
    with mj.start_run(name="curve") as run:
        run.log_metric("train/loss", 0.5)
    answer = await api.get(f"runs/{run.run_id}/metrics/train/loss")
    assert answer.status == 200
    assert answer.json["value"] == [0.5]


async def test_artifact_download(api: Any, tmp_path: Any) -> None:
    payload = tmp_path / "weights.bin"
    payload.write_bytes(bytes(range(256)) * 10)
    with mj.start_run(name="art") as run:
        run.log_artifact(str(payload))
    answer = await api.get(f"runs/{run.run_id}/artifacts/weights.bin")
    assert answer.status == 200
    assert answer.body == payload.read_bytes()
    assert answer.headers["Content-Type"] == "application/octet-stream"
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    for name in ("../weights.bin", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "nope.bin"):
        missing = await api.get(f"runs/{run.run_id}/artifacts/{name}")
        assert missing.status == 404, name


async def test_experiments(api: Any) -> None:
    record_runs(4)
    answer = await api.get("experiments")
    assert answer.status == 200
    counts = {e["name"]: e["runs"] for e in answer.json["experiments"]}
    assert counts == {"search": 2, "other": 2}


async def settled_page(api: Any, **params: Any) -> dict[str, Any]:
    """A run page whose total is the exact count (the count runs beside the page query; a page
    answered before it finished says total_exact false, and the next request gets it)."""
    for _ in range(100):
        page = (await api.get("runs", **params)).json
        if page["total_exact"]:
            return page
        await asyncio.sleep(0.05)
    raise AssertionError(f"the count of {params} never finished")


async def test_later_pages_reuse_the_first_pages_count(api: Any) -> None:
    record_runs(6)
    first = await settled_page(api, limit=2, filter="tags.team = 'fraud'")
    assert first["total"] == 6
    with mj.start_run(name="late") as run:
        run.set_tag("team", "fraud")
    # scrolling on: the count of the listing's first page stands
    later = (await api.get("runs", limit=2, offset=2, filter="tags.team = 'fraud'")).json
    assert later["total"] == 6
    # a listing that starts over counts again
    again = await settled_page(api, limit=2, filter="tags.team = 'fraud'")
    assert again["total"] == 7
    assert again["runs"][0]["name"] == "late"
    other = await settled_page(api, limit=2, offset=2, filter="name = 'late'")
    assert other["total"] == 1  # never listed from its first page: counted
