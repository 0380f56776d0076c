"""Scoped patches: library functions replaced by reporting wrappers for the length of one cell.

A wrapper is made once per original function and reused, so identity checks stay stable across
cells. Every wrapper passes straight through to the original unless a tracked cell is capturing,
no other reporting call is in progress (a library's own nested calls — the 100 tree fits
inside a random forest, ``accuracy_score`` inside ``score`` — are not reported twice) and no
scikit-learn function is on the calling stack (the ``LabelEncoder`` fitted inside
``classification_report``, the fold fits of ``cross_val_score``: only the user's calls count).
Reporting runs after the original returned: it sees the result but can never change it, and a
failure inside it only warns.

Several captures may be live at once (a tracked cell, ``start_run`` blocks on other threads):
an installed patch is shared and counted, and the original comes back when the last capture
that asked for it ends. The wrapper reports to the capture of the calling thread.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from mlops_jupyter.tracking import reporting
from mlops_jupyter.tracking.problems import warn

log = logging.getLogger("mlops_jupyter.autolog")

# report(capture, result, args, kwargs, seconds) is called after a successful original call
Reporter = Callable[..., None]
_wrappers: weakref.WeakKeyDictionary[Callable[..., Any], Callable[..., Any]] = (
    weakref.WeakKeyDictionary()
)
# (id(target), attribute) -> [target, original, wrapper, users]: patches shared by live captures
_installed: dict[tuple[int, str], list[Any]] = {}
_install_lock = threading.RLock()


def reporting_wrapper(original: Callable[..., Any], report: Reporter) -> Callable[..., Any]:
    """The (cached) wrapper of ``original`` that calls ``report`` while a cell captures."""
    existing = _wrappers.get(original)
    if existing is not None:
        return existing

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        capture = reporting.current()
        if (
            capture is None
            or reporting.reporting_depth()
            or reporting.called_by_library(sys._getframe(1))
        ):
            return original(*args, **kwargs)
        with reporting.reporting():
            started = reporting.clock()
            result = original(*args, **kwargs)
            seconds = reporting.clock() - started
            try:
                report(capture, result, args, kwargs, seconds)
            except Exception as error:
                warn(f"autolog of {getattr(original, '__qualname__', original)} failed: {error}")
                log.debug("reporting failed", exc_info=True)
        return result

    wrapper.__mlops_original__ = original  # type: ignore[attr-defined]
    _wrappers[original] = wrapper
    return wrapper


class Patches:
    """Attribute replacements that can be undone, including aliases in a user namespace."""

    def __init__(self) -> None:
        self._attributes: list[tuple[int, str]] = []  # keys into _installed this capture holds
        self._held: set[tuple[int, str]] = set()  # the same keys, for membership tests
        self._originals: dict[Any, Any] = {}  # original -> wrapper
        self._aliases: list[tuple[MutableMapping[str, Any], str, Any]] = []

    def replace(self, owner: Any, name: str, report: Reporter) -> None:
        """Wrap ``owner.name`` when the owner itself defines it: a plain function, or the
        function inside a conditional-method descriptor (scikit-learn's ``available_if``, whose
        availability check must keep working, so the descriptor stays and its ``fn`` is wrapped)."""
        defined = vars(owner).get(name)
        if inspect.isfunction(defined):
            target, attribute = owner, name
        elif inspect.isfunction(getattr(defined, "fn", None)) and callable(
            getattr(defined, "check", None)
        ):
            target, attribute = defined, "fn"
        else:
            if not _is_wrapper(defined):
                return
            target, attribute = owner, name  # installed by another live capture
        key = (id(target), attribute)
        with _install_lock:
            if key in self._held:
                return
            entry = _installed.get(key)
            if entry is None or entry[0] is not target:
                original = getattr(target, attribute)
                if _is_wrapper(original):
                    return  # wrapped by someone we do not know about: leave it alone
                wrapper = reporting_wrapper(original, report)
                setattr(target, attribute, wrapper)
                entry = _installed[key] = [target, original, wrapper, 0]
            entry[3] += 1
            self._attributes.append(key)
            self._held.add(key)
            self._originals[entry[1]] = entry[2]

    def alias(self, namespace: MutableMapping[str, Any], names: Iterable[str]) -> None:
        """Point names bound to a patched original (``from pandas import read_csv``) at its wrapper."""
        for name in names:
            value = namespace.get(name)
            try:
                wrapper = self._originals.get(value)
            except TypeError:  # unhashable value
                continue
            if wrapper is not None:
                namespace[name] = wrapper
                self._aliases.append((namespace, name, value))

    def undo(
        self, namespace: MutableMapping[str, Any] | None = None, names: Iterable[str] = ()
    ) -> None:
        """Restore every original, and unwrap wrappers the cell itself bound to ``names``."""
        with _install_lock:
            for key in reversed(self._attributes):
                entry = _installed.get(key)
                if entry is None:
                    continue
                entry[3] -= 1
                if entry[3] <= 0:
                    setattr(entry[0], key[1], entry[1])
                    del _installed[key]
        for alias_namespace, name, original in self._aliases:
            if alias_namespace.get(name) is self._originals[original]:
                alias_namespace[name] = original
        if namespace is not None:
            for name in names:
                original = getattr(namespace.get(name), "__mlops_original__", None)
                if original is not None and original in self._originals:
                    namespace[name] = original
        self._attributes.clear()
        self._held.clear()
        self._aliases.clear()
        self._originals.clear()


def _is_wrapper(value: Any) -> bool:
    return getattr(value, "__mlops_original__", None) is not None
