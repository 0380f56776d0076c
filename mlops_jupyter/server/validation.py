"""Input of the REST API: query arguments, JSON bodies and file paths, checked before use.

Every check failure is an :class:`ApiError` with status 400 (or 403 for a path that leaves the
server root) and a message that names the input and says what was expected. Request bodies are
validated against the OpenAPI document's own schemas, so the document and the checks agree.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import tornado.web
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from mlops_jupyter.server.openapi import openapi_document

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ApiError(tornado.web.HTTPError):
    """An HTTP error whose message goes to the client verbatim (no %-formatting games)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(status_code)
        self.message = message


def check_text(name: str, value: str) -> str:
    """Refuse NUL characters: PostgreSQL cannot store or compare them in text."""
    if "\x00" in value:
        raise ApiError(400, f"{name} must not contain NUL characters")
    return value


def text_argument(handler: tornado.web.RequestHandler, name: str) -> str | None:
    """An optional string query argument (the last one wins when repeated)."""
    value = handler.get_query_argument(name, None)
    return None if value is None else check_text(name, value)


def int_argument(
    handler: tornado.web.RequestHandler, name: str, default: int, minimum: int, maximum: int
) -> int:
    raw = handler.get_query_argument(name, None)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, got {raw[:50]!r}") from None
    if not minimum <= value <= maximum:
        raise ApiError(400, f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def bool_argument(handler: tornado.web.RequestHandler, name: str, default: bool) -> bool:
    raw = handler.get_query_argument(name, None)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ApiError(400, f"{name} must be true or false, got {raw[:50]!r}")


def choice_argument(
    handler: tornado.web.RequestHandler, name: str, choices: list[str], default: str
) -> str:
    raw = handler.get_query_argument(name, None)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise ApiError(400, f"{name} must be one of {', '.join(choices)}; got {raw[:50]!r}")
    return raw


#: Largest number a version (a 32-bit column on PostgreSQL) can be.
MAX_VERSION = 2**31 - 1
#: Deepest nesting of arrays and objects a JSON body may have.
MAX_BODY_DEPTH = 64


def positive_int(name: str, raw: str, maximum: int = MAX_VERSION) -> int:
    """A path segment that must be a positive integer (a model version)."""
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, f"{name} must be a positive integer, got {raw[:50]!r}")
    if len(raw) > 20 or int(raw) > maximum:
        raise ApiError(400, f"{name} must be at most {maximum}, got {raw[:50]}")
    return int(raw)


# -- JSON bodies --------------------------------------------------------------------------------
@cache
def _schema_registry() -> Registry:
    document = openapi_document()
    return Registry().with_resource("urn:mlops-openapi", Resource.opaque(document))


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    schema = {"$ref": f"urn:mlops-openapi#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, registry=_schema_registry())


def _describe(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def _not_json(literal: str) -> Any:
    raise ValueError(f"{literal} is not a JSON value")


def json_body(handler: tornado.web.RequestHandler, schema_name: str) -> dict[str, Any]:
    """The request's JSON body, validated against ``components/schemas/<schema_name>``."""
    raw = handler.request.body or b"{}"
    _check_nesting(raw)
    try:
        body = json.loads(raw, parse_constant=_not_json)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"the request body is not valid JSON: {error}") from None
    problem = best_match(_validator(schema_name).iter_errors(body))
    if problem is not None:
        raise ApiError(400, f"invalid request body: {_describe(problem)}")
    _refuse_nul(body)
    return dict(body)


def _check_nesting(raw: bytes) -> None:
    """Refuse a body nested deeper than MAX_BODY_DEPTH before parsing it (the parser and the
    schema check recurse), counting brackets outside strings."""
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_BODY_DEPTH:
                raise ApiError(
                    400,
                    f"the request body is nested too deeply (more than {MAX_BODY_DEPTH} levels)",
                )
        elif byte in (0x5D, 0x7D):
            depth -= 1


def _refuse_nul(value: Any, where: str = "body") -> None:
    if isinstance(value, str):
        check_text(where, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(where, str(key))
            _refuse_nul(item, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, f"{where}/{index}")


# -- paths on disk ------------------------------------------------------------------------------
def path_inside(root: str | os.PathLike[str], relative: str, name: str = "path") -> Path:
    """``relative`` resolved under ``root``; 403 if it is absolute or leads outside ``root``.

    Symbolic links are resolved first, so a link inside the root to a file outside it is refused
    as well. Tornado has already decoded URL escapes such as ``%2e%2e`` by the time we see it.
    """
    check_text(name, relative)
    if not relative.strip():
        raise ApiError(400, f"{name} must not be empty")
    if os.path.isabs(relative) or relative.startswith(("~", "\\")):
        raise ApiError(403, f"{name} must be relative to the server root, got {relative!r}")
    base = Path(root).resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise ApiError(403, f"{name} {relative!r} leaves the server root")
    return target
