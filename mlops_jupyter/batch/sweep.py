"""Sweeps: the points of a grid and/or random search over a notebook's parameters, executed as
child notebook runs of one run of kind ``sweep``, with progress, cancellation and a results table.

Every point is checked against the notebook's declared parameters before any kernel starts.
A failing point never stops the others. Cancelling (Ctrl-C) kills the running points' kernels
and records every unfinished point as a killed run.
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import os
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops_jupyter.batch.execute import NotebookRun, PointTask, notebook_kernel, record_unstarted
from mlops_jupyter.batch.executors import make_executor
from mlops_jupyter.batch.kernels import store_environment
from mlops_jupyter.batch.parameters import (
    ParameterError,
    ParameterList,
    ParamType,
    guess_value,
    notebook_params,
    parse_text,
    resolve_parameters,
)
from mlops_jupyter.tracking import context
from mlops_jupyter.tracking.context import create_run
from mlops_jupyter.tracking.display import html

if TYPE_CHECKING:
    import pandas as pd

    from mlops_jupyter.batch.executors import Executor
    from mlops_jupyter.tracking.run import Run


# -- the search space ------------------------------------------------------------------------
@dataclass(frozen=True)
class Distribution:
    """A random-search distribution: ``uniform(low, high)``, ``loguniform(low, high)``,
    ``randint(low, high)`` (both ends included), ``normal(mean, std)`` or ``choice(v1, v2, ...)``."""

    kind: str
    args: tuple[Any, ...]

    ARITY = {"uniform": 2, "loguniform": 2, "randint": 2, "normal": 2}

    def __post_init__(self) -> None:
        if self.kind == "choice":
            if not self.args:
                raise ParameterError("choice(...) needs at least one value")
            return
        if self.kind not in self.ARITY:
            known = ", ".join([*self.ARITY, "choice"])
            raise ParameterError(f"unknown distribution {self.kind!r}: use one of {known}")
        if len(self.args) != 2 or not all(
            isinstance(a, (int, float)) and not isinstance(a, bool) for a in self.args
        ):
            raise ParameterError(f"{self.kind}(a, b) takes two numbers, got {self}")
        low, high = self.args
        if self.kind != "normal" and not low < high:
            raise ParameterError(f"{self}: the low end must be below the high end")
        if self.kind == "loguniform" and low <= 0:
            raise ParameterError(f"{self}: loguniform needs a positive low end")
        if self.kind == "normal" and high <= 0:
            raise ParameterError(f"{self}: the standard deviation must be positive")
        if self.kind == "randint" and not all(isinstance(a, int) for a in self.args):
            raise ParameterError(f"{self}: randint takes whole numbers")

    def space(self) -> Any:
        """What scikit-learn's ``ParameterSampler`` draws from: the values of ``choice(...)`` as
        a list, otherwise a frozen ``scipy.stats`` distribution (``randint``'s high end is
        included, as written; ``normal`` is ``norm(loc=mean, scale=std)``)."""
        if self.kind == "choice":
            return list(self.args)
        from scipy import stats  # noqa: PLC0415 - start-up: scipy is imported on first use

        low, high = self.args
        if self.kind == "uniform":
            return stats.uniform(loc=low, scale=high - low)
        if self.kind == "loguniform":
            return stats.loguniform(low, high)
        if self.kind == "randint":
            return stats.randint(low, high + 1)
        return stats.norm(loc=low, scale=high)

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(repr(a) for a in self.args)})"


def parse_distribution(text: str) -> Distribution:
    """``uniform(0.01, 1)`` and friends, read with ``ast`` (never evaluated)."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as error:
        raise ParameterError(f"cannot read distribution {text!r}: {error.msg}") from error
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords):
        raise ParameterError(f"a distribution looks like uniform(0.01, 1), got {text!r}")
    try:
        args = tuple(ast.literal_eval(arg) for arg in node.args)
    except ValueError as error:
        raise ParameterError(f"the arguments of {text!r} must be literal values") from error
    return Distribution(node.func.id, args)


