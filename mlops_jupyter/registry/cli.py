"""CLI verbs of the registry: ``models ...``, ``audit verify|ls`` and ``export mlflow``.

Exit codes let a CI pipeline gate on them: 0 done; 1 refused by the rules (unapproved or
gate-failing promotion, self-approval, a concurrent alias move, a tampered model file, a broken
audit chain); 2 bad input (unknown model or version, invalid name, missing comment).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from mlops_jupyter.cli import EXIT_CHECK_FAILED, FORMAT_OPTION, emit
from mlops_jupyter.registry.cli_support import TRUST_OPTION, iso_time, registry_errors
from mlops_jupyter.registry.errors import PromotionRefusedError
from mlops_jupyter.registry.governance_cli import models_owners, models_test


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def _show_gates(report: Any) -> None:
    protected = "protected" if report.protected else "unprotected"
    click.echo(
        f"{report.name} v{report.version} -> @{report.alias} ({protected}; status {report.status}, "
        f"{report.approvals}/{report.required_approvals} approval(s); current holder "
        f"{'v' + str(report.current_version) if report.current_version else 'none'})"
    )
    for result in report.results:
        click.echo(f"  [{'pass' if result.passed else 'FAIL'}] {result.gate}: {result.detail}")


# -- models ------------------------------------------------------------------------------------
@click.group("models")
def models_group() -> None:
    """Registered models: versions, approvals, aliases, release bundles.

    \b
    Examples:
      mlops-jupyter models register 01jx... churn
      mlops-jupyter models request-approval churn 3
      MLOPS_JUPYTER_USER=bob mlops-jupyter models approve churn 3 --comment "checked"
      mlops-jupyter models promote churn 3 --alias production
      mlops-jupyter models rollback churn --alias production
      mlops-jupyter models export churn@production ./release
    """


@models_group.command("ls")
@FORMAT_OPTION
@registry_errors
def models_ls(output_format: str) -> None:
    """List registered models with their latest version and aliases."""
    from mlops_jupyter.registry.models import list_models  # noqa: PLC0415 - start-up: sqlalchemy (via registry.models) loads on first use, not on --help

    records = []
    for model in list_models():
        record = model.to_dict()
        record["updated_at"] = iso_time(model.updated_at)
        if output_format != "json":
            record["aliases"] = ", ".join(f"{a}=v{v}" for a, v in sorted(model.aliases.items()))
        records.append(record)
    emit(
        records,
        output_format,
        ["name", "versions", "latest_version", "aliases", "owner", "updated_at"],
    )


def _show_version(name: str, which: str, output_format: str, card: bool) -> None:
    from mlops_jupyter.registry.versions import get_version  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.versions) load on first use, not on --help

    version = get_version(name, which)
    if card:
        click.echo(version.card)
        return
    data = version.to_dict()
    if output_format == "json":
        _echo_json(data)
        return
    click.echo(f"{version.uri}  {version.status}{'  (archived)' if version.archived else ''}")
    for key in (
        "model_class",
        "format",
        "artifact_digest",
        "run_id",
        "registered_by",
        "aliases",
        "approved_by",
    ):
        click.echo(f"  {key:<16}{data[key]}")
    click.echo(f"  {'registered_at':<16}{iso_time(version.registered_at)}")
    click.echo(f"  {'signature':<16}{version.signature or '(none)'}")
    if version.metrics:
        click.echo("metrics:")
        for key, value in sorted(version.metrics.items()):
            click.echo(f"  {key:<24}{value!r}")
    if version.approvals:
        click.echo("approvals:")
        for item in version.approvals:
            comment = f": {item['comment']}" if item["comment"] else ""
            click.echo(
                f"  round {item['round']}  {iso_time(item['at'])}  {item['actor']} {item['decision']}{comment}"
            )


def _show_model(name: str, output_format: str) -> None:
    from mlops_jupyter.registry.aliases import alias_history  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.aliases) load on first use, not on --help
    from mlops_jupyter.registry.models import get_model  # noqa: PLC0415 - start-up: sqlalchemy (via registry.models) loads on first use, not on --help
    from mlops_jupyter.registry.versions import list_versions  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.versions) load on first use, not on --help

    model, versions = get_model(name), list_versions(name)
    if output_format == "json":
        _echo_json({**model.to_dict(), "version_list": [v.to_dict() for v in versions]})
        return
    click.echo(f"{model.name}  owner {model.owner}  {model.description or ''}")
    click.echo(f"policy: {json.dumps(model.policy.to_dict())}")
    rows = [
        {
            "version": v.version,
            "status": v.status + (" (archived)" if v.archived else ""),
            "aliases": ", ".join(v.aliases),
            "registered_by": v.registered_by,
            "registered_at": iso_time(v.registered_at),
            "run_id": v.run_id,
        }
        for v in versions
    ]
    emit(rows, "table")
    history = alias_history(name)
    if history:
        click.echo("alias history:")
        for change in history:
            click.echo(f"  {iso_time(change.at)}  rev {change.revision}  {change}")


@models_group.command("show")
@click.argument("name")
@click.argument("version", required=False)
@click.option("--card", is_flag=True, help="Print the version's model card (Markdown).")
@FORMAT_OPTION
@registry_errors
def models_show(name: str, version: str | None, card: bool, output_format: str) -> None:
    """A model (versions, aliases, policy, alias history), or one VERSION (a number or an alias)."""
    if "@" in name or (version is None and "/" in name):
        name, version = name.replace("@", "/").split("/", 1)
    if version is None:
        if card:
            raise click.UsageError("--card needs a VERSION")
        _show_model(name, output_format)
    else:
        _show_version(name, version, output_format, card)


@models_group.command("register")
@click.argument("run_id")
@click.argument("name")
@click.option(
    "--model-format",
    type=click.Choice(["skops", "pickle"]),
    help="Needed ('pickle') only for a run's pickled model.",
)
@click.option("--description", help="What this version is.")
@TRUST_OPTION
@FORMAT_OPTION
@registry_errors
def models_register(
    run_id: str,
    name: str,
    model_format: str | None,
    description: str | None,
    trusted: tuple[str, ...],
    output_format: str,
) -> None:
    """Register the model logged by RUN_ID as a new version of NAME."""
    from mlops_jupyter.registry.registration import register_model  # noqa: PLC0415 - start-up: pandas (via registry.registration) loads on first use, not on --help
    from mlops_jupyter.registry.serialization import UnsafeFormatWarning  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnsafeFormatWarning)
        version = register_model(
            run_id, name, format=model_format, description=description, trusted=trusted
        )
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    if output_format == "json":
        _echo_json(version.to_dict())
    else:
        click.echo(
            f"registered {version.uri} (sha256 {version.artifact_digest[:16]}, {version.format})"
        )


def _register_version_action(
    command_name: str, function_name: str, verb: str, help_text: str
) -> None:
    """request-approval, approve and reject share their arguments and output."""

    @models_group.command(command_name, help=help_text)
    @click.argument("name")
    @click.argument("version", type=int)
    @click.option("--comment", "-m", help="Why (required to reject).")
    @FORMAT_OPTION
    @registry_errors
    def command(name: str, version: int, comment: str | None, output_format: str) -> None:
        from mlops_jupyter.registry import approvals  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.approvals) load on first use, not on --help

        result = getattr(approvals, function_name)(name, version, comment)
        if output_format == "json":
            _echo_json(result.to_dict())
            return
        approvers = f", approved by {', '.join(result.approved_by)}" if result.approved_by else ""
        click.echo(f"{verb} {result.uri}: status {result.status}{approvers}")


_register_version_action(
    "request-approval",
    "request_approval",
    "requested approval of",
    "Ask for review of VERSION of NAME.",
)
_register_version_action(
    "approve",
    "approve",
    "approved",
    "Approve VERSION of NAME as the acting user (not its registrant).",
)
_register_version_action(
    "reject", "reject", "rejected", "Reject VERSION of NAME; --comment is required."
)


def _echo_change(change: Any, output_format: str) -> None:
    if output_format == "json":
        _echo_json(change.to_dict())
    else:
        click.echo(f"{change} [revision {change.revision}]")


@models_group.command("promote")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--alias", "-a", default="production", show_default=True)
@click.option("--force", is_flag=True, help="Bypass approval and gates (needs --reason; recorded).")
@click.option("--reason", help="Why; required with --force.")
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Only evaluate approval and gates; exit 1 if refused.",
)
@click.option(
    "--expected-revision",
    type=int,
    help="Fail with a conflict unless the alias is still at this revision.",
)
@FORMAT_OPTION
@registry_errors
def models_promote(
    name: str,
    version: int,
    alias: str,
    force: bool,
    reason: str | None,
    check_only: bool,
    expected_revision: int | None,
    output_format: str,
) -> None:
    """Point ALIAS at VERSION of NAME after approval and gates (exit 1 when refused)."""
    from mlops_jupyter.registry.aliases import check_gates, promote  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.aliases) load on first use, not on --help

    if check_only:
        report = check_gates(name, version, alias)
        if output_format == "json":
            _echo_json(report.to_dict())
        else:
            _show_gates(report)
            click.echo("allowed" if report.allowed else "refused: " + "; ".join(report.reasons()))
        sys.exit(0 if report.allowed else EXIT_CHECK_FAILED)
    try:
        change = promote(
            name, version, alias, force=force, reason=reason, expected_revision=expected_revision
        )
    except PromotionRefusedError as refused:
        if output_format != "json":
            _show_gates(refused.report)
        raise
    if output_format != "json" and change.gates:
        for result in change.gates["results"]:
            click.echo(
                f"  [{'pass' if result['passed'] else 'FAIL'}] {result['gate']}: {result['detail']}"
            )
    _echo_change(change, output_format)


@models_group.command("rollback")
@click.argument("name")
@click.option("--alias", "-a", default="production", show_default=True)
@click.option("--reason", help="Why (recorded).")
@FORMAT_OPTION
@registry_errors
def models_rollback(name: str, alias: str, reason: str | None, output_format: str) -> None:
    """Move ALIAS back to the version that held it before its latest move."""
    from mlops_jupyter.registry.aliases import rollback  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.aliases) load on first use, not on --help

    _echo_change(rollback(name, alias, reason=reason), output_format)


@models_group.command("archive")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--reason", help="Why (recorded).")
@registry_errors
def models_archive(name: str, version: int, reason: str | None) -> None:
    """Retire VERSION of NAME (it must not hold an alias)."""
    from mlops_jupyter.registry.versions import archive  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.versions) load on first use, not on --help

    click.echo(f"archived {archive(name, version, reason=reason).uri}")


@models_group.command("export")
@click.argument("ref", metavar="NAME@ALIAS|NAME/VERSION")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@TRUST_OPTION
@registry_errors
def models_export(ref: str, directory: Path, trusted: tuple[str, ...]) -> None:
    """Write a release bundle: model file, signature, input example, requirements, model card,
    lineage summary and a SHA-256 manifest (check it with `sha256sum -c MANIFEST.sha256`)."""
    from mlops_jupyter.registry.export import export_release  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.export) load on first use, not on --help

    target = export_release(ref, directory, trusted=trusted)
    for path in sorted(p for p in target.iterdir()):
        click.echo(f"  {path.name}")
    click.echo(f"exported {ref} to {target}")


@models_group.command("history")
@click.argument("name")
@click.option("--alias", "-a", help="Only this alias.")
@FORMAT_OPTION
@registry_errors
def models_history(name: str, alias: str | None, output_format: str) -> None:
    """Every move of NAME's aliases: who, when, from which version to which, and why."""
    from mlops_jupyter.registry.aliases import alias_history  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.aliases) load on first use, not on --help

    records = [change.to_dict() for change in alias_history(name, alias)]
    columns = [
        "time",
        "alias",
        "revision",
        "action",
        "from_version",
        "to_version",
        "actor",
        "forced",
        "reason",
    ]
    emit(records, output_format, columns if output_format != "json" else None)


