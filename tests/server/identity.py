"""An identity provider for tests with several users: each token names its user, the way a
hub's provider authenticates real people (``token alice-token`` is alice). It lets the tests
show that the registry records the authenticated user, and that approving needs someone else.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.identity import IdentityProvider, User

USERS = ("alice", "bob", "carol")


def token_of(user: str) -> str:
    return f"{user}-token"


class NamedTokenIdentityProvider(IdentityProvider):
    def get_user(self, handler: Any) -> User | None:
        token = self.get_token(handler)
        for user in USERS:
            if token == token_of(user):
                handler._token_authenticated = True  # token requests skip XSRF, as in Jupyter
                return User(username=user, name=user.title(), display_name=user.title())
        return None
