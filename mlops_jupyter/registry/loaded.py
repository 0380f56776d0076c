"""Loaded models: ``load_model("models:/NAME@ALIAS" | "models:/NAME/VERSION")`` and the
``LoadedModel`` it returns.

A load reads the model file by the SHA-256 the registry recorded for the version, re-hashes the
bytes and refuses a mismatch; a skops file then loads only with the types skops trusts by
default, the package's scikit-learn allowlist and the caller's ``trusted=`` (the types recorded
at registration are information, not trust).
``predict`` (and ``predict_proba`` / ``decision_function`` when the model has them) checks each
input against the signature first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mlops_jupyter.registry.errors import ModelIntegrityError
from mlops_jupyter.registry.names import ModelRef, parse_model_uri
from mlops_jupyter.registry.serialization import deserialize
from mlops_jupyter.registry.signature import Signature, SignatureError, unusable_columns
from mlops_jupyter.registry.versions import require_version, version_number
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.blobs import CorruptArtifactError

if TYPE_CHECKING:
    from mlops_jupyter.store.registry import RegistryTransaction


class LoadedModel:
    """A registered version ready to predict. ``.model`` is the underlying estimator."""

    def __init__(
        self,
        model: Any,
        *,
        name: str,
        version: int,
        alias: str | None,
        signature: Signature | None,
        digest: str,
        format: str,
        run_id: str,
    ) -> None:
        self.model = model
        self.name = name
        self.version = version
        self.alias = alias
        self.signature = signature
        self.digest = digest
        self.format = format
        self.run_id = run_id
        self.uri = f"models:/{name}/{version}"

    def _checked(self, data: Any) -> Any:
        return data if self.signature is None else self.signature.enforce(data, self.uri)

    def predict(self, data: Any) -> Any:
        """Predict after checking ``data`` against the signature (every offending column is named)."""
        return self._call(self.model.predict, data)

    def predict_proba(self, data: Any) -> Any:
        return self._call(self._method("predict_proba"), data)

    def decision_function(self, data: Any) -> Any:
        return self._call(self._method("decision_function"), data)

    def _call(self, method: Any, data: Any) -> Any:
        """The model's method on checked data. When the signature does not know the input
        types and the model fails on a value (text where it was fitted on numbers), the error
        names the offending columns instead of the library's "could not convert"."""
        checked = self._checked(data)
        try:
            return method(checked)
        except (ValueError, TypeError) as error:
            if self.signature is not None and self.signature.types_known:
                raise
            mistyped = unusable_columns(checked)
            if not mistyped:
                raise
            raise SignatureError(self.uri, mistyped=mistyped) from error

    def _method(self, name: str) -> Any:
        method = getattr(self.model, name, None)
        if method is None:
            raise AttributeError(f"{self.uri} ({type(self.model).__name__}) has no {name}")
        return method

    def __repr__(self) -> str:
        via = f" via @{self.alias}" if self.alias else ""
        return (
            f"<LoadedModel {self.uri}{via} {type(self.model).__name__} sha256:{self.digest[:12]}>"
        )


def _record(tx: RegistryTransaction, ref: ModelRef) -> dict[str, Any]:
    return require_version(tx, ref.name, version_number(tx, ref))


def read_model_bytes(store: Store, record: dict[str, Any]) -> bytes:
    """The version's file, refused unless its bytes hash to the digest the registry recorded."""
    label = f"models:/{record['name']}/{record['version']}"
    try:
        data = store.blobs.get_bytes(record["artifact_digest"])  # re-hashes and compares
    except CorruptArtifactError as error:
        raise ModelIntegrityError(
            f"refusing to load {label}: its file does not match the SHA-256 {record['artifact_digest']} "
            f"recorded at registration ({error})"
        ) from None
    return data


def load_model(
    uri: str, *, trusted: Iterable[Any] | None = None, store: Store | None = None
) -> LoadedModel:
    """Load ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` after checking its hash.

    ``trusted``: type names the file may hold beyond skops' defaults and the scikit-learn
    allowlist; any other type is refused (:class:`UntrustedModelError`) before anything is built.
    """
    ref = parse_model_uri(uri)
    store = store or get_store()
    record = store.registry.read(lambda tx: _record(tx, ref))
    data = read_model_bytes(store, record)
    model = deserialize(data, record["format"], trusted, record["artifact_name"])
    signature = (
        Signature.from_dict(json.loads(record["signature"])) if record["signature"] else None
    )
    return LoadedModel(
        model,
        name=record["name"],
        version=record["version"],
        alias=ref.alias,
        signature=signature,
        digest=record["artifact_digest"],
        format=record["format"],
        run_id=record["run_id"],
    )
