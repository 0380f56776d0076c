"""scikit-learn autolog in tracked cells (real estimators on scikit-learn's own datasets, both
store back ends): params, fit time, X/y lineage, the logged model, search CV candidates,
metric calls, scoped patches, and failures that only warn."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import skops.io
from shell_support import cell_runs, run, tracked_shell
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score

import mlops_jupyter as mj
from mlops_jupyter.tracking.model_log import (
    MODEL_ARTIFACT,
    TAG_MODEL_ARTIFACT,
    TAG_MODEL_CLASS,
    TAG_MODEL_INPUT_DATASET,
)
from mlops_jupyter.tracking.problems import TrackingWarning

SETUP = textwrap.dedent(
    """
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = (X - X.mean()) / X.std()  # standardized, so linear models converge in a few iterations
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    """
)


@pytest.fixture
def shell(mj_store):  # type: ignore[no-untyped-def]
    with tracked_shell() as shell:
        assert run(shell, SETUP).success
        yield shell


def last_cell_run() -> mj.RunView:
    frame = cell_runs()
    return mj.get_run(frame.run_id.iloc[-1])


def test_a_fit_records_params_time_data_and_the_model(shell) -> None:  # type: ignore[no-untyped-def]
    code = """\
        %%track -n pipeline
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.linear_model import LogisticRegression
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000))
        model.fit(X_train, y_train)
        """
    assert run(shell, textwrap.dedent(code)).success
    view = last_cell_run()
    assert view.params["logisticregression__C"] == 0.5
    assert view.params["standardscaler__with_mean"] is True
    assert view.params["steps"] == [
        ["standardscaler", "StandardScaler"],
        ["logisticregression", "LogisticRegression"],
    ]
    assert view.metrics["fit_time_s"] > 0
    inputs = {item["name"]: item for item in view.inputs}
    assert inputs["X_train"]["uri"] == "memory://X_train"
    assert (inputs["X_train"]["rows"], inputs["X_train"]["columns"]) == shell.user_ns[
        "X_train"
    ].shape
    assert inputs["X_train"]["schema"]["mean radius"] == "float64"
    assert inputs["X_train"]["fingerprint"] == mj.fingerprint(shell.user_ns["X_train"])
    assert inputs["y_train"]["rows"] == len(shell.user_ns["y_train"])
    assert view.tags[TAG_MODEL_CLASS] == "sklearn.pipeline.Pipeline"
    assert view.tags[TAG_MODEL_ARTIFACT] == MODEL_ARTIFACT
    assert view.tags[TAG_MODEL_INPUT_DATASET] == inputs["X_train"]["node_id"]
    data = view.artifact_bytes(MODEL_ARTIFACT)
    loaded = skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))
    X_test = shell.user_ns["X_test"]
    assert np.array_equal(loaded.predict(X_test), shell.user_ns["model"].predict(X_test))


def test_internal_fits_and_nested_metric_calls_are_not_reported_twice(shell) -> None:  # type: ignore[no-untyped-def]
    code = """\
        %%track
        from sklearn.ensemble import RandomForestClassifier
        forest = RandomForestClassifier(n_estimators=15, random_state=0).fit(X_train, y_train)
        test_score = forest.score(X_test, y_test)
        """
    assert run(shell, textwrap.dedent(code)).success
    view = last_cell_run()
    # 15 trees were fitted inside, and score() calls accuracy_score inside: one of each is logged
    assert view.tags["mlops.autolog.estimators"] == "sklearn.ensemble.RandomForestClassifier"
    assert set(view.metrics) == {"fit_time_s", "score_X_test"}
    assert view.metrics["score_X_test"] == pytest.approx(shell.user_ns["test_score"])
    assert len(view.metric_history("score_X_test")) == 1


def test_metric_functions_imported_before_and_inside_the_cell(shell) -> None:  # type: ignore[no-untyped-def]
    run(
        shell,
        "from sklearn.metrics import accuracy_score\nfrom sklearn.linear_model import LogisticRegression",
    )
    code = """\
        %%track
        from sklearn.metrics import f1_score, confusion_matrix
        clf = LogisticRegression(max_iter=500).fit(X_train, y_train)
        predicted = clf.predict(X_test)
        acc = accuracy_score(y_test, predicted)
        f1 = f1_score(y_test, predicted)
        matrix = confusion_matrix(y_test, predicted)
        train_acc = accuracy_score(y_train, clf.predict(X_train))
        """
    assert run(shell, textwrap.dedent(code)).success
    view = last_cell_run()
    ns = shell.user_ns
    assert view.metrics["accuracy_score_y_test"] == pytest.approx(ns["acc"])
    assert view.metrics["f1_score_y_test"] == pytest.approx(ns["f1"])
    assert view.metrics["accuracy_score_y_train"] == pytest.approx(ns["train_acc"])
    assert not any(key.startswith("confusion_matrix") for key in view.metrics)  # not one number
    # the patches are gone: the names point at the original functions again
    import sklearn.metrics

    assert ns["accuracy_score"] is accuracy_score is sklearn.metrics.accuracy_score
    assert not hasattr(ns["f1_score"], "__mlops_original__")
    assert not hasattr(RandomForestClassifier.fit, "__mlops_original__")


def test_search_cv_records_best_params_and_child_runs_for_the_best_candidates(shell) -> None:  # type: ignore[no-untyped-def]
    code = """\
        %%track -n search
        from sklearn.model_selection import GridSearchCV
        from sklearn.tree import DecisionTreeClassifier
        search = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3], "min_samples_leaf": [1, 5]}, cv=3)
        search.fit(X_train, y_train)
        """
    assert run(shell, textwrap.dedent(code)).success
    search = shell.user_ns["search"]
    view = last_cell_run()
    assert view.params["best_max_depth"] == search.best_params_["max_depth"]
    assert view.params["best_min_samples_leaf"] == search.best_params_["min_samples_leaf"]
    assert view.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert view.tags[TAG_MODEL_CLASS] == "sklearn.tree.DecisionTreeClassifier"  # the best estimator
    children = [mj.get_run(run_id) for run_id in view.children]
    assert len(children) == 5  # the best 5 of 6 candidates (Track.max_child_runs)
    results = search.cv_results_
    ranked = sorted(range(6), key=lambda i: (results["rank_test_score"][i], i))[:5]
    for child in children:
        index = int(child.name.rsplit(" ", 1)[1])
        assert index in ranked
        assert (
            child.kind == "cell"
            and child.status == "finished"
            and child.parent_run_id == view.run_id
        )
        assert child.params == results["params"][index]
        assert child.metrics["mean_test_score"] == pytest.approx(results["mean_test_score"][index])
        assert child.metrics["rank_test_score"] == results["rank_test_score"][index]


def test_fit_transform_partial_fit_and_several_estimators(shell) -> None:  # type: ignore[no-untyped-def]
    code = """\
        %%track
        from sklearn.preprocessing import StandardScaler
        from sklearn.linear_model import SGDClassifier
        scaled = StandardScaler().fit_transform(X_train)
        sgd = SGDClassifier(random_state=0)
        for batch in np.array_split(np.arange(len(scaled)), 4):
            sgd.partial_fit(scaled[batch], y_train.to_numpy()[batch], classes=[0, 1])
        """
    assert run(shell, textwrap.dedent(code)).success
    view = last_cell_run()
    assert view.tags["mlops.autolog.estimators"] == (
        "sklearn.preprocessing.StandardScaler, sklearn.linear_model.SGDClassifier"
    )
    assert view.params["loss"] == "hinge"  # the candidate (last fitted) is unprefixed
    assert view.params["standardscaler__with_std"] is True
    assert "standardscaler__fit_time_s" in view.metrics and "fit_time_s" in view.metrics
    assert view.tags[TAG_MODEL_CLASS] == "sklearn.linear_model.SGDClassifier"


def test_explicit_params_win_over_autologged_ones(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "C = 'from the notebook'\nfrom sklearn.svm import SVC")
    assert run(shell, "%%track -p C\nsvc = SVC(C=2.0).fit(X_train, y_train)\n").success
    assert last_cell_run().params["C"] == "from the notebook"


def test_no_autolog_option(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "from sklearn.linear_model import LinearRegression")
    assert run(
        shell, "%%track --no-autolog\nlr = LinearRegression().fit(X_train, y_train)\n"
    ).success
    view = last_cell_run()
    assert view.params == {} and view.artifacts == []


def test_model_option_logs_that_variable(shell) -> None:  # type: ignore[no-untyped-def]
    run(
        shell,
        "from sklearn.linear_model import LogisticRegression\nchosen = LogisticRegression(max_iter=500).fit(X_train, y_train)",
    )
    assert run(shell, "%%track --model chosen\nreport = chosen.score(X_test, y_test)\n").success
    view = last_cell_run()
    assert view.tags[TAG_MODEL_CLASS] == "sklearn.linear_model.LogisticRegression"
    assert [a["name"] for a in view.artifacts] == [MODEL_ARTIFACT]


def test_model_option_naming_nothing_warns(shell) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(TrackingWarning, match="--model ghost"):
        assert run(shell, "%%track --model ghost\nx = 1\n").success
    assert last_cell_run().status == "finished"


def test_a_failure_inside_autolog_only_warns(shell, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mlops_jupyter.tracking.capture import Capture

    def broken(self: Capture, obj: object, fallback_name: str) -> None:
        raise RuntimeError("fingerprinting exploded")

    monkeypatch.setattr(Capture, "dataset_for", broken)
    run(shell, "from sklearn.linear_model import LogisticRegression")
    with pytest.warns(TrackingWarning, match="fingerprinting exploded"):
        result = run(
            shell, "%%track\nfitted = LogisticRegression(max_iter=500).fit(X_train, y_train)\n"
        )
    assert result.success
    fitted = shell.user_ns["fitted"]
    assert fitted.predict(shell.user_ns["X_test"]).shape == (len(shell.user_ns["X_test"]),)
    assert last_cell_run().status == "finished"


def test_a_failing_fit_fails_the_run_and_leaves_no_patch(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "from sklearn.linear_model import LogisticRegression")
    result = run(shell, "%%track\nLogisticRegression().fit(X_train, y_train[:10])\n")
    assert isinstance(result.error_in_exec, ValueError)
    view = last_cell_run()
    assert view.status == "failed" and "ValueError" in view.error
    assert view.artifacts == []
    from sklearn.linear_model import LogisticRegression

    assert not hasattr(LogisticRegression.fit, "__mlops_original__")


def test_fits_outside_tracked_cells_are_not_recorded(shell) -> None:  # type: ignore[no-untyped-def]
    run(
        shell,
        "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression(max_iter=500).fit(X_train, y_train)",
    )
    assert cell_runs().empty


def test_fits_inside_functions_defined_in_earlier_cells_are_recorded(shell) -> None:  # type: ignore[no-untyped-def]
    run(
        shell,
        "from sklearn.linear_model import LogisticRegression\ndef train(C):\n    return LogisticRegression(C=C, max_iter=500).fit(X_train, y_train)",
    )
    assert run(shell, "%%track\nmodel = train(0.3)\n").success
    assert last_cell_run().params["C"] == 0.3


def test_a_cell_touching_only_plain_values_gets_no_hooks(shell, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mlops_jupyter.tracking import autolog, pandas_io

    installed: list[str] = []
    monkeypatch.setattr(autolog, "install", lambda capture: installed.append("sklearn"))
    monkeypatch.setattr(pandas_io, "install", lambda capture: installed.append("pandas"))
    run(shell, "lr = 0.1\nsizes = [1, 2, 3]")
    assert run(shell, "%%track -m doubled\ndoubled = lr * 2 + len(sizes)\n").success
    assert installed == []
    assert run(shell, "%%track\nshape = X_train.shape\n").success  # a DataFrame can write files
    assert installed == ["pandas", "sklearn"]


def test_pipeline_methods_behind_available_if_are_reported_as_the_pipeline(shell) -> None:  # type: ignore[no-untyped-def]
    code = """\
        %%track
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.decomposition import PCA
        from sklearn.linear_model import LogisticRegression
        reducer = make_pipeline(StandardScaler(), PCA(n_components=3))
        reduced = reducer.fit_transform(X_train)
        classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X_train, y_train)
        held_out = classifier.score(X_test, y_test)
        """
    assert run(shell, textwrap.dedent(code)).success
    view = last_cell_run()
    assert (
        view.tags["mlops.autolog.estimators"]
        == "sklearn.pipeline.Pipeline, sklearn.pipeline.Pipeline"
    )
    assert view.params["pipeline__pca__n_components"] == 3
    assert view.metrics["score_X_test"] == pytest.approx(shell.user_ns["held_out"])
    assert "score" not in view.metrics  # the final step's own score() was the pipeline's business
    from sklearn.pipeline import Pipeline

    assert hasattr(Pipeline, "fit_transform") and not hasattr(
        Pipeline.__dict__["fit_transform"].fn, "__mlops_original__"
    )
    assert not hasattr(shell.user_ns["classifier"], "partial_fit")  # availability checks still work
