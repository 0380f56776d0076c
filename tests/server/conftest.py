"""Fixtures for the REST handler tests: a real jupyter_server (pytest-jupyter) with the
mlops_jupyter extension enabled, token authentication required, on a fresh store per test
(SQLite and PostgreSQL, through the root ``mj_store`` fixture).

``api`` is a small client over ``jp_fetch`` that never raises on HTTP errors and validates every
JSON answer against the OpenAPI document (so each test also checks the document).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

# pytest-jupyter's fixtures (and its autouse event-loop and ServerApp clean-up fixtures) for
# this directory only: pytest no longer accepts `pytest_plugins` in a nested conftest, and as a
# global plugin the autouse fixtures would wrap every test of the suite.
from pytest_jupyter.jupyter_server import *  # noqa: F403
from traitlets.config import Config

from tests.server.contract import strict_json, validate_response

API = ("mlops", "api", "v1")


@pytest.fixture
def jp_server_config() -> Config:
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"mlops_jupyter": True},
                "allow_unauthenticated_access": False,
            }
        }
    )


@dataclass
class Answer:
    status: int
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        return strict_json(self.body)


@dataclass
class ApiClient:
    """Requests below ``/mlops/api/v1``; every answer is checked against the document."""

    fetch: Any
    headers: dict[str, str] = field(default_factory=dict)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        headers = {**self.headers, **(headers or {})}
        response = await self.fetch(*API, path, params=params, headers=headers, **kwargs)
        answer = Answer(response.code, response.headers, response.body)
        validate_response(method, path, answer.status, answer.headers, answer.body)
        return answer

    async def get(self, endpoint: str, /, **params: Any) -> Answer:
        return await self.request("GET", endpoint, params=params)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return await self.request("POST", path, body={} if body is None else body, **kwargs)


@pytest.fixture
def api(mj_store: Any, jp_fetch: Any) -> ApiClient:
    """A client of a server whose store is ``mj_store`` (requested first, so the server sees it)."""
    return ApiClient(jp_fetch)
