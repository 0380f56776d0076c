"""The registry on both back ends: registration from every source, approvals, gates, promotion,
forced promotion, rollback, archive, policy, cards — and bad input that changes nothing."""

from __future__ import annotations

import json

import pytest
from registry_support import approved, audit_count, diabetes, train_and_register
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge

import mlops_jupyter as mj
from mlops_jupyter.registry.errors import InvalidNameError, InvalidStateError, RegistryError


# -- registration ---------------------------------------------------------------------------------
def test_register_estimator_records_hash_lineage_signature_card(mj_store) -> None:  # type: ignore[no-untyped-def]
    version = train_and_register("diabetes", alpha=0.5)
    assert (version.name, version.version, version.status) == ("diabetes", 1, "registered")
    assert (
        version.registered_by == "alice"
        and version.format == "skops"
        and version.flavor == "sklearn"
    )
    assert version.model_class == "sklearn.linear_model.Ridge"
    # the recorded hash is the hash of the stored bytes
    import hashlib

    assert (
        hashlib.sha256(mj_store.blobs.get_bytes(version.artifact_digest)).hexdigest()
        == version.artifact_digest
    )
    run = mj.get_run(version.run_id)
    assert run.tags["mlops.model_artifact"] == version.artifact_name == "model/model.skops"
    assert version.params == {"alpha": 0.5} and version.metrics["r2"] == pytest.approx(
        run.metrics["r2"]
    )
    [dataset] = version.datasets
    X, _ = diabetes()
    assert dataset["fingerprint"] == mj.fingerprint(X) and dataset["rows"] == len(X)
    assert version.signature is not None and version.signature.names == list(X.columns)
    assert {c.dtype for c in version.signature.columns} == {"float64"}
    assert (
        version.input_example["columns"] == list(X.columns)
        and len(version.input_example["data"]) == 5
    )
    assert "## Data" in version.card and dataset["fingerprint"][:16] in version.card
    assert "| alpha | 0.5 |" in version.card and "## Limitations" in version.card
    # the run -> model version lineage edge
    edges = mj_store.lineage.edges_of_nodes("model_version", [version.version_id])
    assert [(e["run_id"], e["role"]) for e in edges] == [(version.run_id, "output")]


