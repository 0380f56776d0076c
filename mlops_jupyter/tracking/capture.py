"""The capture of one run or cell: what the library hooks (pandas IO, scikit-learn autolog)
report while it runs, plus the in-memory data a cell reads and writes.

Three kinds of run capture: a ``%%track`` cell (its own child run), a cell of a notebook
executed by the ``mlops`` papermill engine (the notebook run), and a ``mj.start_run`` block
(that run, for as long as the block lasts). Hooks find the capture through
``reporting.current()``: the innermost ``start_run`` capture of the calling thread, else the
cell capture; ``reporting.reporting()`` marks a reported call in progress so the library's own
nested calls are not reported again. Values go into the run's buffer at once (they cost microseconds); dataset
versions and fitted estimators are written when the cell or block ends, and input files are
then snapshotted under the snapshot policy.

What capture learnt about a fitted estimator (the data it was fitted on, an input example)
outlives the capture in ``FITTED`` (weakly keyed by the estimator), so registering the model
later — another cell, after the block — still types its signature from that data.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import weakref
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops_jupyter.tracking import autolog as sklearn_autolog
from mlops_jupyter.tracking import pandas_io, reporting
from mlops_jupyter.tracking.autolog import candidate_record, deployable_model, record_fits
from mlops_jupyter.tracking.code_names import CellNames, imports_package
from mlops_jupyter.tracking.datasets import DatasetRef, link_datasets
from mlops_jupyter.tracking.memory import (
    changed_outputs,
    fingerprint_variables,
    is_data,
    object_dataset,
)
from mlops_jupyter.tracking.patching import Patches
from mlops_jupyter.tracking.problems import warn
from mlops_jupyter.tracking.settings import SWITCHES
from mlops_jupyter.tracking.snapshots import snapshot_datasets
from mlops_jupyter.tracking.source import ipython_shell

if TYPE_CHECKING:
    from mlops_jupyter.tracking.autolog import FitRecord
    from mlops_jupyter.tracking.run import Run

log = logging.getLogger("mlops_jupyter.capture")
NOTEBOOK_RUN_ID: str | None = None  # the engine's notebook run, while whole-notebook capture is on
_PLAIN = (int, float, complex, bool, str, bytes, type(None))
_REACHING_BUILTINS = frozenset(
    {"eval", "exec", "compile", "__import__", "getattr", "globals", "locals", "vars"}
)


@contextlib.contextmanager
def as_the_user() -> Iterator[None]:
    """Import libraries the way the cell itself would: inside IPython's builtin trap.

    IPython puts ``get_ipython`` into builtins only while a cell's code runs, and the hooks are
    installed just before that. A library imported by the hooks must see the same world as when
    the user imports it: pandas, for one, decides at import whether it runs in a terminal
    (``display.max_columns`` 0 instead of 20) by looking for ``get_ipython``.
    """
    trap = getattr(ipython_shell(), "builtin_trap", None)
    if trap is None:
        yield
        return
    with trap:
        yield


@dataclass
class TrainingData:
    """What capture saw an estimator fitted on: X's dataset version and an input example."""

    X: DatasetRef | None
    input_example: str | None
    run_id: str


# estimator -> what it was last fitted on (kept while the estimator lives)
FITTED: weakref.WeakKeyDictionary[Any, TrainingData] = weakref.WeakKeyDictionary()


