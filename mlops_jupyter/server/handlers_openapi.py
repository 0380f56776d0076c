"""The REST API's own description: ``GET /mlops/api/v1/openapi.json``."""

from __future__ import annotations

import tornado.web
from jupyter_server.utils import url_path_join

from mlops_jupyter.server.app import API_BASE, MlopsAPIHandler
from mlops_jupyter.server.openapi import openapi_document


class OpenAPIHandler(MlopsAPIHandler):
    """The OpenAPI document, with ``servers`` pointing below this server's base URL."""

    @tornado.web.authenticated
    def get(self) -> None:
        document = openapi_document()
        document["servers"] = [{"url": url_path_join(self.base_url, API_BASE)}]
        self.write_json(document)
