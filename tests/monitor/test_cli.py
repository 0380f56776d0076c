"""``monitor drift|performance|ls|profile`` and ``retrain`` as a user runs them: exit codes
0/1/2, ``--format json`` fields, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from registry_support import diabetes
from shell_support import REPO
from sklearn.linear_model import Ridge

import mlops_jupyter as mj


class Outcome:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(*args: str) -> Outcome:
    """In-process (click's runner) through the same entry point as the console script."""
    from click.testing import CliRunner

    from mlops_jupyter.cli import cli as root

    result = CliRunner().invoke(root, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def real_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command in a child process (exit codes as a scheduler sees them)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture
def released(sqlite_store, tmp_path: Path):  # type: ignore[no-untyped-def]
    X, y = diabetes()
    path = tmp_path / "train.csv"
    X.assign(target=y).to_csv(path, index=False)
    with mj.start_run("ridge"):
        mj.log_input(str(path))
        model = Ridge().fit(X, y)
        mj.log_metric("r2", float(model.score(X, y)))
        version = mj.register_model(model, "diab", input_example=X.head(), actor="alice")
    mj.set_policy("diab", protected_aliases=[], actor="alice")
    mj.promote("diab", version.version, "production", actor="alice")
    clean = tmp_path / "clean.csv"
    X.assign(target=y).to_csv(clean, index=False)
    moved = X.copy()
    moved["bmi"] += 2 * moved["bmi"].std()
    drifted = tmp_path / "drifted.csv"
    moved.to_csv(drifted, index=False)
    noisy = tmp_path / "noisy.csv"
    rng = np.random.default_rng(0)
    X.assign(target=y + rng.normal(0, 3 * y.std(), len(y))).to_csv(noisy, index=False)
    return {"clean": clean, "drifted": drifted, "noisy": noisy, "train": path}


def test_monitor_drift_exit_codes_and_json(released) -> None:  # type: ignore[no-untyped-def]
    ok = cli("monitor", "drift", "diab@production", "--data", str(released["clean"]))
    assert ok.returncode == 0, ok.stderr
    assert "no drift" in ok.stdout
    bad = real_cli(
        "monitor",
        "drift",
        "diab@production",
        "--data",
        str(released["drifted"]),
        "--format",
        "json",
    )
    assert bad.returncode == 1, bad.stderr
    [record] = json.loads(bad.stdout)
    assert {"check_id", "model", "alias", "version", "kind", "status", "drifted", "at"} <= set(
        record
    )
    assert (record["model"], record["alias"], record["version"]) == ("diab", "production", 1)
    assert record["status"] == "failed" and record["drifted"] is True
    assert record["report"]["drifted_columns"] == ["bmi"]
    table = cli("monitor", "drift", "diab@production", "--data", str(released["drifted"]))
    assert table.returncode == 1 and "training run:" in table.stdout  # the chain of a failure
    against_file = cli(
        "monitor",
        "drift",
        "--reference",
        str(released["train"]),
        "--data",
        str(released["drifted"]),
    )
    assert against_file.returncode == 1 and "bmi" in against_file.stdout
    listed = cli("monitor", "ls", "diab", "--format", "json")
    rows = json.loads(listed.stdout)
    assert [r["status"] for r in rows] == ["failed", "failed", "passed"]
    assert set(rows[0]) == {
        "check_id",
        "model",
        "alias",
        "version",
        "kind",
        "status",
        "drifted",
        "at",
    }


def test_monitor_performance_and_bad_input(released, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok = cli(
        "monitor",
        "performance",
        "diab@production",
        "--data",
        str(released["clean"]),
        "--target",
        "target",
    )
    assert ok.returncode == 0, ok.stderr + ok.stdout
    bad = cli(
        "monitor",
        "performance",
        "diab@production",
        "--data",
        str(released["noisy"]),
        "--target",
        "target",
    )
    assert bad.returncode == 1
    for args, message in [
        (("monitor", "drift", "nope@production", "--data", str(released["clean"])), "nope"),
        (
            ("monitor", "drift", "diab@production", "--data", str(tmp_path / "missing.csv")),
            "no such file",
        ),
        (("monitor", "drift", "--data", str(released["clean"])), "NAME@ALIAS"),
        (
            (
                "monitor",
                "performance",
                "diab@production",
                "--data",
                str(released["clean"]),
                "--target",
                "zz",
            ),
            "zz",
        ),
        (("monitor", "drift", "diab", "--data", str(released["clean"])), "NAME@ALIAS"),
    ]:
        result = cli(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
    profile_out = tmp_path / "p.json"
    made = cli("monitor", "profile", str(released["train"]), "-o", str(profile_out))
    assert made.returncode == 0 and mj.Profile.load(profile_out).rows == len(diabetes()[0])
    assert cli("monitor", "--help").returncode == 0
    assert "training notebook" in cli("retrain", "--help").stdout


def test_retrain_needs_a_training_notebook(released) -> None:  # type: ignore[no-untyped-def]
    result = real_cli("retrain", "diab", "--data", str(released["clean"]))
    assert result.returncode == 2
    assert "names no notebook" in result.stderr and "Traceback" not in result.stderr
    assert pd.read_csv(released["clean"]).shape[0] > 0
