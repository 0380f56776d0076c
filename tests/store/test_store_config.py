"""Store discovery, back-end errors and schema migrations."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from mlops_jupyter.config import StoreConfigError, resolve_store
from mlops_jupyter.store.database import Database, StoreConnectionError
from mlops_jupyter.store.migrations import head_revision
from mlops_jupyter.store.schema import SCHEMA_HEAD

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def no_store_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLOPS_JUPYTER_STORE", raising=False)
    monkeypatch.delenv("MLOPS_JUPYTER_ARTIFACTS", raising=False)


def test_env_directory_holds_db_and_artifacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_store_env: None
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(tmp_path / "s"))
    location = resolve_store()
    assert location.db_url == f"sqlite:///{tmp_path / 's' / 'mlops.db'}"
    assert location.artifacts_url == str(tmp_path / "s" / "artifacts")


def test_env_sqlite_url_puts_artifacts_beside_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_store_env: None
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", f"sqlite:///{tmp_path}/x/meta.db")
    assert resolve_store().artifacts_url == str(tmp_path / "x" / "artifacts")


def test_artifacts_env_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_store_env: None
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(tmp_path))
    monkeypatch.setenv("MLOPS_JUPYTER_ARTIFACTS", "memory://team-artifacts")
    assert resolve_store().artifacts_url == "memory://team-artifacts"


def test_walks_up_to_an_existing_store(tmp_path: Path, no_store_env: None) -> None:
    (tmp_path / ".mlops").mkdir()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert resolve_store(deep).db_url == f"sqlite:///{tmp_path / '.mlops' / 'mlops.db'}"


@pytest.mark.parametrize("marker", [".git", "pyproject.toml"])
def test_new_store_beside_project_marker(tmp_path: Path, marker: str, no_store_env: None) -> None:
    (tmp_path / marker).mkdir() if marker == ".git" else (tmp_path / marker).write_text("")
    deep = tmp_path / "notebooks"
    deep.mkdir()
    assert resolve_store(deep).db_url == f"sqlite:///{tmp_path / '.mlops' / 'mlops.db'}"


def test_unknown_scheme_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, no_store_env: None
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", "mysql://root@localhost/db")
    with pytest.raises(StoreConfigError, match="unknown store URI scheme 'mysql'"):
        resolve_store()


def test_unreachable_postgres_names_host_and_port(
    monkeypatch: pytest.MonkeyPatch, no_store_env: None, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", "postgresql+psycopg://nobody@127.0.0.1:5999/nowhere")
    monkeypatch.setenv("MLOPS_JUPYTER_ARTIFACTS", str(tmp_path))
    with pytest.raises(StoreConnectionError, match=r"cannot reach PostgreSQL at 127\.0\.0\.1:5999"):
        Database(resolve_store())


def test_schema_head_matches_alembic_head() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_new_store_is_created_at_head(mj_store) -> None:  # type: ignore[no-untyped-def]
    assert mj_store.db.schema_version() == SCHEMA_HEAD


def test_sqlite_pragmas(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    with sqlite_store.db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 30_000


def test_store_from_first_schema_upgrades_without_loss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/fixtures/store_v1 was written by the first schema (0001); opening it must upgrade."""
    import mlops_jupyter as mj
    from mlops_jupyter.store import reset_stores
    from mlops_jupyter.tracking import context

    store_dir = tmp_path / "old"
    shutil.copytree(FIXTURES / "store_v1", store_dir)
    with sqlite3.connect(store_dir / "mlops.db") as raw:
        assert (
            raw.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001_tracking"
        )
        runs_before = raw.execute("SELECT count(*) FROM runs").fetchone()[0]
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(store_dir))
    context.reset()
    reset_stores()
    try:
        frame = mj.runs(order_by="name")
        assert len(frame) == runs_before == 3
        view = mj.get_run(frame.loc[frame["name"] == "baseline", "run_id"].iloc[0])
        assert view.params == {"model": "ridge", "alpha": 0.5, "features": ["bmi", "bp"]}
        assert view.metrics["r2"] == pytest.approx(0.41)
        assert list(view.metric_history("loss")["value"]) == [3.0, 2.0, 1.5]
        assert view.artifact_bytes("notes.txt") == b"first schema"
        with sqlite3.connect(store_dir / "mlops.db") as raw:
            assert (
                raw.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD
            )
    finally:
        context.reset()
        reset_stores()
