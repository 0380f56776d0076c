"""Which capture a library hook reports to, and whether a reported call is in progress.

The lowest piece of capture, below both users of it: ``capture.py`` registers each capture here
when it begins and ends (a ``%%track`` cell's process-wide, a ``start_run`` block's per thread),
and the reporting wrappers of ``patching.py`` ask :func:`current` before reporting.
:func:`reporting` marks a reported call in progress so that the library's own nested calls are
not reported again.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_jupyter.tracking.capture import Capture

LIBRARY_PREFIX = "sklearn."
clock = time.perf_counter

_cell: Capture | None = None  # the capture of the cell being executed (process-wide)


class _ThreadCaptures(threading.local):
    def __init__(self) -> None:
        self.stack: list[Capture] = []


_threads = _ThreadCaptures()


def swap_cell_capture(capture: Capture | None) -> Capture | None:
    """Make ``capture`` the cell's capture; return the one it replaces."""
    global _cell
    previous, _cell = _cell, capture
    return previous


def cell_capture() -> Capture | None:
    return _cell


def push_block(capture: Capture) -> None:
    """A ``start_run`` block's capture, innermost for this thread until :func:`remove_block`."""
    _threads.stack.append(capture)


def remove_block(capture: Capture) -> None:
    with contextlib.suppress(ValueError):
        _threads.stack.remove(capture)


def live_captures() -> list[Capture]:
    """This thread's block captures, innermost first, then the cell's."""
    captures = [*reversed(_threads.stack)]
    if _cell is not None:
        captures.append(_cell)
    return captures


def current() -> Capture | None:
    """The capture a hook reports to: this thread's innermost ``start_run`` block, else the cell's."""
    stack = _threads.stack
    while stack and stack[-1].closed:  # its run was ended from another thread
        stack.pop()
    return stack[-1] if stack else _cell


def reporting_depth() -> int:
    """Reported calls in progress for the capture the caller reports to (a cell's capture is
    shared with the threads its library calls start, e.g. joblib's, so their nested calls see
    the outer call in progress; a ``start_run`` block on another thread counts its own)."""
    capture = current()
    return capture.depth if capture is not None else 0


@contextlib.contextmanager
def reporting() -> Iterator[None]:
    capture = current()
    if capture is None:
        yield
        return
    capture.depth += 1
    try:
        yield
    finally:
        capture.depth -= 1


def called_by_library(frame: FrameType | None) -> bool:
    """True when ``frame`` or a frame that called it runs scikit-learn's own code: a fit or a
    metric computed inside a library function (``LabelEncoder`` in ``classification_report``,
    the folds of ``cross_val_score``, a threshold scan) is the library's business, not the
    user's call."""
    while frame is not None:
        module = frame.f_globals.get("__name__")
        if type(module) is str and (module == "sklearn" or module.startswith(LIBRARY_PREFIX)):
            return True
        frame = frame.f_back
    return False
