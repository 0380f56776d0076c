"""A small client of a running model server (standard library HTTP): the smoke test that
``serve check`` and release pipelines run after a promotion."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from mlops_jupyter.registry.versions import require_version
from mlops_jupyter.serve.app import REQUEST_ID_HEADER, VERSION_HEADER
from mlops_jupyter.store import get_store


class SmokeError(RuntimeError):
    """The server is not (yet) serving what was expected."""


def _get(url: str, timeout: float) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise SmokeError(f"GET {url}: HTTP {error.code}") from None
    except (OSError, ValueError) as error:
        raise SmokeError(f"GET {url}: {error}") from None


def smoke_test(
    url: str, *, expect: int | None = None, token: str | None = None, timeout: float = 10.0
) -> str:
    """Check the server at ``url`` serves ``expect`` (any version if None) and predicts the
    version's input example with that version. Returns a one-line report; raises
    :class:`SmokeError` otherwise."""
    base = url.rstrip("/")
    info = _get(f"{base}/version", timeout)
    served = info.get("version")
    if served is None:
        raise SmokeError(f"no version loaded ({info.get('error') or 'loading'})")
    if expect is not None and served != expect:
        waiting = f"; last error: {info['error']}" if info.get("error") else ""
        raise SmokeError(f"serves version {served}, expected {expect}{waiting}")
    name = info["name"]
    record = get_store().registry.read(lambda tx: require_version(tx, name, int(served)))
    if not record.get("input_example"):
        return f"ok: {base} serves {name} version {served} (no input example to predict)"
    example = json.loads(record["input_example"])
    body = json.dumps(
        {"dataframe_split": {"columns": example.get("columns"), "data": example["data"]}}
    ).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{base}/invocations", body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answered = response.headers.get(VERSION_HEADER)
            predictions = json.loads(response.read())["predictions"]
            request_id = response.headers.get(REQUEST_ID_HEADER)
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")[:300]
        raise SmokeError(f"POST /invocations: HTTP {error.code} {detail}") from None
    except (OSError, ValueError, KeyError) as error:
        raise SmokeError(f"POST /invocations: {error}") from None
    if answered != str(served) or len(predictions) != len(example["data"]):
        raise SmokeError(
            f"POST /invocations answered by version {answered} with {len(predictions)} "
            f"predictions for {len(example['data'])} rows"
        )
    return (
        f"ok: {base} serves {name} version {served}; predicted its input example "
        f"({len(predictions)} rows, request {request_id})"
    )
