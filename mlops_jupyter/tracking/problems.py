"""How tracking problems surface: a ``TrackingWarning``, never an error in the user's code.

Every tracking step (capture, hooks, views, registration after a cell) reports what it could
not record with :func:`warn`; the cell or block itself runs exactly as it would untracked.
"""

from __future__ import annotations

import warnings


class TrackingWarning(UserWarning):
    """Something could not be recorded; the cell itself ran exactly as it would untracked."""


def warn(message: str) -> None:
    warnings.warn(f"mlops_jupyter: {message}", TrackingWarning, stacklevel=2)
