"""Aliases (``production``, ``staging``, ``champion``, ...): which version each one points at,
and the full history of every move — who, when, from which version to which, why, and the gate
results at that moment.

Moves use optimistic concurrency: the caller's view of the alias (its revision) is read first,
and the move commits only if the alias still has that revision. Two people promoting different
versions at the same moment therefore cannot both win: one gets :class:`AliasConflictError`
and the history stays a single line. ``rollback`` walks that line back: each rollback undoes
the most recent move that has not been undone yet.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mlops_jupyter.registry.errors import (
    AliasConflictError,
    InvalidStateError,
    ModelNotFoundError,
    PromotionRefusedError,
    RegistryError,
)
from mlops_jupyter.registry.events import record_gate_failure
from mlops_jupyter.registry.gates import GateReport, GateResult, evaluate
from mlops_jupyter.registry.models import require_model, resolve_actor
from mlops_jupyter.registry.names import alias_target, check_alias, check_model_name
from mlops_jupyter.registry.notebook_gates import notebook_gate_results
from mlops_jupyter.registry.policy import Policy
from mlops_jupyter.registry.versions import approvers_in_round, get_version, require_version
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.ids import now

if TYPE_CHECKING:
    from mlops_jupyter.store.registry import RegistryTransaction

DEFAULT_ALIAS = "production"


@dataclass(frozen=True)
class AliasChange:
    """One move of an alias."""

    name: str
    alias: str
    revision: int
    action: str  # promote | rollback
    from_version: int | None
    to_version: int
    actor: str
    reason: str | None
    forced: bool
    gates: dict[str, Any] | None
    at: float

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AliasChange:
        return cls(
            name=row["name"],
            alias=row["alias"],
            revision=row["revision"],
            action=row["action"],
            from_version=row["from_version"],
            to_version=row["to_version"],
            actor=row["actor"],
            reason=row["reason"],
            forced=bool(row["forced"]),
            gates=json.loads(row["gates"]) if row["gates"] else None,
            at=row["at"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "time": datetime.fromtimestamp(self.at, timezone.utc).isoformat(timespec="seconds"),
        }

    def __str__(self) -> str:
        before = f"v{self.from_version}" if self.from_version is not None else "(unset)"
        forced = " FORCED" if self.forced else ""
        why = f": {self.reason}" if self.reason else ""
        return f"{self.name}@{self.alias} {before} -> v{self.to_version} ({self.action}{forced} by {self.actor}{why})"


def _summary(tx: RegistryTransaction, name: str, version: int) -> dict[str, Any]:
    row = require_version(tx, name, version)
    return {
        "version": row["version"],
        "status": row["status"],
        "metrics": json.loads(row["metrics"]),
    }


def _gate_report(
    tx: RegistryTransaction,
    policy: Policy,
    name: str,
    row: dict[str, Any],
    alias: str,
    extra: list[GateResult] | None = None,
) -> GateReport:
    holder = tx.alias(name, alias)
    current = _summary(tx, name, holder["version"]) if holder is not None else None
    approvals = approvers_in_round(tx.approvals(name, row["version"]), row["approval_round"])
    candidate = {
        "version": row["version"],
        "status": row["status"],
        "metrics": json.loads(row["metrics"]),
    }
    report = evaluate(
        policy, name=name, alias=alias, version=candidate, approvals=len(approvals), current=current
    )
    if extra and report.protected:  # notebook gates, judged before the transaction
        report = dataclasses.replace(report, results=[*report.results, *extra])
    return report


def _notebook_results(
    store: Store, name: str, version: int, alias: str, *, run: bool
) -> list[GateResult]:
    """Notebook gate results for a protected alias (run=False: cached results only)."""
    policy = store.registry.read(lambda tx: Policy.from_json(require_model(tx, name)["policy"]))
    if not policy.notebook_gates or not policy.is_protected(alias):
        return []
    candidate = get_version(name, version, store=store)
    return notebook_gate_results(candidate, policy.notebook_gates, run=run, store=store)


def check_gates(
    name: str, version: int, alias: str = DEFAULT_ALIAS, *, store: Store | None = None
) -> GateReport:
    """Would ``version`` be allowed to take ``alias`` now? Changes nothing."""
    check_alias(alias)
    store = store or get_store()
    notebooks = _notebook_results(store, name, version, alias, run=False)

    def read(tx: RegistryTransaction) -> GateReport:
        policy = Policy.from_json(require_model(tx, name)["policy"])
        row = require_version(tx, name, version)
        return _gate_report(tx, policy, name, row, alias, notebooks)

    return store.registry.read(read)


def _revision(store: Store, name: str, alias: str) -> int:
    """The alias revision the caller is acting on (0: not set yet)."""

    def read(tx: RegistryTransaction) -> int:
        require_model(tx, name)
        holder = tx.alias(name, alias)
        return int(holder["revision"]) if holder is not None else 0

    return store.registry.read(read)


def _conflict(tx: RegistryTransaction, name: str, alias: str, expected: int) -> AliasConflictError:
    holder = tx.alias(name, alias)
    if holder is None:
        now_text = "it is not set"
    else:
        when = datetime.fromtimestamp(holder["updated_at"], timezone.utc).isoformat(
            timespec="seconds"
        )
        now_text = f"it now points at version {holder['version']} (revision {holder['revision']}, by {holder['updated_by']} at {when})"
    return AliasConflictError(
        f"{name}@{alias} changed while this action ran (expected revision {expected}); {now_text}. "
        "Nothing was changed: check the new holder and retry if still wanted.",
        holder,
    )


def _move(
    tx: RegistryTransaction,
    *,
    name: str,
    alias: str,
    to_version: int,
    expected: int,
    action: str,
    actor: str,
    reason: str | None,
    forced: bool,
    report: GateReport | None,
) -> AliasChange:
    """Compare-and-set the alias, then record the change in its history and the audit log."""
    holder = tx.alias(name, alias)
    if (int(holder["revision"]) if holder is not None else 0) != expected:
        raise _conflict(tx, name, alias, expected)
    at = now()
    revision = tx.move_alias(name, alias, to_version, expected, actor, at)
    if revision is None:  # another transaction committed a move after we looked
        raise _conflict(tx, name, alias, expected)
    row = {
        "name": name,
        "alias": alias,
        "revision": revision,
        "action": action,
        "from_version": holder["version"] if holder is not None else None,
        "to_version": to_version,
        "actor": actor,
        "reason": reason,
        "forced": int(forced),
        "gates": json.dumps(report.to_dict()) if report is not None else None,
        "at": at,
    }
    tx.record_alias_change(row)
    payload = {k: row[k] for k in ("revision", "from_version", "to_version", "reason")}
    if report is not None:
        payload["gates"] = [f"{r.gate}: {'pass' if r.passed else 'fail'}" for r in report.results]
        payload["bypassed"] = report.reasons() if forced else []
    tx.append_audit(
        actor=actor,
        action="force" if forced else action,
        model=name,
        target=alias_target(name, alias),
        payload=payload,
        at=at,
    )
    return AliasChange.from_row(row)


def promote(
    name: str,
    version: int,
    alias: str = DEFAULT_ALIAS,
    *,
    force: bool = False,
    reason: str | None = None,
    expected_revision: int | None = None,
    actor: str | None = None,
    store: Store | None = None,
) -> AliasChange:
    """Point ``alias`` at ``version``. A protected alias (policy) takes only an approved version
    that passes every gate, unless ``force=True`` with a ``reason`` (both recorded).

    ``expected_revision``: the alias revision the caller saw (a UI passes it); by default the
    revision read when the call starts. If the alias moved since, nothing changes and
    :class:`AliasConflictError` says who moved it.
    """
    check_model_name(name)
    check_alias(alias)
    reason = reason.strip() if isinstance(reason, str) else None
    if force and not reason:
        raise RegistryError(
            "a forced promotion needs a reason (it is recorded in the history and audit log)"
        )
    store = store or get_store()
    actor = resolve_actor(actor, store)
    expected = (
        _revision(store, name, alias) if expected_revision is None else int(expected_revision)
    )

    # validation notebooks run before the transaction (they take seconds); cached per version
    notebooks = _notebook_results(store, name, version, alias, run=True)

    def work(tx: RegistryTransaction) -> AliasChange:
        policy = Policy.from_json(require_model(tx, name)["policy"])
        row = require_version(tx, name, version, lock=True)
        if row["archived_at"] is not None:
            raise InvalidStateError(
                f"{name} version {row['version']} is archived and cannot take an alias"
            )
        holder = tx.alias(name, alias)
        if (
            holder is not None
            and holder["version"] == row["version"]
            and holder["revision"] == expected
        ):
            raise InvalidStateError(f"{name}@{alias} already points at version {row['version']}")
        report = _gate_report(tx, policy, name, row, alias, notebooks)
        if not report.allowed and not force:
            raise PromotionRefusedError(
                f"{name} version {row['version']} cannot take {'protected ' if report.protected else ''}alias "
                f"{alias!r}: " + "; ".join(report.reasons()),
                report,
            )
        return _move(
            tx,
            name=name,
            alias=alias,
            to_version=row["version"],
            expected=expected,
            action="promote",
            actor=actor,
            reason=reason,
            forced=force,
            report=report,
        )

    try:
        return store.registry.write(work)
    except PromotionRefusedError as refused:
        report = refused.report
        if report is not None and report.protected and not report.gates_passed:
            record_gate_failure(
                report.name,
                report.version,
                report.results,
                reasons=report.reasons(),
                alias=report.alias,
                actor=actor,
                stage="promote",
                store=store,
            )
        raise


def previous_holder(history: list[dict[str, Any]]) -> int | None:
    """The version a rollback returns to: replay the history as a stack (a move pushes, a
    rollback pops) and take the entry below the top."""
    stack: list[int] = []
    for change in history:
        if change["action"] == "rollback":
            stack.pop()
        else:
            stack.append(change["to_version"])
    return stack[-2] if len(stack) >= 2 else None


def rollback(
    name: str,
    alias: str = DEFAULT_ALIAS,
    *,
    reason: str | None = None,
    expected_revision: int | None = None,
    actor: str | None = None,
    store: Store | None = None,
) -> AliasChange:
    """Move ``alias`` back to the version that held it before the latest move still in effect."""
    check_model_name(name)
    check_alias(alias)
    store = store or get_store()
    actor = resolve_actor(actor, store)
    expected = (
        _revision(store, name, alias) if expected_revision is None else int(expected_revision)
    )

    def work(tx: RegistryTransaction) -> AliasChange:
        require_model(tx, name)
        history = tx.alias_history(name, alias)
        if not history:
            raise ModelNotFoundError(
                f"{name}@{alias} has never been set, so there is nothing to roll back"
            )
        target = previous_holder(history)
        if target is None:
            raise InvalidStateError(f"{name}@{alias} has no earlier holder to roll back to")
        row = require_version(tx, name, target, lock=True)
        if row["archived_at"] is not None:
            raise InvalidStateError(
                f"cannot roll {name}@{alias} back to version {target}: it is archived"
            )
        return _move(
            tx,
            name=name,
            alias=alias,
            to_version=target,
            expected=expected,
            action="rollback",
            actor=actor,
            reason=reason.strip() if isinstance(reason, str) and reason.strip() else None,
            forced=False,
            report=None,
        )

    return store.registry.write(work)


def alias_history(
    name: str, alias: str | None = None, *, store: Store | None = None
) -> list[AliasChange]:
    """Every move of the model's aliases (or one alias), oldest first per alias."""
    if alias is not None:
        check_alias(alias)
    store = store or get_store()

    def read(tx: RegistryTransaction) -> list[AliasChange]:
        require_model(tx, name)
        return [AliasChange.from_row(row) for row in tx.alias_history(name, alias)]

    return store.registry.read(read)
