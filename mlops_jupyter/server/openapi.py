"""The OpenAPI 3.1 document of the REST API under ``/mlops/api/v1``, generated.

Nothing here is written by hand: the schemas are the pydantic models of ``server/models.py``
(responses in serialization mode: every field present; requests in validation mode), the paths,
parameters and statuses come from the route table in ``server/routes.py``. The document is
served at ``GET /mlops/api/v1/openapi.json`` and written by ``python -m
mlops_jupyter.server.openapi FILE`` for the frontend's type generation (``jlpm api:types``).

Conventions the schemas encode:

- Times are **epoch seconds** (UTC, float), as the store keeps them.
- Non-finite numbers (NaN, +inf, -inf) are sent as ``null``: JSON has no literal for them.
- Errors are jupyter_server's JSON error body ``{"message": ..., "reason": ...}``.
- Paths are relative to ``/mlops/api/v1`` below the server's base URL; every operation needs
  the Jupyter token (or the login cookie plus the ``X-XSRFToken`` header for non-GET verbs).
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from mlops_jupyter.server import models
from mlops_jupyter.server.app import API_BASE, API_VERSION, ROUTES_MODULE

# the registry's name rules, re-exported: a test keeps them equal to registry/names.py
from mlops_jupyter.server.models import ALIAS_PATTERN, MODEL_NAME_PATTERN

JSON = "application/json"
REF = "#/components/schemas/{model}"
#: Statuses every operation may answer (besides its own): see ``server/errors.py``.
COMMON_ERRORS = {
    403: "not authenticated (or XSRF check failed)",
    409: "the store's state refuses the request: a stored blob is missing or fails verification, "
    "or the store cannot be opened or written (the message says which)",
    500: "a bug: the body's error_id names the server log entry with the details",
}
#: The 400 answer of every operation that takes input (the route table may say more).
BAD_INPUT = "invalid input; the message says which parameter and why"


def _strip_titles(node: Any) -> Any:
    """Drop pydantic's generated ``title`` keywords (noise for readers and generated types)."""
    if isinstance(node, dict):
        return {
            key: _strip_titles(value)
            for key, value in node.items()
            if not (key == "title" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_strip_titles(item) for item in node]
    return node


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query argument's schema: an optional argument is absent, never ``null``."""
    schema = {key: value for key, value in schema.items() if key != "default" or value is not None}
    branches = schema.pop("anyOf", None)
    if branches:
        kept = [branch for branch in branches if branch != {"type": "null"}]
        if len(kept) == 1:
            schema = {**kept[0], **schema}
        else:
            schema["anyOf"] = kept
    return schema


def _query_parameters(query: type[BaseModel]) -> list[dict[str, Any]]:
    schema = _strip_titles(query.model_json_schema(ref_template=REF))
    parameters = []
    for name, field in query.model_fields.items():
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": field.is_required(),
                "description": field.description or "",
                "schema": {
                    key: value
                    for key, value in _without_null(schema["properties"][name]).items()
                    if key != "description"
                },
            }
        )
    return parameters


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": {"$ref": REF.format(model="Error")}}},
    }


def _operation(route: Any, op: Any) -> dict[str, Any]:
    if isinstance(op.response, tuple):
        media_type, schema = op.response
    else:
        media_type, schema = JSON, {"$ref": REF.format(model=op.response.__name__)}
    success: dict[str, Any] = {
        "description": op.response_description,
        "content": {media_type: {"schema": schema}},
    }
    if op.links:
        success["links"] = {
            target: {"operationId": target, "parameters": parameters}
            for target, parameters in op.links.items()
        }
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": description,
            "schema": schema or {"type": "string", "minLength": 1},
        }
        for name, (description, schema) in route.params.items()
    ]
    if op.query is not None:
        parameters += _query_parameters(op.query)
    errors = dict(COMMON_ERRORS)
    if parameters or op.body is not None:
        errors[400] = BAD_INPUT
    errors.update(op.errors)
    result: dict[str, Any] = {
        "summary": op.summary,
        "operationId": op.operation_id,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": {
            str(op.status): success,
            **{str(code): _error(text) for code, text in errors.items()},
        },
    }
    if op.body is not None:
        body_ref = {"$ref": REF.format(model=op.body.__name__)}
        result["requestBody"] = {"required": True, "content": {JSON: {"schema": body_ref}}}
    return result


def _schemas(routes: list[Any]) -> dict[str, Any]:
    responses: set[type[BaseModel]] = {models.Error}
    requests: set[type[BaseModel]] = set()
    for route in routes:
        for op in route.operations.values():
            if not isinstance(op.response, tuple):
                responses.add(op.response)
            if op.body is not None:
                requests.add(op.body)
    _, schema = models_json_schema(
        [(model, "serialization") for model in sorted(responses, key=lambda c: c.__name__)]
        + [(model, "validation") for model in sorted(requests, key=lambda c: c.__name__)],
        ref_template=REF,
    )
    return dict(sorted(_strip_titles(schema["$defs"]).items()))


@cache
def _document() -> dict[str, Any]:
    # the route table is found by its module name, as the app mounts it: the table lists the
    # handler that serves this document, so importing it here would be an import cycle
    routes = importlib.import_module(ROUTES_MODULE).ROUTES
    return {
        "openapi": "3.1.0",
        "info": {"title": "mlops_jupyter REST API", "version": API_VERSION, "description": __doc__},
        "servers": [{"url": API_BASE}],
        "paths": {
            route.path.replace(":path}", "}"): {
                verb: _operation(route, op) for verb, op in route.operations.items()
            }
            for route in routes
        },
        "components": {
            "schemas": _schemas(routes),
            "securitySchemes": {
                "jupyterToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`token <Jupyter token>`",
                }
            },
        },
        "security": [{"jupyterToken": []}],
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy; callers may add ``servers``)."""
    return copy.deepcopy(_document())


def main(argv: list[str]) -> None:
    """``python -m mlops_jupyter.server.openapi [FILE]``: write the document (stdout without FILE)."""
    text = json.dumps(openapi_document(), indent=2, sort_keys=False) + "\n"
    if len(argv) > 1:
        target = Path(argv[1])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


__all__ = ["ALIAS_PATTERN", "MODEL_NAME_PATTERN", "openapi_document"]

if __name__ == "__main__":
    main(sys.argv)
