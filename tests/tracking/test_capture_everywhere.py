"""Capture outside ``%%track``: ``mj.start_run`` blocks (in a script, in threads), the
``mj.autolog`` / ``%config Track.*`` switches, typed signatures from what capture saw, and
``predict`` naming the offending column when no data was seen."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shell_support import kernel_env, run, tracked_shell
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score

import mlops_jupyter as mj
from mlops_jupyter.registry.signature import SignatureError


def _frame(rows: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(20, 70, rows),
            "income": rng.normal(50.0, 10.0, rows),
            "label": np.arange(rows) % 2,
        }
    )


def test_a_start_run_block_records_fits_metrics_and_files(mj_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """On SQLite and PostgreSQL: the block's fits, metrics, file (snapshotted) and X."""
    path = tmp_path / "train.csv"
    _frame().to_csv(path, index=False)
    with mj.start_run(name="block") as run:
        frame = pd.read_csv(path)
        X, y = frame[["age", "income"]], frame["label"]
        model = LogisticRegression(C=0.5, max_iter=200).fit(X, y)
        accuracy_score(y, model.predict(X))
    view = mj.get_run(run.run_id)
    assert view.params["C"] == 0.5 and view.params["max_iter"] == 200
    assert "fit_time_s" in view.metrics and "accuracy_score" in view.metrics
    uris = {item["uri"] for item in view.inputs}
    assert path.resolve().as_uri() in uris and "memory://X" in uris
    [version] = mj_store.data.versions(path.resolve().as_uri())
    assert version["snapshot"] is not None and version["runs"] == [(run.run_id, "input")]
    # the hooks are gone once the block ended: a fit outside is nobody's
    assert not hasattr(LogisticRegression.fit, "__mlops_original__")
    assert not hasattr(pd.read_csv, "__mlops_original__")


