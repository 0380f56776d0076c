"""How logged values are stored: params keep their JSON type; metrics must be numbers.

Values are checked when they are logged, never first at the flush (where one bad value would
hold up everything buffered with it): a key must be 1-255 characters; keys, tag values and
string params must be valid Unicode without NUL characters (PostgreSQL cannot store NUL, and a
lone surrogate such as ``"\\udcff"`` is not UTF-8); a step must fit in 64 bits. Each violation is
an :class:`InvalidValueError` (a ``ValueError``) at the call, naming the key. Lists and dicts
are stored as JSON with non-ASCII escaped, so anything inside them is kept exactly.
"""

from __future__ import annotations

import json
import math
import numbers
import warnings
from pathlib import PurePath
from typing import Any

from mlops_jupyter.store.runs import ParamRow

MAX_KEY_LENGTH = 255
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class InvalidValueError(ValueError):
    """A logged key or value the store cannot keep exactly; raised by the log call itself."""


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\x00), which the store cannot keep"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = text[error.start : error.end]
        return f"is not valid Unicode: {bad!r} at position {error.start} (a lone surrogate)"
    return None


def check_key(kind: str, key: Any) -> str:
    """A param, metric or tag key: a non-empty string of at most 255 valid characters."""
    key = str(key)
    problem = _text_problem(key)
    if problem is None and not key:
        problem = "is empty"
    if problem is None and len(key) > MAX_KEY_LENGTH:
        problem = f"is {len(key)} characters long (the limit is {MAX_KEY_LENGTH})"
    if problem:
        shown = key if len(key) <= 60 else key[:57] + "..."
        raise InvalidValueError(f"{kind} key {shown!r} {problem}")
    return key


def check_text(kind: str, key: str, text: str) -> str:
    """A string value to store as text: valid Unicode without NUL."""
    problem = _text_problem(text)
    if problem:
        raise InvalidValueError(f"{kind} {key!r}: the value {problem}")
    return text


def check_step(key: str, step: Any) -> int:
    """A metric step: an integer that fits in 64 bits."""
    if type(step) is not int:
        try:
            step = int(step)
        except (TypeError, ValueError, OverflowError):
            raise InvalidValueError(
                f"metric {key!r}: step must be an integer, got {step!r}"
            ) from None
    if not INT64_MIN <= step <= INT64_MAX:
        raise InvalidValueError(
            f"metric {key!r}: step {step} does not fit in 64 bits (-2**63 .. 2**63-1)"
        )
    return step


def encode_tag(key: Any, value: Any) -> tuple[str, str]:
    key = check_key("tag", key)
    return key, check_text("tag", key, str(value))


def _plain(value: Any) -> Any:
    """Turn numpy scalars/arrays and paths into plain JSON-able Python values."""
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return value.item()
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return value.tolist()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return value


def encode_param(key: str, value: Any) -> ParamRow:
    """(key, JSON text, numeric view, text view); unserialisable values are stored as repr."""
    key = check_key("param", key)
    value = _plain(value)
    try:
        encoded = json.dumps(value, allow_nan=True, default=_plain_or_fail)
    except (TypeError, ValueError):
        warnings.warn(
            f"param {key!r}: {type(value).__name__} is not JSON-serialisable; stored as its repr",
            stacklevel=4,
        )
        value = repr(value)
        encoded = json.dumps(value)
    number: float | None = None
    if isinstance(value, (bool, int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond a float: exact in the JSON, no numeric view
            number = None
        if number is not None and math.isnan(number):
            number = None
    text = check_text("param", key, value) if isinstance(value, str) else encoded
    return (key, encoded, number, text)


def _plain_or_fail(value: Any) -> Any:
    plain = _plain(value)
    if plain is value:
        raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
    return plain


def metric_value(key: str, value: Any) -> float:
    """A metric as a float (NaN and ±inf kept); anything non-numeric is a TypeError."""
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:
            raise InvalidValueError(f"metric {key!r}: {value} is too large for a float") from None
    if not isinstance(value, (str, bytes)) and hasattr(value, "__float__"):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise TypeError(f"metric {key!r} must be a number, got {type(value).__name__} {shown}")