class Capture:
    """Everything one tracked cell reports, and the patches that report it."""

    def __init__(
        self,
        run: Run,
        namespace: MutableMapping[str, Any],
        names: CellNames,
        max_bytes: int,
        notebook_path: str | None = None,
        max_child_runs: int | None = None,
        also_link: tuple[str, ...] = (),
    ) -> None:
        self.run = run
        self.notebook_path = notebook_path
        if max_child_runs is None:  # engine-run notebooks and start_run blocks: the process's
            max_child_runs = SWITCHES.max_child_runs
        self.max_child_runs = max_child_runs  # child runs per search: its best candidates
        self.namespace = namespace
        self.names = names
        self.max_bytes = max_bytes
        self.patches = Patches()
        self.datasets: list[tuple[DatasetRef, str, str | None]] = []  # (version, role, name)
        self.fits: dict[int, FitRecord] = {}  # by id(estimator), most recently fitted last
        self.inputs: dict[str, DatasetRef] = {}
        self.lineage = False
        self.memory = False
        self.variables = False
        if not also_link and NOTEBOOK_RUN_ID and run.parent_run_id == NOTEBOOK_RUN_ID:
            also_link = (NOTEBOOK_RUN_ID,)  # a %%track cell of an engine-run notebook
        self.also_link = also_link  # other runs that get this capture's file lineage too
        self._previous: Capture | None = None
        self._threaded = False
        self.closed = False
        self.depth = 0  # reported calls in progress (see reporting.reporting_depth)

    # -- a start_run block's lifetime ---------------------------------------------------------
    def begin_block(self, *, sklearn: bool, pandas: bool, memory: bool) -> None:
        """Install the hooks for the libraries already imported, for this thread's block."""
        self.lineage, self.memory = pandas, memory
        if pandas and "pandas" in sys.modules:
            pandas_io.install(self)
        if sklearn and "sklearn" in sys.modules:
            sklearn_autolog.install(self)
        self.patches.alias(self.namespace, list(self.namespace))
        self._threaded = True
        reporting.push_block(self)

    # -- the cell's lifetime ------------------------------------------------------------------
    def finish_block(self, failed: bool = False) -> None:
        """End a ``start_run`` block's capture and write what it saw (problems only warn)."""
        self.end()
        try:
            self.write()
        except Exception as error:
            warn(f"could not write what run {self.run.run_id} captured: {error}")
            log.debug("writing the block capture failed", exc_info=True)

    def begin(
        self, *, autolog: bool, lineage: bool, memory: bool | None = None, variables: bool = True
    ) -> None:
        """Fingerprint the data the cell will read, then install the hooks the cell may need.

        ``lineage``: pandas IO; ``memory``: in-memory data (default: as ``lineage``);
        ``variables``: the cell's own variables as inputs and outputs (not for a notebook
        run's untracked cells, which all belong to one run)."""
        self.lineage = lineage
        self.memory = lineage if memory is None else memory
        self.variables = variables
        reachable = could_reach_library(self.namespace, self.names)
        if self.memory and variables:
            self.inputs = fingerprint_variables(self.namespace, self.names.read, self.max_bytes)
            self.datasets.extend((ref, "input", name) for name, ref in self.inputs.items())
        with as_the_user():
            if lineage and reachable and self.uses_package("pandas"):
                pandas_io.install(self)
            if reachable and autolog and self.uses_package("sklearn"):
                sklearn_autolog.install(self)
        self.patches.alias(self.namespace, self.names.loaded)
        self._previous = reporting.swap_cell_capture(self)

    def _inert(self, name: str) -> bool:
        return _inert_name(self.namespace, name)

    def uses_package(self, package: str) -> bool:
        """Hooks are needed only for a library already imported or imported by this cell."""
        return package in sys.modules or imports_package(self.names, package)

    def end(self) -> None:
        """Remove every hook (first thing at cell end, whatever else fails)."""
        self.closed = True
        if self._threaded:
            reporting.remove_block(self)
        elif reporting.cell_capture() is self:
            reporting.swap_cell_capture(self._previous)
        self.patches.undo(self.namespace, self.names.written | self.names.loaded)

    def record_outputs(self) -> None:
        """In-memory lineage: the outputs, which the cell assigned or changed."""
        if not (self.memory and self.variables):
            return
        candidates = self.names.written | set(self.inputs)
        after = fingerprint_variables(self.namespace, candidates, self.max_bytes)
        for name, ref in changed_outputs(self.inputs, after, self.names.written).items():
            self.datasets.append((ref, "output", name))

    def write(self, explicit_params: tuple[str, ...] = ()) -> None:
        """Dataset versions and edges in one transaction, then what autolog saw of the fits.

        A version the run itself wrote is not also its input (a cell that builds X and fits on
        it consumed nothing from outside): such input edges are dropped.
        """
        written = {(ref.uri, ref.fingerprint) for ref, role, _ in self.datasets if role == "output"}
        uses = [
            use
            for use in self.datasets
            if use[1] == "output" or (use[0].uri, use[0].fingerprint) not in written
        ]
        link_datasets(self.run.store, self.run.run_id, uses)
        files = [use for use in uses if not use[0].uri.startswith("memory://")]
        for other in self.also_link:
            link_datasets(self.run.store, other, files)
        for ref, _, _ in self.datasets:  # the dropped inputs share a version with an output
            ref.dataset_id = ref.dataset_id or next(
                (
                    r.dataset_id
                    for r, _, _ in uses
                    if (r.uri, r.fingerprint) == (ref.uri, ref.fingerprint)
                ),
                None,
            )
        if self.fits:
            record_fits(self, explicit_params, self.max_child_runs)
            self.remember_fits()
        self.snapshot_inputs([ref for ref, role, _ in uses if role == "input"])

    def snapshot_inputs(self, refs: list[DatasetRef]) -> None:
        """Input files into the blob store, under the snapshot policy (a failure only warns)."""
        files = [ref for ref in refs if ref.uri.startswith("file://")]
        if not files:
            return
        try:
            snapshot_datasets(self.run.store, files)
        except Exception as error:
            warn(f"input snapshot failed: {error}")
            log.debug("snapshot failed", exc_info=True)

    def remember_fits(self) -> None:
        """Keep what each estimator was fitted on, for a registration after the capture ended."""
        for record in self.fits.values():
            seen = TrainingData(record.X, record.input_example, self.run.run_id)
            for model in {
                id(m): m for m in (record.estimator, deployable_model(record.estimator))
            }.values():
                with contextlib.suppress(TypeError):  # an estimator that takes no weak reference
                    FITTED[model] = seen

    def save_fit_input(self, record: FitRecord) -> None:
        """Write the X of a fit now (a model registered while its block is still running)."""
        if record.X is not None and record.X.dataset_id is None:
            link_datasets(self.run.store, self.run.run_id, [(record.X, "input", "X")])

    # -- helpers for the hooks ----------------------------------------------------------------
    def add_dataset(self, ref: DatasetRef, role: str, name: str | None) -> DatasetRef:
        """Note a dataset use; the same version in the same role is kept once per run (the
        ref already noted is returned, so every holder sees the id it gets when written)."""
        for known, known_role, _ in self.datasets:
            if known_role == role and (known.uri, known.fingerprint) == (ref.uri, ref.fingerprint):
                return known
        self.datasets.append((ref, role, name))
        return ref

    def variable_name(self, obj: Any) -> str | None:
        """The name the cell knows ``obj`` by, if it is one of the cell's variables."""
        if obj is None:
            return None
        for name in sorted(self.names.loaded | self.names.written):
            if self.namespace.get(name) is obj:
                return name
        return None

    def dataset_for(self, obj: Any, fallback_name: str) -> DatasetRef | None:
        """A dataset version for data passed to a library call (None for non-data)."""
        if obj is None or not self.memory:
            return None
        if not is_data(obj):
            if not isinstance(obj, (list, tuple)):
                return None
            obj = np.asarray(obj)
        return object_dataset(obj, self.variable_name(obj) or fallback_name, self.max_bytes)

    def candidate_model(self) -> Any:
        """The model the cell produced: the last fitted predictor, else the last fitted
        estimator (a search's best estimator)."""
        if not self.fits:
            return None

        return deployable_model(candidate_record(list(self.fits.values())).estimator)

    def fit_of(self, model: Any) -> FitRecord | None:
        """The fit record of ``model`` (or of the search whose best estimator it is)."""
        for record in self.fits.values():
            if model is record.estimator or model is deployable_model(record.estimator):
                return record
        return None


