"""The batch engine's helpers that run *inside* the kernel: begin a point, finish it.

Only the standard library is imported here (plus the small module of whole-notebook capture,
whose heavy parts load when a cell first needs them), so calling these costs the kernel
nothing it would not pay anyway. The engine calls them with silent execute requests (no history, no outputs in
the notebook); nothing is left in the user namespace.

What a warm kernel's reset between points isolates and what it does not:

* isolated: the user namespace (``%reset -f`` semantics: every variable, function and class the
  notebook defined, ``In``/``Out`` and ``_`` caches); ``os.environ``, the working directory and
  ``sys.path`` (restored to what they were before the first point); modules imported from the
  notebook's own directory (dropped, so they are imported afresh); open matplotlib figures.
* not isolated: installed packages stay imported, with their module-level state (that is what
  makes warm kernels fast): e.g. ``sklearn.set_config``, ``pandas.set_option``, caches, the
  global ``random``/``numpy.random`` generator state (seed explicitly), threads or files a point
  left open, and anything patched onto a library module. Objects that survive a reset (library
  state) are exempted from later garbage-collection passes (``gc.freeze``); refcounting still
  frees them as usual.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from mlops_jupyter.tracking import notebook_capture

_baseline: dict[str, Any] | None = None  # process state before the first point


def _notebook_dir_modules(directory: str) -> list[str]:
    """Modules imported from the notebook's directory tree (the user's own helper modules).

    Installed packages stay even when the environment lives inside that tree (a project .venv).
    """
    folders = {
        os.path.join(os.path.abspath(directory), ""),
        os.path.join(os.path.realpath(directory), ""),
    }
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    installed = tuple(os.path.join(os.path.realpath(p), "") for p in prefixes) + tuple(
        os.path.join(os.path.abspath(p), "") for p in prefixes
    )
    names = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or name.startswith("mlops_jupyter"):
            continue
        if path.startswith(tuple(folders)) and not path.startswith(installed):
            names.append(name)
    return names


def _reset(cwd: str) -> None:
    assert _baseline is not None
    shell = _shell()
    if shell is not None:
        shell.reset(new_session=True)  # what `%reset -f` does, plus fresh execution counts
    # reset() ends with a full garbage collection over every imported library's objects (0.1 s
    # and more per point); what survives it now is library state: exempt it from later passes
    gc.freeze()
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
    for name in _notebook_dir_modules(cwd):
        del sys.modules[name]
    os.environ.clear()
    os.environ.update(_baseline["environ"])
    sys.path[:] = _baseline["path"]


def _shell() -> Any:
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def begin_point(environment: dict[str, str], cwd: str | None, reset: bool) -> None:
    """Prepare the kernel for one notebook execution: reset it if it ran one before, then point
    the tracking layer at the engine's run (``MLOPS_JUPYTER_RUN_ID`` and friends)."""
    global _baseline
    if _baseline is None:
        _baseline = {"environ": dict(os.environ), "path": list(sys.path), "cwd": os.getcwd()}
    elif reset:
        _reset(cwd or _baseline["cwd"])
    os.chdir(cwd or _baseline["cwd"])
    os.environ.update(environment)
    context = sys.modules.get("mlops_jupyter.tracking.context")
    if context is not None:
        # a reused kernel still holds the previous point's run as its session run: attach to
        # this point's run now, before any log call could reach the old one
        context.session_run()
    run_id = environment.get("MLOPS_JUPYTER_RUN_ID")
    shell = _shell()
    if run_id and shell is not None:
        # every cell's pandas IO and scikit-learn calls are captured into the notebook run

        notebook_capture.install(shell, run_id)


def finish_point(status: str) -> list[str]:
    """Make everything the notebook logged durable before the engine ends its run.

    Runs the notebook started and left open end with the notebook's outcome; the engine's run
    (attached here, owned by the engine) is flushed. Returns the top-level names of the imported
    modules, from which the engine records the packages the notebook used.
    """
    context = sys.modules.get("mlops_jupyter.tracking.context")
    if context is not None:
        run = context.active_run()
        while run is not None and run.owned and run.status == "running":
            run.end(status)
            run = context.active_run()
        if run is not None and run.status == "running":
            run.flush()
    return sorted({name.partition(".")[0] for name in list(sys.modules)})
