"""The papermill engine ``mlops``: papermill's nbclient engine, with every execution a tracked
notebook run.

``papermill in.ipynb out.ipynb --engine mlops -p K V`` (or ``execute_notebook(...,
engine_name="mlops")``) records a run of kind ``notebook`` with the parameters and their types,
per-cell status and timing, the input notebook's snapshot and hash, the output notebook and the
environment. The kernel logs into that run: ``mj.log_*`` calls and ``%%track`` cells (child
runs) inside the notebook attach to it. papermill's own output — the ``injected-parameters`` cell
and ``metadata.papermill`` — is left exactly as papermill writes it; the run id is added under
``metadata.mlops_jupyter``.

This module is imported by papermill at start-up (entry point ``papermill.engine``): it must stay
cheap and importable; the tracking layer is imported when a notebook actually runs.
"""

# ruff: noqa: E402 - the module __getattr__ below must exist before papermill is imported
from __future__ import annotations

import ast
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def __getattr__(name: str) -> Any:
    """Importing papermill imports its engines' entry points, this module among them. When this
    module is imported first, papermill asks for ``MlopsEngine`` before the class below exists:
    it gets a placeholder, replaced by the real engine at the end of this module."""
    if name == "MlopsEngine":
        return None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from mlops_jupyter.batch.kernels import (
    START_ATTEMPTS,
    CellIdKernelClient,
    KernelPool,
    KernelStartError,
    PointStopped,
    PooledKernel,
    Watchdog,
    store_environment,
)
from mlops_jupyter.batch.record import (
    INPUT_ARTIFACT,
    NOTEBOOK_MEDIA_TYPE,
    failed_cell,
    input_snapshot,
    notebook_location,
    put_artifact,
    record_environment,
    record_outcome,
    record_parameters,
    sha256,
)
from mlops_jupyter.config import EXPERIMENT_ENV
from mlops_jupyter.tracking.context import RUN_ID_ENV, create_run
from mlops_jupyter.tracking.source import PAPERMILL_INPUT_ENV

KERNEL_SIDE = "__import__('mlops_jupyter.batch.kernel_side', fromlist=['_'])"


@dataclass
class BatchOptions:
    """What the batch layer hands the engine (papermill passes it through as ``mlops=``)."""

    pool: KernelPool | None = None  # kernels to use; None: a private pool for this execution
    waiting: Callable[[], int] | None = None  # points still waiting for a kernel (pre-start hint)
    parent_run_id: str | None = None
    experiment: str | None = None
    run_name: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    watchdog: Watchdog | None = None
    cwd: str | None = None  # the kernel's working directory (default: this process's)
    notebook_path: str | None = None  # record the run as this notebook (reproduce runs a copy)
    on_run: Callable[[str], None] | None = None  # told the run id as soon as the run exists


class MlopsNotebookClient(PapermillNotebookClient):
    """papermill's notebook client, sending each cell's id with its execute request."""

    async def async_execute_cell(
        self,
        cell: Any,
        cell_index: int,
        execution_count: int | None = None,
        store_history: bool = True,
    ) -> Any:
        client = self.kc
        if isinstance(client, CellIdKernelClient):
            client.cell_id = cell.get("id")
        try:
            return await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        finally:
            if isinstance(client, CellIdKernelClient):
                client.cell_id = None

    # nbclient binds the synchronous name to the async method when its class is created, and
    # papermill calls the synchronous one: bind it again to this class's method
    execute_cell = run_sync(async_execute_cell)

    def kernel_call(self, expression: str) -> Any:
        """Evaluate ``expression`` in the kernel silently (no history, no notebook output)."""
        assert self.kc is not None
        msg_id = self.kc.execute(
            "", silent=True, store_history=False, user_expressions={"value": expression}
        )
        reply = self.wait_for_reply(msg_id)
        if reply is None:
            raise KernelCallError(expression, "NoReply", "the kernel did not answer")
        value = reply["content"].get("user_expressions", {}).get("value", {})
        if value.get("status") != "ok":
            raise KernelCallError(expression, value.get("ename"), value.get("evalue"))
        return ast.literal_eval(value["data"]["text/plain"])


