"""The REST fixtures of ``tests/server`` (a real jupyter_server with the extension, token login,
one fresh store per test) for the security tests that go through HTTP."""

from tests.server.conftest import *  # noqa: F403
