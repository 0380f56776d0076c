"""Which kind of output the current frontend can show: live ipywidgets, or static HTML.

``auto`` picks widgets only where a widget manager is listening: a Jupyter kernel whose execute
requests come from an interactive frontend (JupyterLab and Notebook 7 send a ``cellId`` with
each request; papermill, nbconvert and nbclient do not) and that is not a batch run. Everything
else — plain IPython, papermill, nbconvert — gets static HTML, which also renders in saved
notebooks. Widgets also carry their static HTML in the same output, as a fallback.
"""

from __future__ import annotations

import os
from typing import Any

MODES = ("auto", "widget", "html", "none")
_BATCH_ENV = ("MLOPS_JUPYTER_RUN_ID", "PAPERMILL_INPUT_PATH")


def execute_request_metadata(shell: Any) -> dict[str, Any]:
    """The metadata of the execute request being run (empty outside a kernel)."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return {}
    try:
        try:
            parent = kernel.get_parent("shell")
        except TypeError:  # ipykernel < 6.? takes no channel
            parent = kernel.get_parent()
    except Exception:
        return {}
    metadata = (parent or {}).get("metadata") or {}
    return metadata if isinstance(metadata, dict) else {}


def display_mode(configured: str, shell: Any) -> str:
    """``widget``, ``html`` or ``none`` for the configured mode (see ``Track.display``)."""
    if configured not in MODES:
        raise ValueError(f"display must be one of {', '.join(MODES)}, got {configured!r}")
    if configured != "auto":
        return configured
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return "html"
    if any(os.environ.get(name) for name in _BATCH_ENV):
        return "html"
    if "cellId" not in execute_request_metadata(shell):
        return "html"
    try:
        import ipywidgets  # noqa: F401, PLC0415 - start-up: %load_ext must not import ipywidgets
    except ImportError:
        return "html"
    return "widget"


class WidgetWithFallback:
    """Displays an ipywidget together with static HTML of the same content in one output."""

    def __init__(self, widget: Any, html: Any) -> None:
        self.widget = widget
        self._html = html  # a callable returning the current HTML

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self._html()
        return bundle
