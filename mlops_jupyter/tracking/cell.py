"""The cell run: one execution of a ``%%track`` cell, from its options to its recorded outcome.

A ``CellRun`` is started just before the cell body executes and finished just after it. In
between, the library hooks (pandas IO, scikit-learn autolog) report into its ``Capture``; at
the end the variables the cell wrote are fingerprinted, the ``-m`` metrics read, the candidate
model logged, and the outcome written. Tracking problems become warnings: a tracked cell
behaves exactly as an untracked one, whatever happens to the store.

The names a cell reads and writes come from its AST (``code_names.py``): a name loaded before
the cell assigns it is an input; a name the cell assigns at top level is an output.
"""

from __future__ import annotations

import logging
import numbers
import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_jupyter.tracking import context
from mlops_jupyter.tracking.capture import Capture
from mlops_jupyter.tracking.code_names import CellNames, cell_names
from mlops_jupyter.tracking.model_log import log_model
from mlops_jupyter.tracking.problems import warn

if TYPE_CHECKING:
    from mlops_jupyter.tracking.run import Run

log = logging.getLogger("mlops_jupyter.cell")
NAME_LIMIT = 80  # longest default run name taken from the code


@dataclass(frozen=True)
class CellOptions:
    """The options of ``%%track``."""

    name: str | None = None
    experiment: str | None = None
    params: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    model: str | None = None
    register: str | None = None
    autolog: bool = True


@dataclass(frozen=True)
class CaptureSettings:
    """What a tracked cell captures besides its own options (the ``Track`` configurable)."""

    autolog: bool = True
    lineage: bool = True
    max_fingerprint_bytes: int = 2 << 30
    max_child_runs: int = 5  # child runs per search CV: its best candidates
    memory: bool = True  # in-memory data (variables, X and y of fits) as dataset versions


@dataclass(frozen=True)
class CellSource:
    """Where the cell is: its code (without the ``%%track`` line) and its place in a notebook."""

    code: str
    notebook_path: str | None = None
    cell_id: str | None = None
    execution_count: int | None = None


_LABEL_SKIP = re.compile(r"^\s*($|%|!)")


def default_run_name(code: str) -> str:
    """A readable, stable name for an unnamed cell run: its first comment or statement line."""
    for line in code.splitlines():
        if _LABEL_SKIP.match(line):
            continue
        text = line.strip().lstrip("#").strip() or line.strip()
        return text if len(text) <= NAME_LIMIT else text[: NAME_LIMIT - 1] + "…"
    return "cell"


# -- -p and -m values -------------------------------------------------------------------------
_MISSING = object()


def numeric_points(value: Any) -> list[float] | None:
    """A metric's points: one for a number, one per step for a 1-D sequence of numbers."""
    if isinstance(value, (bool, numbers.Real)) or (
        hasattr(value, "dtype") and getattr(value, "shape", None) == ()
    ):
        try:
            return [float(value)]
        except (TypeError, ValueError):
            return None
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__len__"):
        return None
    try:
        points = [
            float(item)
            for item in value
            if isinstance(item, numbers.Real) or hasattr(item, "__float__")
        ]
    except (TypeError, ValueError):
        return None
    return points if points and len(points) == len(value) else None


def log_param_variables(run: Run, namespace: Mapping[str, Any], names: Sequence[str]) -> None:
    values = {}
    for name in names:
        value = namespace.get(name, _MISSING)
        if value is _MISSING:
            warn(f"-p {name}: no variable named {name!r} at cell start; not recorded")
        else:
            values[name] = value
    if values:
        run.log_params(values)


def log_metric_variables(run: Run, namespace: Mapping[str, Any], names: Sequence[str]) -> None:
    for name in names:
        value = namespace.get(name, _MISSING)
        if value is _MISSING:
            warn(f"-m {name}: no variable named {name!r} at cell end; not recorded")
            continue
        points = numeric_points(value)
        if points is None:
            shown = type(value).__name__
            warn(
                f"-m {name}: {name!r} is a {shown}, not a number or a sequence of numbers; not recorded"
            )
            continue
        for step, point in enumerate(points):
            run.log_metric(name, point, step=step if len(points) > 1 else None)


