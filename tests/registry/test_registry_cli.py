"""The registry CLI on both back ends: the release flow as a CI pipeline would script it, with
the exit codes it gates on (0 done, 1 refused by the rules, 2 bad input) and nothing changed by
a refused or bad command."""

from __future__ import annotations

import json

from click.testing import CliRunner
from registry_support import audit_count, diabetes
from sklearn.linear_model import Ridge

import mlops_jupyter as mj
from mlops_jupyter.cli import cli


def _logged_run(alpha: float) -> str:
    """A tracked run that logged its data, metrics and model (as a %%track cell does)."""
    X, y = diabetes()
    with mj.start_run(f"ridge-{alpha}") as run:
        mj.log_input(X, name="X")
        model = Ridge(alpha=alpha).fit(X, y)
        mj.log_metric("r2", float(model.score(X, y)))
        mj.log_artifact(model, "model/model.skops")
    return run.run_id


def _invoke(*args: str, user: str = "alice") -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"MLOPS_JUPYTER_USER": user})
    return result.exit_code, result.output


def test_release_flow_and_exit_codes(mj_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = _logged_run(1.0), _logged_run(0.01)
    assert _invoke("models", "register", first, "churn")[0] == 0
    code, out = _invoke("models", "register", second, "churn", "--format", "json")
    assert code == 0 and json.loads(out)["version"] == 2

    code, out = _invoke("models", "ls", "--format", "json")
    assert code == 0 and json.loads(out)[0]["latest_version"] == 2

    assert _invoke("models", "request-approval", "churn", "1")[0] == 0
    code, out = _invoke("models", "approve", "churn", "1")
    assert code == 1 and "cannot approve it" in out  # self-approval is a refusal: exit 1
    code, out = _invoke("models", "approve", "churn", "1", "-m", "looks right", user="bob")
    assert code == 0 and "status approved, approved by bob" in out

    code, out = _invoke("models", "promote", "churn", "2")
    assert code == 1 and "is not approved" in out
    code, out = _invoke("models", "promote", "churn", "1", "--check")
    assert code == 0 and "allowed" in out
    code, out = _invoke("models", "promote", "churn", "1", user="bob")
    assert code == 0 and "churn@production (unset) -> v1" in out

    code, out = _invoke("models", "policy", "churn", "--gate", "r2 >= current + 0.5", user="lead")
    assert code == 0 and json.loads(out)["gates"] == ["r2 >= current + 0.5"]
    _invoke("models", "request-approval", "churn", "2")
    _invoke("models", "approve", "churn", "2", user="bob")
    code, out = _invoke("models", "promote", "churn", "2", "--check", "--format", "json")
    report = json.loads(out)
    assert (
        code == 1
        and report["approved"]
        and not report["gates_passed"]
        and report["current_version"] == 1
    )
    code, out = _invoke("models", "promote", "churn", "2")
    assert code == 1 and "[FAIL] r2 >= current + 0.5" in out and "gate failed" in out
    code, out = _invoke(
        "models", "promote", "churn", "2", "--force", "--reason", "release train 12"
    )
    assert code == 0 and "FORCED" in out and "release train 12" in out

    code, out = _invoke("models", "history", "churn", "--format", "json")
    assert [(h["from_version"], h["to_version"], h["forced"]) for h in json.loads(out)] == [
        (None, 1, False),
        (1, 2, True),
    ]
    code, out = _invoke("models", "rollback", "churn", "--reason", "alerts")
    assert code == 0 and "v2 -> v1 (rollback by alice: alerts)" in out
    code, out = _invoke("models", "show", "churn@production", "--format", "json")
    assert code == 0 and json.loads(out)["version"] == 1
    code, out = _invoke("models", "show", "churn")
    assert code == 0 and "alias history:" in out and "rev 3" in out
    code, out = _invoke("models", "show", "churn", "1", "--card")
    assert code == 0 and out.startswith("# Model card: churn v1")

    code, out = _invoke("models", "export", "churn@production", str(tmp_path / "bundle"))
    assert (
        code == 0 and "MANIFEST.sha256" in out and (tmp_path / "bundle" / "model.skops").is_file()
    )
    code, out = _invoke("models", "archive", "churn", "2", "--reason", "superseded")
    assert code == 0 and "archived models:/churn/2" in out
    card = tmp_path / "card.md"
    card.write_text("# Reviewed card\n")
    assert _invoke("models", "card", "churn", "1", "--set", str(card))[0] == 0
    assert _invoke("models", "card", "churn", "1")[1] == "# Reviewed card\n\n"
    assert _invoke("audit", "verify")[0] == 0


def test_bad_input_exits_2_and_changes_nothing(mj_store) -> None:  # type: ignore[no-untyped-def]
    run_id = _logged_run(1.0)
    _invoke("models", "register", run_id, "churn")
    _invoke("models", "request-approval", "churn", "1")
    before = audit_count()
    cases = [
        (("models", "show", "nope"), "no registered model named 'nope'"),
        (("models", "approve", "churn", "9"), "has no version 9"),
        (("models", "reject", "churn", "1"), "needs a comment"),
        (("models", "promote", "churn", "1", "--alias", "Prod"), "invalid alias name 'Prod'"),
        (("models", "promote", "churn", "1", "--force"), "needs a reason"),
        (("models", "register", "nosuchrun000", "churn"), "no run with id"),
        (("models", "register", run_id, "bad/name"), "invalid model name"),
        (("models", "policy", "churn", "--gate", "r2 ~ 1"), "cannot read gate"),
        (("models", "rollback", "churn"), "never been set"),
        (("models", "approve", "churn", "one"), "is not a valid integer"),
    ]
    for args, message in cases:
        code, out = _invoke(*args, user="bob")
        assert code == 2, (args, out)
        assert message in out, (args, out)
    assert audit_count() == before and mj.get_version("churn", 1).status == "pending"
    assert mj.get_model("churn").aliases == {}
