"""Loading registered models on both back ends: by alias and number, hash checks that refuse a
model file altered on disk, skops trusting exactly the recorded types, pickle only when asked
for (with warnings), and signature errors that name every offending column."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from registry_support import approved, diabetes, train_and_register
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sqlalchemy import update

import mlops_jupyter as mj
from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.registry.serialization import UnsafeFormatWarning
from mlops_jupyter.store.schema import model_versions


def test_load_by_alias_and_number(mj_store) -> None:  # type: ignore[no-untyped-def]
    approved("m", 1.0)
    approved("m", 5.0)
    mj.promote("m", 2)
    X, y = diabetes()
    by_alias = mj.load_model("models:/m@production")
    by_number = mj.load_model("models:/m/1")
    assert (by_alias.name, by_alias.version, by_alias.alias) == ("m", 2, "production")
    assert (by_number.version, by_number.alias) == (1, None)
    np.testing.assert_allclose(
        by_alias.predict(X.head(20)), Ridge(alpha=5.0).fit(X, y).predict(X.head(20))
    )
    assert by_alias.signature.names == list(X.columns)
    assert mj.load_model("m/1").version == 1  # the models:/ prefix is optional


def test_a_model_file_altered_on_disk_is_refused(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    version = train_and_register("m")
    path = mj_store.blobs.path_for(version.artifact_digest)
    with open(path, "r+b") as handle:  # flip one byte in the middle of the stored file
        handle.seek(version.artifact_size // 2)
        byte = handle.read(1)[0]
        handle.seek(version.artifact_size // 2)
        handle.write(bytes([byte ^ 0xFF]))
    with pytest.raises(
        mj.ModelIntegrityError,
        match=f"refusing to load models:/m/1: .*SHA-256 {version.artifact_digest}",
    ):
        mj.load_model("models:/m/1")
    with pytest.raises(mj.ModelIntegrityError):
        mj.export_release("m/1", tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


def test_a_missing_model_file_is_refused(mj_store) -> None:  # type: ignore[no-untyped-def]
    version = train_and_register("m")
    mj_store.blobs.delete(version.artifact_digest)
    with pytest.raises(mj.ModelIntegrityError, match="missing"):
        mj.load_model("models:/m/1")


def test_skops_load_does_not_trust_the_recorded_types(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = diabetes()
    mj.register_model(RandomForestRegressor(n_estimators=2, random_state=0).fit(X, y), "forest")
    assert mj.load_model("models:/forest/1").predict(X.head(2)).shape == (2,)
    # the record is information: emptying it (or adding to it) changes nothing about trust
    with mj_store.db.writer.connect() as conn, conn.begin():
        conn.execute(update(model_versions).values(trusted_types="[]"))
    assert mj.load_model("models:/forest/1").predict(X.head(2)).shape == (2,)


def test_pickle_only_when_asked_and_it_warns(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = diabetes()
    model = Ridge().fit(X, y)
    with pytest.warns(UnsafeFormatWarning, match="arbitrary code"):
        version = mj.register_model(model, "pickled", format="pickle")
    assert (
        version.format == "pickle"
        and version.artifact_name == "model/model.pkl"
        and version.trusted_types == []
    )
    with pytest.warns(UnsafeFormatWarning):
        loaded = mj.load_model("models:/pickled/1")
    np.testing.assert_allclose(loaded.predict(X.head()), model.predict(X.head()))
    # a run's pickled model is refused unless format="pickle" says the risk is accepted
    with mj.start_run("pickle-run") as run:
        mj.log_artifact(pickle.dumps(model), "model/model.pkl")
    with pytest.raises(RegistryError, match="logged its model as a pickle"):
        mj.register_model(run.run_id, "pickled")
    assert [v.version for v in mj.list_versions("pickled")] == [1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsafeFormatWarning)
        assert mj.register_model(run.run_id, "pickled", format="pickle").version == 2
    with pytest.raises(RegistryError, match="unknown model format 'cloudpickle'"):
        mj.register_model(model, "pickled", format="cloudpickle")


def test_signature_errors_name_every_column(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    loaded = mj.load_model("models:/m/1")
    X, _ = diabetes()
    bad = X.drop(columns=["bmi", "bp"]).assign(
        age=X["age"].astype(str), s1=X["s1"] > 0, colour="red"
    )
    with pytest.raises(mj.SignatureError) as caught:
        loaded.predict(bad)
    error = caught.value
    assert error.missing == ["bmi", "bp"] and error.extra == ["colour"]
    assert [name for name, _, _ in error.mistyped] == ["age", "s1"]
    message = str(error)
    for fragment in (
        "models:/m/1",
        "missing columns: 'bmi', 'bp'",
        "extra columns: 'colour'",
        "'age' (expected float64, got str)",
        "'s1' (expected float64, got bool)",
    ):
        assert fragment in message
    with pytest.raises(mj.SignatureError, match="expected 10 columns, got 9"):
        loaded.predict(X.to_numpy()[:, :9])
    with pytest.raises(mj.SignatureError, match="duplicate columns: 'age'"):
        loaded.predict(pd.concat([X, X[["age"]]], axis=1))


def test_signature_accepts_reordered_columns_ints_arrays_and_records(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    loaded = mj.load_model("models:/m/1")
    X, _ = diabetes()
    expected = loaded.model.predict(X.head(5))
    np.testing.assert_allclose(loaded.predict(X.head(5)[list(reversed(X.columns))]), expected)
    np.testing.assert_allclose(loaded.predict(X.head(5).to_numpy()), expected)
    np.testing.assert_allclose(loaded.predict(X.head(5).to_dict(orient="records")), expected)
    integers = X.head(5).round().astype("int64")  # an int column may feed a float input
    assert loaded.predict(integers).shape == (5,)


def test_classifier_probabilities_go_through_the_signature(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = load_iris(return_X_y=True, as_frame=True)
    mj.register_model(LogisticRegression(max_iter=500).fit(X, y), "iris", input_example=X.head())
    loaded = mj.load_model("models:/iris/1")
    assert loaded.predict_proba(X.head(3)).shape == (3, 3)
    with pytest.raises(mj.SignatureError, match="missing columns: 'petal width \\(cm\\)'"):
        loaded.predict_proba(X.drop(columns=["petal width (cm)"]))
