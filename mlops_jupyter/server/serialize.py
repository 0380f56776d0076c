"""JSON output of the REST API: values made JSON-safe (NaN and infinities become null).

``json.dumps`` writes NaN as the bare word ``NaN``, which is not JSON: browsers' ``JSON.parse``
rejects the whole response. Every REST answer goes through :func:`dumps`, which maps non-finite
floats to ``None`` and refuses (``allow_nan=False``) anything that slipped through.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np


def json_safe(value: Any) -> Any:
    """``value`` with containers rebuilt, non-finite floats as None, numpy values as Python."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, dt.datetime):
        return value.timestamp()  # times are epoch seconds everywhere in the API
    if isinstance(value, PurePath):
        return str(value)
    return str(value)


def dumps(value: Any) -> str:
    """Compact, strictly valid JSON for a REST answer."""
    return json.dumps(json_safe(value), allow_nan=False, separators=(",", ":"))
