"""Approvals: a version's review, from request to a decision.

registered --request--> pending --approve x N distinct users--> approved
                                 \\--reject (with a comment)--> rejected --request--> pending ...

Each request opens a new round; approvals count only within the latest round, from distinct
users. The registrant cannot approve their own version unless the policy allows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlops_jupyter.registry.errors import (
    GateFailedError,
    InvalidStateError,
    RegistryError,
    SelfApprovalError,
)
from mlops_jupyter.registry.events import record_gate_failure
from mlops_jupyter.registry.models import require_model, resolve_actor, same_actor
from mlops_jupyter.registry.names import version_target
from mlops_jupyter.registry.notebook_gates import notebook_gate_results
from mlops_jupyter.registry.owners import require_owner_approver
from mlops_jupyter.registry.policy import Policy
from mlops_jupyter.registry.versions import (
    ModelVersion,
    approvers_in_round,
    get_version,
    load_version,
    require_version,
)
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.ids import now

if TYPE_CHECKING:
    from mlops_jupyter.store.registry import RegistryTransaction


def _clean_comment(comment: str | None) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise RegistryError(f"a comment must be text, got {type(comment).__name__}")
    return comment.strip() or None


def _reviewable(row: dict[str, Any], action: str) -> None:
    """Only a pending, unarchived version can be approved or rejected."""
    label = f"{row['name']} version {row['version']}"
    if row["archived_at"] is not None:
        raise InvalidStateError(f"cannot {action} {label}: it is archived")
    if row["status"] != "pending":
        hint = " (request approval first)" if row["status"] in ("registered", "rejected") else ""
        raise InvalidStateError(
            f"cannot {action} {label}: its status is {row['status']}, not pending{hint}"
        )


def _decide(
    name: str,
    version: int,
    *,
    decision: str,
    comment: str | None,
    actor: str,
    store: Store,
    check: Any,
) -> ModelVersion:
    """Record one decision (request/approve/reject) and the status it leads to, atomically."""

    def work(tx: RegistryTransaction) -> ModelVersion:
        policy = Policy.from_json(require_model(tx, name)["policy"])
        row = require_version(tx, name, version, lock=True)
        approvals = tx.approvals(name, row["version"])
        if decision == "approve" and policy.approvers == "owners":
            require_owner_approver(tx, name, row["version"], actor)
        status, round_number = check(row, policy, approvals)
        at = now()
        tx.insert_approval(
            {
                "name": name,
                "version": row["version"],
                "round": round_number,
                "actor": actor,
                "decision": decision,
                "comment": comment,
                "at": at,
            }
        )
        tx.update_version(name, row["version"], status=status, approval_round=round_number)
        approvers = approvers_in_round(
            [*approvals, {"round": round_number, "decision": decision, "actor": actor}],
            round_number,
        )
        tx.append_audit(
            actor=actor,
            action=decision,
            model=name,
            target=version_target(name, row["version"]),
            payload={
                "version": row["version"],
                "round": round_number,
                "comment": comment,
                "status_before": row["status"],
                "status_after": status,
                "approvals": len(approvers),
                "required_approvals": policy.required_approvals,
            },
            at=at,
        )
        return load_version(tx, name, row["version"])

    return store.registry.write(work)


def request_approval(
    name: str,
    version: int,
    comment: str | None = None,
    *,
    actor: str | None = None,
    store: Store | None = None,
) -> ModelVersion:
    """Ask for review: the version becomes pending and a new approval round starts."""
    store = store or get_store()

    def check(
        row: dict[str, Any], _policy: Policy, _approvals: list[dict[str, Any]]
    ) -> tuple[str, int]:
        label = f"{name} version {row['version']}"
        if row["archived_at"] is not None:
            raise InvalidStateError(f"cannot request approval of {label}: it is archived")
        if row["status"] in ("pending", "approved"):
            raise InvalidStateError(f"{label} is already {row['status']}")
        return "pending", int(row["approval_round"]) + 1

    store = store or get_store()
    actor = resolve_actor(actor, store)
    _validation_notebooks(name, version, actor, store)
    return _decide(
        name,
        version,
        decision="request",
        comment=_clean_comment(comment),
        actor=actor,
        store=store,
        check=check,
    )


def _validation_notebooks(name: str, version: int, actor: str, store: Store) -> None:
    """Run the policy's validation notebooks before a review is requested; a failing one
    refuses the request (recorded as ``gate.failed``)."""
    policy = store.registry.read(lambda tx: Policy.from_json(require_model(tx, name)["policy"]))
    if not policy.notebook_gates:
        return
    candidate = get_version(name, version, store=store)
    if candidate.status in ("pending", "approved") or candidate.archived:
        return  # _decide refuses it with the reason
    results = notebook_gate_results(candidate, policy.notebook_gates, store=store)
    failed = [result for result in results if not result.passed]
    if failed:
        reasons = [f"gate failed: {r.gate} ({r.detail})" for r in failed]
        record_gate_failure(
            name,
            candidate.version,
            results,
            reasons=reasons,
            alias=None,
            actor=actor,
            stage="request-approval",
            store=store,
        )
        raise GateFailedError(
            f"cannot request approval of {name} version {candidate.version}: " + "; ".join(reasons),
            results,
        )


def approve(
    name: str,
    version: int,
    comment: str | None = None,
    *,
    actor: str | None = None,
    store: Store | None = None,
) -> ModelVersion:
    """Approve a pending version as the acting user; it becomes approved once the policy's
    number of distinct approvers is reached. Names compare trimmed and case-folded."""
    store = store or get_store()
    actor = resolve_actor(actor, store)

    def check(
        row: dict[str, Any], policy: Policy, approvals: list[dict[str, Any]]
    ) -> tuple[str, int]:
        _reviewable(row, "approve")
        if same_actor(actor, row["registered_by"]) and not policy.allow_self_approval:
            raise SelfApprovalError(
                f"{actor} registered {name} version {row['version']} and cannot approve it: "
                "the policy requires approval by someone else"
            )
        round_number = int(row["approval_round"])
        approvers = approvers_in_round(approvals, round_number)
        if any(same_actor(actor, approver) for approver in approvers):
            raise InvalidStateError(
                f"{actor} has already approved {name} version {row['version']} in this round"
            )
        enough = len(approvers) + 1 >= policy.required_approvals
        return ("approved" if enough else "pending"), round_number

    return _decide(
        name,
        version,
        decision="approve",
        comment=_clean_comment(comment),
        actor=actor,
        store=store,
        check=check,
    )


def reject(
    name: str,
    version: int,
    comment: str | None = None,
    *,
    actor: str | None = None,
    store: Store | None = None,
) -> ModelVersion:
    """Reject a pending version; the comment saying why is required."""
    store = store or get_store()
    cleaned = _clean_comment(comment)
    if cleaned is None:
        raise RegistryError(f"rejecting {name} version {version} needs a comment saying why")

    def check(
        row: dict[str, Any], _policy: Policy, _approvals: list[dict[str, Any]]
    ) -> tuple[str, int]:
        _reviewable(row, "reject")
        return "rejected", int(row["approval_round"])

    return _decide(
        name,
        version,
        decision="reject",
        comment=cleaned,
        actor=resolve_actor(actor, store),
        store=store,
        check=check,
    )


def list_approvals(
    name: str, version: int | None = None, *, store: Store | None = None
) -> list[dict[str, Any]]:
    """Every request and decision on a model (or one version), oldest first."""
    store = store or get_store()

    def read(tx: RegistryTransaction) -> list[dict[str, Any]]:
        if version is None:
            require_model(tx, name)
            return tx.approvals(name)
        row = require_version(tx, name, version)
        return tx.approvals(name, row["version"])

    return store.registry.read(read)
