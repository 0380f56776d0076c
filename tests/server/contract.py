"""Checking real answers against the OpenAPI document: the status must be documented for the
operation, and a JSON body must validate against the documented schema."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from mlops_jupyter.server.openapi import openapi_document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(body: bytes) -> Any:
    """Parse like a browser's JSON.parse: NaN and Infinity are errors, not numbers."""
    return json.loads(body, parse_constant=_refuse_constant)


@cache
def document() -> dict[str, Any]:
    return openapi_document()


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """(regex, template) per documented path; literal segments win over parameters."""
    patterns = []
    for template in document()["paths"]:
        segments = template.strip("/").split("/")
        parts = [
            "(?:.+)"
            if seg.startswith("{") and i == len(segments) - 1
            else "[^/]+"
            if seg.startswith("{")
            else re.escape(seg)
            for i, seg in enumerate(segments)
        ]
        literal_count = sum(not seg.startswith("{") for seg in segments)
        patterns.append((literal_count, re.compile("^/" + "/".join(parts) + "$"), template))
    patterns.sort(key=lambda item: -item[0])
    return [(pattern, template) for _, pattern, template in patterns]


def operation_for(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The documented (template, operation) a request path and verb belong to, if any."""
    path = "/" + path.split("?", 1)[0].strip("/")
    for pattern, template in _templates():
        if pattern.match(path):
            operation = document()["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
    return None


@cache
def _registry() -> Registry:
    return Registry().with_resource("urn:doc", Resource.opaque(document()))


def _resolve_ref(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"$ref": "urn:doc" + schema["$ref"]}
    return schema


def validate_response(method: str, path: str, status: int, headers: Any, body: bytes) -> None:
    """Assert the answer matches the document (no-op for paths the document does not cover)."""
    found = operation_for(method, path)
    if found is None:
        return
    template, operation = found
    responses = operation["responses"]
    assert str(status) in responses, (
        f"{method} {path} -> {status}, not documented for {template} "
        f"(documented: {sorted(responses)}); body {body[:300]!r}"
    )
    content = responses[str(status)].get("content", {})
    media_type = (headers.get("Content-Type") or "").split(";")[0].strip()
    assert media_type in content, (
        f"{method} {path} -> {status} {media_type}, expected {list(content)}"
    )
    if media_type != "application/json":
        return
    schema = _resolve_ref(content[media_type]["schema"])
    payload = strict_json(body)
    validator = Draft202012Validator(schema, registry=_registry())
    errors = sorted(validator.iter_errors(payload), key=lambda error: list(error.path))
    assert not errors, f"{method} {path} -> {status}: " + "; ".join(
        f"{list(error.absolute_path)}: {error.message}" for error in errors[:5]
    )
