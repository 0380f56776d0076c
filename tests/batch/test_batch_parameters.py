"""Parameters cells read with ast, values checked against their types, sweep search spaces."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from batch_support import run_cli, write_notebook

from mlops_jupyter.batch.parameters import (
    ParameterError,
    ParameterList,
    notebook_params,
    parse_parameters,
    resolve_parameters,
)
from mlops_jupyter.batch.sweep import (
    grid_from_words,
    parse_distribution,
    split_values,
    sweep_points,
)

CELL = """\
from typing import Literal, Optional
model: Literal["ridge", "lasso"] = "ridge"  # which model
alpha: float = 1.0  # regularisation
n_trees = 100  # trees
flag = False
layers: list[int] = [
    64,
    32,
]  # hidden layer sizes
limit: Optional[int] = None
name: "str" = 'x'
path = Path("data.csv")  # not a literal
%matplotlib inline
n_trees = 200  # the later assignment wins
"""


def declared() -> ParameterList:
    return ParameterList(parse_parameters(CELL))


def test_parameters_cell_is_read_with_ast() -> None:
    params = {p.name: p for p in declared()}
    assert list(params) == ["model", "alpha", "flag", "layers", "limit", "name", "path", "n_trees"]
    assert (
        params["model"].type.choices == ("ridge", "lasso") and params["model"].help == "which model"
    )
    assert params["alpha"].type_name == "float" and params["alpha"].default == 1.0
    assert (
        params["n_trees"].default == 200 and params["n_trees"].help == "the later assignment wins"
    )
    assert params["flag"].type_name == "bool"
    assert params["layers"].default == [64, 32] and params["layers"].help == "hidden layer sizes"
    assert params["limit"].type_name == "int | None" and params["limit"].default is None
    assert params["name"].type_name == "str" and params["name"].annotation == '"str"'
    assert params["path"].type_name == "any" and not params["path"].literal_default
    assert params["path"].default_source == 'Path("data.csv")'


def test_words_are_parsed_with_the_declared_type() -> None:
    values = resolve_parameters(
        declared(),
        words=[
            ("alpha", "2"),
            ("n_trees", "50"),
            ("flag", "yes"),
            ("layers", "[8, 4]"),
            ("limit", "none"),
            ("name", "123"),
        ],
        strict=True,
    )
    assert values == {
        "alpha": 2.0,
        "n_trees": 50,
        "flag": True,
        "layers": [8, 4],
        "limit": None,
        "name": "123",
    }
    assert type(values["alpha"]) is float and type(values["name"]) is str


def test_typed_values_are_checked_and_widened() -> None:
    values = resolve_parameters(
        declared(), {"alpha": 3, "model": "lasso", "layers": (1, 2)}, strict=True
    )
    assert values == {"alpha": 3.0, "model": "lasso", "layers": [1, 2]}


def test_strict_names_every_bad_parameter() -> None:
    with pytest.raises(ParameterError) as caught:
        resolve_parameters(
            declared(),
            {"model": "svm", "n_trees": 1.5},
            [("alpha", "high"), ("colour", "red")],
            strict=True,
        )
    message = str(caught.value)
    for name in ("'model'", "'n_trees'", "'alpha'", "'colour'"):
        assert name in message
    assert caught.value.name == "model"
    assert "one of 'ridge', 'lasso'" in message and "the notebook declares model, alpha" in message


def test_lenient_mode_warns_and_passes_values_through() -> None:
    with pytest.warns(UserWarning, match="unknown parameter 'colour'"):
        values = resolve_parameters(declared(), words=[("colour", "red"), ("n_trees", "7")])
    assert values == {"colour": "red", "n_trees": 7}


def test_literal_choices_keep_their_types() -> None:
    params = ParameterList(parse_parameters("level: Literal[1, 2] = 1"))
    assert resolve_parameters(params, words=[("level", "2")], strict=True) == {"level": 2}
    with pytest.raises(ParameterError):
        resolve_parameters(params, {"level": True}, strict=True)


def test_a_notebook_without_parameters_cell(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "plain.ipynb", None, "print(1)")
    params = notebook_params(notebook)
    assert not params.has_cell and list(params) == []
    with pytest.raises(ParameterError, match="no cell tagged 'parameters'"):
        resolve_parameters(params, {"x": 1}, strict=True)


def test_unparsable_parameters_cell_names_the_line(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "broken.ipynb", "x = 1\ny = (", "print(x)")
    with pytest.raises(ParameterError, match="line 2"):
        notebook_params(notebook)


def test_distributions_are_read_not_evaluated() -> None:
    assert parse_distribution("loguniform(1e-3, 10)").args == (1e-3, 10)
    for bad, message in [
        ("__import__('os').system('x')", "looks like"),
        ("uniform(1, 0)", "low end"),
        ("gamma(1, 2)", "unknown distribution"),
        ("randint(1.5, 3)", "whole numbers"),
        ("loguniform(0, 1)", "positive"),
    ]:
        with pytest.raises(ParameterError, match=message):
            parse_distribution(bad)


def test_random_points_follow_their_distributions_and_the_seed() -> None:
    random = {
        "alpha": "loguniform(0.001, 10)",
        "n_trees": "randint(10, 12)",
        "model": "choice('ridge', 'lasso')",
    }
    points = sweep_points(random=random, n=200, seed=7)
    assert points == sweep_points(random=random, n=200, seed=7)
    alphas = np.array([p["alpha"] for p in points])
    assert alphas.min() >= 0.001 and alphas.max() <= 10
    # log-uniform: about half the draws below the geometric midpoint 0.1
    assert 0.35 < np.mean(alphas < 0.1) < 0.65
    assert {p["n_trees"] for p in points} == {10, 11, 12}
    assert {p["model"] for p in points} == {"ridge", "lasso"}


def test_grid_and_random_combine() -> None:
    points = sweep_points(
        grid={"model": ["ridge", "lasso"]},
        random={"alpha": "uniform(0, 1)"},
        n=3,
        seed=1,
        fixed={"n_trees": 5},
    )
    assert len(points) == 6 and all(p["n_trees"] == 5 for p in points)
    assert [p["model"] for p in points] == ["ridge"] * 3 + ["lasso"] * 3
    assert all(0 <= p["alpha"] < 1 and not math.isnan(p["alpha"]) for p in points)
    with pytest.raises(ParameterError, match="nothing to sweep"):
        sweep_points()
    with pytest.raises(ParameterError, match="--n"):
        sweep_points(random={"alpha": "uniform(0, 1)"})


def test_grid_points_come_in_parameter_grid_order() -> None:
    # scikit-learn's ParameterGrid: names sorted, the last one varying fastest
    points = sweep_points(grid={"model": ["ridge", "lasso"], "alpha": [0.1, 1.0]})
    assert points == [
        {"alpha": 0.1, "model": "ridge"},
        {"alpha": 0.1, "model": "lasso"},
        {"alpha": 1.0, "model": "ridge"},
        {"alpha": 1.0, "model": "lasso"},
    ]


def test_random_draws_are_python_numbers_and_differ_per_combination() -> None:
    random = {"alpha": "uniform(0, 1)", "depth": "randint(1, 9)", "noise": "normal(0, 1)"}
    points = sweep_points(grid={"model": ["a", "b"]}, random=random, n=2, seed=3)
    assert [type(p["depth"]) for p in points] == [int] * 4
    assert {type(p["alpha"]) for p in points} == {type(p["noise"]) for p in points} == {float}
    assert len({p["alpha"] for p in points}) == 4  # one generator across the combinations
    assert sweep_points(grid={"model": ["a", "b"]}, random=random, n=2, seed=4) != points
    with pytest.raises(ParameterError, match="seed must be 0 or more"):
        sweep_points(random=random, n=2, seed=-1)


def test_choices_only_are_drawn_without_repetition() -> None:
    random = {"model": "choice('ridge', 'lasso')", "scale": "choice(True, False)"}
    points = sweep_points(random=random, n=3, seed=0)
    assert len(points) == 3 and len({tuple(sorted(p.items())) for p in points}) == 3
    with pytest.warns(UserWarning, match="4 distinct point"):
        points = sweep_points(random=random, n=10, seed=0)
    assert len(points) == 4


def test_grid_words_are_typed_and_split_outside_brackets() -> None:
    assert split_values("[1,2],[3], 'a,b'") == ["[1,2]", "[3]", "'a,b'"]
    grid = grid_from_words(declared(), ["alpha=0.1,1", "layers=[8,4],[2]", "model=ridge,lasso"])
    assert grid == {"alpha": [0.1, 1.0], "layers": [[8, 4], [2]], "model": ["ridge", "lasso"]}
    with pytest.raises(ParameterError, match="'n_trees' expects int, got 'many'"):
        grid_from_words(declared(), ["n_trees=10,many"])


def test_params_cli_lists_names_types_defaults_and_help(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "nb.ipynb", CELL.replace("%matplotlib inline\n", ""), "print(1)"
    )
    listing = run_cli("params", str(notebook))
    assert listing.returncode == 0, listing.stderr
    assert "one of 'ridge', 'lasso'" in listing.stdout and "hidden layer sizes" in listing.stdout
    as_json = run_cli("params", str(notebook), "--format", "json")
    import json

    rows = {row["name"]: row for row in json.loads(as_json.stdout)}
    assert rows["model"]["choices"] == ["ridge", "lasso"] and rows["layers"]["default"] == [64, 32]


def test_run_strict_exits_2_before_any_kernel_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(tmp_path / "store"))
    notebook = write_notebook(tmp_path / "nb.ipynb", "x: int = 1", "import time; time.sleep(60)")
    started = time.monotonic()
    result = run_cli("run", str(notebook), "-p", "x", "1.5", "-p", "y", "2", "--strict")
    assert result.returncode == 2
    assert (
        "'x' expects int, got '1.5'" in result.stderr and "unknown parameter 'y'" in result.stderr
    )
    assert time.monotonic() - started < 30  # no kernel ran the 60 s cell
    assert not (tmp_path / "store" / "mlops.db").exists()  # and nothing was recorded