class KernelCallError(RuntimeError):
    """An engine helper failed inside the kernel."""

    def __init__(self, expression: str, ename: str | None, evalue: str | None) -> None:
        super().__init__(f"{expression} failed in the kernel: {ename}: {evalue}")
        self.ename = ename


class NotebookExecution:
    """One execution through the engine: kernel, run, cells, record."""

    def __init__(self, options: BatchOptions, input_path: Any, kernel_name: str) -> None:
        self.options = options
        self.input_path = input_path
        self.kernel_name = kernel_name
        self.watchdog = options.watchdog or Watchdog()
        self.own_pool = options.pool is None
        self.pool = options.pool or KernelPool(
            kernel_name, cwd=options.cwd, env=store_environment()
        )
        self.run: Any = None
        self.snapshot: bytes | None = None

    # -- the steps, in order ------------------------------------------------------------------
    def execute(self, nb_man: Any, client_kwargs: dict[str, Any]) -> Any:
        client, kernel = self._start_kernel(nb_man, client_kwargs)
        healthy = False
        try:
            self._start_run(nb_man.nb)
            attached = self._begin_point(client, kernel)
            client.execute()
            if attached:
                self._finish_point(client, nb_man.nb)
            healthy = True
        except DeadKernelError as error:
            if self.watchdog.reason is not None:
                raise PointStopped(self.watchdog.reason, self.watchdog.timeout) from error
            raise
        finally:
            self.watchdog.guard(None)
            self.pool.release(kernel, client.kc, reusable=healthy and self.watchdog.reason is None)
        return nb_man.nb

    def _begin_point(self, client: MlopsNotebookClient, kernel: PooledKernel) -> bool:
        """Point the kernel's tracking at the run (resetting a reused kernel first). False when
        it cannot: the notebook still runs and is recorded, but ``mj.*`` calls in it are not
        attached (a non-Python kernel, or one whose environment lacks mlops_jupyter)."""
        language = getattr(kernel.manager.kernel_spec, "language", "python") or "python"
        if language.lower() != "python":
            logger.warning(
                "kernel %r runs %s: mj.* calls cannot attach to the run", self.kernel_name, language
            )
            return False
        call = f"{KERNEL_SIDE}.begin_point({self._kernel_environment()!r}, {self.options.cwd!r}, {kernel.used!r})"
        try:
            client.kernel_call(call)
        except KernelCallError as error:
            if error.ename != "ModuleNotFoundError":
                raise
            logger.warning(
                "kernel %r cannot import mlops_jupyter: the notebook is recorded, mj.* calls in it are not attached",
                self.kernel_name,
            )
            return False
        return True

    def _finish_point(self, client: MlopsNotebookClient, nb: Any) -> None:
        """Flush what the notebook logged, then record the packages it imported."""
        outcome = "failed" if nb.metadata.papermill.get("exception") else "finished"
        modules = client.kernel_call(f"{KERNEL_SIDE}.finish_point({outcome!r})")
        record_environment(self.run, modules, self.options.cwd or os.getcwd())

    def _start_kernel(
        self, nb_man: Any, client_kwargs: dict[str, Any]
    ) -> tuple[MlopsNotebookClient, PooledKernel]:
        """A kernel that answered ``kernel_info``; failed starts (e.g. a port taken between
        choosing and binding it) are retried with a new kernel."""
        failure: BaseException | None = None
        for _attempt in range(START_ATTEMPTS):
            self.watchdog.check()
            kernel = self.pool.acquire()
            self.watchdog.guard(kernel)
            client = MlopsNotebookClient(nb_man, km=kernel.manager, **client_kwargs)
            if kernel.client is not None:  # a warm kernel, still connected
                client.kc, kernel.client = kernel.client, None
                return client, kernel
            try:
                client.start_new_kernel_client()
            except Exception as error:
                failure = error
                self.watchdog.guard(None)
                self.pool.discard(kernel)
                self.watchdog.check()  # killed by the watchdog: no retry
                logger.warning("kernel %r did not start (%s)", self.kernel_name, error)
                continue
            if self.options.waiting is not None:
                self.pool.top_up(self.options.waiting())
            return client, kernel
        raise KernelStartError(
            f"kernel {self.kernel_name!r} did not start after {START_ATTEMPTS} attempts: {failure}"
        ) from failure

    def _start_run(self, nb: Any) -> None:
        self._create_run(nb)
        nb.metadata["mlops_jupyter"] = {"run_id": self.run.run_id}
        assert self.snapshot is not None
        put_artifact(self.run, INPUT_ARTIFACT, self.snapshot, NOTEBOOK_MEDIA_TYPE)
        record_parameters(self.run, self.snapshot, nb)

    def _create_run(self, nb: Any) -> None:
        self.snapshot = input_snapshot(self.input_path, nb)
        location = self.notebook_path()
        self.run = create_run(
            name=self.options.run_name or (os.path.basename(location) if location else "notebook"),
            experiment=self.options.experiment,
            kind="notebook",
            parent_run_id=self.options.parent_run_id,
            push=False,
            notebook_path=location,
            code_hash=sha256(self.snapshot),
        )
        tags = {
            "engine": "papermill",
            "kernel": self.kernel_name,
            "cwd": self.options.cwd or os.getcwd(),
        }
        self.run.set_tags({**tags, **self.options.tags})
        if self.options.on_run is not None:
            self.options.on_run(self.run.run_id)

    def notebook_path(self) -> str | None:
        return self.options.notebook_path or notebook_location(self.input_path)

    def _kernel_environment(self) -> dict[str, str]:
        environment = {RUN_ID_ENV: self.run.run_id, EXPERIMENT_ENV: self.run.experiment}
        notebook_path = self.notebook_path()
        if notebook_path:
            environment[PAPERMILL_INPUT_ENV] = notebook_path
        return environment

    def finish(self, nb: Any, error: BaseException | None) -> None:
        """End the run: its outcome, the output notebook and the cell report."""
        try:
            if self.run is None:  # the kernel never started: still leave a record of the attempt
                self._create_run(nb)
            record_outcome(self.run, nb)
            if error is None:
                stopped_by = failed_cell(nb)
                self.run.end(
                    "failed" if stopped_by else "finished",
                    RuntimeError(stopped_by) if stopped_by else None,
                )
            elif isinstance(error, KeyboardInterrupt):
                self.run.end("killed", error)
            else:
                self.run.end(getattr(error, "status", "failed"), error)
        finally:
            if self.own_pool:
                self.pool.close()


class MlopsEngine(NBClientEngine):
    """papermill's nbclient engine; each execution becomes a tracked notebook run."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, **kwargs: Any) -> Any:
        options = kwargs.pop("mlops", None) or BatchOptions()
        execution = NotebookExecution(options, kwargs.get("input_path"), kernel_name)
        try:
            nb = super().execute_notebook(nb, kernel_name, mlops_execution=execution, **kwargs)
        except BaseException as error:
            execution.finish(nb, error)
            raise
        execution.finish(nb, None)
        return nb

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        mlops_execution: NotebookExecution | None = None,
        **kwargs: Any,
    ) -> Any:
        # the same client arguments as papermill's NBClientEngine, which hard-codes its client class
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        client_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        if mlops_execution is None:
            raise TypeError(
                "MlopsEngine.execute_managed_notebook is called by MlopsEngine.execute_notebook"
            )
        return mlops_execution.execute(nb_man, client_kwargs)


# registered by papermill through the entry point too; this covers the placeholder case above
papermill_engines.register("mlops", MlopsEngine)
