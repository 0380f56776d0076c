"""Helpers for the registry tests: real models fitted on scikit-learn's diabetes data inside real
tracked runs, registered and reviewed by named users."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

import mlops_jupyter as mj


def diabetes() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y


def train_and_register(
    name: str,
    alpha: float = 1.0,
    *,
    actor: str = "alice",
    extra_metrics: dict[str, float] | None = None,
) -> mj.ModelVersion:
    """Fit a Ridge in a run that logs its data, param and r2, and register the estimator."""
    X, y = diabetes()
    with mj.start_run(f"ridge-{alpha}"):
        mj.log_input(X, name="X")
        model = Ridge(alpha=alpha).fit(X, y)
        mj.log_param("alpha", alpha)
        mj.log_metric("r2", float(model.score(X, y)))
        mj.log_metrics(extra_metrics or {})
        return mj.register_model(model, name, input_example=X.head(), actor=actor)


def approved(name: str, alpha: float = 1.0, **kwargs: Any) -> mj.ModelVersion:
    """A version registered by alice and approved by bob."""
    version = train_and_register(name, alpha, **kwargs)
    mj.request_approval(name, version.version, actor="alice")
    return mj.approve(name, version.version, "reviewed", actor="bob")


def audit_count() -> int:
    return len(mj.audit_log(limit=None))
