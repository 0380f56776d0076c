"""Where code runs from: the notebook path (by each frontend's route) or the script path.

Routes, in order: the papermill input path (``PAPERMILL_INPUT_PATH``, set by our papermill
engine), ``JPY_SESSION_NAME`` (JupyterLab/Notebook 7 set it in the kernel's environment),
ipykernel's ``__session__`` in the user namespace (the same name, set by ipykernel), VS Code's
``__vsc_ipynb_file__`` in the user namespace, else ``sys.argv[0]`` for scripts. The cell id is
not a path route: JupyterLab sends it with each execute request (see ``magics``).
"""

from __future__ import annotations

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
    return None


def script_path() -> str | None:
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and not argv0.endswith(("ipykernel_launcher.py", "-c")) and os.path.exists(argv0):
        return os.path.abspath(argv0)
    return None