def split_assignment(text: str, option: str) -> tuple[str, str]:
    """``K=V`` -> (K, V), with an error naming the option when the shape is wrong."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ParameterError(f"{option} expects NAME=VALUES, got {text!r}")
    return name.strip(), value


def split_values(text: str) -> list[str]:
    """Comma-separated values; commas inside brackets or quotes stay (``[1,2],[3]``)."""
    values: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            values.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    values.append("".join(current).strip())
    return values


def grid_from_words(declared: ParameterList, words: Sequence[str]) -> dict[str, list[Any]]:
    """``--grid K=V1,V2`` options -> typed value lists (each word parsed with K's declared type)."""
    grid: dict[str, list[Any]] = {}
    for word in words:
        name, values = split_assignment(word, "--grid")
        grid[name] = grid_values(declared, name, values)
    return grid


def grid_values(declared: ParameterList, name: str, values: str) -> list[Any]:
    """One grid dimension as the user typed it (``V1,V2``) -> values of K's declared type.

    The one parser of grid text: the CLI's ``--grid`` and the REST API's text form both use it.
    Raises :class:`ParameterError` with a one-line message for an empty list, an empty value, a
    value that does not fit the declared type, or a non-finite number.
    """
    parameter = declared.get(name)
    texts = split_values(values)
    if texts == [""]:
        raise ParameterError(f"grid {name}= lists no values", name)
    typed = []
    for position, text in enumerate(texts, start=1):
        if text == "":
            raise ParameterError(
                f"grid {name}={values}: value {position} of {len(texts)} is empty", name
            )
        quoted = unquote(text)
        if quoted is not None and (parameter is None or accepts_text(parameter.type, quoted)):
            typed.append(quoted)
            continue
        try:
            typed.append(parse_text(parameter.type, text) if parameter else guess_value(text))
        except ValueError:
            raise ParameterError(
                f"parameter {name!r} expects {parameter.type_name if parameter else 'a value'}, got {text!r}",
                name,
            ) from None
    check_finite(name, typed)
    return typed


def unquote(text: str) -> str | None:
    """``'a,b'`` or ``"a,b"`` (a quoted value, how a comma stays inside one) -> ``a,b``."""
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
        with contextlib.suppress(ValueError, SyntaxError):
            value = ast.literal_eval(text)
            if isinstance(value, str):
                return value
    return None


def accepts_text(param_type: ParamType, value: str) -> bool:
    """Whether a parameter takes this string as it is (a ``str`` or one of its choices)."""
    if param_type.choices is not None:
        return value in param_type.choices
    return bool(param_type.is_any or "str" in param_type.kinds)


def check_finite(name: str, values: Sequence[Any]) -> None:
    """Refuse NaN and infinities in a grid: a point with them cannot be compared or reproduced."""
    for value in values:
        if isinstance(value, float) and not math.isfinite(value):
            raise ParameterError(f"grid parameter {name!r}: {value!r} is not a finite number", name)


def random_from_words(words: Sequence[str]) -> dict[str, Distribution]:
    """``--random K=DIST`` options -> distributions."""
    return dict(
        (name, parse_distribution(text))
        for name, text in (split_assignment(w, "--random") for w in words)
    )


def sweep_points(
    grid: Mapping[str, Sequence[Any]] | None = None,
    random: Mapping[str, Distribution | str] | None = None,
    n: int | None = None,
    seed: int | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every grid combination, each with ``n`` random draws when distributions are given.

    The combinations are scikit-learn's ``ParameterGrid``, in its order: the grid's names sorted
    alphabetically, the last name varying fastest (``--grid b=1,2 --grid a=x,y`` gives a=x b=1,
    a=x b=2, a=y b=1, a=y b=2). The draws are ``ParameterSampler``'s over ``scipy.stats``
    distributions, from one generator seeded with ``seed`` and shared by all combinations, so
    the same seed gives the same points. When every random parameter is a ``choice(...)``, the
    sampler draws distinct combinations of the choices: at most as many as there are (with a
    warning when ``n`` asks for more). Drawn values are Python ``int``/``float``, not numpy's.
    """
    from sklearn.model_selection import (  # noqa: PLC0415 - start-up: sklearn is imported on first use
        ParameterGrid,
        ParameterSampler,
    )

    grid = dict(grid or {})
    distributions = {
        k: parse_distribution(v) if isinstance(v, str) else v for k, v in (random or {}).items()
    }
    for name, values in grid.items():
        if not values:
            raise ParameterError(f"grid parameter {name!r} lists no values", name)
        check_finite(name, list(values))
    if distributions and not n:
        raise ParameterError("random search needs the number of points (--n N)")
    if not grid and not distributions:
        raise ParameterError("nothing to sweep: give --grid K=V1,V2 and/or --random K=DIST --n N")
    overlap = sorted(set(grid) & set(distributions))
    if overlap:
        raise ParameterError(f"{', '.join(overlap)} is both in the grid and random", overlap[0])
    if seed is not None and seed < 0:
        raise ParameterError(f"the seed must be 0 or more, got {seed}")
    space = {name: distribution.space() for name, distribution in distributions.items()}
    draws = n or 1
    if space and all(isinstance(values, list) for values in space.values()):
        distinct = math.prod(len(values) for values in space.values())
        if draws > distinct:
            warnings.warn(
                f"random search over choices only: {distinct} distinct point(s), fewer than "
                f"the {draws} asked for; each is drawn once",
                UserWarning,
                stacklevel=2,
            )
            draws = distinct
    # one generator for every combination: each combination gets its own draws
    rng = np.random.RandomState(np.random.MT19937(seed))
    points = []
    for combination in ParameterGrid({k: list(v) for k, v in grid.items()}):
        drawn_points: Iterable[dict[str, Any]] = (
            ParameterSampler(space, draws, random_state=rng) if space else [{}]
        )
        for drawn in drawn_points:
            python = {k: v.item() if isinstance(v, np.generic) else v for k, v in drawn.items()}
            points.append({**(fixed or {}), **combination, **python})
    return points


# -- the plan ---------------------------------------------------------------------------------
@dataclass
class SweepPlan:
    """A checked sweep: the notebook, its points and how to run them."""

    notebook: str
    points: list[dict[str, Any]]
    kernel_name: str
    cwd: str
    swept: list[str]
    spec: dict[str, Any]


def plan_sweep(
    notebook: str | os.PathLike[str],
    grid: Mapping[str, Sequence[Any]] | None = None,
    random: Mapping[str, Distribution | str] | None = None,
    n: int | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    seed: int | None = None,
    strict: bool = True,
    kernel_name: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> SweepPlan:
    """Check everything a sweep needs before any kernel starts (errors are ParameterError)."""
    path = os.path.abspath(notebook)
    declared = notebook_params(path)
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little")  # recorded, so the draws can be repeated
    raw_points = sweep_points(grid, random, n, seed, parameters)
    points = [resolve_parameters(declared, point, strict=strict) for point in raw_points]
    swept = [*(grid or {}), *(random or {})]
    spec = {
        "grid": {k: list(v) for k, v in (grid or {}).items()},
        "random": {k: str(v) for k, v in (random or {}).items()},
        "n": n,
        "seed": seed,
        "fixed": dict(parameters or {}),
    }
    return SweepPlan(
        notebook=path,
        points=points,
        kernel_name=notebook_kernel(path, kernel_name),
        cwd=os.path.abspath(cwd) if cwd else str(Path(path).parent),
        swept=swept,
        spec=spec,
    )


# -- running ---------------------------------------------------------------------------------
@dataclass
class SweepProgress:
    """Counts of a sweep's points: what the REST API, the CLI's progress bar and the views show.

    ``total`` is the number of points planned (``None`` when the sweep run does not record it);
    ``running`` counts points started and not yet over (only readers of the store see those: a
    ``SweepHandle`` counts points as they end); ``pending`` is what has not started yet.
    """

    total: int | None
    finished: int = 0
    failed: int = 0
    killed: int = 0
    running: int = 0

    @classmethod
    def from_statuses(cls, total: int | None, statuses: Iterable[str]) -> SweepProgress:
        """Progress from the statuses of the points started so far."""
        counts = Counter(statuses)
        return cls(
            total=total,
            finished=counts["finished"],
            failed=counts["failed"],
            killed=counts["killed"],
            running=counts["running"],
        )

    @property
    def completed(self) -> int:
        return self.finished + self.failed + self.killed

    @property
    def pending(self) -> int | None:
        return None if self.total is None else max(0, self.total - self.completed - self.running)

    def to_dict(self) -> dict[str, int | None]:
        return {
            "total": self.total,
            "finished": self.finished,
            "failed": self.failed,
            "killed": self.killed,
            "completed": self.completed,
            "pending": self.pending,
        }


@dataclass
class SweepResult:
    """A sweep's points with their parameters, metrics and outcome."""

    sweep_run_id: str
    status: str
    points: list[NotebookRun]
    swept: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[NotebookRun]:
        return [point for point in self.points if not point.ok]

    @property
    def ok(self) -> bool:
        return self.status == "finished"

    def to_frame(self, sort_by: str | None = None, descending: bool = False) -> pd.DataFrame:
        """One row per point: point, status, params.*, metrics.*, duration_s, run_id, error.

        ``sort_by`` names a metric (``rmse`` or ``metrics.rmse``) or any column; points without
        it sort last.
        """
        import pandas as pd  # noqa: PLC0415 - start-up: pandas is imported on first use

        records = []
        for point in sorted(self.points, key=lambda p: p.index):
            record: dict[str, Any] = {"point": point.index, "status": point.status}
            record.update({f"params.{k}": _cell(v) for k, v in point.parameters.items()})
            record.update({f"metrics.{k}": v for k, v in sorted(point.metrics.items())})
            record.update(
                {"duration_s": point.duration_s, "run_id": point.run_id, "error": point.error}
            )
            records.append(record)
        frame = pd.DataFrame.from_records(records)
        if sort_by and not frame.empty:
            column = sort_by if sort_by in frame.columns else f"metrics.{sort_by}"
            if column not in frame.columns:
                raise KeyError(f"cannot sort by {sort_by!r}: no such metric or column")
            frame = frame.sort_values(
                column, ascending=not descending, na_position="last", kind="stable"
            )
        return frame.reset_index(drop=True)

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)


def _cell(value: Any) -> Any:
    """Lists and dicts as JSON text so a results table stays one value per cell."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


class SweepHandle:
    """A sweep running in a background thread: follow it, cancel it, wait for its result."""

    def __init__(
        self, plan: SweepPlan, sweep_run: Run, tasks: list[PointTask], executor: Executor
    ) -> None:
        self.plan = plan
        self.sweep_run_id = sweep_run.run_id
        self.total = len(tasks)
        self._run = sweep_run
        self._tasks = tasks
        self._executor = executor
        self._results: dict[int, NotebookRun] = {}
        self._lock = threading.Lock()
        self._listeners: list[Callable[[NotebookRun], None]] = []
        self._cancelled = threading.Event()
        self._done = threading.Event()
        self._result: SweepResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._drive, name=f"mlops-sweep-{self.sweep_run_id}", daemon=True
        )

    def start(self) -> SweepHandle:
        self._thread.start()
        return self

    def add_listener(self, listener: Callable[[NotebookRun], None]) -> None:
        """Call ``listener(point)`` for each point, now for those already finished, then as
        each one finishes (from a worker thread)."""
        with self._lock:
            self._listeners.append(listener)
            finished = list(self._results.values())
        for point in finished:
            listener(point)

    def progress(self) -> SweepProgress:
        with self._lock:
            statuses = [point.status for point in self._results.values()]
        return SweepProgress(
            total=self.total,
            finished=statuses.count("finished"),
            failed=statuses.count("failed"),
            killed=statuses.count("killed"),
        )

    def cancel(self) -> None:
        """Stop the sweep: running points are killed, the rest never start (all recorded killed)."""
        self._cancelled.set()
        self._executor.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> SweepResult | None:
        """The result once the sweep ended (None if ``timeout`` passed first)."""
        if not self._done.wait(timeout):
            return None
        if self._error is not None:
            raise self._error
        return self._result

    def result(self) -> SweepResult:
        result = self.wait()
        assert result is not None
        return result

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)

    def _report(self, point: NotebookRun) -> None:
        with self._lock:
            self._results[point.index] = point
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a progress view must never break the sweep
                listener(point)

    def _drive(self) -> None:
        try:
            self._executor.run(self._tasks, self._report)
            for task in self._tasks:
                if task.index not in self._results:
                    self._report(
                        record_unstarted(task, "the sweep was cancelled before this point started")
                    )
            self._result = self._finish()
        except BaseException as error:
            self._error = error
            self._run.end("failed", error)
        finally:
            self._done.set()

    def _finish(self) -> SweepResult:
        progress = self.progress()
        self._run.log_metrics(
            {
                "points_finished": progress.finished,
                "points_failed": progress.failed,
                "points_killed": progress.killed,
            }
        )
        if self.cancelled:
            status = "killed"
        else:
            status = "finished" if progress.finished == progress.total else "failed"
        self._run.end(status)
        with self._lock:
            points = [self._results[index] for index in sorted(self._results)]
        return SweepResult(self.sweep_run_id, status, points, self.plan.swept)


def start_sweep(
    notebook: str | os.PathLike[str],
    grid: Mapping[str, Sequence[Any]] | None = None,
    random: Mapping[str, Distribution | str] | None = None,
    n: int | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    workers: int = 2,
    dask: str | None = None,
    warm_kernels: bool = False,
    timeout: float | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    experiment: str | None = None,
    name: str | None = None,
    seed: int | None = None,
    strict: bool = True,
    kernel_name: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    executor: Executor | None = None,
) -> SweepHandle:
    """Start a sweep in the background and return at once with a :class:`SweepHandle`.

    Raises :class:`ParameterError` (nothing started) when a point does not fit the notebook's
    parameters (``strict``), the search space is empty, or the notebook names no kernel.
    """
    if timeout is not None and timeout <= 0:
        raise ParameterError(f"timeout must be positive, got {timeout}")
    plan = plan_sweep(
        notebook,
        grid,
        random,
        n,
        parameters=parameters,
        seed=seed,
        strict=strict,
        kernel_name=kernel_name,
        cwd=cwd,
    )
    executor = executor or make_executor(workers, dask, warm=warm_kernels)
    stem = Path(plan.notebook).stem
    sweep_run = create_run(
        name=name or f"sweep {stem}",
        experiment=experiment,
        kind="sweep",
        push=False,
        notebook_path=plan.notebook,
    )
    sweep_run.log_params(
        {
            **{
                f"{kind}.{key}": value
                for kind in ("grid", "random", "fixed")
                for key, value in plan.spec[kind].items()
            },
            "n": plan.spec["n"],
            "seed": plan.spec["seed"],
            "points": len(plan.points),
            "executor": getattr(executor, "name", type(executor).__name__),
            "workers": workers,
            "warm_kernels": warm_kernels,
            "timeout": timeout,
        }
    )
    output_root = Path(output_dir).resolve() if output_dir else None
    if output_root is not None:
        output_root.mkdir(parents=True, exist_ok=True)
    store_env = store_environment()
    tasks = [
        PointTask(
            notebook=plan.notebook,
            parameters=point,
            kernel_name=plan.kernel_name,
            cwd=plan.cwd,
            store_env=store_env,
            index=index,
            output_path=str(output_root / f"{stem}-{index:03d}.ipynb") if output_root else None,
            experiment=sweep_run.experiment,
            parent_run_id=sweep_run.run_id,
            run_name=f"{stem} #{index}",
            tags={"sweep_point": index},
            timeout=timeout,
            warm=warm_kernels,
        )
        for index, point in enumerate(plan.points)
    ]
    return SweepHandle(plan, sweep_run, tasks, executor).start()


def sweep(
    notebook: str | os.PathLike[str],
    grid: Mapping[str, Sequence[Any]] | None = None,
    random: Mapping[str, Distribution | str] | None = None,
    n: int | None = None,
    *,
    progress: bool = True,
    **options: Any,
) -> SweepResult:
    """Run a sweep and wait for it (options as :func:`start_sweep`), with a tqdm progress bar.

    Ctrl-C cancels it: running points are killed, unfinished points recorded killed, and the
    KeyboardInterrupt is re-raised once everything is recorded.
    """
    result, interrupted = follow(
        start_sweep(notebook, grid, random, n, **options), progress=progress
    )
    if interrupted:
        raise KeyboardInterrupt
    return result


def follow(handle: SweepHandle, *, progress: bool = True) -> tuple[SweepResult, bool]:
    """Wait for a sweep with a progress bar; the first Ctrl-C cancels it and waits until every
    point is recorded, a second one stops waiting (live runs are then recorded killed).
    Returns the result and whether it was interrupted."""
    bar = _progress_bar(handle) if progress else None
    interrupted = False
    try:
        try:
            while not handle.done():
                handle.wait(0.2)  # short waits keep the main thread responsive to Ctrl-C
        except KeyboardInterrupt:
            interrupted = True
            handle.cancel()
            try:
                handle.wait()
            except KeyboardInterrupt:
                context.reset()  # ends this process's live runs as killed, never as finished
                raise
    finally:
        if bar is not None:
            bar.close()
    return handle.result(), interrupted


def _progress_bar(handle: SweepHandle) -> Any:
    from tqdm.auto import tqdm  # noqa: PLC0415 - start-up: tqdm is imported on first use

    bar = tqdm(
        total=handle.total,
        unit="point",
        desc=f"sweep {Path(handle.plan.notebook).stem}",
        smoothing=0,
    )

    def advance(_point: NotebookRun) -> None:
        progress = handle.progress()
        bar.set_postfix(
            done=progress.finished, failed=progress.failed + progress.killed, refresh=False
        )
        bar.update(1)

    handle.add_listener(advance)
    return bar
