"""Webhook subscribers: who receives which governance events, signed with which secret.

A subscriber is a URL, the event types it wants (all by default), optionally one model, and a
payload template: ``standard`` (the event body ``{"type", "timestamp", "data"}``, the default),
``slack`` (``{"text": ...}``, what Slack and Mattermost incoming webhooks take) or ``teams``
(a MessageCard). Every request is signed per Standard Webhooks (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``) with the subscriber's ``whsec_`` secret.

**Secrets.** Signing needs the secret itself, so it is stored encrypted (Fernet: AES-128-CBC +
HMAC-SHA256) with a key that is not in the database: ``MLOPS_JUPYTER_SECRET_KEY`` (a Fernet key,
``mlops-jupyter hooks keygen`` prints one), else the file named by
``MLOPS_JUPYTER_SECRET_KEY_FILE``, else ``secret.key`` beside an embedded store's ``mlops.db``
(for PostgreSQL stores: ``~/.config/mlops-jupyter/secret.key``), created with mode 0600 on first
use. A database dump or a role that can read the tables does not reveal secrets. The secret is
shown once, when the hook is created, and never returned again (not by ``hooks ls``, nor REST).
Every deliverer of a team store needs the same key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets as random_secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.registry.models import resolve_actor
from mlops_jupyter.registry.names import check_model_name
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.ids import new_id, now
from mlops_jupyter.store.outbox import EVENT_TYPES

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

SECRET_KEY_ENV = "MLOPS_JUPYTER_SECRET_KEY"
SECRET_KEY_FILE_ENV = "MLOPS_JUPYTER_SECRET_KEY_FILE"
SECRET_PREFIX = "whsec_"
TEMPLATES = ("standard", "slack", "teams")


class WebhookError(RegistryError):
    """A subscriber or secret that cannot be used."""


# -- the encryption key ----------------------------------------------------------------------------
def key_path(store: Store) -> Path:
    """Where the secret key lives when ``MLOPS_JUPYTER_SECRET_KEY`` is not set."""
    configured = os.environ.get(SECRET_KEY_FILE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    if store.location.dialect == "sqlite":
        return Path(make_url(store.location.db_url).database or "").parent / "secret.key"
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "mlops-jupyter" / "secret.key"


def _load_or_create_key(path: Path) -> bytes:
    from cryptography.fernet import Fernet  # noqa: PLC0415 - start-up: cryptography is imported on first use

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key() + b"\n")
    return path.read_bytes().strip()


def secret_key(store: Store) -> bytes:
    configured = os.environ.get(SECRET_KEY_ENV, "").strip()
    return configured.encode() if configured else _load_or_create_key(key_path(store))


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def _fernet(key: bytes) -> Fernet:
    from cryptography.fernet import Fernet  # noqa: PLC0415 - start-up: cryptography is imported on first use

    try:
        return Fernet(key)
    except ValueError:
        raise WebhookError(
            f"the webhook secret key is not a Fernet key (32 url-safe base64 bytes); "
            f"generate one with `mlops-jupyter hooks keygen` into ${SECRET_KEY_ENV}"
        ) from None


def encrypt_secret(store: Store, secret: str) -> tuple[bytes, str]:
    key = secret_key(store)
    return _fernet(key).encrypt(secret.encode()), key_id(key)


def decrypt_secret(store: Store, token: bytes, stored_key_id: str) -> str:
    from cryptography.fernet import InvalidToken  # noqa: PLC0415 - start-up: cryptography is imported on first use

    key = secret_key(store)
    if key_id(key) != stored_key_id:
        raise WebhookError(
            f"this hook's secret was encrypted with key {stored_key_id}, but this process has "
            f"key {key_id(key)}: give every deliverer the same ${SECRET_KEY_ENV} (or key file)"
        )
    try:
        return _fernet(key).decrypt(bytes(token)).decode()
    except InvalidToken:
        raise WebhookError("a webhook secret could not be decrypted with this key") from None


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """A ``whsec_`` secret whose base64 part decodes to 24-64 bytes (Standard Webhooks)."""
    text = secret.strip() if isinstance(secret, str) else ""
    if not text.startswith(SECRET_PREFIX):
        raise WebhookError("a webhook secret starts with whsec_ (then base64 of 24-64 bytes)")
    try:
        raw = base64.b64decode(text[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        raise WebhookError("the part of a webhook secret after whsec_ must be base64") from None
    if not 24 <= len(raw) <= 64:
        raise WebhookError(f"a webhook secret must hold 24 to 64 bytes, this one has {len(raw)}")
    return text


# -- subscribers -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hook:
    """A subscriber (its secret is never part of it)."""

    hook_id: str
    url: str
    events: list[str]
    model: str | None
    template: str
    active: bool
    created_by: str
    created_at: float
    key_id: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Hook:
        return cls(
            hook_id=row["hook_id"],
            url=row["url"],
            events=json.loads(row["events"]),
            model=row["model"],
            template=row["template"],
            active=bool(row["active"]),
            created_by=row["created_by"],
            created_at=row["created_at"],
            key_id=row["key_id"],
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class NewHook:
    """What ``add_hook`` returns: the hook, and its secret — the only time it is shown."""

    hook: Hook
    secret: str = field(repr=False)


def check_url(url: str) -> str:
    parts = urlsplit(url.strip() if isinstance(url, str) else "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"a webhook URL must be http(s)://HOST/..., got {url!r}")
    return url.strip()


def check_events(events: list[str] | str | None) -> list[str]:
    if events is None:
        return []
    if isinstance(events, str):
        events = [e for e in events.split(",")]
    names = [e.strip() for e in events if e.strip()]
    if names == ["*"] or not names:
        return []
    unknown = [e for e in names if e not in EVENT_TYPES]
    if unknown:
        raise WebhookError(
            f"unknown event type(s) {', '.join(unknown)}; choose from {', '.join(EVENT_TYPES)}"
        )
    return list(dict.fromkeys(names))


def add_hook(
    url: str,
    *,
    events: list[str] | str | None = None,
    model: str | None = None,
    secret: str | None = None,
    template: str = "standard",
    actor: str | None = None,
    store: Store | None = None,
) -> NewHook:
    """Subscribe ``url`` to events (all types when ``events`` is empty; only ``model``'s when
    given). Without ``secret`` one is generated; it is returned here and never again."""
    url = check_url(url)
    types = check_events(events)
    if model is not None:
        check_model_name(model)
    if template not in TEMPLATES:
        raise WebhookError(f"unknown template {template!r}; one of {', '.join(TEMPLATES)}")
    secret = check_secret(secret) if secret is not None else new_secret()
    store = store or get_store()
    token, kid = encrypt_secret(store, secret)
    row = {
        "hook_id": new_id(),
        "url": url,
        "events": json.dumps(types),
        "model": model,
        "template": template,
        "secret": token,
        "key_id": kid,
        "active": 1,
        "created_by": resolve_actor(actor, store),
        "created_at": now(),
    }
    store.webhooks.add_hook(row)
    return NewHook(Hook.from_row(row), secret)


def list_hooks(*, include_inactive: bool = False, store: Store | None = None) -> list[Hook]:
    store = store or get_store()
    return [Hook.from_row(r) for r in store.webhooks.hooks(include_inactive=include_inactive)]


def _find_hook(store: Store, hook_id: str) -> dict[str, Any]:
    row = store.webhooks.hook(hook_id)
    if row is None:
        raise WebhookError(f"no webhook with id {hook_id!r} (see `mlops-jupyter hooks ls`)")
    return row


def remove_hook(hook_id: str, *, store: Store | None = None) -> int:
    """Stop a subscriber; its pending deliveries are cancelled (the count is returned)."""
    store = store or get_store()
    _find_hook(store, hook_id)
    return store.webhooks.deactivate(hook_id, now())


def retry_failed(hook_id: str | None = None, *, store: Store | None = None) -> int:
    """Put deliveries that ran out of attempts back in line."""
    store = store or get_store()
    if hook_id is not None:
        _find_hook(store, hook_id)
    return store.webhooks.retry_failed(hook_id, now())


def delivery_log(
    *,
    hook_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    store: Store | None = None,
) -> list[dict[str, Any]]:
    """Deliveries, newest first, each with every try (time, response code or error, ms)."""
    store = store or get_store()
    deliveries = store.webhooks.deliveries(hook_id=hook_id, status=status, limit=limit)
    tries: dict[int, list[dict[str, Any]]] = {}
    for attempt in store.webhooks.attempts([d["delivery_id"] for d in deliveries]):
        tries.setdefault(attempt["delivery_id"], []).append(
            {k: attempt[k] for k in ("attempt", "at", "status_code", "error", "duration_ms")}
        )
    return [
        {
            **{k: d[k] for k in d if k != "lease_until"},
            "tries": tries.get(d["delivery_id"], []),
        }
        for d in deliveries
    ]