@models_group.command("policy")
@click.argument("name")
@click.option("--required-approvals", type=int, help="Distinct approvers a version needs.")
@click.option(
    "--allow-self-approval/--no-self-approval", default=None, help="May the registrant approve?"
)
@click.option(
    "--protect", "protected", multiple=True, help="A protected alias (repeat; replaces the list)."
)
@click.option(
    "--gate",
    "gates",
    multiple=True,
    help="e.g. 'accuracy >= 0.9', 'rmse <= current - 2' (repeat; replaces).",
)
@click.option("--clear-gates", is_flag=True, help="Remove every gate.")
@click.option(
    "--approvers",
    type=click.Choice(["any", "owners"]),
    help="owners: only the model's owners may approve (see `models owners`).",
)
@click.option(
    "--auto-rollback/--no-auto-rollback",
    default=None,
    help="Monitoring: a failing check on a newly released version rolls its alias back.",
)
@click.option(
    "--performance-tolerance",
    type=float,
    default=None,
    help="Monitoring: how much worse than at registration a metric may get (absolute).",
)
@registry_errors
def models_policy(
    name: str,
    required_approvals: int | None,
    allow_self_approval: bool | None,
    protected: tuple[str, ...],
    gates: tuple[str, ...],
    clear_gates: bool,
    approvers: str | None,
    auto_rollback: bool | None,
    performance_tolerance: float | None,
) -> None:
    """Show NAME's policy, or change it (audited)."""
    from mlops_jupyter.registry.models import get_policy, set_policy  # noqa: PLC0415 - start-up: sqlalchemy (via registry.models) loads on first use, not on --help

    if clear_gates and gates:
        raise click.UsageError("use either --gate or --clear-gates")
    changes = (
        any(
            v is not None
            for v in (
                required_approvals,
                allow_self_approval,
                approvers,
                auto_rollback,
                performance_tolerance,
            )
        )
        or protected
        or gates
        or clear_gates
    )
    if not changes:
        _echo_json(get_policy(name).to_dict())
        return
    policy = set_policy(
        name,
        required_approvals=required_approvals,
        allow_self_approval=allow_self_approval,
        protected_aliases=protected or None,
        gates=[] if clear_gates else (gates or None),
        approvers=approvers,
        auto_rollback=auto_rollback,
        performance_tolerance=performance_tolerance,
    )
    _echo_json(policy.to_dict())


