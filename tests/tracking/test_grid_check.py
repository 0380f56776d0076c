"""The sweep grid check: an empty value (``alpha=1,,2``) and non-finite numbers (nan, inf) are
refused before anything runs, with exit code 2 from the CLI and a ParameterError from Python."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from batch_support import run_cli, small_notebook

import mlops_jupyter as mj
from mlops_jupyter.batch.parameters import ParameterError, notebook_params
from mlops_jupyter.batch.sweep import grid_from_words, sweep_points


def test_grid_words_refuse_empty_and_non_finite_values(tmp_path: Path) -> None:
    declared = notebook_params(small_notebook(tmp_path))
    assert grid_from_words(declared, ["sleep=0.5,1"]) == {"sleep": [0.5, 1.0]}
    # a quoted value keeps its commas and loses its quotes (when the parameter takes text)
    assert grid_from_words(declared, ["label='a,b',\"c\",d"]) == {"label": ["a,b", "c", "d"]}
    for word, message in [
        ("x=1,,2", "value 2 of 3 is empty"),
        ("x=1,2,", "value 3 of 3 is empty"),
        ("x=,1", "value 1 of 2 is empty"),
        ("x=", "lists no values"),
        ("sleep=nan", "'sleep': nan is not a finite number"),
        ("sleep=1,inf", "inf is not a finite number"),
        ("sleep=-Infinity", "-inf is not a finite number"),
        ("anything=NaN", "nan is not a finite number"),  # undeclared: guessed as a float
    ]:
        with pytest.raises(ParameterError, match=message):
            grid_from_words(declared, [word])
    with pytest.raises(ParameterError, match="not a finite number"):
        sweep_points({"alpha": [1.0, math.nan]})


def test_cli_sweep_refuses_bad_grids_with_exit_2(sqlite_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    notebook = small_notebook(tmp_path)
    for grid in ("x=1,,2", "sleep=nan"):
        done = run_cli("sweep", str(notebook), "--grid", grid, "--no-progress")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert mj.runs().empty  # nothing started
