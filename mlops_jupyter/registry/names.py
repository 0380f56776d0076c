"""Model references: valid model and alias names, and the ``models:/NAME@ALIAS`` and
``models:/NAME/VERSION`` URIs that point at one version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_jupyter.registry.errors import InvalidNameError

URI_SCHEME = "models:/"
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# lower case and not all digits, so "NAME/3" (a version) and "NAME@prod" (an alias) never collide
_ALIAS_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def check_model_name(name: str) -> str:
    if not isinstance(name, str) or not _MODEL_NAME.match(name):
        raise InvalidNameError(
            f"invalid model name {name!r}: use 1-128 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return name


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not _ALIAS_NAME.match(alias):
        raise InvalidNameError(
            f"invalid alias name {alias!r}: use 1-64 lower-case letters, digits, '_' or '-', "
            "starting with a letter (e.g. production, staging, champion)"
        )
    return alias


#: The largest version number (a 32-bit column on PostgreSQL).
MAX_VERSION = 2**31 - 1


def check_version(version: int | str) -> int:
    """A version number (an int, or a string of digits) that is 1 or more."""
    if isinstance(version, bool) or not isinstance(version, (int, str)):
        raise InvalidNameError(f"invalid version {version!r}: versions are whole numbers from 1")
    text = str(version).strip()
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise InvalidNameError(f"invalid version {version!r}: versions are whole numbers from 1")
    if len(text) > 20 or int(text) > MAX_VERSION:
        raise InvalidNameError(
            f"invalid version {text[:30]}: versions are whole numbers up to {MAX_VERSION}"
        )
    return int(text)


@dataclass(frozen=True)
class ModelRef:
    """One version, named by number or by alias."""

    name: str
    version: int | None = None
    alias: str | None = None

    @property
    def uri(self) -> str:
        return (
            f"{URI_SCHEME}{self.name}@{self.alias}"
            if self.alias
            else f"{URI_SCHEME}{self.name}/{self.version}"
        )

    def __str__(self) -> str:
        return self.uri


def parse_model_uri(text: str) -> ModelRef:
    """``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` (the ``models:/`` prefix is optional)."""
    if not isinstance(text, str):
        raise InvalidNameError(f"expected a model URI like 'models:/NAME@ALIAS', got {text!r}")
    body = text[len(URI_SCHEME) :] if text.startswith(URI_SCHEME) else text
    if "@" in body:
        name, alias = body.split("@", 1)
        return ModelRef(check_model_name(name), alias=check_alias(alias))
    if "/" in body:
        name, version = body.rsplit("/", 1)
        return ModelRef(check_model_name(name), version=check_version(version))
    raise InvalidNameError(
        f"{text!r} does not say which version: use 'models:/NAME@ALIAS' or 'models:/NAME/VERSION'"
    )


def version_target(name: str, version: int) -> str:
    """How the audit log names a version."""
    return f"models/{name}/{version}"


def alias_target(name: str, alias: str) -> str:
    """How the audit log names an alias."""
    return f"models/{name}@{alias}"
