"""Put real runs into a live JupyterLab's store, the way a user's code would.

The seeding code runs in a subprocess with the server's environment (its
``MLOPS_JUPYTER_STORE``), through the public tracking API, training real
scikit-learn models on data scikit-learn ships, so the sidebar shows what a
user's own runs would look like.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from .lab import LabServer

#: Ridge regressions on the diabetes data, one run per alpha, with a loss curve per epoch.
TRAIN_RIDGE = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import SGDRegressor
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    import mlops_jupyter as mj

    alphas = json.loads(sys.argv[1])
    experiment = sys.argv[2]
    frame = load_diabetes(as_frame=True).frame
    X = StandardScaler().fit_transform(frame.drop(columns="target"))
    y = frame["target"].to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    ids = []
    for alpha in alphas:
        with mj.start_run(name=f"sgd-alpha-{alpha}", experiment=experiment,
                          params={"alpha": alpha, "model": "sgd"}) as run:
            mj.log_input(frame, name="diabetes")
            model = SGDRegressor(alpha=alpha, random_state=0, learning_rate="constant", eta0=0.005)
            for epoch in range(30):
                model.partial_fit(X_train, y_train)
                loss = float(np.mean((model.predict(X_test) - y_test) ** 2))
                mj.log_metric("mse", loss, step=epoch)
            mj.log_metric("r2", float(r2_score(y_test, model.predict(X_test))))
            ids.append(run.run_id)
    print(json.dumps(ids))
    """
)


def run_in_store(
    server: LabServer, code: str, *args: str, user: str | None = None, timeout: float = 180
) -> Any:
    """Run ``code`` with the server's store (as ``user`` if given); returns the JSON its last
    output line holds."""
    env = dict(server.env, MLOPS_JUPYTER_USER=user) if user else server.env
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=server.root_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def seed_ridge_runs(server: LabServer, alphas: list[float], experiment: str) -> list[str]:
    """One finished run per alpha in ``experiment``; returns their run ids in order."""
    ids = run_in_store(server, TRAIN_RIDGE, json.dumps(alphas), experiment)
    assert isinstance(ids, list) and len(ids) == len(alphas)
    return [str(run_id) for run_id in ids]


#: Ridge models on the diabetes data, each run logging its fitted model (mj.log_artifact).
TRAIN_MODELS = textwrap.dedent(
    """
    import json, sys
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    import mlops_jupyter as mj

    alphas = json.loads(sys.argv[1])
    experiment = sys.argv[2]
    frame = load_diabetes(as_frame=True).frame
    X, y = frame.drop(columns="target"), frame["target"]
    ids = []
    for alpha in alphas:
        with mj.start_run(name=f"ridge-{alpha}", experiment=experiment, params={"alpha": alpha}) as run:
            mj.log_input(frame, name="diabetes")
            model = Ridge(alpha=alpha).fit(X, y)
            mj.log_metric("r2", float(model.score(X, y)))
            mj.log_artifact(model)
            ids.append(run.run_id)
    print(json.dumps(ids))
    """
)

#: Registry calls of the public API (``mj.register_model``, ``mj.set_owners`` ...) as one user;
#: argv[1] is a JSON list of [function, args, kwargs].
REGISTRY_CALLS = textwrap.dedent(
    """
    import json, sys
    import mlops_jupyter as mj

    results = []
    for function, args, kwargs in json.loads(sys.argv[1]):
        result = getattr(mj, function)(*args, **kwargs)
        results.append(getattr(result, "version", None))
    print(json.dumps(results))
    """
)


def seed_model_runs(server: LabServer, alphas: list[float], experiment: str) -> list[str]:
    """One finished run with a logged Ridge model per alpha; returns their run ids."""
    ids = run_in_store(server, TRAIN_MODELS, json.dumps(alphas), experiment)
    return [str(run_id) for run_id in ids]


def registry_as(
    server: LabServer, user: str, calls: list[tuple[str, list[Any], dict[str, Any]]]
) -> Any:
    """Run registry API calls as ``user`` (``MLOPS_JUPYTER_USER``) in the server's store."""
    return run_in_store(server, REGISTRY_CALLS, json.dumps(calls), user=user)
