"""Performance checks: a version's metrics on newly labelled data, by task type, compared with
the metrics recorded when it was trained, under the model policy's thresholds (its absolute
gates, and ``performance_tolerance`` for how much worse than recorded a metric may get).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.tracking.display import html

# metric -> (higher is better, names a training run may have recorded it under)
METRICS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "accuracy": (True, ("accuracy", "acc")),
    "f1": (True, ("f1",)),
    "roc_auc": (True, ("roc_auc", "auc")),
    "r2": (True, ("r2",)),
    "rmse": (False, ("rmse", "root_mean_squared_error")),
    "mae": (False, ("mae", "mean_absolute_error")),
}


@dataclass
class PerformanceReport:
    """The result of ``check_performance``: one entry per metric in ``metrics``."""

    model_uri: str
    task: str  # classification | regression
    rows: int
    metrics: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)
    tolerance: float = 0.05
    model: dict[str, Any] | None = None
    check_id: str | None = None

    @property
    def failed(self) -> bool:
        return any(m["failed"] for m in self.metrics) or (not self.metrics and bool(self.problems))

    @property
    def status(self) -> str:
        return "failed" if self.failed else "passed"

    @property
    def values(self) -> dict[str, float]:
        return {m["metric"]: m["value"] for m in self.metrics}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.metrics, columns=["metric", "value", "recorded", "recorded_as", "rule", "failed"]
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status
        return data

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=str)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.values.items())
        return f"<PerformanceReport {self.status} {self.model_uri}: {shown}>"

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)


def task_of(model: Any) -> str:
    inner = getattr(model, "model", model)  # LoadedModel wraps the estimator
    if getattr(inner, "_estimator_type", None) == "classifier" or hasattr(inner, "classes_"):
        return "classification"
    try:
        from sklearn.base import is_classifier  # noqa: PLC0415 - start-up: sklearn on first use

        if is_classifier(inner):
            return "classification"
    except Exception:  # not a scikit-learn object: judge by its predictions below
        pass
    return "regression"


def compute_metrics(model: Any, X: Any, y: Any, task: str) -> dict[str, float]:
    from sklearn import metrics as skm  # noqa: PLC0415 - start-up: sklearn on first use

    predicted = np.asarray(model.predict(X))
    truth = np.asarray(y)
    if task == "classification":
        out = {
            "accuracy": float(skm.accuracy_score(truth, predicted)),
            "f1": float(skm.f1_score(truth, predicted, average="macro")),
        }
        inner = getattr(model, "model", model)
        if hasattr(inner, "predict_proba") and len(np.unique(truth)) == 2:
            frame = X
            proba = (
                model.predict_proba(frame)
                if hasattr(model, "predict_proba")
                else inner.predict_proba(frame)
            )
            out["roc_auc"] = float(skm.roc_auc_score(truth, np.asarray(proba)[:, 1]))
        return out
    return {
        "r2": float(skm.r2_score(truth, predicted)),
        "rmse": float(math.sqrt(skm.mean_squared_error(truth, predicted))),
        "mae": float(skm.mean_absolute_error(truth, predicted)),
    }


def recorded_value(recorded: dict[str, Any], metric: str) -> tuple[str | None, float | None]:
    """The version's recorded metric matching ``metric`` (exact name first, then one whose name
    contains an alias of it, preferring test/validation metrics)."""
    if isinstance(recorded.get(metric), (int, float)):
        return metric, float(recorded[metric])
    names = METRICS[metric][1]
    candidates = [
        k
        for k, v in recorded.items()
        if isinstance(v, (int, float)) and any(n in k.lower() for n in names)
    ]
    if metric == "r2" and not candidates:  # a regressor's score() is R²
        candidates = [
            k for k, v in recorded.items() if k.startswith("score") and isinstance(v, (int, float))
        ]
    if metric == "accuracy" and not candidates:
        candidates = [
            k for k, v in recorded.items() if k.startswith("score") and isinstance(v, (int, float))
        ]
    if not candidates:
        return None, None
    candidates.sort(key=lambda k: (not any(t in k.lower() for t in ("test", "val")), len(k)))
    key = candidates[0]
    return key, float(recorded[key])


def judge(
    values: dict[str, float],
    recorded: dict[str, Any],
    gates: list[Any],
    tolerance: float,
) -> list[dict[str, Any]]:
    """Each metric with its recorded value and the rule it was held to."""
    rows = []
    for metric, value in values.items():
        higher_better = METRICS[metric][0]
        key, before = recorded_value(recorded, metric)
        failed = False
        rules = []
        if before is not None and math.isfinite(before) and math.isfinite(value):
            limit = before - tolerance if higher_better else before + tolerance
            rules.append(
                f"{'>=' if higher_better else '<='} {limit:.4g} (recorded ± {tolerance:g})"
            )
            failed |= value < limit if higher_better else value > limit
        for gate in gates:
            if gate.metric == metric and not gate.relative:
                rules.append(str(gate))
                failed |= not gate.passes(value, gate.threshold)
        rows.append(
            {
                "metric": metric,
                "value": value,
                "recorded": before,
                "recorded_as": key,
                "rule": "; ".join(rules) or None,
                "failed": bool(failed),
            }
        )
    return rows
