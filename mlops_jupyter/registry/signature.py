"""Model signatures: the input columns and dtypes a model was trained on, and the check that
``LoadedModel.predict`` runs on every input.

A signature is inferred from the training data: a DataFrame gives named columns with dtypes; an
array gives a column count and dtype. The check compares dtype *families* (an int column may
feed a float input, as scikit-learn converts it safely; a string never feeds a number) and
reports every missing, extra and mistyped column at once, not just the first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from mlops_jupyter.registry.errors import SignatureError

_FAMILY_CACHE: dict[Any, str] = {}
# the given family -> expected families it may feed without losing meaning
_WIDENS_TO = {"integer": {"integer", "float"}, "bool": {"bool"}, "category": {"category", "string"}}


def dtype_family(dtype: Any) -> str:
    """float | integer | bool | string | category | datetime | timedelta | complex | other."""
    cached = _FAMILY_CACHE.get(dtype)
    if cached is not None:
        return cached
    text = str(dtype)
    lowered = text.lower()
    if lowered in ("bool", "boolean"):
        family = "bool"
    elif lowered.startswith("float"):
        family = "float"
    elif lowered.startswith(("int", "uint")):
        family = "integer"
    elif lowered.startswith("datetime"):
        family = "datetime"
    elif lowered.startswith("timedelta"):
        family = "timedelta"
    elif lowered.startswith("complex"):
        family = "complex"
    elif lowered == "category":
        family = "category"
    elif lowered in ("object", "str", "string") or lowered.startswith("string"):
        family = "string"
    else:
        family = "other"
    _FAMILY_CACHE[dtype] = family
    return family


def compatible(expected: str | None, given: Any) -> bool:
    """May data of dtype ``given`` feed an input declared as ``expected``?"""
    if expected is None:
        return True
    want, have = dtype_family(expected), dtype_family(given)
    return want == have or want in _WIDENS_TO.get(have, ())


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    dtype: str | None  # None: any dtype (only the name is known)


@dataclass(frozen=True)
class Signature:
    """Named columns (``columns``), or for array-trained models a count (``n_features``)."""

    columns: tuple[ColumnSpec, ...] = ()
    n_features: int | None = None
    dtype: str | None = None  # the array dtype, when positional
    # dtype tuples already found compatible: repeated predicts on the same layout skip the
    # per-column check (it runs on every call, so it must stay in microseconds)
    _accepted: set[tuple[Any, ...]] = field(default_factory=set, compare=False, repr=False)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_data(cls, data: Any) -> Signature:
        """Infer from training data: a DataFrame, a mapping of columns, or a 2-D array."""
        import pandas as pd  # noqa: PLC0415 - start-up: pandas is imported on first use

        if isinstance(data, Mapping) and not isinstance(data, pd.DataFrame):
            data = pd.DataFrame(data)
        if isinstance(data, pd.DataFrame):
            return cls(
                columns=tuple(
                    ColumnSpec(str(name), str(dtype)) for name, dtype in data.dtypes.items()
                )
            )
        array = np.asarray(data)
        if array.ndim != 2:
            raise ValueError(
                f"cannot infer a signature from {array.ndim}-D data; pass a DataFrame or a 2-D array"
            )
        return cls(n_features=int(array.shape[1]), dtype=str(array.dtype))

    @classmethod
    def from_schema(cls, schema: Mapping[str, Any]) -> Signature:
        """From ``{column: dtype}`` (a dataset's recorded schema)."""
        return cls(
            columns=tuple(
                ColumnSpec(str(name), None if dtype is None else str(dtype))
                for name, dtype in schema.items()
            )
        )

    @classmethod
    def from_names(cls, names: list[str], schema: Mapping[str, Any] | None = None) -> Signature:
        """Named columns whose dtypes come from ``schema`` where it knows them."""
        schema = schema or {}
        return cls(columns=tuple(ColumnSpec(str(name), schema.get(str(name))) for name in names))

    @classmethod
    def coerce(cls, value: Any) -> Signature:
        """Accept a Signature, its dict form, a ``{column: dtype}`` mapping or training data."""
        if isinstance(value, Signature):
            return value
        if isinstance(value, Mapping) and ("columns" in value or "n_features" in value):
            return cls.from_dict(value)
        if isinstance(value, Mapping) and all(
            isinstance(v, str) or v is None for v in value.values()
        ):
            return cls.from_schema(value)
        return cls.from_data(value)

    # -- (de)serialization ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        if self.columns:
            return {"columns": [{"name": c.name, "dtype": c.dtype} for c in self.columns]}
        return {"n_features": self.n_features, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        if data.get("columns"):
            return cls(
                columns=tuple(ColumnSpec(c["name"], c.get("dtype")) for c in data["columns"])
            )
        return cls(n_features=data.get("n_features"), dtype=data.get("dtype"))

    @property
    def types_known(self) -> bool:
        """False when only names or a width are known (no training data was seen)."""
        if self.columns:
            return any(column.dtype is not None for column in self.columns)
        return self.dtype is not None

    @cached_property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def __str__(self) -> str:
        if self.columns:
            return ", ".join(f"{c.name}: {c.dtype or 'any'}" for c in self.columns)
        return f"{self.n_features} column(s) of {self.dtype or 'any dtype'}"

    # -- enforcement ----------------------------------------------------------------------------
    def enforce(self, data: Any, model: str) -> Any:
        """Check ``data`` and return it shaped as the model expects (columns in training order)."""
        import pandas as pd  # noqa: PLC0415 - start-up: pandas is imported on first use

        if isinstance(data, Mapping) or (
            isinstance(data, list) and data and isinstance(data[0], Mapping)
        ):
            data = pd.DataFrame(data)
        if isinstance(data, pd.DataFrame):
            return (
                self._enforce_frame(data, model)
                if self.columns
                else self._enforce_array(data.to_numpy(), model)
            )
        return self._enforce_array(np.asarray(data), model)

    def _enforce_frame(self, frame: Any, model: str) -> Any:
        names, dtypes = frame.columns.tolist(), tuple(frame.dtypes.tolist())
        if names == self.names and dtypes in self._accepted:
            return frame  # the common case: the layout the model was trained on
        if frame.columns.has_duplicates:
            repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
            raise SignatureError(
                model, shape="duplicate columns: " + ", ".join(repr(c) for c in repeated)
            )
        given = {str(name): dtype for name, dtype in zip(names, dtypes, strict=True)}
        expected = self.names
        missing = [name for name in expected if name not in given]
        extra = [name for name in given if name not in set(expected)]
        mistyped = [
            (c.name, c.dtype or "any", str(given[c.name]))
            for c in self.columns
            if c.name in given and not compatible(c.dtype, given[c.name])
        ]
        if missing or extra or mistyped:
            raise SignatureError(model, missing=missing, extra=extra, mistyped=mistyped)
        if list(given) != expected:  # same columns, another order (or non-string labels)
            return frame.set_axis(list(given), axis=1)[expected]
        self._accepted.add(dtypes)
        return frame

    @classmethod
    def from_example_json(cls, text: str | None) -> Signature | None:
        """From an input example as ``model_log.example_json`` writes it (dtypes included)."""
        if not text:
            return None

        try:
            example = json.loads(text)
        except ValueError:
            return None
        if isinstance(example.get("dtypes"), dict) and example.get("columns"):
            return cls.from_names([str(c) for c in example["columns"]], example["dtypes"])
        data = example.get("data")
        if example.get("dtype") and isinstance(data, list) and data and isinstance(data[0], list):
            return cls(n_features=len(data[0]), dtype=str(example["dtype"]))
        return None

    def _enforce_array(self, array: np.ndarray, model: str) -> Any:
        width = len(self.columns) if self.columns else self.n_features
        if array.ndim != 2:
            raise SignatureError(
                model,
                shape=f"expected a 2-D input with {width} columns, got a {array.ndim}-D array",
            )
        if width is not None and array.shape[1] != width:
            raise SignatureError(model, shape=f"expected {width} columns, got {array.shape[1]}")
        if self.columns:
            mistyped = [
                (c.name, c.dtype or "any", str(array.dtype))
                for c in self.columns
                if not compatible(c.dtype, array.dtype)
            ]
            if mistyped:
                raise SignatureError(model, mistyped=mistyped)
            import pandas as pd  # noqa: PLC0415 - start-up: pandas is imported on first use

            return pd.DataFrame(array, columns=self.names)
        if not compatible(self.dtype, array.dtype):
            raise SignatureError(model, shape=f"expected {self.dtype} values, got {array.dtype}")
        return array


def unusable_columns(data: Any) -> list[tuple[str, str, str]]:
    """Columns holding values that are not numbers (for a model that failed on its input):
    ``(column, "number", dtype)`` for each, by name for a DataFrame, by position for an array."""
    import pandas as pd  # noqa: PLC0415 - start-up: pandas is imported on first use

    if isinstance(data, Mapping) or (
        isinstance(data, list) and data and isinstance(data[0], Mapping)
    ):
        data = pd.DataFrame(data)
    if not isinstance(data, pd.DataFrame):
        array = np.asarray(data)
        if array.ndim != 2:
            return []
        data = pd.DataFrame(array, columns=[f"column {i}" for i in range(array.shape[1])])
    found = []
    for name in data.columns:
        column = data[name]
        if dtype_family(column.dtype) in ("float", "integer", "bool"):
            continue
        converted = pd.to_numeric(column, errors="coerce")
        if bool((converted.isna() & column.notna()).any()):
            found.append((str(name), "number", str(column.dtype)))
    return found
