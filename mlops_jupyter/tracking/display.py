"""HTML for results in notebooks, drawn by views that register themselves.

A result of a lower layer (a lineage graph, a profile, a drift report) has a ``_repr_html_``
that calls :func:`html`; the HTML itself is built in ``widgets/`` (only views build markup),
which registers one renderer per result type with :func:`renders`. The view modules are named
here as configuration (:data:`VIEW_MODULES`) and loaded on the first render, so this layer
never imports the views' code and a process that shows nothing never loads them.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from html import escape
from typing import Any, TypeVar

T = TypeVar("T")

#: Modules that register renderers when imported (loaded on the first render).
VIEW_MODULES = ["mlops_jupyter.widgets.renderers"]

_renderers: dict[str, Callable[[Any], str]] = {}  # "module.QualName" -> view
_loaded = False
_lock = threading.Lock()


def renders(kind: str) -> Callable[[Callable[[T], str]], Callable[[T], str]]:
    """Decorator of a view function: it draws results of the type named ``kind``
    (``"module.QualName"``, and its subclasses). Named, so registering imports nothing."""

    def register(function: Callable[[T], str]) -> Callable[[T], str]:
        _renderers[kind] = function
        return function

    return register


def _load_views() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        for name in VIEW_MODULES:
            importlib.import_module(name)
        _loaded = True


def html(result: Any) -> str:
    """The registered view of ``result`` as HTML (its escaped ``repr`` when none is)."""
    _load_views()
    for kind in type(result).__mro__:
        renderer = _renderers.get(f"{kind.__module__}.{kind.__qualname__}")
        if renderer is not None:
            return renderer(result)
    return f"<pre>{escape(repr(result))}</pre>"