def test_register_from_run_id_run_and_runview_numbers_versions(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = diabetes()
    with mj.start_run("logged") as run:
        mj.log_input(X, name="X")
        mj.log_artifact(Ridge().fit(X, y))  # a skops file, as the tracking layer stores estimators
        mj.log_metric("r2", 0.4)
    by_id = mj.register_model(run.run_id, "m")
    by_prefix = mj.register_model(run.run_id[:12], "m")
    by_run = mj.register_model(run, "m")
    by_view = mj.register_model(mj.get_run(run.run_id), "m")
    assert [v.version for v in (by_id, by_prefix, by_run, by_view)] == [1, 2, 3, 4]
    assert len({v.artifact_digest for v in (by_id, by_run, by_view)}) == 1
    # without an input example the signature comes from the dataset the run read
    assert by_id.signature.names == list(X.columns) and by_id.input_example is None
    assert [v.version for v in mj.list_versions("m")] == [1, 2, 3, 4]


def test_register_from_run_keeps_its_logged_input_example(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = diabetes()
    example = {"columns": list(X.columns), "data": X.head(2).to_numpy().tolist()}
    with mj.start_run("with-example") as run:
        mj.log_artifact(Ridge().fit(X, y), "model/model.skops")
        mj.log_artifact(example, "model/input_example.json")
    assert mj.register_model(run.run_id, "m").input_example == example


def test_register_outside_any_run_logs_into_the_session_run(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = diabetes()
    version = mj.register_model(Ridge().fit(X.to_numpy(), y), "arrays")
    assert version.signature.n_features == 10 and not version.signature.columns
    assert mj.get_run(version.run_id).kind == "script"


def test_tree_model_trusted_types_are_recorded(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = diabetes()
    model = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, y)
    version = mj.register_model(model, "forest")
    assert version.trusted_types == ["sklearn.tree._tree.Tree"]
    loaded = mj.load_model("models:/forest/1")
    assert (loaded.predict(X.head()) == model.predict(X.head())).all()


def test_card_sections_and_edits(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = diabetes()
    sections = {
        "intended_use": "Ranking patients for follow-up.",
        "limitations": ["Adults only."],
        "ethics": "Reviewed.",
    }
    version = mj.register_model(Ridge().fit(X, y), "carded", card=sections)
    assert "Ranking patients for follow-up." in version.card and "- Adults only." in version.card
    assert "## Ethics\n\nReviewed." in version.card
    events = audit_count()
    edited = mj.update_card("carded", 1, "# Edited card\n", actor="carol")
    assert (
        edited.card == "# Edited card\n" and mj.get_version("carded", 1).card == "# Edited card\n"
    )
    [event] = mj.audit_log("carded", action="card")
    assert event.actor == "carol" and audit_count() == events + 1
    whole = mj.register_model(Ridge().fit(X, y), "carded", card="# Mine\n")
    assert whole.card == "# Mine\n"


# -- approvals ------------------------------------------------------------------------------------
def test_self_approval_is_refused_and_changes_nothing(mj_store) -> None:  # type: ignore[no-untyped-def]
    version = train_and_register("m")
    mj.request_approval("m", version.version)
    before = audit_count()
    with pytest.raises(
        mj.SelfApprovalError, match="alice registered m version 1 and cannot approve it"
    ):
        mj.approve("m", 1)  # MLOPS_JUPYTER_USER=alice registered it
    assert mj.get_version("m", 1).status == "pending" and audit_count() == before


def test_self_approval_allowed_by_policy(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    mj.set_policy("m", allow_self_approval=True)
    mj.request_approval("m", 1)
    assert mj.approve("m", 1).status == "approved"


def test_required_distinct_approvers(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    mj.set_policy("m", required_approvals=2)
    mj.request_approval("m", 1)
    assert mj.approve("m", 1, actor="bob").status == "pending"
    with pytest.raises(InvalidStateError, match="bob has already approved"):
        mj.approve("m", 1, actor="bob")
    done = mj.approve("m", 1, "fine", actor="carol")
    assert done.status == "approved" and done.approved_by == ["bob", "carol"]
    assert [(a["actor"], a["decision"]) for a in done.approvals] == [
        ("alice", "request"),
        ("bob", "approve"),
        ("carol", "approve"),
    ]


def test_reject_needs_comment_and_a_new_round_starts_after_rejection(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    mj.request_approval("m", 1)
    before = audit_count()
    for empty in (None, "", "   "):
        with pytest.raises(RegistryError, match="needs a comment"):
            mj.reject("m", 1, empty, actor="bob")
    assert mj.get_version("m", 1).status == "pending" and audit_count() == before
    rejected = mj.reject("m", 1, "r2 too low", actor="bob")
    assert rejected.status == "rejected" and rejected.approvals[-1]["comment"] == "r2 too low"
    with pytest.raises(InvalidStateError, match="status is rejected, not pending"):
        mj.approve("m", 1, actor="carol")
    again = mj.request_approval("m", 1, "retrained data checked")
    assert again.status == "pending" and again.approval_round == 2
    assert mj.approve("m", 1, actor="carol").status == "approved"


def test_approve_before_request_is_refused(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    with pytest.raises(InvalidStateError, match="request approval first"):
        mj.approve("m", 1, actor="bob")


# -- promotion, gates, rollback ---------------------------------------------------------------------
def test_promoting_an_unapproved_version_to_a_protected_alias_is_refused(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    before = audit_count()
    with pytest.raises(mj.PromotionRefusedError, match="is not approved") as refused:
        mj.promote("m", 1, "production")
    assert refused.value.report.protected and not refused.value.report.allowed
    assert mj.get_model("m").aliases == {} and audit_count() == before
    # an unprotected alias takes it
    change = mj.promote("m", 1, "staging")
    assert (change.from_version, change.to_version, change.actor) == (None, 1, "alice")
    assert mj.get_model("m").aliases == {"staging": 1}


def test_gates_absolute_and_beat_the_holder(mj_store) -> None:  # type: ignore[no-untyped-def]
    approved("m", alpha=1.0, extra_metrics={"rmse": 60.0})
    mj.set_policy("m", gates=["r2 >= 0.3", "rmse <= current - 1"])
    first = mj.promote("m", 1)  # no holder yet: the relative gate has nothing to beat
    assert first.gates["allowed"] and "nothing to beat" in first.gates["results"][1]["detail"]
    approved("m", alpha=1.0, extra_metrics={"rmse": 59.5})  # better, but not by 1
    report = mj.check_gates("m", 2, "production")
    assert report.approved and not report.gates_passed and report.current_version == 1
    assert [r.passed for r in report.results] == [True, False]
    assert report.results[1].bound == pytest.approx(59.0)
    with pytest.raises(
        mj.PromotionRefusedError, match=r"gate failed: rmse <= current - 1 \(59.5 misses <= 59\)"
    ):
        mj.promote("m", 2)
    approved("m", alpha=1.0, extra_metrics={"rmse": 55.0})
    assert mj.promote("m", 3).to_version == 3
    approved("m", alpha=1.0, extra_metrics={})
    missing = mj.check_gates("m", 4)
    assert "has no metric 'rmse'" in missing.results[1].detail and not missing.allowed


def test_force_needs_a_reason_which_is_recorded(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    with pytest.raises(RegistryError, match="needs a reason"):
        mj.promote("m", 1, force=True)
    change = mj.promote("m", 1, force=True, reason="hotfix for incident 42", actor="ops")
    assert change.forced and change.reason == "hotfix for incident 42"
    [event] = mj.audit_log("m", action="force")
    assert event.actor == "ops" and event.payload["reason"] == "hotfix for incident 42"
    assert any("not approved" in reason for reason in event.payload["bypassed"])


def test_rollback_walks_the_history_back(mj_store) -> None:  # type: ignore[no-untyped-def]
    for alpha in (1.0, 2.0, 3.0):
        approved("m", alpha)
    for number in (1, 2, 3):
        mj.promote("m", number, actor="bob")
    with pytest.raises(InvalidStateError, match="already points at version 3"):
        mj.promote("m", 3)
    assert mj.rollback("m", reason="latency regression").to_version == 2
    assert mj.rollback("m").to_version == 1
    with pytest.raises(InvalidStateError, match="no earlier holder"):
        mj.rollback("m")
    mj.promote("m", 3)
    assert mj.rollback("m").to_version == 1
    history = mj.alias_history("m", "production")
    assert [(h.action, h.from_version, h.to_version, h.revision) for h in history] == [
        ("promote", None, 1, 1),
        ("promote", 1, 2, 2),
        ("promote", 2, 3, 3),
        ("rollback", 3, 2, 4),
        ("rollback", 2, 1, 5),
        ("promote", 1, 3, 6),
        ("rollback", 3, 1, 7),
    ]
    assert history[3].reason == "latency regression" and history[0].actor == "bob"
    assert mj.get_model("m").aliases == {"production": 1}
    assert mj.load_model("models:/m@production").version == 1


def test_archive_refuses_alias_holders_and_blocks_promotion(mj_store) -> None:  # type: ignore[no-untyped-def]
    approved("m")
    approved("m", 2.0)
    mj.promote("m", 1)
    with pytest.raises(InvalidStateError, match="holds alias"):
        mj.archive("m", 1)
    archived = mj.archive("m", 2, reason="superseded")
    assert archived.archived and archived.archived_by == "alice"
    with pytest.raises(InvalidStateError, match="archived"):
        mj.promote("m", 2)
    with pytest.raises(InvalidStateError, match="already archived"):
        mj.archive("m", 2)
    assert mj.load_model("models:/m/2").version == 2  # still loadable by number


def test_policy_changes_are_validated_and_audited(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    policy = mj.set_policy(
        "m", protected_aliases=["production", "champion"], gates=["r2 > 0.1"], actor="lead"
    )
    assert policy.to_dict()["gates"] == ["r2 > 0.1"] and mj.get_policy("m") == policy
    [event] = mj.audit_log("m", action="policy")
    assert event.payload["before"]["gates"] == [] and event.payload["after"][
        "protected_aliases"
    ] == ["production", "champion"]
    before = audit_count()
    for bad in ({"gates": ["r2 ~ 3"]}, {"required_approvals": 0}, {"protected_aliases": ["Prod!"]}):
        with pytest.raises(RegistryError):
            mj.set_policy("m", **bad)
    assert mj.get_policy("m") == policy and audit_count() == before


# -- bad input changes nothing --------------------------------------------------------------------
def test_unknown_model_and_version_are_clear_errors(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    before = audit_count()
    with pytest.raises(
        mj.ModelNotFoundError, match="no registered model named 'nope'; registered models: m"
    ):
        mj.request_approval("nope", 1)
    with pytest.raises(
        mj.ModelNotFoundError, match="model 'm' has no version 7; it has versions 1-1"
    ):
        mj.approve("m", 7, actor="bob")
    with pytest.raises(mj.ModelNotFoundError, match="has no alias 'production'"):
        mj.load_model("models:/m@production")
    with pytest.raises(mj.ModelNotFoundError):
        mj.promote("m", 9, "staging")
    with pytest.raises(mj.ModelNotFoundError, match="never been set"):
        mj.rollback("m")
    with pytest.raises(mj.RunNotFoundError):
        mj.register_model("0000nosuchrun", "m")
    assert audit_count() == before and [v.version for v in mj.list_versions("m")] == [1]


def test_invalid_names_are_refused(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m")
    before = audit_count()
    for alias in ("Production", "prod uction", "3", "", "x" * 65, "@prod"):
        with pytest.raises(InvalidNameError, match="invalid alias name"):
            mj.promote("m", 1, alias)
    X, y = diabetes()
    for name in ("a/b", "bad name", "", "x@y", "-lead"):
        with pytest.raises(InvalidNameError, match="invalid model name"):
            mj.register_model(Ridge().fit(X, y), name)
    with pytest.raises(InvalidNameError):
        mj.load_model("models:/m")
    assert audit_count() == before and [m.name for m in mj.list_models()] == ["m"]


def test_lists_and_details_serialise_for_rest(mj_store) -> None:  # type: ignore[no-untyped-def]
    approved("m")
    mj.promote("m", 1)
    for value in (mj.list_models(), mj.list_versions("m"), mj.alias_history("m"), mj.audit_log()):
        json.dumps([item.to_dict() for item in value])
    detail = mj.get_version("m", "production").to_dict()
    assert detail["aliases"] == ["production"] and detail["uri"] == "models:/m/1"
    assert detail["approved_by"] == ["bob"] and detail["signature"]["columns"][0]["name"] == "age"
    json.dumps(mj.check_gates("m", 1, "production").to_dict())
    assert mj.get_model("m").to_dict()["aliases"] == {"production": 1}


def test_gc_keeps_model_files_no_run_artifact_points_at(mj_store) -> None:  # type: ignore[no-untyped-def]
    X, y = diabetes()
    with mj.start_run("two-models"):
        first = mj.register_model(Ridge(alpha=1.0).fit(X, y), "m")
        second = mj.register_model(
            Ridge(alpha=9.0).fit(X, y), "m"
        )  # replaces the run's model/model.skops
    [record] = [a for a in mj.get_run(first.run_id).artifacts if a["name"] == "model/model.skops"]
    assert record["digest"] == second.artifact_digest != first.artifact_digest
    from click.testing import CliRunner

    from mlops_jupyter.cli import cli

    assert CliRunner().invoke(cli, ["gc"]).exit_code == 0
    assert mj.load_model("models:/m/1").model.alpha == 1.0
