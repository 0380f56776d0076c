"""How logged values are stored: params keep their JSON type; metrics must be numbers."""

from __future__ import annotations

import json
import math
import numbers
import warnings
from pathlib import PurePath
from typing import Any

from mlops_jupyter.store.runs import ParamRow


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
        number = float(value)
        if math.isnan(number):
            number = None
    text = value if isinstance(value, str) else encoded
    return (str(key), encoded, number, text)


def _plain_or_fail(value: Any) -> Any:
    plain = _plain(value)
    if plain is value:
        raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
    return plain


def metric_value(key: str, value: Any) -> float:
    """A metric as a float (NaN and ±inf kept); anything non-numeric is a TypeError."""
    if isinstance(value, numbers.Real):
        return float(value)
    if not isinstance(value, (str, bytes)) and hasattr(value, "__float__"):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise TypeError(f"metric {key!r} must be a number, got {type(value).__name__} {shown}")
