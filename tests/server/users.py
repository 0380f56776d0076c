"""Server tests with several authenticated users: the server configuration that turns on the
named-token identity provider (``identity.py``), a client per user, and a run whose fitted
model is ready to register."""

from __future__ import annotations

from typing import Any

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from traitlets.config import Config

import mlops_jupyter as mj
from tests.server.conftest import ApiClient
from tests.server.identity import USERS, token_of


def named_users_config(**extension: Any) -> Config:
    """The extension on, every request authenticated as the user its token names;
    ``extension``: settings of ``MlopsExtensionApp``."""
    settings: dict[str, Any] = {
        "ServerApp": {
            "jpserver_extensions": {"mlops_jupyter": True},
            "allow_unauthenticated_access": False,
            "identity_provider_class": "tests.server.identity.NamedTokenIdentityProvider",
        }
    }
    if extension:
        settings["MlopsExtensionApp"] = extension
    return Config(settings)


def user_clients(jp_fetch: Any) -> dict[str, ApiClient]:
    """A client per user (alice, bob, carol), each authenticated with its own token."""
    return {
        user: ApiClient(jp_fetch, {"Authorization": f"token {token_of(user)}"}) for user in USERS
    }


def train(c: float = 1.0) -> str:
    """A run with a fitted model saved as its artifact and its accuracy; returns the run id."""
    features, labels = load_iris(return_X_y=True, as_frame=True)
    with mj.start_run(name=f"logreg C={c}", experiment="iris") as run:
        model = LogisticRegression(C=c, max_iter=500).fit(features, labels)
        run.log_input(features, name="features")
        run.log_artifact(model)
        run.log_params({"C": c})
        run.log_metric("accuracy", float(model.score(features, labels)))
    return run.run_id
