"""Meta end points: what server this is (``GET /mlops/api/v1/version``)."""

from __future__ import annotations

from importlib import metadata

import tornado.web

from mlops_jupyter.server.app import API_VERSION, MlopsAPIHandler
from mlops_jupyter.server.models import Version

BUILT_VERSION: str | None
try:
    from mlops_jupyter._version import __version__ as BUILT_VERSION
except ImportError:  # a source tree that was never built: the distribution's version
    BUILT_VERSION = None


def server_version() -> str:
    """Version of the installed mlops_jupyter (the build's, else the distribution's)."""
    if BUILT_VERSION is not None:
        return str(BUILT_VERSION)
    try:
        return metadata.version("mlops-jupyter")
    except metadata.PackageNotFoundError:
        return "0.0.0"


class VersionHandler(MlopsAPIHandler):
    """``GET /mlops/api/v1/version`` → ``{"version": "0.1.0", "api": "v1"}``."""

    @tornado.web.authenticated
    def get(self) -> None:
        answer = Version.model_validate({"version": server_version(), "api": API_VERSION})
        self.set_header("Content-Type", "application/json")
        self.finish(answer.model_dump_json())
