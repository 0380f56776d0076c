"""``%%track`` in real kernels: execute requests the way JupyterLab sends them (with ``cellId``),
and notebooks run by papermill, including one started inside an existing notebook run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest
from jupyter_client.manager import start_new_kernel
from shell_support import REPO, cell_runs

import mlops_jupyter as mj

pytestmark = pytest.mark.slow


@pytest.fixture
def kernel_store(mj_store, monkeypatch):  # type: ignore[no-untyped-def]
    """The test's store, visible to kernels started from this process."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    )
    return mj_store


class LabLikeClient:
    """Sends execute requests with the metadata JupyterLab adds (``cellId``) and collects outputs."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def execute(
        self, code: str, cell_id: str | None = None, timeout: float = 60
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
        }
        message = self.client.session.msg(
            "execute_request", content, metadata={"cellId": cell_id} if cell_id else {}
        )
        self.client.shell_channel.send(message)
        reply = self.client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != message["header"]["msg_id"]:
            reply = self.client.get_shell_msg(timeout=timeout)
        outputs = []
        while True:
            output = self.client.get_iopub_msg(timeout=timeout)
            if output["parent_header"].get("msg_id") != message["header"]["msg_id"]:
                continue
            if output["msg_type"] == "status" and output["content"]["execution_state"] == "idle":
                break
            outputs.append(output)
        return reply["content"], outputs


@pytest.fixture
def lab_kernel(kernel_store, monkeypatch) -> Iterator[LabLikeClient]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/alice/study.ipynb")
    manager, client = start_new_kernel(kernel_name="python3", env=dict(os.environ))
    try:
        lab = LabLikeClient(client)
        reply, _ = lab.execute("%load_ext mlops_jupyter")
        assert reply["status"] == "ok"
        yield lab
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_jupyterlab_cell_ids_attempts_path_await_and_live_view(lab_kernel) -> None:  # type: ignore[no-untyped-def]
    code = "%%track -m value\nimport asyncio\nawait asyncio.sleep(0.05)\nvalue = 3\nvalue * 2\n"
    reply, outputs = lab_kernel.execute(code, cell_id="cell-a")
    assert reply["status"] == "ok"
    assert any(
        o["msg_type"] == "execute_result" and o["content"]["data"]["text/plain"] == "6"
        for o in outputs
    )
    views = [o["content"]["data"] for o in outputs if o["msg_type"] == "display_data"]
    assert (
        views and "application/vnd.jupyter.widget-view+json" in views[0] and "text/html" in views[0]
    )
    lab_kernel.execute("%%track -m value\nvalue = 4  # edited\n", cell_id="cell-a")
    reply, _ = lab_kernel.execute("%%track\nraise RuntimeError('lab failure')\n", cell_id="cell-b")
    assert reply["status"] == "error" and reply["ename"] == "RuntimeError"
    frame = cell_runs()
    assert list(frame.cell_id) == ["cell-a", "cell-a", "cell-b"]
    assert list(frame.attempt) == [1, 2, 1]
    assert list(frame.status) == ["finished", "finished", "failed"]
    assert set(frame.notebook_path) == {"/home/alice/study.ipynb"}
    first = mj.get_run(frame.run_id[0])
    assert first.metrics == {"value": 3.0}
    parent = mj.get_run(first.parent_run_id)
    assert (parent.kind, parent.source["notebook_path"]) == ("notebook", "/home/alice/study.ipynb")


def write_notebook(path: Path, cells: list[tuple[str, list[str]]]) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_code_cell(source, metadata={"tags": tags}) for source, tags in cells
    ]
    nbformat.write(notebook, path)


def test_papermill_notebook_inside_an_existing_notebook_run(
    kernel_store, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    notebook = tmp_path / "train.ipynb"
    write_notebook(
        notebook,
        [
            ("%load_ext mlops_jupyter\nimport numpy as np", []),
            (
                "%%track -n fit\nfrom sklearn.linear_model import LinearRegression\nX = np.arange(20.0).reshape(10, 2)\nmodel = LinearRegression().fit(X, X.sum(axis=1))\n",
                [],
            ),
            ("%%track -n broken\nraise ValueError('expected failure')\n", ["raises-exception"]),
        ],
    )
    with mj.start_run("batch", kind="notebook") as outer:
        monkeypatch.setenv("MLOPS_JUPYTER_RUN_ID", outer.run_id)
        monkeypatch.setenv("PAPERMILL_INPUT_PATH", str(notebook))
        with pytest.raises(papermill.PapermillExecutionError, match="expected failure"):
            papermill.execute_notebook(
                str(notebook),
                str(tmp_path / "out.ipynb"),
                kernel_name="python3",
                progress_bar=False,
            )
    frame = cell_runs()
    assert list(frame.name) == ["fit", "broken"] and list(frame.status) == ["finished", "failed"]
    assert set(frame.parent_run_id) == {outer.run_id}  # the cells are children of the batch run
    assert set(frame.notebook_path) == {str(notebook)}
    fit = mj.get_run(frame.run_id[0])
    assert fit.tags["mlops.model_class"] == "sklearn.linear_model.LinearRegression"
    assert {i["name"] for i in fit.inputs} == {"y"}  # X was made in the cell; y is an expression
    assert {o["name"] for o in fit.outputs} == {"X"}
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    (fit_cell,) = [c for c in executed.cells if c.source.startswith("%%track -n fit")]
    summaries = [o for o in fit_cell.outputs if "text/html" in o.get("data", {})]
    assert len(summaries) == 1 and "finished" in summaries[0]["data"]["text/html"]
    outputs = [o for c in executed.cells for o in c.get("outputs", [])]
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
