"""Audit anchors: the head of the audit chain written somewhere the database cannot reach.

The chain's hashes are not keyed, so someone who can write the database can delete the newest
events and roll the head back, or edit an event and recompute every later hash: the chain is
then consistent with itself. An anchor, written outside the database (a file, or any fsspec
URL such as ``s3://audit/anchors/2026-12-01.json``), pins what the chain was:

* the head (event number and hash);
* a short fingerprint (the first 16 hex digits of the hash) of every event up to it, so a
  later check names the *first* event that no longer matches, not only the head;
* when ``MLOPS_JUPYTER_AUDIT_KEY`` is set, an HMAC-SHA256 signature over all of it, so an
  anchor cannot be forged by someone without the key.

:func:`~mlops_jupyter.registry.audit.current_anchor` makes one from a verified chain;
:func:`check_anchor` compares the stored chain with an anchor and returns the first event that
no longer matches: an edited or recomputed event, or the first event of a truncated tail.
Release bundles carry a head-only anchor (``audit_head.json``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mlops_jupyter.registry.errors import RegistryError

AUDIT_KEY_ENV = "MLOPS_JUPYTER_AUDIT_KEY"
ANCHOR_FORMAT = "mlops-jupyter-audit-anchor/1"
SIGNATURE_ALGORITHM = "HMAC-SHA256"
FINGERPRINT_DIGITS = 16
_HASH = re.compile(r"^[0-9a-f]{64}$")
_SEQ_HASH = re.compile(r"^(?:#?(\d{1,18})[:@])?([0-9a-fA-F]{64})$")


class AnchorError(RegistryError):
    """An anchor that cannot be read, parsed or trusted (bad file, bad signature)."""


def audit_key() -> bytes | None:
    """The signing key from ``MLOPS_JUPYTER_AUDIT_KEY`` (None when unset or blank)."""
    key = os.environ.get(AUDIT_KEY_ENV, "").strip()
    return key.encode() if key else None


def parse_head(text: str) -> tuple[int | None, str]:
    """``HASH`` or ``SEQ:HASH`` (64 hex digits) as given to ``--expect-head``; ValueError otherwise."""
    match = _SEQ_HASH.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"{text!r} is not an audit head: expected 64 hexadecimal digits (a SHA-256), "
            "optionally preceded by the event number and a colon (e.g. 12:3fa4...)"
        )
    seq = int(match.group(1)) if match.group(1) else None
    return seq, match.group(2).lower()


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _sign(document: dict[str, Any], key: bytes) -> str:
    return hmac.new(key, _canonical(document), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Anchor:
    """The audit head at one moment, optionally with every event's fingerprint and a signature."""

    seq: int
    hash: str
    at: float
    fingerprints: tuple[str, ...] = ()
    signature: str | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    def _unsigned(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": ANCHOR_FORMAT,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "time": datetime.fromtimestamp(self.at, timezone.utc).isoformat(timespec="seconds"),
        }
        if self.fingerprints:
            document["fingerprints"] = list(self.fingerprints)
        return document

    def to_dict(self) -> dict[str, Any]:
        document = self._unsigned()
        if self.signature is not None:
            document["signature"] = {"algorithm": SIGNATURE_ALGORITHM, "value": self.signature}
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + "\n"

    @property
    def head(self) -> str:
        """``SEQ:HASH``, the form ``--expect-head`` takes."""
        return f"{self.seq}:{self.hash}"

    def signed(self, key: bytes | None) -> Anchor:
        if key is None:
            return self
        return Anchor(self.seq, self.hash, self.at, self.fingerprints, _sign(self._unsigned(), key))

    def head_only(self) -> Anchor:
        """The same head without the per-event fingerprints (what release bundles carry)."""
        return Anchor(self.seq, self.hash, self.at).signed(audit_key())

    @classmethod
    def from_dict(cls, document: Any, *, key: bytes | None = None) -> Anchor:
        """Parse and check an anchor; with a key, its signature must be present and match."""
        if not isinstance(document, dict) or document.get("format") != ANCHOR_FORMAT:
            raise AnchorError(f'not an audit anchor (expected "format": {ANCHOR_FORMAT!r})')
        seq, hash_value, at = document.get("seq"), document.get("hash"), document.get("at")
        fingerprints = document.get("fingerprints") or []
        if (
            not isinstance(seq, int)
            or isinstance(seq, bool)
            or seq < 0
            or not isinstance(hash_value, str)
            or not _HASH.match(hash_value)
            or not isinstance(at, (int, float))
            or not isinstance(fingerprints, list)
            or not all(isinstance(f, str) and len(f) == FINGERPRINT_DIGITS for f in fingerprints)
            or (fingerprints and len(fingerprints) != seq)
        ):
            raise AnchorError("the audit anchor is malformed (seq, hash, at or fingerprints)")
        anchor = cls(seq, hash_value, float(at), tuple(fingerprints))
        signature = document.get("signature")
        value = signature.get("value") if isinstance(signature, dict) else None
        if key is None:
            note = (
                f"the anchor's signature was not checked ({AUDIT_KEY_ENV} is not set)"
                if value
                else "the anchor is not signed"
            )
            return Anchor(anchor.seq, anchor.hash, anchor.at, anchor.fingerprints, value, (note,))
        if not isinstance(value, str):
            raise AnchorError(
                f"the audit anchor is not signed, but {AUDIT_KEY_ENV} is set: "
                "an unsigned anchor could have been written by anyone"
            )
        expected = _sign(anchor._unsigned(), key)
        if not hmac.compare_digest(expected, value):
            raise AnchorError(
                "the audit anchor's signature does not match: it was altered, or signed with "
                f"another {AUDIT_KEY_ENV}"
            )
        return Anchor(anchor.seq, anchor.hash, anchor.at, anchor.fingerprints, value)


