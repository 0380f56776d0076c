"""Shared fixtures: a fresh store on SQLite and on the real PostgreSQL, for every test that asks.

``store_uri`` is parametrised over both back ends, so a test that uses ``mj_store`` runs twice.
PostgreSQL isolation: one schema per test in database ``test`` (search_path in the URL).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"
PG_ADMIN_URL = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{PG_DB}"
REPO = Path(__file__).resolve().parents[1]


def _postgres_up() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-h", PG_HOST, "-p", str(PG_PORT)], capture_output=True
        ).returncode
        == 0
    )


def ensure_postgres() -> None:
    """Start the machine's PostgreSQL cluster if it is down (CI starts from scratch)."""
    if _postgres_up():
        return
    versions = os.listdir("/etc/postgresql") if os.path.isdir("/etc/postgresql") else []
    if versions:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "start"],
            capture_output=True,
        )
    if not _postgres_up():
        pytest.fail(f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} and could not be started")


@pytest.fixture(scope="session")
def postgres_admin():  # type: ignore[no-untyped-def]
    ensure_postgres()
    from sqlalchemy import create_engine

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def new_postgres_schema(admin) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    schema = f"mj_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    return schema


def postgres_url(schema: str) -> str:
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URI on each back end."""
    if request.param == "sqlite":
        yield str(tmp_path / "store")
        return
    admin = request.getfixturevalue("postgres_admin")
    schema = new_postgres_schema(admin)
    os.environ["MLOPS_JUPYTER_ARTIFACTS"] = str(tmp_path / "artifacts")
    try:
        yield postgres_url(schema)
    finally:
        os.environ.pop("MLOPS_JUPYTER_ARTIFACTS", None)
        from sqlalchemy import text

        from mlops_jupyter.store import reset_stores

        reset_stores()
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def mj_store(store_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The store every mlops_jupyter call in this test uses (SQLite and PostgreSQL)."""
    from mlops_jupyter.store import get_store, reset_stores
    from mlops_jupyter.tracking import context

    monkeypatch.setenv("MLOPS_JUPYTER_STORE", store_uri)
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "alice")
    monkeypatch.chdir(tmp_path)
    context.reset()
    reset_stores()
    store = get_store()
    yield store
    context.reset()
    reset_stores()


@pytest.fixture
def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An embedded store only (for tests about SQLite itself or that need one back end)."""
    from mlops_jupyter.store import get_store, reset_stores
    from mlops_jupyter.tracking import context

    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "alice")
    monkeypatch.chdir(tmp_path)
    context.reset()
    reset_stores()
    yield get_store()
    context.reset()
    reset_stores()