def test_blocks_on_two_threads_capture_their_own_fits(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    frame = _frame()
    X, y = frame[["age", "income"]], frame["label"]
    started = threading.Barrier(2)
    run_ids: dict[str, str] = {}

    def train(kind: str) -> None:
        with mj.start_run(name=kind) as run:
            started.wait()  # both blocks' hooks are installed at once
            model = LogisticRegression(C=2.0) if kind == "logistic" else LinearRegression()
            model.fit(X, y)
            started.wait()
            run_ids[kind] = run.run_id

    threads = [threading.Thread(target=train, args=(kind,)) for kind in ("logistic", "linear")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logistic, linear = (mj.get_run(run_ids[kind]) for kind in ("logistic", "linear"))
    assert logistic.params.get("C") == 2.0 and "fit_intercept" in linear.params
    assert "C" not in linear.params  # each thread's fit went to its own run
    assert logistic.tags["mlops.autolog.estimators"].endswith("LogisticRegression")
    assert linear.tags["mlops.autolog.estimators"].endswith("LinearRegression")
    assert not hasattr(LogisticRegression.fit, "__mlops_original__")


def test_autolog_switches_turn_parts_off(sqlite_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "train.csv"
    _frame().to_csv(path, index=False)
    mj.autolog(sklearn=False)
    with mj.start_run() as run:
        frame = pd.read_csv(path)
        LogisticRegression().fit(frame[["age", "income"]], frame["label"])
    view = mj.get_run(run.run_id)
    assert "C" not in view.params and "fit_time_s" not in view.metrics
    assert [i["uri"] for i in view.inputs] == [path.resolve().as_uri()]  # pandas stays on

    mj.autolog(sklearn=True, pandas=False, memory=False)
    with mj.start_run() as run:
        frame = pd.read_csv(path)
        LogisticRegression().fit(frame[["age", "income"]], frame["label"])
    view = mj.get_run(run.run_id)
    assert view.params["C"] == 1.0 and view.inputs == []  # no file, no memory:// X


def test_config_track_switches_reach_start_run_blocks(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    frame = _frame()
    with tracked_shell() as shell:
        assert run(shell, "%config Track.autolog = False").success
        with mj.start_run() as off:
            LogisticRegression().fit(frame[["age", "income"]], frame["label"])
        assert run(shell, "%config Track.autolog = True").success
        with mj.start_run() as on:
            LogisticRegression().fit(frame[["age", "income"]], frame["label"])
    assert "C" not in mj.get_run(off.run_id).params
    assert mj.get_run(on.run_id).params["C"] == 1.0


def test_a_block_inside_a_tracked_cell_shares_the_hooks(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    """Two live captures install the same patches once; the originals return after both."""
    original = LogisticRegression.fit
    with tracked_shell() as shell:
        shell.user_ns["frame"] = _frame()
        cell = (
            "%%track -n outer\n"
            "import mlops_jupyter as mj\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "with mj.start_run(name='inner') as inner:\n"
            "    LogisticRegression(C=3.0).fit(frame[['age', 'income']], frame['label'])\n"
            "LogisticRegression(C=4.0).fit(frame[['age', 'income']], frame['label'])\n"
        )
        assert run(shell, cell).success
        inner_id = shell.user_ns["inner"].run_id
    assert mj.get_run(inner_id).params["C"] == 3.0
    runs = mj.runs()
    [outer] = runs.loc[runs["name"] == "outer", "run_id"].tolist()
    assert mj.get_run(outer).params["C"] == 4.0  # the cell's own fit, after the block ended
    assert LogisticRegression.fit is original
    assert not hasattr(LogisticRegression.fit, "__mlops_original__")


def test_registering_in_a_block_types_the_signature(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    frame = _frame()
    with mj.start_run():
        model = LogisticRegression().fit(frame[["age", "income"]], frame["label"])
        version = mj.register_model(model, "typed")
    assert str(version.signature) == "age: int64, income: float64"
    loaded = mj.load_model("models:/typed/1")
    with pytest.raises(SignatureError, match=r"'age' \(expected int64"):
        loaded.predict(pd.DataFrame({"age": ["forty", "fifty"], "income": [1.0, 2.0]}))
    # after the block: capture remembers what the estimator was fitted on
    again = mj.register_model(model, "typed")
    assert str(again.signature) == "age: int64, income: float64"


def test_no_data_seen_warns_and_predict_still_names_the_column(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    frame = _frame()
    model = LogisticRegression().fit(frame[["age", "income"]], frame["label"])  # outside any run
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        version = mj.register_model(model, "untyped")
    assert any("input types are unknown" in str(w.message) for w in caught)
    assert "The input types are unknown" in version.card
    loaded = mj.load_model("models:/untyped/1")
    with pytest.raises(SignatureError) as raised:
        loaded.predict(pd.DataFrame({"age": [30, 40], "income": ["high", "1.5"]}))
    assert "'income' (expected number" in str(raised.value)
    assert "could not convert" not in str(raised.value)
    assert loaded.predict(frame[["age", "income"]]).shape == (len(frame),)


SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    import mlops_jupyter as mj

    X = pd.DataFrame({"height": np.linspace(1.5, 2.0, 30), "weight": np.arange(30) + 50.0})
    y = np.arange(30) % 2
    with mj.start_run(name="script"):
        model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
        mj.register_model(model, "m")
    loaded = mj.load_model("models:/m/1")
    try:
        loaded.predict(pd.DataFrame({"height": [1.7], "weight": ["heavy"]}))
    except mj.SignatureError as error:
        print("ERROR", error)
    """
)


def test_the_script_reproduction_names_the_text_column(sqlite_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The issue's reproduction: ``with mj.start_run(): model.fit(X, y); mj.register_model(model,
    "m")`` in a script, then ``predict`` with a string column."""
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=kernel_env(),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "ERROR" in result.stdout and "'weight' (expected float64, got" in result.stdout
    assert "could not convert" not in result.stdout
    version = mj.get_version("m", 1)
    assert str(version.signature) == "height: float64, weight: float64"
