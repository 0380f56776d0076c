"""scikit-learn autolog inside tracked cells: fits, search CV candidates, scores and metrics.

While a tracked cell runs, ``fit`` / ``fit_transform`` / ``partial_fit`` of every estimator
class, ``score``, and the scoring functions of ``sklearn.metrics`` report into the cell's
capture. The patches are installed when the cell starts (only if scikit-learn is imported, or
the cell imports it) and removed when it ends.

What is recorded, at the end of the cell:

- only the user's own calls: a fit or metric call made from inside scikit-learn (the
  ``LabelEncoder`` of ``classification_report``, the folds of ``cross_val_score``) is not
  reported (``reporting.called_by_library``); of several fits of one class, the last counts;
- the candidate model (the last fitted predictor, else the last fitted estimator; for a
  search CV its ``best_estimator_``):
  its ``get_params()`` flattened (``step__param`` for pipelines) as params, ``fit_time_s``;
  other estimators fitted in the cell get their class name as prefix (``standardscaler__copy``),
  the way ``make_pipeline`` names steps;
- X and y of each fit: fingerprint, shape and schema, as lineage inputs;
- search CV: ``best_<param>`` params, ``best_cv_score``, the whole ``cv_results_`` as the
  artifact ``cv_results.csv``, and one finished child run (params and ``cv_results_`` numbers)
  for each of the best N candidates (``%config Track.max_child_runs``, default 5);
- ``score(X, y)`` as metric ``score_<X variable>``, ``accuracy_score(y_test, ...)`` as
  ``accuracy_score_y_test`` (the bare function name when the argument is not a variable).
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import inspect
import io
import json
import numbers
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from mlops_jupyter.tracking import context
from mlops_jupyter.tracking.artifacts import store_bytes
from mlops_jupyter.tracking.model_log import TAG_ESTIMATORS, example_json, model_class_name

if TYPE_CHECKING:
    from mlops_jupyter.tracking.capture import Capture
    from mlops_jupyter.tracking.datasets import DatasetRef
    from mlops_jupyter.tracking.run import Run

FIT_METHODS = ("fit", "fit_transform", "partial_fit")
SCORING_FUNCTION = re.compile(r"(_score|_error|_loss|_deviance|_corrcoef)$")
PARAM_TEXT_LIMIT = 250


@dataclass
class FitRecord:
    """What one estimator's fits in a cell looked like."""

    estimator: Any
    method: str
    seconds: float = 0.0
    calls: int = 0
    X: DatasetRef | None = None
    y: DatasetRef | None = None
    input_example: str | None = None  # JSON of X's first rows, kept with the logged model

    @property
    def input_dataset_id(self) -> str | None:
        return self.X.dataset_id if self.X is not None else None


# -- installing the patches -------------------------------------------------------------------
def install(capture: Capture) -> None:
    """Patch the estimator classes and metric functions that exist now (after importing the
    scikit-learn modules the cell itself imports, so their classes exist too)."""
    for module in sorted(capture.names.imported_modules):
        if module == "sklearn" or module.startswith("sklearn."):
            with contextlib.suppress(ImportError):  # the cell raises it itself
                importlib.import_module(module)
    from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin  # noqa: PLC0415 - start-up: sklearn on first use

    patches = capture.patches
    for cls in (ClassifierMixin, RegressorMixin, TransformerMixin, *estimator_classes()):
        for method, report in _REPORTERS.items():
            if method in vars(cls):
                patches.replace(cls, method, report)
    metrics = importlib.import_module("sklearn.metrics")
    for name in scoring_function_names(metrics):
        patches.replace(metrics, name, _metric_reporter(name))


def estimator_classes() -> Iterator[type]:
    """Every subclass of ``BaseEstimator`` defined so far (third-party ones included)."""
    from sklearn.base import BaseEstimator  # noqa: PLC0415 - start-up: sklearn on first use

    seen: set[type] = set()
    stack = [BaseEstimator]
    while stack:
        cls = stack.pop()
        for sub in type.__subclasses__(cls):
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                yield sub


def scoring_function_names(metrics_module: Any) -> list[str]:
    return [
        name
        for name in getattr(metrics_module, "__all__", ())
        if SCORING_FUNCTION.search(name) and inspect.isfunction(vars(metrics_module).get(name))
    ]


# -- reporters (called after the original returned) ------------------------------------------
def _positional(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, *names: str) -> Any:
    if len(args) > index:
        return args[index]
    for name in names:
        if name in kwargs:
            return kwargs[name]
    return None


