"""Meta end points: what server this is (``GET /mlops/api/v1/version``)."""

from __future__ import annotations

from importlib import metadata

import tornado.web

from mlops_jupyter.server.app import API_VERSION, MlopsAPIHandler
from mlops_jupyter.server.models import Version


def server_version() -> str:
    """Version of the installed mlops_jupyter (the build's, else the distribution's)."""
    try:
        from mlops_jupyter._version import __version__

        return str(__version__)
    except ImportError:
        pass
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
