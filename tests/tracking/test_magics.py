"""``%%track`` in a real IPython shell, on both store back ends: what a cell run records, that a
tracked cell behaves exactly like an untracked one, options, attempts, outcomes, bad input."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import warnings

import pytest
from shell_support import REPO, cell_runs, run, tracked_shell

import mlops_jupyter as mj
from mlops_jupyter.tracking import context
from mlops_jupyter.tracking.problems import TrackingWarning


@pytest.fixture
def shell(mj_store):  # type: ignore[no-untyped-def]
    with tracked_shell() as shell:
        yield shell


def only_cell_run() -> mj.RunView:
    frame = cell_runs()
    assert len(frame) == 1, frame
    return mj.get_run(frame.run_id[0])


def test_load_ext_is_fast_and_imports_nothing_heavy() -> None:
    probe = textwrap.dedent(
        """
        import json, sys, time
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        started = time.perf_counter()
        shell.run_line_magic("load_ext", "mlops_jupyter")
        seconds = time.perf_counter() - started
        heavy = [m for m in ("pandas", "sklearn", "sqlalchemy", "numpy", "ipywidgets") if m in sys.modules]
        print(json.dumps({"seconds": seconds, "heavy": heavy, "magics": sorted(shell.magics_manager.magics["cell"])}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["heavy"] == []
    assert report["seconds"] <= 0.3, report
    assert "track" in report["magics"]


def test_tracked_cell_records_a_cell_run_under_the_session_run(shell, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/analysis.ipynb")
    run(shell, "a = 2")
    result = run(shell, "%%track -n double\nb = a * 2\n", cell_id="cell-1")
    assert result.success and shell.user_ns["b"] == 4
    view = only_cell_run()
    session = context.session_run()
    assert (view.kind, view.status, view.name, view.attempt) == ("cell", "finished", "double", 1)
    assert view.parent_run_id == session.run_id
    assert view.source["code"] == "b = a * 2\n"
    assert len(view.source["code_hash"]) == 64
    assert view.source["notebook_path"] == "/work/analysis.ipynb"
    assert view.source["cell_id"] == "cell-1"
    assert view.source["execution_count"] == result.execution_count
    assert view.run_id in mj.get_run(session.run_id).children


def test_cell_behaves_as_untracked_namespace_display_magics_await(shell, capsys) -> None:  # type: ignore[no-untyped-def]
    result = run(
        shell,
        textwrap.dedent(
            """\
            %%track
            import asyncio
            await asyncio.sleep(0)
            %time total = sum(range(10))
            print("printed", total)
            total * 2
            """
        ),
    )
    assert result.success, result.error_in_exec
    assert result.result == 90  # the last expression is displayed as usual
    assert shell.user_ns["total"] == 45
    assert "printed 45" in capsys.readouterr().out
    assert only_cell_run().status == "finished"


def test_another_cell_magic_after_track_still_runs(shell) -> None:  # type: ignore[no-untyped-def]
    result = run(shell, "%%track -n captured\n%%capture out\nprint('hidden')\n")
    assert result.success
    assert shell.user_ns["out"].stdout == "hidden\n"
    assert only_cell_run().name == "captured"


def test_rerunning_a_cell_is_a_new_attempt_even_after_editing_it(shell) -> None:  # type: ignore[no-untyped-def]
    for code in ("%%track\nx = 1\n", "%%track\nx = 1\n", "%%track\nx = 2  # edited\n"):
        assert run(shell, code, cell_id="cell-7").success
    assert run(shell, "%%track\nx = 3\n", cell_id="another-cell").success
    frame = cell_runs()
    assert list(frame.attempt) == [1, 2, 3, 1]
    assert frame.run_id.is_unique
    assert set(frame.status) == {"finished"}


def test_without_cell_ids_the_name_identifies_the_cell(shell) -> None:  # type: ignore[no-untyped-def]
    for code in ("%%track -n fit\nx = 1\n", "%%track -n fit\nx = 1\n", "%%track -n other\nx = 1\n"):
        run(shell, code)
    assert list(cell_runs().attempt) == [1, 2, 1]


def test_exception_fails_the_run_and_reaches_the_user_unchanged(shell, capsys) -> None:  # type: ignore[no-untyped-def]
    run(shell, "boom = ValueError('bad value 42')")
    result = run(shell, "%%track -n failing\nbefore = 1\nraise boom\n")
    assert result.error_in_exec is shell.user_ns["boom"]
    assert shell.user_ns["before"] == 1
    shown = capsys.readouterr()
    assert "ValueError" in shown.out + shown.err and "bad value 42" in shown.out + shown.err
    view = only_cell_run()
    assert view.status == "failed"
    assert "ValueError: bad value 42" in view.error and "Traceback" in view.error


def test_keyboard_interrupt_marks_the_run_killed(shell) -> None:  # type: ignore[no-untyped-def]
    result = run(shell, "%%track\nraise KeyboardInterrupt\n")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert only_cell_run().status == "killed"


def test_syntax_error_in_a_tracked_cell_is_a_failed_run(shell) -> None:  # type: ignore[no-untyped-def]
    result = run(shell, "%%track\nx = (\n")
    assert not result.success
    assert only_cell_run().status == "failed"


def test_params_at_start_and_metrics_at_end(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "lr = 0.1\ndepth = 3\nmodel_name = 'rf'")
    result = run(
        shell,
        "%%track -p lr depth,model_name -m acc losses\nlr = 99\nacc = 0.5 + 0.25\nlosses = [3.0, 2.0, 1.5]\n",
    )
    assert result.success
    view = only_cell_run()
    assert view.params == {"lr": 0.1, "depth": 3, "model_name": "rf"}
    assert view.metrics == {"acc": 0.75, "losses": 1.5}
    history = view.metric_history("losses")
    assert list(history.step) == [0, 1, 2] and list(history.value) == [3.0, 2.0, 1.5]


def test_metric_variable_missing_or_not_numeric_warns_and_leaves_the_cell_alone(shell) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(shell, "%%track -m missing label acc\nlabel = 'good'\nacc = 0.9\n")
    assert result.success and shell.user_ns["label"] == "good"
    messages = [str(w.message) for w in caught if issubclass(w.category, TrackingWarning)]
    assert any("-m missing" in m and "'missing'" in m for m in messages), messages
    assert any("-m label" in m and "str" in m for m in messages), messages
    assert only_cell_run().metrics == {"acc": 0.9}


def test_param_variable_missing_warns(shell) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(TrackingWarning, match="-p nowhere"):
        result = run(shell, "%%track -p nowhere\nx = 1\n")
    assert result.success
    assert only_cell_run().params == {}


@pytest.mark.parametrize("line", ["-x", "-p 1bad", "--model not-a-name", "-m"])
def test_bad_options_are_a_usage_error_and_nothing_runs(shell, capsys, line) -> None:  # type: ignore[no-untyped-def]
    result = run(shell, f"%%track {line}\nran = True\n")
    assert not result.success
    assert "ran" not in shell.user_ns
    assert "UsageError" in capsys.readouterr().err
    assert cell_runs().empty


def test_experiment_and_name_options(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "%%track -n trial -e study\nx = 1\n")
    frame = cell_runs(experiment="study")
    assert list(frame.name) == ["trial"]


def test_options_expand_variables_like_any_magic_line(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "study_name = 'expanded'\ntrial = 'seven'")
    run(shell, "%%track -n trial-{trial} -e $study_name\nx = 1\n")
    assert list(cell_runs(experiment="expanded").name) == ["trial-seven"]


def test_default_name_is_the_first_line_of_code(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "%%track\n\n# baseline: a constant model\nx = 1\n")
    assert only_cell_run().name == "baseline: a constant model"


def test_log_calls_go_to_the_cell_run_inside_and_the_session_run_outside(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "import mlops_jupyter as mj")
    run(shell, "%%track\nmj.log_metric('inside', 1.0)\nmj.set_tag('where', 'cell')\n")
    run(shell, "mj.log_metric('outside', 2.0)")
    view = only_cell_run()
    assert view.metrics == {"inside": 1.0} and view.tags["where"] == "cell"
    session = context.session_run()
    session.flush()
    assert mj.get_run(session.run_id).metrics == {"outside": 2.0}


def test_direct_run_cell_magic_call_tracks_the_body(shell) -> None:  # type: ignore[no-untyped-def]
    shell.run_cell_magic("track", "-n direct -m y", "y = 21 * 2\n")
    assert shell.user_ns["y"] == 42
    view = only_cell_run()
    assert (view.name, view.metrics, view.status) == ("direct", {"y": 42.0}, "finished")


def test_a_tracking_failure_never_breaks_the_cell(shell, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def unreachable(**_kwargs: object) -> None:
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(context, "create_run", unreachable)
    with pytest.warns(TrackingWarning, match="runs untracked: store unreachable"):
        result = run(shell, "%%track\nvalue = 7\n")
    assert result.success and shell.user_ns["value"] == 7


def test_a_failure_while_finishing_warns_and_still_ends_the_run(shell, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mlops_jupyter.tracking.capture import Capture

    def broken(self: Capture, explicit_params: tuple[str, ...] = ()) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Capture, "write", broken)
    with pytest.warns(
        TrackingWarning, match="could not write lineage and autolog for run .*: disk full"
    ):
        result = run(shell, "%%track -m v\nv = 1\n")
    assert result.success
    view = only_cell_run()
    assert view.status == "finished" and view.metrics == {"v": 1.0}


def test_unhashable_object_is_skipped_with_a_debug_message(shell, caplog) -> None:  # type: ignore[no-untyped-def]
    run(
        shell,
        "import pandas as pd\nclass Opaque: pass\nodd = pd.DataFrame({'thing': [Opaque(), Opaque()]})",
    )
    with caplog.at_level(logging.DEBUG, logger="mlops_jupyter.lineage"):
        result = run(shell, "%%track\nsize = len(odd)\n")
    assert result.success and shell.user_ns["size"] == 2
    assert any("odd not fingerprinted" in record.getMessage() for record in caplog.records)
    assert only_cell_run().inputs == []


def test_config_switches_autolog_and_lineage_off(shell) -> None:  # type: ignore[no-untyped-def]
    run(
        shell,
        "import numpy as np\nfrom sklearn.linear_model import LinearRegression\nX = np.arange(10.0).reshape(5, 2)\ny = X.sum(axis=1)",
    )
    run(shell, "%config Track.autolog = False")
    run(shell, "%config Track.lineage = False")
    run(shell, "%%track\nmodel = LinearRegression().fit(X, y)\n")
    view = only_cell_run()
    assert view.params == {} and view.inputs == [] and view.artifacts == []
    from mlops_jupyter.magics import Track

    assert shell.run_line_magic("config", "Track") is None  # lists the options without error
    assert {"autolog", "lineage", "display", "max_fingerprint_bytes"} <= set(
        Track.class_trait_names()
    )


def test_track_help_documents_the_options(shell) -> None:  # type: ignore[no-untyped-def]
    doc = shell.find_cell_magic("track").__doc__
    for option in ("-n", "-e", "-p", "-m", "--model", "--register", "--no-autolog"):
        assert option in doc


@pytest.mark.parametrize(
    ("variable", "value"),
    [("__session__", "/srv/lab/report.ipynb"), ("__vsc_ipynb_file__", "/home/alice/vscode.ipynb")],
)
def test_notebook_path_routes_in_the_user_namespace(shell, monkeypatch, variable, value) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("PAPERMILL_INPUT_PATH", raising=False)
    shell.user_ns[variable] = value
    run(shell, "%%track\nx = 1\n")
    assert only_cell_run().source["notebook_path"] == value