def outcome_status(error: BaseException | None) -> str:
    if error is None:
        return "finished"
    return "killed" if isinstance(error, KeyboardInterrupt) else "failed"


# -- the run ----------------------------------------------------------------------------------
@dataclass
class CellRun:
    """A tracked cell between its start and its end."""

    run: Run
    options: CellOptions
    source: CellSource
    namespace: MutableMapping[str, Any]
    settings: CaptureSettings
    names: CellNames
    capture: Capture | None = None
    registered: Any = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        options: CellOptions,
        source: CellSource,
        namespace: MutableMapping[str, Any],
        settings: CaptureSettings,
        python_code: str | None = None,
    ) -> CellRun:
        """Create the run (a child of the session run), record ``-p`` values, install the hooks."""
        session = context.session_run()
        run = context.create_run(
            name=options.name or default_run_name(source.code),
            experiment=options.experiment,
            kind="cell",
            parent_run_id=session.run_id,
            store=session.store,
            push=True,
            code=source.code,
            notebook_path=source.notebook_path,
            cell_id=source.cell_id,
            execution_count=source.execution_count,
        )
        names = cell_names(python_code if python_code is not None else source.code)
        cell = cls(run, options, source, namespace, settings, names)
        try:
            log_param_variables(run, namespace, options.params)
            cell._begin_capture()
        except Exception as error:
            cell._abandon(error)
            raise
        return cell

    def _begin_capture(self) -> None:
        autolog = self.settings.autolog and self.options.autolog
        if not (autolog or self.settings.lineage or self.settings.memory):
            return
        self.capture = Capture(
            self.run,
            self.namespace,
            self.names,
            self.settings.max_fingerprint_bytes,
            self.source.notebook_path,
            self.settings.max_child_runs,
        )
        self.capture.begin(
            autolog=autolog, lineage=self.settings.lineage, memory=self.settings.memory
        )

    def _abandon(self, error: BaseException) -> None:
        """Tracking itself failed at the start: undo the hooks and close the run."""
        if self.capture is not None:
            self.capture.end()
        self.run.end("failed", error)

    def finish(self, error: BaseException | None) -> None:
        """Record the outcome; every step is attempted, and a problem becomes a warning (a run
        whose end could not be written stays in the live set and is ended at exit)."""
        for label, step in self._finishing_steps(error):
            try:
                step()
            except Exception as problem:  # tracking must never change what the cell did
                self.problems.append(f"{label}: {problem}")
                warn(f"could not {label} for run {self.run.run_id}: {problem}")
                log.debug("finishing step %r failed", label, exc_info=True)

    def _finishing_steps(
        self, error: BaseException | None
    ) -> Iterator[tuple[str, Callable[[], Any]]]:
        capture = self.capture
        if capture is not None:
            yield "remove the hooks", capture.end
        yield (
            "record -m metrics",
            lambda: log_metric_variables(self.run, self.namespace, self.options.metrics),
        )
        if capture is not None:
            yield "fingerprint outputs", capture.record_outputs
            yield (
                "write lineage and autolog",
                lambda: capture.write(explicit_params=self.options.params),
            )
        if error is None:
            yield "log the model", self._log_model
        yield "end the run", lambda: self.run.end(outcome_status(error), error)
        # ``--register`` is carried out by the magics after this (the registry is a layer above)

    def _log_model(self) -> None:
        model = self.capture.candidate_model() if self.capture is not None else None
        if self.options.model:
            model = self.namespace.get(self.options.model, _MISSING)
            if model is _MISSING:
                raise LookupError(
                    f"--model {self.options.model}: no variable named {self.options.model!r}"
                )
        if model is not None:
            fit = self.capture.fit_of(model) if self.capture is not None else None
            log_model(
                self.run,
                model,
                input_dataset_id=fit.input_dataset_id if fit else None,
                input_example=fit.input_example if fit else None,
            )
        elif self.options.register:
            raise LookupError(
                f"--register {self.options.register}: the cell fitted no model; name one with --model VAR"
            )
