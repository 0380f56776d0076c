"""Where code runs from: the notebook path (by each frontend's route) or the script path.

Routes, in order: the papermill input path (``PAPERMILL_INPUT_PATH``, set by our papermill
engine), ``JPY_SESSION_NAME`` (JupyterLab/Notebook 7 set it in the kernel's environment),
ipykernel's ``__session__`` in the user namespace (the same name, set by ipykernel), VS Code's
``__vsc_ipynb_file__`` in the user namespace, the input notebook of a ``papermill`` command that
started this kernel (its parent process), else ``sys.argv[0]`` for scripts.

The cell id: JupyterLab sends it with each execute request (see ``magics``); a frontend that
sends none (papermill's own runner) runs a notebook whose cells carry ids (nbformat 4.5): the
id is then the one of the notebook cell whose source is the code being run
(``notebook_cell_id``).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import Any

PAPERMILL_INPUT_ENV = "PAPERMILL_INPUT_PATH"


def ipython_shell() -> Any | None:
    """The running IPython shell, if any, without importing IPython."""
    module = sys.modules.get("IPython")
    if module is None:
        return None
    try:
        return module.get_ipython()
    except Exception:
        return None


def in_notebook() -> bool:
    shell = ipython_shell()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def notebook_path() -> str | None:
    """The notebook this kernel runs, when it can be known."""
    for candidate in (os.environ.get(PAPERMILL_INPUT_ENV), os.environ.get("JPY_SESSION_NAME")):
        if candidate:
            return candidate
    shell = ipython_shell()
    if shell is not None:
        for name in ("__session__", "__vsc_ipynb_file__"):
            value = shell.user_ns.get(name)
            if isinstance(value, str) and value:
                return value
    return papermill_input_path() if shell is not None else None


# papermill's command line: options that take no value / two values; every other takes one
_PAPERMILL_FLAGS = frozenset(
    {
        "--help-notebook",
        "--request-save-on-cell-execute",
        "--no-request-save-on-cell-execute",
        "--prepare-only",
        "--prepare-execute",
        "--log-output",
        "--no-log-output",
        "--progress-bar",
        "--no-progress-bar",
        "--report-mode",
        "--no-report-mode",
        "--inject-input-path",
        "--inject-output-path",
        "--inject-paths",
        "--version",
        "--help",
    }
)
_PAPERMILL_PAIRS = frozenset({"-p", "--parameters", "-r", "--parameters_raw"})


@functools.cache
def papermill_input_path() -> str | None:
    """The input notebook of the ``papermill`` command whose kernel this is (read from the
    parent process's command line), else None."""
    try:
        import psutil  # noqa: PLC0415 - start-up: psutil is imported on first use

        parent = psutil.Process(os.getppid())
        arguments, cwd = parent.cmdline(), parent.cwd()
    except Exception:
        return None
    found = papermill_notebook_argument(arguments)
    if found is None or "://" in found or found == "-":
        return None
    return os.path.normpath(os.path.join(cwd, found))


def papermill_notebook_argument(arguments: list[str]) -> str | None:
    """NOTEBOOK_PATH of a ``papermill [OPTIONS] NOTEBOOK_PATH [OUTPUT_PATH]`` command line."""
    for index, argument in enumerate(arguments[:3]):
        if os.path.basename(argument) == "papermill" or arguments[index - 1 : index + 1] == [
            "-m",
            "papermill",
        ]:
            rest = arguments[index + 1 :]
            break
    else:
        return None
    position = 0
    while position < len(rest):
        token = rest[position]
        if token == "--":
            return rest[position + 1] if position + 1 < len(rest) else None
        if not token.startswith("-") or token == "-":
            return token
        if "=" in token or token in _PAPERMILL_FLAGS:
            position += 1
        elif token in _PAPERMILL_PAIRS:
            position += 3
        else:
            position += 2
    return None


_seen_sources: dict[tuple[str, str], int] = {}


def notebook_cell_id(path: str | None, code: str) -> str | None:
    """The id of the notebook cell whose source is ``code`` (the n-th such cell when the same
    code is run the n-th time), for frontends that send no cell id."""
    if not path:
        return None
    ids = _cell_ids_by_source(path, _mtime(path)).get(code)
    if not ids:
        return None
    key = (path, code)
    count = _seen_sources.get(key, 0)
    _seen_sources[key] = count + 1
    return ids[count % len(ids)]


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


@functools.lru_cache(maxsize=4)
def _cell_ids_by_source(path: str, _mtime: float) -> dict[str, list[str]]:
    try:
        with open(path, encoding="utf-8") as handle:
            cells = json.load(handle).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return {}
    found: dict[str, list[str]] = {}
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or not cell.get("id"):
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        found.setdefault(text, []).append(str(cell["id"]))
    return found


def script_path() -> str | None:
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and not argv0.endswith(("ipykernel_launcher.py", "-c")) and os.path.exists(argv0):
        return os.path.abspath(argv0)
    return None
