"""What the registry's CLI modules share (``cli.py``, ``governance_cli.py``, ``hooks_cli.py``):
the decorator that turns registry errors into exit codes, the ``--trust`` option and the time
format. It sits below them so each imports it at its top without an import cycle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

import click

from mlops_jupyter.cli import EXIT_CHECK_FAILED, EXIT_USAGE, fail
from mlops_jupyter.registry.errors import RefusedError, RegistryError, SignatureError

F = TypeVar("F", bound=Callable[..., Any])


def iso_time(epoch: float | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC, to the second (None stays None)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def registry_errors(command: F) -> F:
    """Turn registry errors into a message and the exit code a pipeline can gate on."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # mlops-jupyter --help imports every CLI module (and so this one): the query layer
        # (the store's filter parser) loads when a command runs
        from mlops_jupyter.tracking.query import RunNotFoundError  # noqa: PLC0415 - start-up: loads when a command runs, not on --help

        try:
            return command(*args, **kwargs)
        except (RefusedError, PermissionError) as error:
            fail(str(error), EXIT_CHECK_FAILED)
        except (RegistryError, RunNotFoundError, SignatureError) as error:
            fail(str(error), EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


TRUST_OPTION = click.option(
    "--trust",
    "trusted",
    multiple=True,
    metavar="TYPE",
    help=(
        "A type the skops model file may hold beyond skops' defaults and the built-in "
        "scikit-learn allowlist, e.g. --trust mypackage.MyTransformer (repeat). Only for files "
        "whose origin you trust: a load builds these types."
    ),
)
