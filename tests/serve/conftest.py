"""Fixtures of the serving tests: a SQLite store with a registered model the test process and
its server processes share."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def serve_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An embedded store (directory) for this test and the servers it starts."""
    from mlops_jupyter.store import reset_stores
    from mlops_jupyter.tracking import context

    store_dir = tmp_path / "store"
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(store_dir))
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "alice")
    monkeypatch.delenv("MLOPS_JUPYTER_ARTIFACTS", raising=False)
    monkeypatch.chdir(tmp_path)
    context.reset()
    reset_stores()
    yield store_dir
    context.reset()
    reset_stores()
    assert os.environ["MLOPS_JUPYTER_STORE"] == str(store_dir)
