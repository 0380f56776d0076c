"""Whole-notebook capture: in a kernel started by the ``mlops`` papermill engine, every cell —
not only ``%%track`` cells — reports its pandas reads and writes, scikit-learn fits, scores and
metric calls into the engine's notebook run.

``install(shell)`` (called by the engine's ``begin_point`` inside the kernel) registers two
shell events. Before a cell, the cell's names decide whether it could reach a library at all
(a cell of numbers and strings gets no hooks and costs a parse of its code, cached); if it
can, a ``Capture`` for the notebook run installs the hooks the cell may need. After the cell,
the hooks are removed and what they saw is written (dataset versions, edges, input snapshots,
fit params and metrics). A ``%%track`` cell is left to its own capture (a child run); its file
lineage is linked to the notebook run as well. Notebook parameters win over autologged params
of the same name. Every step is guarded: a capture problem is a warning, never a changed cell.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from mlops_jupyter.tracking import capture, context, settings
from mlops_jupyter.tracking.capture import Capture, could_reach_library
from mlops_jupyter.tracking.code_names import cell_names
from mlops_jupyter.tracking.problems import warn
from mlops_jupyter.tracking.source import PAPERMILL_INPUT_ENV

log = logging.getLogger("mlops_jupyter.capture")
MAX_FINGERPRINT_BYTES = 2 << 30


class NotebookCapture:
    """The shell events of whole-notebook capture (one per kernel)."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.active: Any = None
        self.run_id: str | None = None
        self.parameters: tuple[str, ...] | None = None  # the run's params before any cell

    def attach(self, run_id: str) -> None:
        self.run_id = run_id
        self.parameters = None
        capture.NOTEBOOK_RUN_ID = run_id

    def pre_run_cell(self, info: Any) -> None:
        try:
            self._begin(info)
        except Exception as error:
            self.active = None
            _warn(f"this cell runs without capture: {error}")

    def _begin(self, info: Any) -> None:
        if self.run_id is None or not settings.any_capture():
            return
        raw = info.raw_cell or ""
        if raw.lstrip().startswith("%%track"):
            return  # a tracked cell captures into its own run

        names = cell_names(info.transformed_cell or raw)
        namespace = self.shell.user_ns
        if not could_reach_library(namespace, names):
            return

        run = context.session_run()
        if run.run_id != self.run_id:
            return  # not attached to the engine's run (the notebook switched runs itself)
        capture = Capture(run, namespace, names, MAX_FINGERPRINT_BYTES, _notebook_path())
        switches = settings.SWITCHES
        capture.begin(
            autolog=switches.sklearn,
            lineage=switches.pandas,
            memory=switches.memory,
            variables=False,
        )
        self.active = capture

    def post_run_cell(self, result: Any) -> None:
        capture, self.active = self.active, None
        if capture is None:
            return
        try:
            capture.end()
        finally:
            try:
                capture.write(explicit_params=self._parameters(capture))
            except Exception as error:
                _warn(f"could not write what this cell did into run {capture.run.run_id}: {error}")
                log.debug("notebook capture write failed", exc_info=True)

    def _parameters(self, capture: Any) -> tuple[str, ...]:
        """The notebook's parameters (recorded by the engine before any cell ran)."""
        if self.parameters is None:
            run_id = capture.run.run_id
            known = capture.run.store.runs.run_values([run_id]).get(run_id) or {}
            self.parameters = tuple(known.get("params") or {})
        return self.parameters


def _notebook_path() -> str | None:
    return os.environ.get(PAPERMILL_INPUT_ENV) or None


def _warn(message: str) -> None:
    warn(message)


def install(shell: Any, run_id: str) -> NotebookCapture | None:
    """Capture every cell of this kernel into ``run_id`` (idempotent; a warm kernel's next
    point re-attaches the same hooks to its own run)."""
    if shell is None:
        return None
    existing = getattr(shell, "_mlops_notebook_capture", None)
    if existing is None:
        existing = NotebookCapture(shell)
        shell.events.register("pre_run_cell", existing.pre_run_cell)
        shell.events.register("post_run_cell", existing.post_run_cell)
        shell._mlops_notebook_capture = existing
    existing.attach(run_id)
    return existing
