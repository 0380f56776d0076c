"""The IPython extension: ``%%track``, ``%runs``, ``%lineage`` and ``%compare``.

``%load_ext mlops_jupyter`` registers the magics, the ``Track`` configurable and two shell
events, and imports nothing heavy (no pandas, scikit-learn or SQLAlchemy): the store is opened
by the first tracked cell. To load it in every kernel, add to
``~/.ipython/profile_default/ipython_kernel_config.py`` (or ``ipython_config.py`` for terminal
IPython)::

    c.InteractiveShellApp.extensions = ["mlops_jupyter"]
    c.Track.autolog = True          # scikit-learn autolog in tracked cells
    c.Track.lineage = True          # pandas IO hooks and in-memory fingerprints
    c.Track.display = "auto"        # auto | widget | html | none

and at run time ``%config Track.autolog = False``.

How a ``%%track`` cell runs exactly like an untracked one: an input transformer turns the cell
into its own body (the ``%%track`` line becomes a blank line, so line numbers in tracebacks match
the cell), and the ``pre_run_cell`` / ``post_run_cell`` events start and finish the cell run
around it. The body therefore runs through the shell like any cell — same namespace, display,
inner magics, top-level ``await`` — and an exception is shown by IPython unchanged; the run
records it. Options that do not parse leave the cell to the ``%%track`` magic itself, which
raises the usage error without running anything. Called directly (``run_cell_magic``), the
magic runs the body as a nested cell, the way ``%%capture`` does.

Where the notebook path and cell id come from (``tracking.source`` has the path routes):
``JPY_SESSION_NAME`` (JupyterLab, Notebook 7), ipykernel's ``__session__``, VS Code's
``__vsc_ipynb_file__``, the papermill input path (``PAPERMILL_INPUT_PATH``, set by the
``mlops`` papermill engine), the input notebook of the ``papermill`` command that started the
kernel; the cell id is the ``cellId`` JupyterLab sends in the execute request's metadata
(IPython passes it as ``ExecutionInfo.cell_id``; else the kernel's parent header is read), else
the nbformat-4.5 id of the notebook cell whose source is the code run (plain papermill).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import re
import time
import warnings
from collections.abc import Iterator
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display, publish_display_data
from traitlets import Bool, Enum, Int, observe
from traitlets.config import Configurable

from mlops_jupyter.tracking import settings as capture_settings
from mlops_jupyter.tracking.problems import TrackingWarning, warn
from mlops_jupyter.tracking.settings import SWITCHES
from mlops_jupyter.tracking.source import notebook_cell_id, notebook_path
from mlops_jupyter.widgets.frontend import display_mode, execute_request_metadata

# Start-up: `%load_ext mlops_jupyter` imports this module and must stay light (no numpy, pandas,
# SQLAlchemy). The cell run (the capture stack and the store), the views that query runs and
# the registry are imported inside the functions that use them, by the first cell that needs them.

TRACK_LINE = re.compile(r"^[ \t]*%%track(?:[ \t]+(?P<options>[^\n]*))?[ \t]*(?:\n|$)")


class Track(Configurable):
    """Settings of tracked cells (``%config Track``; ``c.Track.<name>`` in IPython config)."""

    autolog = Bool(True, help="Record scikit-learn fits, searches, scores and metric calls.").tag(
        config=True
    )
    lineage = Bool(
        True, help="Record pandas reads/writes and the DataFrames/arrays cells read and write."
    ).tag(config=True)
    display = Enum(
        ["auto", "widget", "html", "none"],
        "auto",
        help="The view under a tracked cell: a live widget, static HTML, or nothing (auto picks).",
    ).tag(config=True)
    max_fingerprint_bytes = Int(
        2 << 30, help="In-memory objects larger than this are not fingerprinted (0: no limit)."
    ).tag(config=True)
    max_child_runs = Int(
        5,
        help="Child runs per search CV: its best N candidates (all of them stay in the run's "
        "cv_results.csv artifact; 0: no child runs).",
    ).tag(config=True)
    pandas = Bool(True, help="Record pandas reads and writes as dataset versions.").tag(config=True)
    memory = Bool(True, help="Fingerprint in-memory data (cell variables, X and y of fits).").tag(
        config=True
    )
    snapshot_inputs = Enum(
        ["auto", "always", "never"],
        None,
        allow_none=True,
        help="Copy input files into the blob store: auto (up to snapshot_max_bytes), always, "
        "never (default: $MLOPS_JUPYTER_SNAPSHOT_INPUTS, else auto).",
    ).tag(config=True)
    snapshot_max_bytes = Int(
        None, allow_none=True, help="The largest input file 'auto' snapshots (default 100 MB)."
    ).tag(config=True)

    # the switches are process-wide (``mj.autolog`` sets the same ones): every run kind obeys
    @observe(
        "autolog",
        "lineage",
        "pandas",
        "memory",
        "snapshot_inputs",
        "snapshot_max_bytes",
        "max_child_runs",
    )
    def _switch(self, change: Any) -> None:
        self.apply(change["name"])

    def apply(self, *names: str) -> None:
        """Write these settings into the process-wide capture switches."""
        switches = SWITCHES
        for name in names:
            if name == "autolog":
                switches.sklearn = self.autolog
            elif name == "lineage":
                switches.pandas = switches.memory = self.lineage
            elif name in ("pandas", "memory"):
                setattr(switches, name, getattr(self, name))
            elif name == "max_child_runs":
                switches.max_child_runs = max(self.max_child_runs, 0)
            elif name == "snapshot_inputs" and self.snapshot_inputs is not None:
                switches.snapshot_inputs = self.snapshot_inputs
            elif name == "snapshot_max_bytes" and self.snapshot_max_bytes is not None:
                capture_settings.autolog(
                    None, None, None, snapshot_max_bytes=self.snapshot_max_bytes
                )


def split_track_cell(raw_cell: str) -> tuple[str, str] | None:
    """(options line, body) of a ``%%track`` cell; None for any other cell."""
    stripped = raw_cell.lstrip("\n")
    match = TRACK_LINE.match(stripped)
    if match is None:
        return None
    return (match.group("options") or "").strip(), stripped[match.end() :]


@functools.lru_cache(maxsize=128)  # argparse costs ~0.2 ms; the transformer and the event both ask
def parse_options(line: str) -> Any:
    """The ``%%track`` options as a ``CellOptions``; UsageError for bad ones."""
    from mlops_jupyter.tracking.cell import CellOptions  # noqa: PLC0415 - start-up

    args = parse_argstring(TrackingMagics.track, line)

    def variables(values: list[str] | None, flag: str) -> tuple[str, ...]:
        names = [name for value in values or () for name in value.split(",") if name]
        for name in names:
            if not name.isidentifier():
                raise UsageError(f"%%track {flag}: {name!r} is not a variable name")
        return tuple(names)

    if args.model is not None and not args.model.isidentifier():
        raise UsageError(f"%%track --model: {args.model!r} is not a variable name")
    return CellOptions(
        name=args.name,
        experiment=args.experiment,
        params=variables(args.params, "-p"),
        metrics=variables(args.metrics, "-m"),
        model=args.model,
        register=args.register,
        autolog=not args.no_autolog,
    )


def _transform_track_cell(lines: list[str]) -> list[str]:
    """Input transformer: a ``%%track`` cell becomes its body (when its options parse)."""
    if not lines or not lines[0].lstrip().startswith("%%track"):
        return lines
    parts = split_track_cell(lines[0])
    if parts is None:
        return lines
    try:
        parse_options(parts[0])
    except UsageError:
        return lines  # the magic reports it
    body = lines[1:]
    if body and body[0].startswith("%%"):
        return body  # another cell magic must stay on the first line
    return ["\n", *body]


_transform_track_cell.has_side_effects = False  # type: ignore[attr-defined]


class CellTracker:
    """Starts a cell run before a ``%%track`` cell executes and finishes it afterwards."""

    def __init__(self, shell: Any, settings: Track) -> None:
        self.shell = shell
        self.settings = settings
        self.active: dict[int, tuple[Any, Any]] = {}  # id(ExecutionInfo) -> (CellRun, view)
        self.last_run_id: str | None = None

    # -- events ---------------------------------------------------------------------------------
    def pre_run_cell(self, info: Any) -> None:
        parts = split_track_cell(info.raw_cell or "")
        if parts is None:
            return
        try:
            # `{name}` / `$name` in the options expand from the user namespace, as IPython
            # expands any magic's line (`%%track --register {model_name}`)
            options = parse_options(self.shell.var_expand(parts[0]))
        except UsageError:
            return
        count = self.shell.execution_count - (1 if info.store_history else 0)
        started = self.begin(
            options, parts[1], info.transformed_cell, _cell_id(info, self.shell), count
        )
        if started is not None:
            self.active[id(info)] = started

    def post_run_cell(self, result: Any) -> None:
        if result is None:  # ipykernel cancelled the cell (an interrupt during top-level await)
            if self.active:
                self.complete(*self.active.popitem()[1], error=KeyboardInterrupt())
            return
        started = self.active.pop(id(result.info), None)
        if started is not None:
            self.complete(*started, error=result.error_before_exec or result.error_in_exec)

    # -- one tracked cell -----------------------------------------------------------------------
    def begin(
        self,
        options: Any,
        body: str,
        python_code: str | None,
        cell_id: str | None,
        execution_count: int | None,
    ) -> tuple[Any, Any] | None:
        """Start the run; on any tracking problem warn and let the cell run untracked."""
        from mlops_jupyter.tracking.cell import (  # noqa: PLC0415 - start-up
            CaptureSettings,
            CellRun,
            CellSource,
        )

        source = CellSource(body, notebook_path(), cell_id, execution_count)
        settings = CaptureSettings(
            SWITCHES.sklearn,
            SWITCHES.pandas,
            self.settings.max_fingerprint_bytes,
            max(self.settings.max_child_runs, 0),
            memory=SWITCHES.memory,
        )
        try:
            cell = CellRun.start(options, source, self.shell.user_ns, settings, python_code)
        except Exception as error:
            warn(f"this cell runs untracked: {error}")
            return None
        self.last_run_id = cell.run.run_id
        return cell, self._live_view(cell)

    def complete(self, cell: Any, view: Any, error: BaseException | None) -> None:
        cell.finish(error)
        if error is None and cell.options.register:
            _register_model(cell)
        ended_at = time.time()
        notes = _notes(cell)
        if view is not None:
            view.notes, view.ended_at = notes, ended_at
            return  # the view's thread draws the final picture
        if self._mode() == "html":
            try:
                self._show_summary(cell, notes, ended_at)
            except Exception as problem:  # the run is recorded; only its picture is missing
                warn(f"run summary unavailable: {problem}")

    def _show_summary(self, cell: Any, notes: list[str], ended_at: float) -> None:
        from mlops_jupyter.widgets.run_view import (  # noqa: PLC0415 - start-up
            RunSummary,
            snapshot,
            stored_history,
        )

        summary = RunSummary(snapshot(cell.run, stored_history(cell.run), notes, ended_at))
        publish_display_data(summary.mimebundle())

    def run_tracked(self, options: Any, body: str) -> None:
        """The ``%%track`` magic called directly: the body runs as a nested cell."""
        python_code = self.shell.transform_cell(body)
        started = self.begin(
            options, body, python_code, _cell_id(None, self.shell), self.shell.execution_count
        )
        result = self.shell.run_cell(body, store_history=False)
        if started is not None:
            self.complete(*started, error=result.error_before_exec or result.error_in_exec)

    # -- views ----------------------------------------------------------------------------------
    def _mode(self) -> str:
        return display_mode(self.settings.display, self.shell)

    def _display(self, obj: Any) -> None:
        display(obj)

    def _live_view(self, cell: Any) -> Any:
        if self._mode() != "widget":
            return None
        try:
            from mlops_jupyter.widgets.run_view import (  # noqa: PLC0415 - start-up
                TICKER,
                LiveRunView,
            )

            view = LiveRunView(cell.run)
            self._display(view.display_object())
            TICKER.add(view)
            return view
        except Exception as error:  # no widget, no harm
            warn(f"live run view unavailable: {error}")
            return None


def _cell_id(info: Any, shell: Any) -> str | None:
    """The frontend's cell id, else the id of the notebook cell with this code (papermill)."""
    cell_id = getattr(info, "cell_id", None)
    if cell_id:
        return str(cell_id)
    found = execute_request_metadata(shell).get("cellId")
    if found:
        return str(found)
    return notebook_cell_id(notebook_path(), getattr(info, "raw_cell", None) or "")