# -- storing anchors -------------------------------------------------------------------------------
def write_anchor(anchor: Anchor, to: str) -> str:
    """Write ``anchor`` as JSON to a path or any fsspec URL (parents created); returns where."""
    import fsspec  # noqa: PLC0415 - start-up: fsspec is imported on first use

    try:
        fs, path = fsspec.core.url_to_fs(to)
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if parent:
            fs.makedirs(parent, exist_ok=True)
        with fs.open(path, "w") as handle:
            handle.write(anchor.to_json())
    except (OSError, ValueError, ImportError) as error:
        raise AnchorError(f"cannot write the audit anchor to {to}: {error}") from None
    return to


def read_anchor(source: str) -> Anchor:
    """Read and check an anchor (a path, fsspec URL, or a release bundle directory)."""
    import fsspec  # noqa: PLC0415 - start-up: fsspec is imported on first use

    try:
        fs, path = fsspec.core.url_to_fs(source)
        if fs.isdir(path):
            path = path.rstrip("/") + "/" + BUNDLE_ANCHOR
        with fs.open(path, "r") as handle:
            document = json.load(handle)
    except (OSError, ValueError, ImportError) as error:
        raise AnchorError(f"cannot read the audit anchor {source}: {error}") from None
    return Anchor.from_dict(document, key=audit_key())


BUNDLE_ANCHOR = "audit_head.json"


# -- checking the chain against an anchor --------------------------------------------------------
@dataclass(frozen=True)
class AnchorMismatch:
    """The first event that no longer matches an anchor, and why."""

    seq: int
    problem: str


def check_anchor(anchor: Anchor, head: tuple[int, str, int], rows: Any) -> AnchorMismatch | None:
    """Compare the stored chain (``rows`` in order up to the head; ``head`` as
    ``RegistryStore.audit_head`` returns it) with ``anchor``. None when the anchored part of the
    chain is unchanged."""
    wanted = dict(enumerate(anchor.fingerprints, start=1))
    for row in rows:
        seq = int(row["seq"])
        if seq > anchor.seq:
            break
        if seq == anchor.seq and row["hash"] != anchor.hash:
            return AnchorMismatch(
                seq,
                f"event #{seq} no longer has the hash the anchor recorded: the chain was "
                "rewritten at or before it (hashes recomputed)",
            )
        fingerprint = wanted.get(seq)
        if fingerprint is not None and row["hash"][:FINGERPRINT_DIGITS] != fingerprint:
            return AnchorMismatch(
                seq,
                f"event #{seq} does not match the anchor: it was edited or replaced and the "
                "later hashes were recomputed",
            )
    if head[0] < anchor.seq:
        return AnchorMismatch(
            head[0] + 1,
            f"event #{head[0] + 1} is missing: the anchor records {anchor.seq} event(s) but the "
            f"log ends at #{head[0]} (the newest events were deleted and the head rolled back)",
        )
    return None
