"""Who acts in a REST request.

* A single-user Jupyter server (jupyter_server's own token or password login): whoever holds the
  token is the server's owner, so the actor is the same as the CLI's — ``MLOPS_JUPYTER_USER``,
  else the OS login. jupyter_server gives each token-authenticated request a fresh anonymous
  name; such a name is never an actor (it would let one person approve their own version).
* Behind an identity provider that names users (JupyterHub's, or any other
  ``IdentityProvider`` subclass): the authenticated user name.

Request fields never name the actor. On a PostgreSQL store the database role of the connection
decides for governance actions, whatever this returns (see ``registry/models.py``).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.identity import (
    IdentityProvider,
    LegacyIdentityProvider,
    PasswordIdentityProvider,
)

from mlops_jupyter.config import current_user

# jupyter_server's built-in providers: one owner, anonymous per-request or per-browser names
SINGLE_USER_PROVIDERS: tuple[type, ...] = (
    IdentityProvider,
    PasswordIdentityProvider,
    LegacyIdentityProvider,
)


def names_users(provider: Any) -> bool:
    """True when ``provider`` authenticates named people (not one of the built-in ones)."""
    return provider is not None and type(provider) not in SINGLE_USER_PROVIDERS


def acting_user(provider: Any, user: Any) -> str:
    """The actor for a request authenticated as ``user`` by ``provider``."""
    if not names_users(provider):
        return current_user()
    for attribute in ("username", "name"):
        value = getattr(user, attribute, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return current_user()
