"""The `mlops-jupyter` command for runs and the store, called as users call it (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlops_jupyter as mj

BIN = Path(sys.executable).parent


def cli(*args: str, store: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLOPS_JUPYTER_STORE": store, "PATH": f"{BIN}:{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def filled(mj_store, store_uri):  # type: ignore[no-untyped-def]
    for index, model in enumerate(("rf", "lr", "rf")):
        with mj.start_run(f"run-{index}", params={"model": model, "n": index}) as run:
            run.log_metric("acc", 0.8 + index / 100)
            run.log_metric("loss", float("nan"))
            run.log_artifact(b"weights", "model.bin")
    return store_uri


def test_runs_ls_json_is_a_list_of_objects_with_the_dataframe_columns(filled) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "runs",
        "ls",
        "--format",
        "json",
        "--filter",
        "params.model = 'rf'",
        "--order-by",
        "metrics.acc desc",
        store=filled,
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["name"] for r in records] == ["run-2", "run-0"]
    assert set(mj.runs().columns) == set(records[0])
    assert records[0]["params.n"] == 2 and records[0]["metrics.loss"] == "nan"


def test_runs_ls_table_and_csv(filled) -> None:  # type: ignore[no-untyped-def]
    table = cli("runs", "ls", "--limit", "2", store=filled)
    assert table.returncode == 0 and "run-2" in table.stdout and "run-0" not in table.stdout
    csv = cli("runs", "ls", "--format", "csv", store=filled)
    assert csv.stdout.splitlines()[0].startswith("run_id,experiment,name,kind,status")
    assert len(csv.stdout.splitlines()) == 4


def test_runs_show(filled) -> None:  # type: ignore[no-untyped-def]
    run_id = mj.runs(filter="name = 'run-1'")["run_id"].iloc[0]
    shown = cli("runs", "show", run_id[:16], store=filled)
    assert shown.returncode == 0, shown.stderr
    assert "run-1" in shown.stdout and "'lr'" in shown.stdout and "model.bin" in shown.stdout
    as_json = json.loads(cli("runs", "show", run_id, "--format", "json", store=filled).stdout)
    assert as_json["params"] == {"model": "lr", "n": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("runs", "ls", "--filter", "metrics.acc >"), "malformed filter at position"),
        (("runs", "show", "0123456789"), "no run with id"),
        (("runs", "ls", "--limit", "-1"), "Invalid value for '--limit'"),
        (("runs", "frobnicate"), "No such command"),
    ],
)
def test_usage_errors_exit_2_with_message_on_stderr(filled, args, message) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args, store=filled)
    assert result.returncode == 2
    assert message in result.stderr and result.stdout == ""


def test_unknown_scheme_exits_2() -> None:
    result = cli("runs", "ls", store="mysql://x/y")
    assert result.returncode == 2 and "unknown store URI scheme" in result.stderr


def test_store_info_and_migrate(filled) -> None:  # type: ignore[no-untyped-def]
    info = json.loads(cli("store", "info", "--format", "json", store=filled).stdout)
    assert info["runs"] == 3 and info["schema_version"]
    migrate = cli("store", "migrate", store=filled)
    assert migrate.returncode == 0 and "schema already at" in migrate.stdout


def test_gc_removes_only_unreferenced_blobs(filled, mj_store) -> None:  # type: ignore[no-untyped-def]
    orphan = mj_store.blobs.put_bytes(b"nobody points here")
    kept = next(iter(mj_store.referenced_digests()))
    dry = cli("gc", "--dry-run", "--grace", "0", store=filled)
    assert "would remove 1 unreferenced blob" in dry.stdout and mj_store.blobs.exists(orphan)
    result = cli("gc", "--grace", "0", store=filled)
    assert result.returncode == 0 and "removed 1 unreferenced blob" in result.stdout
    assert not mj_store.blobs.exists(orphan) and mj_store.blobs.exists(kept)


def test_help_teaches_and_jupyter_mlops_works() -> None:
    help_text = cli("--help", store="/nonexistent-but-unused").stdout
    assert "runs" in help_text and "Examples:" in help_text
    jupyter = subprocess.run(
        [str(BIN / "jupyter"), "mlops", "runs", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert jupyter.returncode == 0 and "List and inspect recorded runs" in jupyter.stdout
