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


@pytest.fixture(autouse=True)
def _capture_switches_reset() -> Iterator[None]:
    """``mj.autolog``/``%config Track.*`` switches are process-wide: each test starts from the
    defaults and leaves them so."""
    from mlops_jupyter.tracking import settings

    settings.reset()
    yield
    settings.reset()


# -- object storage: moto's standalone S3 server on 127.0.0.1 ---------------------------------
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 endpoint: ``moto_server`` started on a free loopback port for the session."""
    import sys
    import time
    import urllib.request

    server = Path(sys.executable).parent / "moto_server"
    if not server.exists():
        pytest.fail("moto_server is missing: install the test extra (moto[server], boto3, s3fs)")
    port = _free_port()
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto_server did not start on {url}")
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def s3_artifacts(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the S3 endpoint; returns ``s3://BUCKET/artifacts``. The endpoint and
    credentials are in the environment, where s3fs (and kernels started by the test) find them."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    for key, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    bucket = f"mj-{uuid.uuid4().hex[:16]}"
    boto3.client("s3", endpoint_url=s3_endpoint, **_boto_credentials()).create_bucket(Bucket=bucket)
    return f"s3://{bucket}/artifacts"


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_CREDENTIALS["AWS_DEFAULT_REGION"],
    }


@pytest.fixture(params=["local", "s3"])
def artifact_store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A fresh SQLite store whose artifacts (blobs, snapshots, models) live on the local disk,
    then on S3 (moto's server): the object-storage tests run against both."""
    from mlops_jupyter.store import get_store, reset_stores
    from mlops_jupyter.tracking import context

    if request.param == "s3":
        artifacts = request.getfixturevalue("s3_artifacts")
    else:
        artifacts = str(tmp_path / "artifacts")
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("MLOPS_JUPYTER_ARTIFACTS", artifacts)
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "alice")
    monkeypatch.chdir(tmp_path)
    context.reset()
    reset_stores()
    yield get_store()
    context.reset()
    reset_stores()
