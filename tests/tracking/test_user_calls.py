"""What autolog decides within a tracked cell, on real scikit-learn code in a real IPython shell:
only the user's own calls are reported (never a helper scikit-learn fits or scores inside its
own functions), estimator classes from anywhere can be logged, and a search's runs stay bounded.
"""

from __future__ import annotations

import csv
import io
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from shell_support import cell_runs, run, tracked_shell

import mlops_jupyter as mj
from mlops_jupyter.tracking.model_log import MODEL_ARTIFACT, TAG_ESTIMATORS, TAG_MODEL_CLASS
from mlops_jupyter.tracking.problems import TrackingWarning

SETUP = textwrap.dedent(
    """
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    """
)


@pytest.fixture
def shell(sqlite_store):  # type: ignore[no-untyped-def]
    with tracked_shell() as shell:
        assert run(shell, SETUP).success
        yield shell


def tracked(shell, code: str) -> mj.RunView:  # type: ignore[no-untyped-def]
    """Run ``code`` as a ``%%track`` cell; fail on any tracking warning; the cell's run."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(shell, "%%track\n" + textwrap.dedent(code))
    assert result.success, result.error_in_exec
    problems = [str(w.message) for w in caught if issubclass(w.category, TrackingWarning)]
    assert problems == []
    frame = cell_runs()
    return mj.get_run(frame.run_id.iloc[-1])


def test_an_estimator_class_defined_in_the_notebook_is_logged(shell) -> None:  # type: ignore[no-untyped-def]
    view = tracked(
        shell,
        """
        from sklearn.svm import LinearSVC
        class MySVC(LinearSVC):
            pass
        model = MySVC(random_state=0).fit(X_train, y_train)
        """,
    )
    assert view.tags[TAG_MODEL_CLASS] == "__main__.MySVC"
    assert view.tags[TAG_ESTIMATORS] == "__main__.MySVC"
    assert view.params["random_state"] == 0
    assert any(item["name"] == MODEL_ARTIFACT for item in view.artifacts)


def test_estimator_classes_from_local_modules_and_other_packages(
    shell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "local_models.py").write_text(
        "from sklearn.linear_model import LogisticRegression\n"
        "class Wide(LogisticRegression):\n    pass\n"
    )
    package = tmp_path / "vendorpkg"
    package.mkdir()
    (package / "__init__.py").write_text("from vendorpkg._impl import Narrow\n")
    (package / "_impl.py").write_text(
        "from sklearn.tree import DecisionTreeClassifier\n"
        "class Narrow(DecisionTreeClassifier):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        view = tracked(
            shell,
            """
            from local_models import Wide
            wide = Wide(max_iter=500).fit(X_train, y_train)
            """,
        )
        assert view.tags[TAG_MODEL_CLASS] == "local_models.Wide"
        view = tracked(
            shell,
            """
            from vendorpkg import Narrow
            narrow = Narrow(max_depth=2).fit(X_train, y_train)
            """,
        )
        assert view.tags[TAG_MODEL_CLASS] == "vendorpkg.Narrow"  # the public path
    finally:
        for name in ("local_models", "vendorpkg", "vendorpkg._impl"):
            sys.modules.pop(name, None)


def test_helpers_fitted_inside_scikit_learn_are_not_the_model(shell) -> None:  # type: ignore[no-untyped-def]
    view = tracked(
        shell,
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import classification_report
        clf = LogisticRegression(max_iter=500).fit(X_train, y_train)
        print(classification_report(y_test, clf.predict(X_test), target_names=["a", "b", "c"]))
        """,
    )
    assert view.tags[TAG_MODEL_CLASS] == "sklearn.linear_model.LogisticRegression"
    assert view.tags[TAG_ESTIMATORS] == "sklearn.linear_model.LogisticRegression"
    assert "LabelEncoder" not in str(view.params)


