"""Helpers for the magics tests: a real IPython shell with the extension loaded, real kernels,
and the environment that subprocess kernels need to import this source tree."""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def tracked_shell() -> Iterator[InteractiveShell]:
    """The process's IPython shell (history off) with ``%load_ext mlops_jupyter`` done."""
    InteractiveShell.clear_instance()
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "mlops_jupyter")
    try:
        yield shell
    finally:
        from mlops_jupyter.magics import unload_ipython_extension

        unload_ipython_extension(shell)
        InteractiveShell.clear_instance()
        # every shell registers its own atexit clean-up (a full gc.collect each): hundreds of
        # discarded test shells kept pytest busy for minutes after the last test
        atexit.unregister(shell.atexit_operations)


def run(shell: InteractiveShell, code: str, **kwargs: Any) -> Any:
    """Run a cell the way a frontend does (stored in history, so it gets an execution count)."""
    return shell.run_cell(code, store_history=True, **kwargs)


def kernel_env(**extra: str) -> dict[str, str]:
    """The environment for a kernel subprocess: this source tree importable, plus ``extra``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def cell_runs(experiment: str | None = None) -> Any:
    """The runs of tracked cells (not their search-candidate children), oldest first."""
    import mlops_jupyter as mj

    frame = mj.runs(experiment=experiment, filter="kind = 'cell'", order_by="start_time")
    return frame[~frame.parent_run_id.isin(frame.run_id)].reset_index(drop=True)
