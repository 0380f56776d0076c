"""Request bodies of ``POST /invocations`` to a pandas DataFrame (or a 2-D array).

JSON in MLflow's shapes — ``{"dataframe_records": [{col: value}, ...]}``,
``{"dataframe_split": {"columns": [...], "data": [[...]]}}``, ``{"instances": [...]}`` (rows
as objects or as lists; ``inputs`` is accepted as its synonym) — or CSV with a header row.
Anything else is an :class:`InputError` whose message the server answers with a 4xx.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

JSON_KEYS = ("dataframe_records", "dataframe_split", "instances", "inputs")


class InputError(ValueError):
    """A request body the server cannot turn into model input (answered with ``status``)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse(body: bytes, content_type: str | None) -> Any:
    """The model input a body holds; :class:`InputError` when it holds none."""
    kind = media_type(content_type)
    if kind == "application/json" or kind.endswith("+json"):
        return from_json(body)
    if kind in ("text/csv", "application/csv"):
        return from_csv(body)
    raise InputError(
        f"unsupported content type {kind or '(none)'!r}: send application/json "
        f"({', '.join(JSON_KEYS[:3])}) or text/csv",
        status=415,
    )


_NUMBER = (float, int)


def fast_matrix(body: bytes, names: list[str]) -> Any:
    """The fast path for all-float signatures: a float64 matrix in signature order when the
    body is JSON in one of the usual shapes with exactly the signature's columns and only
    numbers (never booleans) as values; otherwise None, and :func:`parse` takes over (and gives
    the precise error when there is one). Skips building a DataFrame, which costs far more than
    a one-row predict."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or len(document) != 1:
        return None
    ((key, value),) = document.items()
    rows: list[Any]
    if key == "dataframe_split" and isinstance(value, dict):
        if value.get("columns") != names or not isinstance(value.get("data"), list):
            return None
        rows = value["data"]
    elif key in ("dataframe_records", "instances", "inputs") and isinstance(value, list):
        if not value or not all(isinstance(row, dict) and len(row) == len(names) for row in value):
            return None
        try:
            rows = [[row[name] for name in names] for row in value]
        except KeyError:
            return None
    else:
        return None
    width = len(names)
    for row in rows:
        if (
            not isinstance(row, list)
            or len(row) != width
            or not all(type(v) in _NUMBER for v in row)
        ):
            return None
    if not rows:
        return None
    return np.array(rows, dtype=np.float64)


def from_json(body: bytes) -> Any:
    import pandas as pd  # noqa: PLC0415 - start-up: the model server imports pandas on first use

    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"the body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise InputError(
            f"expected a JSON object with one of {', '.join(JSON_KEYS[:3])}; "
            f"got a JSON {type(document).__name__}"
        )
    keys = [key for key in JSON_KEYS if key in document]
    if len(keys) != 1:
        found = ", ".join(sorted(map(str, document))) or "no keys"
        raise InputError(
            f"expected exactly one of {', '.join(JSON_KEYS[:3])} in the JSON object; found {found}"
        )
    key = keys[0]
    value = document[key]
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise InputError("dataframe_records must be a list of objects (one per row)")
        return _nonempty(pd.DataFrame.from_records(value) if value else pd.DataFrame())
    if key == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise InputError(
                'dataframe_split must be an object {"columns": [...], "data": [[...], ...]}'
            )
        columns = value.get("columns")
        if columns is not None and not isinstance(columns, list):
            raise InputError("dataframe_split.columns must be a list of column names")
        data = value["data"]
        if not all(isinstance(row, list) for row in data):
            raise InputError("dataframe_split.data must be a list of rows (lists)")
        if columns is not None:
            widths = {len(row) for row in data}
            if widths - {len(columns)}:
                raise InputError(
                    f"dataframe_split has {len(columns)} columns but rows of "
                    f"{', '.join(str(w) for w in sorted(widths))} values"
                )
        try:
            return _nonempty(pd.DataFrame(data, columns=columns))
        except ValueError as error:
            raise InputError(f"dataframe_split: {error}") from None
    # instances / inputs: rows as objects, or rows as lists (positional)
    if isinstance(value, dict):  # column-oriented tensors: {"col": [v1, v2, ...]}
        try:
            return _nonempty(pd.DataFrame(value))
        except ValueError as error:
            raise InputError(f"{key}: {error}") from None
    if not isinstance(value, list) or not value:
        raise InputError(f"{key} must be a non-empty list of rows")
    if all(isinstance(row, dict) for row in value):
        return _nonempty(pd.DataFrame.from_records(value))
    if all(isinstance(row, list) for row in value):
        widths = {len(row) for row in value}
        if len(widths) != 1:
            raise InputError(f"{key}: rows have different lengths ({sorted(widths)})")
        try:
            return np.asarray(value)
        except ValueError as error:
            raise InputError(f"{key}: {error}") from None
    raise InputError(f"{key} must hold rows: all objects or all lists")


def from_csv(body: bytes) -> Any:
    import pandas as pd  # noqa: PLC0415 - start-up: the model server imports pandas on first use

    if not body.strip():
        raise InputError("the CSV body is empty")
    try:
        frame = pd.read_csv(io.BytesIO(body))
    except (ValueError, UnicodeDecodeError) as error:  # pandas' ParserError is a ValueError
        raise InputError(f"the body is not readable CSV: {_first_line(error)}") from None
    return _nonempty(frame)


def _nonempty(frame: Any) -> Any:
    if len(frame) == 0:
        raise InputError("the input has no rows")
    return frame


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
