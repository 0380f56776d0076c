"""Model files: how a model becomes bytes and back.

skops is the default: it stores objects as data, not code. The types skops does not trust by
default are computed when the model is saved (or registered) and kept with the version; a load
trusts exactly that list. Pickle and joblib can run arbitrary code when loaded, so they are used
only when the caller says ``format="pickle"``, and both saving and loading warn.
"""

from __future__ import annotations

import io
import pickle
import warnings
from dataclasses import dataclass
from typing import Any

from mlops_jupyter.registry.errors import RegistryError

SKOPS, PICKLE = "skops", "pickle"
FORMATS = (SKOPS, PICKLE)
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


class UnsafeFormatWarning(UserWarning):
    """A model is saved or loaded with pickle, which can execute code from the file."""


@dataclass(frozen=True)
class ModelFile:
    """A serialized model: its bytes, format, file name and the types a load must trust."""

    data: bytes
    format: str
    file_name: str
    trusted_types: tuple[str, ...]


def check_format(format: str) -> str:
    if format not in FORMATS:
        raise RegistryError(
            f"unknown model format {format!r}: use 'skops' (safe, the default) or 'pickle'"
        )
    return format


def warn_pickle(action: str) -> None:
    warnings.warn(
        f"{action} a model with pickle: loading a pickle can run arbitrary code. "
        "Use the default format='skops' unless the model cannot be stored any other way.",
        UnsafeFormatWarning,
        stacklevel=3,
    )


def format_of_file(file_name: str) -> str:
    """The format a model file's name says it has."""
    return PICKLE if file_name.lower().endswith(_PICKLE_SUFFIXES) else SKOPS


def untrusted_types(data: bytes) -> tuple[str, ...]:
    """The types in a skops file that skops would not load without being told to trust them."""
    import skops.io

    try:
        return tuple(sorted(skops.io.get_untrusted_types(data=data)))
    except Exception as error:  # skops raises plain exceptions for files it cannot read
        raise RegistryError(f"not a readable skops model file: {error}") from None


def serialize(model: Any, format: str = SKOPS) -> ModelFile:
    """Save a model; the returned trusted types are what its load will accept."""
    check_format(format)
    if format == PICKLE:
        warn_pickle("saving")
        return ModelFile(
            pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), PICKLE, "model.pkl", ()
        )
    import skops.io

    try:
        data = skops.io.dumps(model)
    except Exception as error:
        raise RegistryError(
            f"skops cannot save a {type(model).__name__}: {error}. "
            "Save it with format='pickle' only if you trust everyone who will load it."
        ) from None
    return ModelFile(data, SKOPS, "model.skops", untrusted_types(data))


def inspect_file(data: bytes, file_name: str) -> ModelFile:
    """Describe a model file that was saved elsewhere (a run's logged model)."""
    format = format_of_file(file_name)
    trusted = untrusted_types(data) if format == SKOPS else ()
    return ModelFile(data, format, file_name.rsplit("/", 1)[-1], trusted)


def deserialize(
    data: bytes, format: str, trusted_types: tuple[str, ...] | list[str], file_name: str = ""
) -> Any:
    """Load a model, trusting exactly ``trusted_types`` (skops); pickle only as recorded."""
    if format == SKOPS:
        import skops.io

        return skops.io.loads(data, trusted=list(trusted_types))
    check_format(format)
    warn_pickle("loading")
    if file_name.lower().endswith(".joblib"):
        import joblib

        return joblib.load(io.BytesIO(data))
    return pickle.loads(data)  # the caller chose format="pickle" explicitly
