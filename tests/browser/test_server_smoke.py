"""The server extension in the same live JupyterLab the browser tests use (plain HTTP)."""

from __future__ import annotations

import json
import re

from .lab import LabServer


def test_version_endpoint(lab_server: LabServer) -> None:
    from mlops_jupyter.server.handlers_meta import server_version

    status, headers, body = lab_server.request("mlops/api/v1/version")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"version": server_version(), "api": "v1"}


def test_unauthenticated_request_is_forbidden_not_redirected(lab_server: LabServer) -> None:
    status, headers, body = lab_server.request("mlops/api/v1/version", authenticated=False)
    assert status == 403, (status, headers.get("Location"))
    assert "Location" not in headers
    assert json.loads(body)["message"]


def test_wrong_token_is_forbidden(lab_server: LabServer) -> None:
    status, _, _ = lab_server.request(
        "mlops/api/v1/version", authenticated=False, headers={"Authorization": "token nope"}
    )
    assert status == 403


def test_unknown_api_path_is_404(lab_server: LabServer) -> None:
    status, _, _ = lab_server.request("mlops/api/v1/no-such-thing")
    assert status == 404


def test_lab_page_loads_the_federated_extension(lab_server: LabServer) -> None:
    status, _, body = lab_server.request(f"lab?token={lab_server.token}")
    assert status == 200
    match = re.search(
        rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', body, re.S
    )
    assert match, "no page config in /lab"
    config = json.loads(match.group(1))
    names = [ext["name"] for ext in config.get("federated_extensions", [])]
    assert "mlops-jupyter" in names, names