@models_group.command("card")
@click.argument("name")
@click.argument("version", type=int)
@click.option(
    "--set",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Replace the card with this Markdown file.",
)
@registry_errors
def models_card(name: str, version: int, source: Path | None) -> None:
    """Print VERSION's model card, or replace it with --set FILE (audited)."""
    from mlops_jupyter.registry.versions import get_version, update_card  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.versions) load on first use, not on --help

    if source is None:
        click.echo(get_version(name, version).card)
        return
    updated = update_card(name, version, source.read_text())
    click.echo(f"updated the card of {updated.uri}")


# -- audit ---------------------------------------------------------------------------------------
@click.group("audit")
def audit_group() -> None:
    """The tamper-evident log of every registry action."""


def _check_head(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from mlops_jupyter.registry.anchor import parse_head  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    if value is not None:
        try:
            parse_head(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    return value


@audit_group.command("verify")
@click.option(
    "--expect-head",
    metavar="[SEQ:]HASH",
    callback=_check_head,
    help="A head recorded earlier outside the database (64 hex digits, optionally SEQ: first); "
    "also catches deleted newest events and recomputed hashes.",
)
@click.option(
    "--anchor",
    "anchor_source",
    metavar="PATH|URL",
    help="An anchor written by `audit anchor` (a file, an fsspec URL, or a release bundle "
    "directory): exit 1 naming the first event that no longer matches it. Checked against "
    "MLOPS_JUPYTER_AUDIT_KEY when that is set.",
)
@FORMAT_OPTION
@registry_errors
def audit_verify(expect_head: str | None, anchor_source: str | None, output_format: str) -> None:
    """Recompute the hash chain: exit 1 naming the first broken event.

    Without an anchor this catches edited, deleted and reordered events. Someone who can write
    the database can also delete the newest events with the head, or recompute every hash after
    an edit; only a head kept elsewhere catches that: `audit anchor --to ...` now, and
    `audit verify --anchor ...` later.
    """
    from mlops_jupyter.registry.anchor import read_anchor  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use
    from mlops_jupyter.registry.audit import verify_audit  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    anchor = read_anchor(anchor_source) if anchor_source is not None else None
    for note in anchor.notes if anchor is not None else ():
        click.echo(f"note: {note}", err=True)
    report = verify_audit(expect_head=expect_head, anchor=anchor)
    if output_format == "json":
        _echo_json(report.to_dict())
    else:
        click.echo(str(report), err=not report.ok)
    sys.exit(0 if report.ok else EXIT_CHECK_FAILED)


@audit_group.command("anchor")
@click.option(
    "--to",
    "to",
    metavar="PATH|URL",
    help="Where to write the anchor: a file or any fsspec URL (s3://bucket/anchors/today.json). "
    "Default: print it.",
)
@click.option(
    "--head-only",
    is_flag=True,
    help="Only the head; without it the anchor also holds a 16-digit fingerprint of every "
    "event, so a later check names the first changed event.",
)
@registry_errors
def audit_anchor(to: str | None, head_only: bool) -> None:
    """Write the audit chain's head outside the database (signed with HMAC-SHA256 when
    MLOPS_JUPYTER_AUDIT_KEY is set), after checking the chain is intact.

    Keep anchors where whoever can write the database cannot (another machine, a
    write-once bucket); `audit verify --anchor PATH` then catches a truncated or recomputed
    chain. Every release bundle also carries the head (audit_head.json).
    """
    from mlops_jupyter.registry.anchor import write_anchor  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use
    from mlops_jupyter.registry.audit import current_anchor  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    anchor = current_anchor(fingerprints=not head_only)
    signed = "signed" if anchor.signature else "unsigned (set MLOPS_JUPYTER_AUDIT_KEY to sign)"
    if to is None:
        click.echo(anchor.to_json(), nl=False)
        click.echo(f"audit head {anchor.head}, {signed}", err=True)
        return
    write_anchor(anchor, to)
    click.echo(f"anchored audit head {anchor.head} ({signed}) to {to}")


@audit_group.command("ls")
@click.option("--model", help="Only events of this model.")
@click.option("--action", help="Only this action (register, approve, promote, ...).")
@click.option("--actor", help="Only this user's actions.")
@click.option("--limit", "-n", type=click.IntRange(min=0), default=50, show_default=True)
@FORMAT_OPTION
@registry_errors
def audit_ls(
    model: str | None, action: str | None, actor: str | None, limit: int, output_format: str
) -> None:
    """Registry actions, newest first."""
    from mlops_jupyter.registry.audit import audit_log  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    try:
        events = audit_log(model, action=action, actor=actor, limit=limit)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    records = [event.to_dict() for event in events]
    if output_format == "table":
        for record in records:
            record["payload"] = json.dumps(record["payload"], sort_keys=True)
            record["hash"] = record["hash"][:12]
        emit(
            records, output_format, ["seq", "time", "actor", "action", "target", "payload", "hash"]
        )
    else:
        emit(records, output_format)


# -- export --------------------------------------------------------------------------------------
@click.group("export")
def export_group() -> None:
    """Export the store to other tools."""


@export_group.command("mlflow")
@click.argument("directory", required=False)
@click.option(
    "--tracking-uri", help="An MLflow tracking URI (e.g. sqlite:///mlflow.db, http://host:5000)."
)
@click.option("--model", "models", multiple=True, help="Only this registered model (repeat).")
@click.option(
    "--experiment", "experiments", multiple=True, help="Only runs of this experiment (repeat)."
)
@click.option("--artifact-root", help="Where new MLflow experiments keep artifacts.")
@TRUST_OPTION
@registry_errors
def export_mlflow(
    directory: str | None,
    tracking_uri: str | None,
    models: tuple[str, ...],
    experiments: tuple[str, ...],
    artifact_root: str | None,
    trusted: tuple[str, ...],
) -> None:
    """Re-create runs and registered models in MLflow, through MLflow's own client.

    Give either DIRECTORY (a new self-contained MLflow store there: DIRECTORY/mlflow.db and
    DIRECTORY/artifacts) or --tracking-uri. Running it again adds only what is new.
    """
    from mlops_jupyter.registry.mlflow_export import export_to_mlflow  # noqa: PLC0415 - start-up: sqlalchemy and numpy (via registry.mlflow_export) load on first use, not on --help

    if (directory is None) == (tracking_uri is None):
        raise click.UsageError("give either DIRECTORY or --tracking-uri")
    report = export_to_mlflow(
        tracking_uri,
        directory=directory,
        models=list(models) or None,
        experiments=list(experiments) or None,
        artifact_root=artifact_root,
        trusted=trusted,
    )
    click.echo(
        f"exported to {report.tracking_uri}: {report.runs_created} run(s) created, {report.runs_existing} already there; "
        f"{len(report.versions_created)} model version(s) created, {len(report.versions_existing)} already there"
    )
    for alias, version in sorted(report.aliases.items()):
        click.echo(f"  {alias} -> MLflow version {version}")
    if directory is not None:
        click.echo(f"open it with: mlflow ui --backend-store-uri {report.tracking_uri}")


# -- governance: models owners / models test (registry/governance_cli.py) ------------------------
models_group.add_command(models_owners)
models_group.add_command(models_test)
