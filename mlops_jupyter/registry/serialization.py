"""Model files: how a model becomes bytes and back.

skops is the default: it stores objects as data, not code. A skops file names the types it
holds, and a hostile file can name anything (``subprocess.Popen``), so what a file says about
itself is never trust. A skops file loads only when every type it needs is trusted by skops by
default, is in :data:`SKLEARN_TRUSTED_TYPES` (types of fitted scikit-learn estimators that
skops leaves out, kept by this package), or is passed by the caller as ``trusted=``. Anything
else is refused before any object is built (:func:`check_trusted`), naming the types. The
types a version needs are recorded at registration for information; a later load checks them
again against its own rule, so a record edited in the database grants nothing.

Pickle and joblib can run arbitrary code when loaded, so they are used only when the caller
says ``format="pickle"``, and both saving and loading warn.
"""

from __future__ import annotations

import inspect
import io
import pickle
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mlops_jupyter.registry.errors import RegistryError, UntrustedModelError

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
    import skops.io  # noqa: PLC0415 - start-up: skops is imported on first use

    try:
        return tuple(sorted(skops.io.get_untrusted_types(data=data)))
    except Exception as error:  # skops raises plain exceptions for files it cannot read
        raise RegistryError(f"not a readable skops model file: {error}") from None


# -- which types a skops load may build ---------------------------------------------------------
# Types that fitted scikit-learn estimators hold and skops does not trust by default. Each is a
# scikit-learn data structure or pure function, never a way to reach the OS. Left out on
# purpose: the HistGradientBoosting ``TreePredictor`` (skops documents that a crafted node
# array can crash the process at prediction time): trust it per call with ``trusted=``.
_SKLEARN_TYPES = (
    "sklearn.tree._tree.Tree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._scorer._Scorer",
    "sklearn.metrics._scorer._PassthroughScorer",
    "sklearn.metrics._scorer._MultimetricScorer",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.utils._bunch.Bunch",
)
_SPLITTERS = (
    "KFold",
    "StratifiedKFold",
    "GroupKFold",
    "StratifiedGroupKFold",
    "RepeatedKFold",
    "RepeatedStratifiedKFold",
    "ShuffleSplit",
    "StratifiedShuffleSplit",
    "GroupShuffleSplit",
    "TimeSeriesSplit",
    "LeaveOneOut",
    "LeavePOut",
    "LeaveOneGroupOut",
    "LeavePGroupsOut",
    "PredefinedSplit",
    "_CVIterableWrapper",
)


def _sklearn_trusted_types() -> frozenset[str]:
    """The allowlist: fixed names, cross-validation splitters, distance metrics and the public
    metric functions (found in the installed scikit-learn, so new ones need no release here)."""
    names = set(_SKLEARN_TYPES)
    names.update(f"sklearn.model_selection._split.{name}" for name in _SPLITTERS)
    try:
        import sklearn.metrics  # noqa: PLC0415 - start-up: sklearn is imported on first use
        from sklearn.metrics import _dist_metrics  # noqa: PLC0415 - start-up: sklearn is imported on first use
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        return frozenset(names)
    names.update(
        f"{_dist_metrics.__name__}.{name}"
        for name, value in vars(_dist_metrics).items()
        if inspect.isclass(value) and name.endswith(("Distance32", "Distance64"))
    )
    for name in sklearn.metrics.__all__:
        value = getattr(sklearn.metrics, name, None)
        if inspect.isfunction(value) and value.__module__.startswith("sklearn.metrics"):
            names.add(f"{value.__module__}.{value.__qualname__}")
    return frozenset(names)


class _LazyAllowlist:
    """:data:`SKLEARN_TRUSTED_TYPES`, computed on first use (it imports scikit-learn)."""

    _names: frozenset[str] | None = None

    def get(self) -> frozenset[str]:
        if self._names is None:
            self._names = _sklearn_trusted_types()
        return self._names

    def __contains__(self, name: object) -> bool:
        return name in self.get()

    def __iter__(self) -> Any:
        return iter(sorted(self.get()))

    def __len__(self) -> int:
        return len(self.get())


#: Types of scikit-learn estimators that a skops load trusts beyond skops' own defaults.
SKLEARN_TRUSTED_TYPES = _LazyAllowlist()


def trusted_names(trusted: Iterable[Any] | None) -> set[str]:
    """Caller-trusted types, given as names or as the types themselves."""
    if trusted is None:
        return set()
    if isinstance(trusted, (str, type)):
        trusted = [trusted]
    names = set()
    for item in trusted:
        if isinstance(item, type):
            names.add(f"{item.__module__}.{item.__qualname__}")
        elif isinstance(item, str) and item.strip():
            names.add(item.strip())
        else:
            raise RegistryError(f"trusted types are names or types, got {item!r}")
    return names


def check_trusted(
    data: bytes, trusted: Iterable[Any] | None = None, *, allowlist: Iterable[str] | None = None
) -> tuple[str, ...]:
    """The types a skops file needs beyond skops' defaults, once each is known to be trusted
    (in ``allowlist``, default :data:`SKLEARN_TRUSTED_TYPES`, or in ``trusted``).

    Reads the file's schema only; nothing in it is imported or built. Raises
    :class:`UntrustedModelError` naming every type that is not trusted.
    """
    needed = untrusted_types(data)
    allowed = set(SKLEARN_TRUSTED_TYPES if allowlist is None else allowlist) | trusted_names(
        trusted
    )
    refused = [name for name in needed if name not in allowed]
    if refused:
        raise UntrustedModelError(refused)
    return needed


def serialize(model: Any, format: str = SKOPS) -> ModelFile:
    """Save a model; the returned trusted types are what its load will accept."""
    check_format(format)
    if format == PICKLE:
        warn_pickle("saving")
        return ModelFile(
            pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), PICKLE, "model.pkl", ()
        )
    import skops.io  # noqa: PLC0415 - start-up: skops is imported on first use

    try:
        data = skops.io.dumps(model)
    except Exception as error:
        raise RegistryError(
            f"skops cannot save a {type(model).__name__}: {error}. "
            "Save it with format='pickle' only if you trust everyone who will load it."
        ) from None
    return ModelFile(data, SKOPS, "model.skops", untrusted_types(data))


def inspect_file(data: bytes, file_name: str, trusted: Iterable[Any] | None = None) -> ModelFile:
    """Describe a model file that was saved elsewhere (a run's logged model); a skops file
    whose types are not all trusted is refused here (see :func:`check_trusted`)."""
    format = format_of_file(file_name)
    types = check_trusted(data, trusted) if format == SKOPS else ()
    return ModelFile(data, format, file_name.rsplit("/", 1)[-1], types)


def deserialize(
    data: bytes, format: str, trusted: Iterable[Any] | None = None, file_name: str = ""
) -> Any:
    """Load a model. skops: only types skops trusts by default, the allowlist and ``trusted``
    (checked before anything is built); pickle only when the version was recorded as one."""
    if format == SKOPS:
        import skops.io  # noqa: PLC0415 - start-up: skops is imported on first use

        needed = check_trusted(data, trusted)
        return skops.io.loads(data, trusted=list(needed))
    check_format(format)
    warn_pickle("loading")
    if file_name.lower().endswith(".joblib"):
        import joblib  # noqa: PLC0415 - start-up: joblib is imported on first use

        return joblib.load(io.BytesIO(data))
    return pickle.loads(data)  # the caller chose format="pickle" explicitly
