"""How errors become HTTP answers: the one table from this package's errors to 4xx statuses.

Every REST handler derives from ``MlopsAPIHandler``, whose ``write_error`` asks
:func:`status_for`; an error found here is answered with its status and its own message (the
user's input was wrong, or the store's state refuses the request). Anything else is a bug: it
is logged with its traceback under a short error id, and the 500 answer carries that id (never
the traceback), so a user can quote it and an operator can find the log line.

Statuses: 400 malformed input, 403 a privilege the store's database role lacks, 404 unknown id,
409 a well-formed request that the registry's rules or the store's state refuse (self-approval,
a corrupt or missing artifact blob, a store that cannot be opened or written), 422 a model file
that needs untrusted types.
"""

from __future__ import annotations

import uuid

from mlops_jupyter.batch.parameters import ParameterError
from mlops_jupyter.batch.reproduce import NotReproducibleError
from mlops_jupyter.config import StoreConfigError
from mlops_jupyter.monitor.checks import MonitorError
from mlops_jupyter.monitor.drift import DriftInputError
from mlops_jupyter.registry.errors import (
    InvalidStateError,
    ModelNotFoundError,
    RefusedError,
    RegistryError,
    UntrustedModelError,
)
from mlops_jupyter.registry.signature import SignatureError
from mlops_jupyter.store.access import AccessError
from mlops_jupyter.store.blobs import ArtifactPathError, ArtifactRootError, CorruptArtifactError
from mlops_jupyter.store.database import StoreConnectionError
from mlops_jupyter.store.filters import FilterError
from mlops_jupyter.tracking.fingerprint import UnhashableError
from mlops_jupyter.tracking.lineage import LineageTargetError
from mlops_jupyter.tracking.profile import ProfileError
from mlops_jupyter.tracking.query import RunNotFoundError
from mlops_jupyter.tracking.values import InvalidValueError

#: Error type -> HTTP status, first match wins (a subclass before its base).
STATUSES: tuple[tuple[type[BaseException], int], ...] = (
    (ModelNotFoundError, 404),  # before RegistryError: it is one
    (RunNotFoundError, 404),
    (LineageTargetError, 404),
    (UntrustedModelError, 422),  # before RefusedError: a model file with untrusted types
    (AccessError, 403),  # the store's database role lacks the privilege (store grant)
    (RefusedError, 409),
    (InvalidStateError, 409),
    (CorruptArtifactError, 409),
    (StoreConnectionError, 409),
    (ArtifactRootError, 409),
    (StoreConfigError, 409),
    (RegistryError, 400),
    (FilterError, 400),
    (ParameterError, 400),
    (SignatureError, 400),
    (ArtifactPathError, 400),
    (InvalidValueError, 400),
    (NotReproducibleError, 400),
    (MonitorError, 400),
    (DriftInputError, 400),
    (ProfileError, 400),
    (UnhashableError, 400),
)


def status_for(error: BaseException) -> int | None:
    """The 4xx status for an error of this package, or None for an unexpected error."""
    for error_type, status in STATUSES:
        if isinstance(error, error_type):
            return status
    return None


def new_error_id() -> str:
    """A short id that ties a 500 answer to its log line."""
    return uuid.uuid4().hex[:12]