def _fit_reporter(method: str) -> Callable[..., None]:
    def report(
        capture: Capture,
        _result: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        seconds: float,
    ) -> None:
        estimator = args[0]
        record = capture.fits.pop(id(estimator), None) or FitRecord(estimator, method)
        capture.fits[id(estimator)] = record  # re-inserted: most recently fitted last
        record.method = method
        record.seconds += seconds
        record.calls += 1
        if method != "partial_fit" or record.calls == 1:  # a stream of batches: the first one
            features = _positional(args, kwargs, 1, "X")
            record.X = capture.dataset_for(features, "X")
            record.input_example = None
            with contextlib.suppress(Exception):  # sparse or odd inputs: no example, same fit
                record.input_example = example_json(features) if features is not None else None
            record.y = capture.dataset_for(_positional(args, kwargs, 2, "y", "Y"), "y")
            if record.X is not None:
                record.X = capture.add_dataset(record.X, "input", "X")
            if record.y is not None:
                record.y = capture.add_dataset(record.y, "input", "y")

    report.__name__ = f"report_{method}"
    return report


def _report_score(
    capture: Capture, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any], _seconds: float
) -> None:
    X = _positional(args, kwargs, 1, "X")
    _log_scalar(capture, "score", capture.variable_name(X), result)


@cache
def _metric_reporter(function_name: str) -> Callable[..., None]:
    def report(
        capture: Capture,
        result: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        _seconds: float,
    ) -> None:
        first = _positional(args, kwargs, 0, "y_true", "X", "labels_true")
        _log_scalar(capture, function_name, capture.variable_name(first), result)

    report.__name__ = f"report_{function_name}"
    return report


