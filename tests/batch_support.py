"""Helpers of the batch tests: small notebooks written by the tests, and the real CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

BIN = Path(sys.executable).parent
CLI = str(BIN / "mlops-jupyter")
PAPERMILL = str(BIN / "papermill")

# x selects the behaviour: 3 fails, anything else logs y = 2x; sleep makes a point slow
SMALL_PARAMETERS = (
    "x: int = 1  # the input number\nsleep: float = 0.0  # seconds to wait\nlabel = 'a'"
)
SMALL_BODY = (
    "import time\n"
    "import mlops_jupyter as mj\n"
    "time.sleep(sleep)\n"
    "if x == 3:\n"
    "    raise ValueError('x must not be 3')\n"
    "mj.log_metric('y', x * 2)"
)


def write_notebook(path: Path, parameters: str | None, *cells: str | tuple[str, list[str]]) -> Path:
    """A notebook with a ``parameters`` cell (unless None) and code cells (``(source, tags)``)."""
    code = (
        [new_code_cell(parameters, metadata={"tags": ["parameters"]})]
        if parameters is not None
        else []
    )
    for cell in cells:
        source, tags = (cell, []) if isinstance(cell, str) else cell
        code.append(new_code_cell(source, metadata={"tags": tags}))
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(new_notebook(cells=code, metadata={"kernelspec": kernelspec}), str(path))
    return path


def small_notebook(folder: Path) -> Path:
    return write_notebook(folder / "small.ipynb", SMALL_PARAMETERS, SMALL_BODY)


def _interruptible() -> None:
    # a shell that started us in the background may have set SIGINT to "ignore"; users' Ctrl-C
    # reaches a foreground process, so give the child the default disposition
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(
    *args: str, program: str = CLI, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run ``mlops-jupyter`` (or ``papermill``) as users do, with this test's store settings."""
    return subprocess.run(
        [program, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
        preexec_fn=_interruptible,
    )


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        preexec_fn=_interruptible,
    )
