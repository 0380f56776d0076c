"""REST: the lineage graph around runs and datasets (model versions: test_models.py)."""

from __future__ import annotations

from typing import Any

import pandas as pd

import mlops_jupyter as mj


def pipeline() -> dict[str, Any]:
    """raw -> prepare -> clean -> train, plus an unrelated run reading other data."""
    raw = pd.DataFrame({"x": range(10), "y": [i % 2 for i in range(10)]})
    clean = raw[raw.x > 2]
    with mj.start_run(name="prepare") as prepare:
        prepare.log_input(raw, name="raw")
        prepare.log_output(clean, name="clean")
    with mj.start_run(name="train") as train:
        train.log_input(clean, name="clean")
    with mj.start_run(name="unrelated") as other:
        other.log_input(pd.DataFrame({"z": [1.0]}), name="z")
    return {
        "prepare": prepare.run_id,
        "train": train.run_id,
        "other": other.run_id,
        "raw": mj.fingerprint(raw),
        "clean": mj.fingerprint(clean),
    }


def labels(graph: dict[str, Any]) -> set[str]:
    return {node["label"] for node in graph["nodes"]}


async def test_upstream_of_a_run_reaches_its_sources(api: Any) -> None:
    ids = pipeline()
    answer = await api.get(f"lineage/{ids['train']}")
    assert answer.status == 200
    graph = answer.json
    assert graph["root"] == f"run:{ids['train']}" and graph["direction"] == "upstream"
    assert labels(graph) == {"train", "prepare", "clean", "raw"}
    by_id = {node["id"]: node for node in graph["nodes"]}
    flows = {(by_id[e["source"]]["label"], by_id[e["target"]]["label"]) for e in graph["edges"]}
    assert flows == {("raw", "prepare"), ("prepare", "clean"), ("clean", "train")}
    clean = next(node for node in graph["nodes"] if node["label"] == "clean")
    assert clean["type"] == "dataset"
    assert clean["attributes"]["fingerprint"] == ids["clean"]
    assert clean["attributes"]["rows"] == 7


async def test_downstream_of_a_dataset_and_depth(api: Any) -> None:
    ids = pipeline()
    graph = (await api.get(f"lineage/{ids['raw']}", direction="downstream")).json
    assert graph["root"].startswith("dataset:")
    assert labels(graph) == {"raw", "prepare", "clean", "train"}
    shallow = (await api.get(f"lineage/{ids['raw']}", direction="downstream", depth=1)).json
    assert labels(shallow) == {"raw", "prepare"}
    both = (await api.get(f"lineage/{ids['prepare']}", direction="both", depth=1)).json
    assert labels(both) == {"raw", "prepare", "clean"}
    assert both["roots"] == [both["root"]] == [f"run:{ids['prepare']}"]


async def test_lineage_bad_input(api: Any) -> None:
    ids = pipeline()
    unknown = await api.get("lineage/no-such-thing")
    assert unknown.status == 404
    assert "no run, dataset or model version" in unknown.json["message"]
    for params, fragment in (
        ({"direction": "sideways"}, "direction must be one of"),
        ({"depth": "0"}, "depth must be between 1 and 50"),
        ({"depth": "deep"}, "depth must be an integer"),
    ):
        answer = await api.get(f"lineage/{ids['train']}", **params)
        assert answer.status == 400
        assert fragment in answer.json["message"]
    missing_model = await api.get("lineage/models:/nothing/1")
    assert missing_model.status == 404


async def test_lineage_never_reads_files_named_by_the_request(api: Any, tmp_path: Any) -> None:
    # mj.lineage fingerprints a file given by path; over REST that would probe the server's disk
    outside = tmp_path / "secret.csv"
    outside.write_text("a,b\n1,2\n")
    pipeline()
    for target in (str(outside), "/etc/passwd"):
        answer = await api.get(f"lineage/{target}")
        assert answer.status == 404
        assert answer.json["message"] == f"no run, dataset or model version {target!r}"
