"""Tracked notebooks run by papermill's own runner (a real kernel per test): what the hooks
import behaves as if the user imported it, cell ids come from the notebook, a session run ends
``finished`` when its kernel was told to shut down (even if exiting is slow) and ``killed`` only
when the kernel died, and a fresh store says nothing on stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from shell_support import kernel_env

import mlops_jupyter as mj

pytestmark = pytest.mark.slow


def write_notebook(path: Path, *sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return nb


def papermill_cli(notebook: Path, out: Path, store: Path) -> subprocess.CompletedProcess[str]:
    """``python -m papermill IN OUT`` (plain papermill: its runner sends no cell ids)."""
    return subprocess.run(
        [sys.executable, "-m", "papermill", "--no-progress-bar", str(notebook), str(out)],
        env=kernel_env(MLOPS_JUPYTER_STORE=str(store)),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=notebook.parent,
    )


def outputs(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return ["".join(o.get("text", "") for o in cell.get("outputs", [])) for cell in nb.cells]


SHOW_PANDAS = 'print(pd.get_option("display.max_columns"), pd.get_option("display.width"))'


def test_plain_papermill_slow_exit_cell_ids_pandas_and_a_quiet_fresh_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel whose exit outlasts papermill's wait (a non-daemon thread, as joblib workers
    leave) is killed after its shutdown request: its session run still ends ``finished``.
    pandas, first imported by a tracked cell (the hooks import it before the cell runs), has
    the options it has in any notebook kernel (it looks for ``get_ipython`` at import)."""
    store = tmp_path / "store"  # fresh: created by the kernel's first tracked cell
    notebook = tmp_path / "slow.ipynb"
    nb = write_notebook(
        notebook,
        "%load_ext mlops_jupyter",
        "%%track -n first\nx = 1",
        "%%track -n lingering\nimport threading, time\nthreading.Thread(target=time.sleep, args=(120,)).start()",
        "%%track -n first\nx = 1",  # the same code again: the second cell with this source
        f"%%track\nimport pandas as pd\n{SHOW_PANDAS}",
    )
    result = papermill_cli(notebook, tmp_path / "out.ipynb", store)
    assert result.returncode == 0, result.stderr
    assert "alembic" not in result.stderr.lower() and "INFO" not in result.stderr
    assert (
        outputs(tmp_path / "out.ipynb")[4] == "20 80\n"
    )  # as untracked in a kernel (0 in a terminal)

    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(store))
    from mlops_jupyter.store import reset_stores

    reset_stores()
    try:
        frame = mj.runs(order_by="start_time")
        session = frame[frame.kind == "notebook"]
        assert list(session.status) == ["finished"]  # not killed
        assert list(session.name) == ["slow.ipynb"]
        cells = frame[frame.kind == "cell"]
        assert list(cells.status) == ["finished"] * 4
        ids = [mj.get_run(run_id).source["cell_id"] for run_id in cells.run_id]
        assert ids == [cell.id for cell in nb.cells[1:]]
    finally:
        reset_stores()


def test_a_kernel_that_died_leaves_its_session_run_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    notebook = tmp_path / "dies.ipynb"
    write_notebook(notebook, "%load_ext mlops_jupyter", "%%track\nx = 1", "import os\nos._exit(1)")
    result = papermill_cli(notebook, tmp_path / "out.ipynb", store)
    assert result.returncode != 0
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(store))
    from mlops_jupyter.store import reset_stores

    reset_stores()
    try:
        frame = mj.runs(order_by="start_time")
        assert list(frame[frame.kind == "notebook"].status) == ["killed"]
        assert list(frame[frame.kind == "cell"].status) == ["finished"]
    finally:
        reset_stores()


def test_a_fresh_store_says_nothing_under_papermill_cli_logging(tmp_path: Path) -> None:
    """papermill's CLI logs INFO to stderr; creating the store (in the engine's own process)
    must not add Alembic's migration lines to it."""
    notebook = tmp_path / "small.ipynb"
    write_notebook(notebook, "x = 1")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "papermill", "--no-progress-bar", "--engine", "mlops"),
            *(str(notebook), str(tmp_path / "out.ipynb")),
        ],
        env=kernel_env(MLOPS_JUPYTER_STORE=str(tmp_path / "store")),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Input Notebook:" in result.stderr  # papermill's own INFO logging is on
    for line in ("Context impl", "Running upgrade", "setup plugin", "alembic"):
        assert line not in result.stderr
