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


def run_in_store(server: LabServer, code: str, *args: str, timeout: float = 180) -> Any:
    """Run ``code`` with the server's store; returns the JSON its last output line holds."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=server.env,
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