def _register_model(cell: Any) -> None:
    """``%%track --register NAME``: the run's logged model becomes a new version of NAME.

    Done after the run ended; as with every tracking step a problem is a warning, never a
    changed cell.
    """
    # the registry is imported only by cells that register
    from mlops_jupyter.registry.api import register_model  # noqa: PLC0415 - start-up

    try:
        cell.registered = register_model(cell.run.run_id, cell.options.register)
    except Exception as problem:  # tracking must never change what the cell did
        cell.problems.append(f"register the model: {problem}")
        warn(f"could not register the model for run {cell.run.run_id}: {problem}")


def _notes(cell: Any) -> list[str]:
    notes = []
    if cell.registered is not None:
        notes.append(f"registered {getattr(cell.registered, 'uri', cell.registered)}")
    notes += [f"not recorded: {problem}" for problem in cell.problems]
    return notes


def _run_count(text: str) -> int:
    """``%runs -n``: a number of runs."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of runs, got {text!r}")
    return int(text)


@magics_class
class TrackingMagics(Magics):
    """``%%track``, ``%runs``, ``%lineage``, ``%compare``."""

    def __init__(self, shell: Any, tracker: CellTracker) -> None:
        super().__init__(shell)
        self.tracker = tracker

    @magic_arguments()
    @argument("-n", "--name", help="Run name (default: the cell's first line).")
    @argument("-e", "--experiment", help="Experiment (default: the current one).")
    @argument(
        "-p",
        "--params",
        nargs="+",
        action="extend",
        metavar="VAR",
        help="Variables recorded as params at cell start.",
    )
    @argument(
        "-m",
        "--metrics",
        nargs="+",
        action="extend",
        metavar="VAR",
        help="Numeric variables recorded as metrics at cell end.",
    )
    @argument(
        "--model",
        metavar="VAR",
        help="The variable holding the run's model (default: the last fitted estimator).",
    )
    @argument(
        "--register",
        metavar="NAME",
        help="Register the run's model under NAME when the cell succeeds.",
    )
    @argument("--no-autolog", action="store_true", help="Do not autolog scikit-learn in this cell.")
    @cell_magic
    def track(self, line: str, cell: str) -> None:
        """Record this cell as a run: code, params, metrics, data read and written, model.

        Re-running the cell records a new attempt. An exception marks the run failed (an
        interrupt: killed) and reaches you unchanged. ``mj.log_*`` calls inside the cell go to
        its run. Example::

            %%track -n rf -p n_estimators -m acc --register churn
            model = RandomForestClassifier(n_estimators=n_estimators).fit(X_train, y_train)
            acc = model.score(X_test, y_test)
        """
        self.tracker.run_tracked(parse_options(line), cell)

    @magic_arguments()
    @argument("-e", "--experiment", help="Only runs of this experiment.")
    @argument("-n", "--limit", type=_run_count, help="Most runs to show (default 50).")
    @argument(
        "filter",
        nargs=argparse.REMAINDER,
        help="The run filter language, e.g. metrics.acc > 0.9 and params.model = 'rf'.",
    )
    @line_magic
    def runs(self, line: str) -> None:
        """``%runs [-e EXPERIMENT] [-n LIMIT] [FILTER]``: a sortable, filterable table of runs.

        FILTER is the run filter language, e.g. ``metrics.acc > 0.9 and params.model = 'rf'``.
        """
        from mlops_jupyter.widgets.runs_table import (  # noqa: PLC0415 - start-up
            DEFAULT_LIMIT,
            RunsBrowser,
            RunsSummary,
        )

        args = parse_argstring(self.runs, line)
        # IPython splits without POSIX rules: quoted literals keep their quotes
        experiment, filter_text = args.experiment, " ".join(args.filter)
        limit = DEFAULT_LIMIT if args.limit is None else args.limit
        with _as_usage_errors():
            if self.tracker._mode() == "widget":
                self.tracker._display(RunsBrowser(filter_text, experiment, limit).display_object())
                return
            self.tracker._display(RunsSummary(filter_text, experiment, limit))

    @magic_arguments()
    @argument(
        "target",
        nargs="?",
        help="A variable name, run id (or unique prefix), dataset id/uri, or models:/ URI. Default: the last tracked cell.",
    )
    @argument(
        "--downstream",
        action="store_true",
        help="What was made from it (default: what it was made from).",
    )
    @line_magic
    def lineage(self, line: str) -> Any:
        """``%lineage [VAR|RUN_ID] [--downstream]``: the lineage graph."""
        from mlops_jupyter.tracking.lineage import lineage  # noqa: PLC0415 - start-up

        args = parse_argstring(self.lineage, line)
        target = args.target or self.tracker.last_run_id
        if target is None:
            raise UsageError("%lineage needs a variable name or run id (no cell was tracked yet)")
        with _as_usage_errors():
            return lineage(target, "downstream" if args.downstream else "upstream")

    @line_magic
    def compare(self, line: str) -> None:
        """``%compare RUN_ID RUN_ID ...``: param differences and metric charts of runs."""
        from mlops_jupyter.tracking.query import resolve_run_id  # noqa: PLC0415 - start-up
        from mlops_jupyter.widgets.compare import (  # noqa: PLC0415 - start-up
            CompareSummary,
            CompareView,
        )

        with _as_usage_errors():
            run_ids = [resolve_run_id(token) for token in line.split()]
        if len(run_ids) < 2:
            raise UsageError("%compare needs two or more run ids")
        if self.tracker._mode() == "widget":
            self.tracker._display(CompareView(run_ids).display_object())
            return
        self.tracker._display(CompareSummary(run_ids))


@contextlib.contextmanager
def _as_usage_errors() -> Iterator[None]:
    """A mistake in a view magic's argument is shown as one line, not a traceback."""
    from mlops_jupyter.store.filters import FilterError  # noqa: PLC0415 - start-up
    from mlops_jupyter.tracking.lineage import LineageTargetError  # noqa: PLC0415 - start-up
    from mlops_jupyter.tracking.query import RunNotFoundError  # noqa: PLC0415 - start-up

    try:
        yield
    except (FilterError, LineageTargetError, RunNotFoundError) as error:
        raise UsageError(str(error)) from None


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics, the ``Track`` settings, the input transformer and the cell events."""
    if getattr(ipython, "_mlops_tracker", None) is not None:
        return  # loaded twice: keep one set of hooks
    settings = Track(parent=ipython)
    configured = settings.config.get("Track", {})
    settings.apply(*(name for name in settings.trait_names(config=True) if name in configured))
    ipython.configurables.append(settings)
    tracker = CellTracker(ipython, settings)
    ipython.register_magics(TrackingMagics(ipython, tracker))
    ipython.input_transformers_cleanup.append(_transform_track_cell)
    ipython.events.register("pre_run_cell", tracker.pre_run_cell)
    ipython.events.register("post_run_cell", tracker.post_run_cell)
    ipython._mlops_tracker = tracker
    warnings.simplefilter("always", TrackingWarning)  # a warning per cell, not once per session


def unload_ipython_extension(ipython: Any) -> None:
    tracker = getattr(ipython, "_mlops_tracker", None)
    if tracker is None:
        return
    ipython.events.unregister("pre_run_cell", tracker.pre_run_cell)
    ipython.events.unregister("post_run_cell", tracker.post_run_cell)
    if _transform_track_cell in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(_transform_track_cell)
    if tracker.settings in ipython.configurables:
        ipython.configurables.remove(tracker.settings)
    ipython._mlops_tracker = None
