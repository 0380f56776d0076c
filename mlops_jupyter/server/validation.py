"""Input of the REST API: query arguments, JSON bodies and file paths, checked before use.

Query arguments and JSON bodies are validated with the pydantic models of ``server/models.py``
(the models the OpenAPI document is generated from, so the document and the checks agree). Every
check failure is an :class:`ApiError` with status 400 (or 403 for a path that leaves the server
root) and a one-line message that names the input and says what was expected.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TypeVar

import tornado.web
from pydantic import BaseModel, ValidationError

Q = TypeVar("Q", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


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


# -- query arguments and JSON bodies, through the pydantic models --------------------------
def _bounds(model: type[BaseModel], name: str) -> tuple[Any, Any]:
    lower = upper = None
    for item in model.model_fields[name].metadata:
        lower = getattr(item, "ge", lower)
        upper = getattr(item, "le", upper)
    return lower, upper


def _query_message(model: type[BaseModel], error: Any, raw: dict[str, str]) -> str:
    """One line in the words the API always used (``limit must be between 0 and 1000, got 5000``)."""
    name = str(error["loc"][0]) if error["loc"] else "query"
    given = raw.get(name, "")
    kind = error["type"]
    if kind == "missing":
        return f"{name} is required"
    if kind in ("int_parsing", "int_from_float"):
        return f"{name} must be an integer, got {given[:50]!r}"
    if kind in ("greater_than_equal", "less_than_equal"):
        lower, upper = _bounds(model, name)
        return f"{name} must be between {lower} and {upper}, got {error['input']}"
    if kind == "bool_parsing":
        return f"{name} must be true or false, got {given[:50]!r}"
    if kind in ("literal_error", "enum"):
        choices = error.get("ctx", {}).get("expected", "")
        return f"{name} must be one of {choices.replace(' or ', ', ')}; got {given[:50]!r}"
    if kind == "string_pattern_mismatch":
        return f"{name} {given[:50]!r} does not match {error['ctx']['pattern']}"
    return f"{name}: {error['msg']}"


def parse_query(handler: tornado.web.RequestHandler, model: type[Q]) -> Q:
    """The request's query arguments as ``model`` (the last value wins when repeated).

    An empty argument counts as absent when the field has a default. Failures are 400 with a
    message naming the argument and what it must be.
    """
    raw: dict[str, str] = {}
    for name, field in model.model_fields.items():
        value = handler.get_query_argument(name, None)
        if value is None or (value == "" and not field.is_required()):
            continue
        raw[name] = check_text(name, value)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise ApiError(400, _query_message(model, error.errors()[0], raw)) from None


def _body_message(error: Any) -> str:
    where = "/".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"invalid request body: {error['loc'][-1]!r} is a required property"
    if error["type"] == "string_pattern_mismatch":
        given = str(error["input"])[:50]
        return (
            f"invalid request body: {where}: {given!r} does not match {error['ctx']['pattern']!r}"
        )
    return f"invalid request body: {where}: {error['msg']}" if where else error["msg"]


def _not_json(literal: str) -> Any:
    raise ValueError(f"{literal} is not a JSON value")


def parse_body(handler: tornado.web.RequestHandler, model: type[R]) -> R:
    """The request's JSON body as ``model``: strict JSON (no NaN), no NUL characters, strict types."""
    raw = handler.request.body or b"{}"
    _check_nesting(raw)
    try:
        body = json.loads(raw, parse_constant=_not_json)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"the request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"invalid request body: {body!r:.50} is not of type 'object'")
    _refuse_nul(body)
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise ApiError(400, _body_message(error.errors()[0])) from None


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
