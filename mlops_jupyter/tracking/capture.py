"""The capture of one tracked cell: what the library hooks (pandas IO, scikit-learn autolog) report
while the cell runs, plus the in-memory data the cell reads and writes.

Hooks find the capture through ``ACTIVE``; ``reporting()`` marks a reported call in progress so
the library's own nested calls are not reported again. Values go into the run's buffer at once
(they cost microseconds); dataset versions and fitted estimators are written when the cell ends.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, MutableMapping
from types import FrameType
from typing import TYPE_CHECKING, Any

from mlops_jupyter.tracking.cell import CellNames, imports_package
from mlops_jupyter.tracking.datasets import DatasetRef, link_datasets
from mlops_jupyter.tracking.memory import (
    changed_outputs,
    fingerprint_variables,
    is_data,
    object_dataset,
)

if TYPE_CHECKING:
    from mlops_jupyter.tracking.autolog import FitRecord
    from mlops_jupyter.tracking.run import Run

ACTIVE: Capture | None = None
_PLAIN = (int, float, complex, bool, str, bytes, type(None))
_REACHING_BUILTINS = frozenset(
    {"eval", "exec", "compile", "__import__", "getattr", "globals", "locals", "vars"}
)
LIBRARY_PREFIX = "sklearn."
_depth = 0  # reported calls in progress, process-wide (joblib threads included)
clock = time.perf_counter


@contextlib.contextmanager
def as_the_user() -> Iterator[None]:
    """Import libraries the way the cell itself would: inside IPython's builtin trap.

    IPython puts ``get_ipython`` into builtins only while a cell's code runs, and the hooks are
    installed just before that. A library imported by the hooks must see the same world as when
    the user imports it: pandas, for one, decides at import whether it runs in a terminal
    (``display.max_columns`` 0 instead of 20) by looking for ``get_ipython``.
    """
    from mlops_jupyter.tracking.source import ipython_shell

    trap = getattr(ipython_shell(), "builtin_trap", None)
    if trap is None:
        yield
        return
    with trap:
        yield


def called_by_library(frame: FrameType | None) -> bool:
    """True when ``frame`` or a frame that called it runs scikit-learn's own code: a fit or a
    metric computed inside a library function (``LabelEncoder`` in ``classification_report``,
    the folds of ``cross_val_score``, a threshold scan) is the library's business, not the
    user's call."""
    while frame is not None:
        module = frame.f_globals.get("__name__")
        if type(module) is str and (module == "sklearn" or module.startswith(LIBRARY_PREFIX)):
            return True
        frame = frame.f_back
    return False


def reporting_depth() -> int:
    return _depth


@contextlib.contextmanager
def reporting() -> Iterator[None]:
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1


class Capture:
    """Everything one tracked cell reports, and the patches that report it."""

    def __init__(
        self,
        run: Run,
        namespace: MutableMapping[str, Any],
        names: CellNames,
        max_bytes: int,
        notebook_path: str | None = None,
        max_child_runs: int = 5,
    ) -> None:
        from mlops_jupyter.tracking.patching import Patches

        self.run = run
        self.notebook_path = notebook_path
        self.max_child_runs = max_child_runs  # child runs per search: its best candidates
        self.namespace = namespace
        self.names = names
        self.max_bytes = max_bytes
        self.patches = Patches()
        self.datasets: list[tuple[DatasetRef, str, str | None]] = []  # (version, role, name)
        self.fits: dict[int, FitRecord] = {}  # by id(estimator), most recently fitted last
        self.inputs: dict[str, DatasetRef] = {}
        self.lineage = False
        self._previous: Capture | None = None

    # -- the cell's lifetime ------------------------------------------------------------------
    def begin(self, *, autolog: bool, lineage: bool) -> None:
        """Fingerprint the data the cell will read, then install the hooks the cell may need."""
        global ACTIVE
        self.lineage = lineage
        reachable = self.names.imported_modules or not all(map(self._inert, self.names.loaded))
        if lineage:
            self.inputs = fingerprint_variables(self.namespace, self.names.read, self.max_bytes)
            self.datasets.extend((ref, "input", name) for name, ref in self.inputs.items())
        with as_the_user():
            if lineage and reachable and self.uses_package("pandas"):
                from mlops_jupyter.tracking import pandas_io

                pandas_io.install(self)
            if reachable and autolog and self.uses_package("sklearn"):
                from mlops_jupyter.tracking import autolog as sklearn_autolog

                sklearn_autolog.install(self)
        self.patches.alias(self.namespace, self.names.loaded)
        self._previous, ACTIVE = ACTIVE, self

    def _inert(self, name: str) -> bool:
        """True when the value behind ``name`` cannot lead to a library call: numbers, strings,
        numpy arrays and containers of those, harmless builtins. A cell that touches only such
        names gets no hooks (installing them costs about a millisecond)."""
        if name in self.namespace:
            return _inert_value(self.namespace[name], depth=2)
        return name not in _REACHING_BUILTINS

    def uses_package(self, package: str) -> bool:
        """Hooks are needed only for a library already imported or imported by this cell."""
        return package in sys.modules or imports_package(self.names, package)

    def end(self) -> None:
        """Remove every hook (first thing at cell end, whatever else fails)."""
        global ACTIVE
        if ACTIVE is self:
            ACTIVE = self._previous
        self.patches.undo(self.namespace, self.names.written | self.names.loaded)

    def record_outputs(self) -> None:
        """In-memory lineage: the outputs, which the cell assigned or changed."""
        if not self.lineage:
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
            from mlops_jupyter.tracking.autolog import record_fits

            record_fits(self, explicit_params, self.max_child_runs)

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
        if obj is None:
            return None
        if not is_data(obj):
            if not isinstance(obj, (list, tuple)):
                return None
            import numpy as np

            obj = np.asarray(obj)
        return object_dataset(obj, self.variable_name(obj) or fallback_name, self.max_bytes)

    def candidate_model(self) -> Any:
        """The model the cell produced: the last fitted predictor, else the last fitted
        estimator (a search's best estimator)."""
        if not self.fits:
            return None
        from mlops_jupyter.tracking.autolog import candidate_record, deployable_model

        return deployable_model(candidate_record(list(self.fits.values())).estimator)

    def fit_of(self, model: Any) -> FitRecord | None:
        """The fit record of ``model`` (or of the search whose best estimator it is)."""
        from mlops_jupyter.tracking.autolog import deployable_model

        for record in self.fits.values():
            if model is record.estimator or model is deployable_model(record.estimator):
                return record
        return None


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
