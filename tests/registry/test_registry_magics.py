"""``%%track --register NAME`` in a real IPython shell, on both back ends: the cell's fitted model
becomes a registered version whose signature, data lineage and metrics come from the cell."""

from __future__ import annotations

import pytest
from registry_support import diabetes
from shell_support import run, tracked_shell

import mlops_jupyter as mj


def test_track_register_makes_a_version_from_the_cell(mj_store) -> None:  # type: ignore[no-untyped-def]
    with tracked_shell() as shell:
        X, y = diabetes()
        shell.user_ns.update({"X": X, "y": y})
        result = run(
            shell,
            "%%track -n ridge -m r2 --register diabetes\n"
            "from sklearn.linear_model import Ridge\n"
            "model = Ridge(alpha=0.3).fit(X, y)\n"
            "r2 = float(model.score(X, y))\n",
        )
        assert result.success, result.error_in_exec
        [version] = mj.list_versions("diabetes")
    run_view = mj.get_run(version.run_id)
    assert run_view.kind == "cell" and run_view.name == "ridge" and run_view.status == "finished"
    assert version.registered_by == "alice" and version.model_class == "sklearn.linear_model.Ridge"
    assert version.metrics["r2"] == run_view.metrics["r2"]
    # the cell's X, found by fingerprint, gives the training data and the signature
    assert any(d["fingerprint"] == mj.fingerprint(X) and d["fitted_on"] for d in version.datasets)
    assert version.signature is not None and version.signature.names == list(X.columns)
    # the first rows of the cell's X travel with the model as its input example
    assert version.input_example is not None
    assert version.input_example["columns"] == list(X.columns)
    assert len(version.input_example["data"]) == 5
    loaded = mj.load_model("models:/diabetes/1")
    assert loaded.predict(X.head(3)).shape == (3,)
    [event] = mj.audit_log("diabetes", action="register")
    assert event.payload["run_id"] == version.run_id


def test_track_register_with_bad_name_leaves_the_cell_result_alone(mj_store) -> None:  # type: ignore[no-untyped-def]
    with tracked_shell() as shell:
        X, y = diabetes()
        shell.user_ns.update({"X": X, "y": y})
        with pytest.warns(UserWarning, match="invalid model name"):
            result = run(
                shell,
                "%%track --register bad/name\nfrom sklearn.linear_model import Ridge\nmodel = Ridge().fit(X, y)\n",
            )
        assert result.success  # tracking problems warn; the cell's own work stands
        assert "model" in shell.user_ns
    assert mj.list_models() == []
