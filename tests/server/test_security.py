"""REST security: every operation needs authentication (403, never a login redirect), POSTs
need the XSRF token when authenticated by cookie, and no path leaves the server root."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.server.openapi import openapi_document
from tests.server.conftest import API
from tests.server.test_sweeps import write_notebook

SAMPLES = {"version": "1", "action": "approve"}


def operations() -> list[tuple[str, str]]:
    found = []
    for template, item in openapi_document()["paths"].items():
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLES.get(m.group(1), "sample"), template)
        found += [(verb.upper(), path.lstrip("/")) for verb in item if verb in ("get", "post")]
    return found


@pytest.mark.parametrize(("method", "path"), operations())
async def test_every_operation_needs_authentication(jp_fetch: Any, method: str, path: str) -> None:
    # no store fixture: an unauthenticated request must be refused before any store access
    body = "{}" if method == "POST" else None
    response = await jp_fetch(
        *API,
        path,
        method=method,
        body=body,
        headers={"Authorization": ""},
        raise_error=False,
        follow_redirects=False,
    )
    assert response.code == 403, (method, path, response.code)
    assert "Location" not in response.headers
    assert json.loads(response.body)["message"]


async def login_cookie(jp_fetch: Any) -> str:
    """The login cookie jupyter_server sets after a token-authenticated request."""
    response = await jp_fetch(*API, "version")
    cookies = [c.split(";", 1)[0] for c in response.headers.get_list("Set-Cookie")]
    login = [c for c in cookies if c.startswith("username-")]
    assert login, cookies
    return login[0]


async def test_cookie_authenticated_post_needs_the_xsrf_token(
    api: Any, jp_fetch: Any, jp_root_dir: Path
) -> None:
    write_notebook(jp_root_dir)
    cookie = await login_cookie(jp_fetch)
    body = json.dumps({"notebook": "train.ipynb", "grid": {"alpha": ["not a float"]}})
    common = {"method": "POST", "body": body, "raise_error": False}
    forged = await jp_fetch(
        *API, "sweeps", headers={"Authorization": "", "Cookie": cookie}, **common
    )
    assert forged.code == 403
    assert "xsrf" in json.loads(forged.body)["message"].lower()
    # the double-submit pair a page served by Jupyter has: cookie and header agree
    headers = {"Authorization": "", "Cookie": f"{cookie}; _xsrf=abc123", "X-XSRFToken": "abc123"}
    allowed = await jp_fetch(*API, "sweeps", headers=headers, **common)
    assert allowed.code == 400  # past authentication and XSRF, refused on its merits
    assert "alpha" in json.loads(allowed.body)["message"]


@pytest.fixture
def outside_notebook(jp_root_dir: Path) -> Path:
    """A real notebook next to (not inside) the server root, and a symlink to it inside."""
    secret = write_notebook(jp_root_dir.parent, "secret.ipynb")
    os.symlink(secret, jp_root_dir / "link.ipynb")
    return secret


TRAVERSALS = [
    "../secret.ipynb",
    "sub/../../secret.ipynb",
    "link.ipynb",  # a symlink leading out of the root
    "%ABS%",  # the absolute path of the file outside
    "/etc/passwd.ipynb",
    "~/secret.ipynb",
]


def traversal(path: str, secret: Path) -> str:
    return str(secret) if path == "%ABS%" else path


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_notebook_parameters_stay_inside_the_root(
    api: Any, outside_notebook: Path, path: str
) -> None:
    answer = await api.get("notebooks/params", path=traversal(path, outside_notebook))
    assert answer.status == 403, answer.body
    assert "server root" in answer.json["message"]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_sweeps_stay_inside_the_root(api: Any, outside_notebook: Path, path: str) -> None:
    body = {"notebook": traversal(path, outside_notebook), "grid": {"alpha": [0.1]}}
    answer = await api.post("sweeps", body)
    assert answer.status == 403, answer.body
    assert (await api.get("sweeps")).json == {"sweeps": []}


@pytest.mark.parametrize(
    "encoded", ["%2e%2e%2fsecret.ipynb", "%2E%2E/secret.ipynb", "..%2fsecret.ipynb"]
)
async def test_url_encoded_traversal_is_refused(
    api: Any,
    outside_notebook: Path,
    http_server_client: Any,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
    encoded: str,
) -> None:
    # built by hand: a client library would escape the % signs themselves
    url = f"{jp_base_url}mlops/api/v1/notebooks/params?path={encoded}"
    response = await http_server_client.fetch(url, headers=jp_auth_header, raise_error=False)
    assert response.code == 403, response.body
    assert "leaves the server root" in json.loads(response.body)["message"]


async def test_literal_percent_names_are_just_names(api: Any) -> None:
    # "%2e%2e" reaching the server *as text* is a file name inside the root, not a traversal
    answer = await api.get("notebooks/params", path="%2e%2e/secret.ipynb")
    assert answer.status == 404