def test_metrics_computed_inside_scikit_learn_are_not_the_cells(shell) -> None:  # type: ignore[no-untyped-def]
    view = tracked(
        shell,
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score
        from sklearn.model_selection import TunedThresholdClassifierCV, cross_val_score
        binary_train, binary_test = y_train == 0, y_test == 0
        fold_scores = cross_val_score(
            LogisticRegression(max_iter=500), X_train, binary_train, scoring="accuracy", cv=3
        )
        tuned = TunedThresholdClassifierCV(LogisticRegression(max_iter=500), scoring="accuracy", cv=3)
        tuned.fit(X_train, binary_train)
        held_out = accuracy_score(binary_test, tuned.predict(X_test))
        """,
    )
    assert view.tags[TAG_MODEL_CLASS] == "sklearn.model_selection.TunedThresholdClassifierCV"
    # the folds' and the threshold scan's own accuracy_score calls are not metrics; the user's is
    assert {key for key in view.metrics if "accuracy" in key} == {"accuracy_score_binary_test"}
    assert view.metrics["accuracy_score_binary_test"] == pytest.approx(shell.user_ns["held_out"])


def test_nested_cross_validation_is_bounded(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "%config Track.max_child_runs = 3")
    view = tracked(
        shell,
        """
        import numpy as np
        from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
        from sklearn.svm import SVC
        grid = {"C": [1, 10, 100], "gamma": [0.01, 0.1]}
        nested = np.zeros(4)
        for trial in range(4):
            search = GridSearchCV(SVC(), grid, cv=KFold(3, shuffle=True, random_state=trial))
            search.fit(X, y)
            nested[trial] = cross_val_score(search, X=X, y=y, cv=KFold(3, shuffle=True, random_state=trial)).mean()
        """,
    )
    search = shell.user_ns["search"]
    assert view.tags[TAG_MODEL_CLASS] == "sklearn.svm.SVC"  # the last search's best estimator
    assert view.params["best_C"] == search.best_params_["C"]
    assert "score" not in view.metrics  # no fold score of cross_val_score is the cell's metric
    assert len(view.children) == 3  # Track.max_child_runs best candidates, of the last search
    results = search.cv_results_
    best = sorted(range(6), key=lambda i: (results["rank_test_score"][i], i))[:3]
    assert sorted(int(mj.get_run(c).name.rsplit(" ", 1)[1]) for c in view.children) == sorted(best)
    table = list(csv.DictReader(io.StringIO(view.artifact_bytes("cv_results.csv").decode())))
    assert len(table) == 6  # every candidate in one table artifact
    assert float(table[0]["mean_test_score"]) == pytest.approx(results["mean_test_score"][0])
    names = sorted(item["name"] for item in view.inputs)
    assert names == ["X", "y"]  # the same X and y, fitted 4 times: recorded once


def test_a_user_cross_val_score_records_no_fold_model(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "%config Track.max_child_runs = 0")
    view = tracked(
        shell,
        """
        from sklearn.model_selection import GridSearchCV, cross_val_score
        from sklearn.neighbors import KNeighborsClassifier
        scores = cross_val_score(KNeighborsClassifier(), X, y, cv=3)
        search = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [1, 3]}, cv=3).fit(X, y)
        """,
    )
    assert view.tags[TAG_ESTIMATORS] == "sklearn.model_selection.GridSearchCV"
    assert view.children == []


def test_max_child_runs_applies_to_start_run_blocks_too(shell) -> None:  # type: ignore[no-untyped-def]
    from mlops_jupyter.tracking import settings

    try:
        run(shell, "%config Track.max_child_runs = 2")
        code = """\
            import mlops_jupyter as mj
            from sklearn.model_selection import GridSearchCV
            from sklearn.neighbors import KNeighborsClassifier
            with mj.start_run(name="block") as block:
                GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [1, 3, 5, 7]}, cv=3).fit(X, y)
            """
        assert run(shell, textwrap.dedent(code)).success
        view = mj.get_run(shell.user_ns["block"].run_id)
        assert len(view.children) == 2
        assert len(view.artifact_bytes("cv_results.csv").decode().splitlines()) == 5  # header + 4
    finally:
        settings.reset()
