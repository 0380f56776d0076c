"""Registry speed, side by side with MLflow in one run, on the same fitted models.

Measures (medians; the machine is small and noisy, so compare ratios):
  1. load time: ``mj.load_model("models:/NAME@production")`` (registry lookup, SHA-256 check,
     skops with the recorded trusted types) vs ``mlflow.sklearn.load_model("models:/NAME@production")``
     from an MLflow SQLite registry (MLflow 3 saves sklearn models with skops too), and vs
     ``mlflow.sklearn.load_model(local_path)`` (no registry lookup, no download);
  2. predict overhead: ``LoadedModel.predict`` (signature check, every column) minus the bare
     estimator's ``predict``, and the same for ``mlflow.pyfunc`` (MLflow's schema enforcement),
     on 1 row and 1,000 rows (median of per-call differences; reported where the estimator's own
     predict is fast enough for the difference to stand out from noise).
All timings alternate between the contestants, so the machine's load hits each alike.
A ratio above 1 means mlops_jupyter is faster.

Usage: python benchmarks/bench_registry.py [--loads 20] [--predicts 300] [--trees 100]
Needs the `bench` extra (mlflow).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

NOISE_FLOOR_MS = 5.0  # a predict slower than this varies by more than the checks cost


def _ms(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def paired_ms(repeat: int, *actions: Callable[[], Any]) -> list[float]:
    """Median time of each action, measured in alternation so machine load hits all alike."""
    timings: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for index, action in enumerate(actions):
            timings[index].append(_ms(action))
    return [statistics.median(values) for values in timings]


def overhead_ms(repeat: int, wrapped: Callable[[], Any], bare: Callable[[], Any]) -> float:
    """Median of per-iteration differences (wrapped call minus the bare estimator call)."""
    return statistics.median(_ms(wrapped) - _ms(bare) for _ in range(repeat))


def models() -> dict[str, Any]:
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return {
        "ridge": (Ridge(alpha=1.0).fit(X, y), X),
        "forest": (
            RandomForestRegressor(n_estimators=ARGS.trees, random_state=0, n_jobs=1).fit(X, y),
            X,
        ),
    }


def register_ours(name: str, model: Any, X: Any) -> None:
    import mlops_jupyter as mj

    mj.register_model(model, name, input_example=X.head(), actor="bench")
    mj.promote(name, 1, force=True, reason="benchmark", actor="bench")


def register_mlflow(name: str, model: Any, X: Any, folder: Path) -> str:
    import mlflow
    from mlflow.models import infer_signature

    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model,
            name=name,
            signature=infer_signature(X.head(), model.predict(X.head())),
            registered_model_name=name,
            skops_trusted_types=["sklearn.tree._tree.Tree"] if name == "forest" else None,
            pip_requirements=["scikit-learn", "skops"],
        )
    mlflow.MlflowClient().set_registered_model_alias(name, "production", "1")
    local = folder / f"{name}-local"
    mlflow.sklearn.save_model(
        model,
        str(local),
        skops_trusted_types=["sklearn.tree._tree.Tree"] if name == "forest" else None,
        pip_requirements=["scikit-learn", "skops"],
    )
    return str(local) if info is not None else ""


def report(label: str, ours: float, theirs: float) -> None:
    ratio = theirs / ours
    verdict = f"{ratio:5.2f}x faster" if ratio >= 1 else f"{1 / ratio:5.2f}x slower"
    print(
        f"  {label:<40} mlops_jupyter {ours:9.3f} ms   mlflow {theirs:9.3f} ms   ratio {ratio:5.2f} (ours {verdict})"
    )


def bench_model(name: str, model: Any, X: Any, local_path: str) -> None:
    import mlflow

    import mlops_jupyter as mj

    print(f"\n{name} ({type(model).__name__})")
    uri = f"models:/{name}@production"
    ours, registry, local = paired_ms(
        ARGS.loads,
        lambda: mj.load_model(uri),
        lambda: mlflow.sklearn.load_model(uri),
        lambda: mlflow.sklearn.load_model(local_path),
    )
    report("load via registry alias", ours, registry)
    report("load (MLflow from a local path)", ours, local)

    loaded = mj.load_model(uri)
    pyfunc = mlflow.pyfunc.load_model(local_path)
    mlflow_bare = mlflow.sklearn.load_model(local_path)
    for rows in (1, 1000):
        batch = X.sample(rows, replace=True, random_state=0).reset_index(drop=True)
        bare_ms, ours_ms, pyfunc_ms = paired_ms(
            ARGS.predicts,
            lambda b=batch: loaded.model.predict(b),
            lambda b=batch: loaded.predict(b),
            lambda b=batch: pyfunc.predict(b),
        )
        print(
            f"  predict {rows:>4} row(s): bare estimator {bare_ms:8.3f} ms, LoadedModel {ours_ms:8.3f} ms, "
            f"mlflow pyfunc {pyfunc_ms:8.3f} ms"
        )
        if bare_ms > NOISE_FLOOR_MS:
            print(
                f"    (the input checks cost well under {NOISE_FLOOR_MS:g} ms: lost in this predict's noise)"
            )
            continue
        ours_extra = overhead_ms(
            ARGS.predicts,
            lambda b=batch: loaded.predict(b),
            lambda b=batch: loaded.model.predict(b),
        )
        mlflow_extra = overhead_ms(
            ARGS.predicts, lambda b=batch: pyfunc.predict(b), lambda b=batch: mlflow_bare.predict(b)
        )
        report(f"predict overhead over bare, {rows} row(s)", ours_extra, mlflow_extra)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        os.environ["MLOPS_JUPYTER_STORE"] = str(root / "store")
        os.chdir(root)
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
        mlflow.set_experiment("bench")
        print(
            f"load: median of {ARGS.loads}; predict: median of {ARGS.predicts}; forest: {ARGS.trees} trees"
        )
        for name, (model, X) in models().items():
            register_ours(name, model, X)
            local_path = register_mlflow(name, model, X, root)
            bench_model(name, model, X, local_path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--predicts", type=int, default=300)
    parser.add_argument("--trees", type=int, default=100)
    ARGS = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    main()
