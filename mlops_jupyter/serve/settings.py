"""What one model server is told: the model reference, where to listen, how to follow.

The CLI builds a :class:`ServeSettings` and hands it to every uvicorn worker process through
one environment variable (JSON), because ``uvicorn --workers N`` starts the app by import
string in fresh processes.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

SETTINGS_ENV = "MLOPS_JUPYTER_SERVE_SETTINGS"
TOKEN_ENV = "MLOPS_JUPYTER_SERVE_TOKEN"
DEFAULT_PORT = 5000
DEFAULT_MAX_BODY = 20 * 1024 * 1024  # bytes


@dataclass
class ServeSettings:
    """One server's configuration (identical in every worker)."""

    name: str
    alias: str | None = None  # None: a fixed version (``pin``)
    pin: int | None = None  # serve this version; never follow
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1
    server_id: str = ""
    poll_seconds: float = 1.0  # how often each worker reads the alias
    heartbeat_seconds: float = 5.0  # how often each worker records itself in the store
    max_body_bytes: int = DEFAULT_MAX_BODY
    log_predictions: float = 0.0  # sampled fraction of requests whose rows are logged
    log_queue_rows: int = 10_000  # rows held in memory at most while the store is slow
    retry_failed_seconds: float = 30.0  # a version that failed to load is retried after this
    token: str | None = field(default=None, repr=False)  # bearer token for /invocations

    @property
    def following(self) -> bool:
        return self.pin is None and self.alias is not None

    @property
    def reference(self) -> str:
        return f"{self.name}@{self.alias}" if self.alias else f"{self.name}/{self.pin}"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def to_env(self) -> str:
        """JSON for :data:`SETTINGS_ENV` (the token travels separately, in :data:`TOKEN_ENV`)."""
        data = asdict(self)
        data.pop("token")
        return json.dumps(data)

    @classmethod
    def from_env(cls) -> ServeSettings:
        raw = os.environ.get(SETTINGS_ENV)
        if not raw:
            raise RuntimeError(
                f"{SETTINGS_ENV} is not set: start the server with `mlops-jupyter serve NAME@ALIAS`"
            )
        settings = cls(**json.loads(raw))
        settings.token = os.environ.get(TOKEN_ENV) or None
        return settings