def _log_scalar(capture: Capture, key: str, variable: str | None, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return  # curves, reports, per-class arrays are not one number
    capture.run.log_metric(f"{key}_{variable}" if variable else key, float(value))


_REPORTERS: dict[str, Callable[..., None]] = {
    **{method: _fit_reporter(method) for method in FIT_METHODS},
    "score": _report_score,
}


# -- what is written at the end of the cell ---------------------------------------------------
def is_search(estimator: Any) -> bool:
    """A fitted GridSearchCV, RandomizedSearchCV, Halving*SearchCV (or a subclass)."""
    return hasattr(estimator, "cv_results_") and any(
        cls.__name__ == "BaseSearchCV" for cls in type(estimator).__mro__
    )


def deployable_model(estimator: Any) -> Any:
    """What would be served: a refitted search's best estimator, else the estimator itself."""
    best = getattr(estimator, "best_estimator_", None)
    return best if best is not None else estimator


def param_value(value: Any) -> Any:
    """A get_params() value as something JSON can keep: estimators become their class name."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, numbers.Number):
        return value.item() if hasattr(value, "item") else float(value)  # type: ignore[arg-type]
    if hasattr(value, "get_params") and hasattr(value, "fit"):
        return type(value).__name__
    if isinstance(value, (list, tuple)):
        return [param_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): param_value(item) for key, item in value.items()}
    if callable(value):
        return getattr(value, "__qualname__", None) or type(value).__name__
    text = repr(value)
    return text if len(text) <= PARAM_TEXT_LIMIT else text[: PARAM_TEXT_LIMIT - 1] + "…"


def flat_params(estimator: Any) -> dict[str, Any]:
    """``get_params(deep=True)``: nested estimators' params as ``step__param``."""
    try:
        params = estimator.get_params(deep=True)
    except Exception:
        return {}
    cleaned = {str(key): param_value(value) for key, value in params.items()}
    return {key: value for key, value in cleaned.items() if _json_safe(value)}


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return False
    return True


def is_predictor(estimator: Any) -> bool:
    """A model that predicts (a classifier, regressor, clusterer, a pipeline or search ending
    in one), as opposed to a transformer fitted alongside it."""
    try:
        return callable(getattr(estimator, "predict", None))
    except Exception:  # available_if checks may raise on odd states
        return False


def candidate_record(records: list[FitRecord]) -> FitRecord:
    """The cell's model: the last fitted predictor, else the last fitted estimator."""
    for record in reversed(records):
        if is_predictor(record.estimator):
            return record
    return records[-1]


def latest_per_class(records: list[FitRecord]) -> list[FitRecord]:
    """The most recent record of each estimator class, in fitting order (a loop that fits a
    fresh ``GridSearchCV`` 30 times has one search whose candidates are worth child runs)."""
    latest: dict[type, FitRecord] = {}
    for record in records:
        latest.pop(type(record.estimator), None)
        latest[type(record.estimator)] = record
    return list(latest.values())


def record_fits(
    capture: Capture, explicit_params: tuple[str, ...] = (), max_child_runs: int = 5
) -> None:
    """Params, fit times and search results of the cell's fits; the candidate's unprefixed."""
    run = capture.run
    records = list(capture.fits.values())
    candidate = candidate_record(records)
    searches = {id(record) for record in latest_per_class(records) if is_search(record.estimator)}
    keep = set(explicit_params)  # -p values win over autologged ones
    for record in records:
        prefix = "" if record is candidate else type(record.estimator).__name__.lower() + "__"
        params = {prefix + key: value for key, value in flat_params(record.estimator).items()}
        run.log_params({key: value for key, value in params.items() if key not in keep})
        run.log_metric(prefix + "fit_time_s", record.seconds)
        if id(record) in searches:
            record_search(run, record.estimator, prefix, capture, max_child_runs)
    run.set_tag(TAG_ESTIMATORS, ", ".join(model_class_name(record.estimator) for record in records))


def record_search(
    run: Run, search: Any, prefix: str, capture: Capture, max_child_runs: int = 5
) -> None:
    """Best params and score on the cell run, the whole ``cv_results_`` as one CSV artifact,
    and one child run for each of the best ``max_child_runs`` candidates."""
    best_params = getattr(search, "best_params_", None) or {}
    run.log_params(
        {f"{prefix}best_{key}": param_value(value) for key, value in best_params.items()}
    )
    best_score = getattr(search, "best_score_", None)
    if isinstance(best_score, numbers.Real):
        run.log_metric(prefix + "best_cv_score", float(best_score))
    results = search.cv_results_

    store_bytes(
        run.store, run.run_id, cv_results_csv(results), f"{prefix}{CV_RESULTS_ARTIFACT}", "text/csv"
    )
    best = best_candidates(results, getattr(search, "refit", True), max_child_runs)
    record_candidates(run, results, capture, best)


CV_RESULTS_ARTIFACT = "cv_results.csv"


def cv_results_csv(results: dict[str, Any]) -> bytes:
    """``cv_results_`` as CSV: one row per candidate, ``params`` as JSON, masked values empty."""
    columns = list(results)
    count = len(results.get("params", ()))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for index in range(count):
        row = []
        for column in columns:
            value = results[column][index]
            if column == "params":
                value = json.dumps(param_value(value), sort_keys=True)
            elif getattr(results[column], "mask", None) is not None and bool(
                results[column].mask[index]
            ):
                value = ""
            else:
                value = param_value(value)
            row.append(value)
        writer.writerow(row)
    return buffer.getvalue().encode()


def best_candidates(results: dict[str, Any], refit: Any, limit: int) -> list[int]:
    """Indexes of the ``limit`` best candidates by the search's rank (its refit metric when it
    has several), best first; candidates in order when there is no rank."""
    count = len(results.get("params", ()))
    rank_key = f"rank_test_{refit}" if isinstance(refit, str) else "rank_test_score"
    if rank_key not in results:
        rank_key = next((key for key in results if key.startswith("rank_test_")), "")
    order = list(range(count))
    if rank_key:
        ranks = results[rank_key]
        order.sort(key=lambda index: (int(ranks[index]), index))
    return order[: max(limit, 0)]


def record_candidates(
    run: Run, results: dict[str, Any], capture: Capture, indexes: list[int]
) -> None:
    columns = {
        key: values
        for key, values in results.items()
        if key != "params"
        and not key.startswith("param_")
        and getattr(values, "dtype", None) is not None
        and values.dtype.kind in "biuf"
    }
    notebook_path = capture.notebook_path
    all_params = results.get("params", [])
    for index in indexes:
        child = context.create_run(
            name=f"{run.name or 'cell'} · candidate {index}",
            experiment=run.experiment,
            kind="cell",
            parent_run_id=run.run_id,
            store=run.store,
            push=False,
            notebook_path=notebook_path,
        )
        child.log_params({key: param_value(value) for key, value in all_params[index].items()})
        child.log_metrics({key: float(values[index]) for key, values in columns.items()})
        child.end("finished")