def could_reach_library(namespace: MutableMapping[str, Any], names: CellNames) -> bool:
    """False when a cell's code cannot lead to a library call: it imports nothing and touches
    only numbers, strings, numpy arrays and containers of those, and harmless builtins. Such a
    cell gets no hooks (installing them costs about a millisecond)."""
    return bool(names.imported_modules) or not all(
        _inert_name(namespace, name) for name in names.loaded
    )


def _inert_name(namespace: MutableMapping[str, Any], name: str) -> bool:
    if name in namespace:
        return _inert_value(namespace[name], depth=2)
    return name not in _REACHING_BUILTINS


def _inert_value(value: Any, depth: int) -> bool:
    if isinstance(value, _PLAIN):
        return True
    numpy = sys.modules.get("numpy")
    if (
        numpy is not None
        and isinstance(value, (numpy.ndarray, numpy.generic))
        and value.dtype.kind != "O"
    ):
        return True
    if depth and isinstance(value, (list, tuple, set, frozenset)) and len(value) <= 100:
        return all(_inert_value(item, depth - 1) for item in value)
    if depth and isinstance(value, dict) and len(value) <= 100:
        return all(_inert_value(item, depth - 1) for item in (*value.keys(), *value.values()))
    return False


def training_data(model: Any) -> TrainingData | None:
    """What ``model`` was fitted on, as far as capture saw: a live capture's fit (its X written
    now), else what an ended capture remembered."""
    for capture in reporting.live_captures():
        record = capture.fit_of(model)
        if record is not None:
            capture.save_fit_input(record)
            return TrainingData(record.X, record.input_example, capture.run.run_id)
    try:
        return FITTED.get(model)
    except TypeError:
        return None
