"""REST: sweeps (listing, progress, starting one on real kernels) and notebook parameters."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

import mlops_jupyter as mj

PARAMETERS = 'alpha: float = 0.5  # regularisation strength\nmodel = "ridge"\nlayers = [1, 2]\n'
BODY = "import mlops_jupyter as mj\nmj.log_metric('score', alpha * 2)\n"


def write_notebook(folder: Path, name: str = "train.ipynb") -> Path:
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(PARAMETERS)
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell(BODY)]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / name
    nbformat.write(notebook, str(path))
    return path


def recorded_sweep(statuses: list[str], planned: int) -> str:
    """A sweep run with child points in the given states (as the batch module records them)."""
    sweep = mj.start_run(name="sweep train", kind="sweep", notebook_path="train.ipynb")
    sweep.log_params({"points": planned, "grid.alpha": [0.1, 0.2, 0.3]})
    for index, status in enumerate(statuses):
        point = mj.start_run(name=f"train #{index}", kind="notebook", parent_run_id=sweep.run_id)
        point.log_params({"alpha": index / 10})
        if status != "running":
            point.end(status)
    sweep.flush()
    return sweep.run_id


async def test_sweep_list_and_progress(api: Any) -> None:
    sweep_id = recorded_sweep(["finished", "failed", "running"], planned=4)
    with mj.start_run(name="not a sweep"):
        pass
    listed = await api.get("sweeps")
    assert listed.status == 200
    [summary] = listed.json["sweeps"]
    assert summary["sweep_id"] == sweep_id and summary["status"] == "running"
    assert summary["progress"] == {
        "total": 4,
        "finished": 1,
        "failed": 1,
        "killed": 0,
        "running": 1,
        "pending": 1,
    }
    detail = (await api.get(f"sweeps/{sweep_id}")).json
    assert detail["sweep"] == summary
    assert detail["params"]["points"] == 4
    assert [child["name"] for child in detail["children"]] == ["train #0", "train #1", "train #2"]
    assert (await api.get("sweeps", notebook="other.ipynb")).json == {"sweeps": []}


async def test_unknown_sweep_is_404(api: Any) -> None:
    with mj.start_run(name="plain") as run:
        pass
    for sweep_id in (run.run_id, "nope"):
        answer = await api.get(f"sweeps/{sweep_id}")
        assert answer.status == 404
        assert "no sweep" in answer.json["message"]


async def test_notebook_parameters(api: Any, jp_root_dir: Path) -> None:
    (jp_root_dir / "study").mkdir()
    write_notebook(jp_root_dir / "study")
    answer = await api.get("notebooks/params", path="study/train.ipynb")
    assert answer.status == 200
    result = answer.json
    assert result["path"] == "study/train.ipynb" and result["has_parameters_cell"]
    by_name = {p["name"]: p for p in result["parameters"]}
    assert list(by_name) == ["alpha", "model", "layers"]
    assert by_name["alpha"]["type"] == "float"
    assert by_name["alpha"]["default"] == 0.5
    assert by_name["alpha"]["help"] == "regularisation strength"
    assert by_name["model"]["type"] == "str" and by_name["layers"]["default"] == [1, 2]


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("missing.ipynb", 404, "no notebook"),
        ("notes.txt", 400, "not a notebook"),
        ("broken.ipynb", 400, "not a readable notebook"),
        ("", 400, "must not be empty"),
    ],
)
async def test_notebook_parameters_bad_paths(
    api: Any, jp_root_dir: Path, path: str, status: int, fragment: str
) -> None:
    (jp_root_dir / "notes.txt").write_text("hello")
    (jp_root_dir / "broken.ipynb").write_text("{not json")
    answer = await api.get("notebooks/params", path=path)
    assert answer.status == status, answer.body
    assert fragment in answer.json["message"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"grid": {"alpha": [1]}}, "'notebook' is a required property"),
        ({"notebook": "train.ipynb", "grid": {}}, "grid"),
        ({"notebook": "train.ipynb", "grid": {"alpha": []}}, "grid/alpha"),
        ({"notebook": "train.ipynb", "grid": {"alpha": [1]}, "workers": 0}, "workers"),
        ({"notebook": "train.ipynb", "grid": {"nope": [1]}}, "nope"),
        ({"notebook": "train.ipynb", "grid": {"alpha": ["high"]}}, "alpha"),
        ("[1, 2", "not valid JSON"),
        ('{"notebook": "train.ipynb", "grid": {"alpha": [NaN]}}', "NaN is not a JSON value"),
    ],
)
async def test_bad_sweep_requests_start_nothing(
    api: Any, jp_root_dir: Path, body: Any, fragment: str
) -> None:
    write_notebook(jp_root_dir)
    answer = await api.post("sweeps", body)
    assert answer.status == 400, answer.body
    assert fragment in answer.json["message"]
    assert (await api.get("sweeps")).json == {"sweeps": []}


@pytest.mark.parametrize(
    ("grid", "fragment"),
    [
        ({"alpha": "0.1,,1"}, "grid alpha=0.1,,1: value 2 of 3 is empty"),
        ({"alpha": ""}, "grid alpha= lists no values"),
        ({"alpha": "0.1,nan"}, "grid parameter 'alpha': nan is not a finite number"),
        ({"alpha": "high"}, "parameter 'alpha' expects float, got 'high'"),
    ],
)
async def test_bad_grid_text_is_400_with_the_cli_parsers_message(
    api: Any, jp_root_dir: Path, grid: dict[str, str], fragment: str
) -> None:
    write_notebook(jp_root_dir)
    answer = await api.post("sweeps", {"notebook": "train.ipynb", "grid": grid})
    assert answer.status == 400, answer.body
    assert answer.json["message"] == fragment
    assert (await api.get("sweeps")).json == {"sweeps": []}


@pytest.mark.slow
async def test_start_a_sweep_and_follow_it(api: Any, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir)
    # alpha as typed text (split and typed by the CLI's parser: alpha is a float), model as text
    # with a comma inside quotes (one value), layers in the JSON list form
    grid = {"alpha": "0.1, 0.2", "model": "'a,b'", "layers": [[1, 2]]}
    answer = await api.post("sweeps", {"notebook": "train.ipynb", "grid": grid, "workers": 2})
    assert answer.status == 202, answer.body
    started = answer.json
    assert started["points_total"] == 2 and started["status"] == "running"
    deadline = time.monotonic() + 240
    while True:
        detail = (await api.get(f"sweeps/{started['sweep_id']}")).json
        if detail["sweep"]["status"] != "running" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert detail["sweep"]["status"] == "finished", detail
    assert detail["sweep"]["progress"]["finished"] == 2
    scores = sorted(child["metrics"]["score"] for child in detail["children"])
    assert scores == pytest.approx([0.2, 0.4])
    assert detail["params"]["grid.alpha"] == [0.1, 0.2]
    assert detail["params"]["grid.model"] == ["a,b"]
    assert detail["params"]["grid.layers"] == [[1, 2]]
