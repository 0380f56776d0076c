"""Running the example notebooks in tests: papermill in a real ``python3`` kernel that imports
this source tree, and reading what the executed notebook shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest
from shell_support import REPO, kernel_env

EXAMPLES = REPO / "example_notebooks"


def execute_example(
    name: str,
    output: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    parameters: dict[str, Any],
    cwd: Path,
    engine_name: str | None = None,
) -> nbformat.NotebookNode:
    """Execute ``example_notebooks/NAME`` into ``output`` (papermill's default engine unless
    ``engine_name``); the executed notebook."""
    monkeypatch.setenv("PYTHONPATH", kernel_env()["PYTHONPATH"])
    papermill.execute_notebook(
        str(EXAMPLES / name),
        str(output),
        parameters=parameters,
        cwd=str(cwd),
        kernel_name="python3",
        engine_name=engine_name,
        progress_bar=False,
    )
    return nbformat.read(output, as_version=4)


def code_outputs(notebook: nbformat.NotebookNode, output_type: str) -> list[Any]:
    """Every output of this type (``error``, ``stream``, ...) of the notebook's code cells."""
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == output_type
    ]


def stream_text(notebook: nbformat.NotebookNode) -> str:
    """What the notebook's cells printed, in order."""
    return "".join(output.get("text", "") for output in code_outputs(notebook, "stream"))
