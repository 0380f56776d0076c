"""The registry's errors. Two families, because a CI pipeline gates on the exit code:

* :class:`RegistryError` — the request itself is wrong (unknown model, bad name, missing
  comment, an action the version's state does not allow): exit code 2.
* :class:`RefusedError` — a well-formed request the rules refuse (self-approval, unapproved or
  gate-failing promotion, a concurrent alias move, a tampered model file): exit code 1.

:class:`SignatureError` (input that does not fit a model's signature) is a plain ``ValueError``
and also exits with 2; it lives here so the CLI's error mapping does not import numpy.

Every registry action checks before it writes, inside one transaction, so either error means
nothing was changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_jupyter.registry.gates import GateReport


class RegistryError(ValueError):
    """A registry request that cannot be carried out as asked."""


class ModelNotFoundError(RegistryError, LookupError):
    """No registered model, version or alias by that name."""


class InvalidNameError(RegistryError):
    """A model or alias name outside the allowed form."""


class InvalidStateError(RegistryError):
    """The version's lifecycle state does not allow the action (e.g. approving a rejected one)."""


class RefusedError(RuntimeError):
    """The registry's rules refuse the action."""


class SelfApprovalError(RefusedError):
    """The registrant tried to approve their own version and the policy does not allow it."""


class PromotionRefusedError(RefusedError):
    """A version is not approved or fails a gate, so it cannot take a protected alias."""

    def __init__(self, message: str, report: GateReport) -> None:
        super().__init__(message)
        self.report = report


class AliasConflictError(RefusedError):
    """Someone else moved the alias between reading it and writing it."""

    def __init__(self, message: str, current: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.current = current


class UntrustedModelError(RefusedError):
    """A model file needs types that are not trusted; nothing in it was built."""

    def __init__(self, types: list[str] | tuple[str, ...]) -> None:
        self.types = tuple(types)
        listed = ", ".join(self.types)
        super().__init__(
            f"refusing to load a model file that needs untrusted types: {listed}. Nothing from "
            "the file was built. If you know where the file comes from and trust these types, "
            f"pass trusted={list(self.types)!r} (CLI: --trust TYPE)"
        )


class ModelIntegrityError(RefusedError):
    """The model file's bytes no longer match the hash the registry recorded."""


class GateFailedError(RefusedError):
    """A validation notebook gate failed, so the version cannot go up for approval."""

    def __init__(self, message: str, results: list[Any]) -> None:
        super().__init__(message)
        self.results = results


class SignatureError(ValueError):
    """An input that does not match a model's signature; names every offending column."""

    def __init__(
        self,
        model: str,
        *,
        missing: list[str] | None = None,
        extra: list[str] | None = None,
        mistyped: list[tuple[str, str, str]] | None = None,
        shape: str | None = None,
    ) -> None:
        self.missing = missing or []
        self.extra = extra or []
        self.mistyped = mistyped or []
        parts = []
        if shape:
            parts.append(shape)
        if self.missing:
            parts.append("missing columns: " + ", ".join(repr(c) for c in self.missing))
        if self.extra:
            parts.append("extra columns: " + ", ".join(repr(c) for c in self.extra))
        if self.mistyped:
            parts.append(
                "mistyped columns: "
                + ", ".join(
                    f"{name!r} (expected {want}, got {have})" for name, want, have in self.mistyped
                )
            )
        super().__init__(f"input does not match the signature of {model}: " + "; ".join(parts))
