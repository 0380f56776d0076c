"""Gate evaluation: may this version take this alias? The answer combines the version's approval
state with each metric gate of the policy, judged on the metrics snapshot taken at registration
(and, for "beats the current holder" gates, the holder's snapshot).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from mlops_jupyter.registry.policy import Gate, Policy


@dataclass(frozen=True)
class GateResult:
    """One gate judged on one version."""

    gate: str
    metric: str
    value: float | None
    bound: float | None
    passed: bool
    detail: str
    # notebook gates: the validation run and its output notebook (artifact of that run)
    run_id: str | None = None
    output_notebook: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateReport:
    """Everything that decides a promotion, so a view can show it before anyone promotes."""

    name: str
    version: int
    alias: str
    protected: bool
    status: str
    approvals: int
    required_approvals: int
    current_version: int | None
    results: list[GateResult] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        """Approved, and the approvals of its round still number what the policy requires:
        the status column alone (which a writer role can edit on PostgreSQL) never releases."""
        return self.status == "approved" and self.approvals >= self.required_approvals

    @property
    def gates_passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def allowed(self) -> bool:
        """Unprotected aliases take any version that is not rejected; protected ones need
        approval and every gate."""
        if not self.protected:
            return self.status != "rejected"
        return self.approved and self.gates_passed

    def reasons(self) -> list[str]:
        """Why the promotion is refused (empty when it is allowed)."""
        reasons = []
        if self.status == "rejected":
            reasons.append(f"version {self.version} was rejected")
        elif self.protected and not self.approved:
            reasons.append(
                f"version {self.version} is not approved (status {self.status}, "
                f"{self.approvals} of {self.required_approvals} approval(s))"
            )
        if self.protected:
            reasons += [
                f"gate failed: {result.gate} ({result.detail})"
                for result in self.results
                if not result.passed
            ]
        return reasons

    def to_dict(self) -> dict[str, Any]:
        return {
            **{key: value for key, value in asdict(self).items() if key != "results"},
            "approved": self.approved,
            "gates_passed": self.gates_passed,
            "allowed": self.allowed,
            "reasons": self.reasons(),
            "results": [result.to_dict() for result in self.results],
        }


def _metric(metrics: dict[str, Any] | None, key: str) -> float | None:
    value = (metrics or {}).get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def judge_gate(
    gate: Gate, metrics: dict[str, Any], current_metrics: dict[str, Any] | None
) -> GateResult:
    """Judge one gate: the candidate's metric against a threshold or the holder's value."""
    value = _metric(metrics, gate.metric)
    current = _metric(current_metrics, gate.metric) if current_metrics is not None else None
    bound = gate.bound(current)
    if value is None:
        return GateResult(
            str(gate), gate.metric, None, bound, False, f"the version has no metric {gate.metric!r}"
        )
    if bound is None:
        why = (
            "the alias has no current holder"
            if current_metrics is None
            else f"the holder has no {gate.metric!r}"
        )
        return GateResult(str(gate), gate.metric, value, None, True, f"{why}, nothing to beat")
    passed = gate.passes(value, bound)
    comparison = "meets" if passed else "misses"
    return GateResult(
        str(gate), gate.metric, value, bound, passed, f"{value:g} {comparison} {gate.op} {bound:g}"
    )


def evaluate(
    policy: Policy,
    *,
    name: str,
    alias: str,
    version: dict[str, Any],
    approvals: int,
    current: dict[str, Any] | None,
) -> GateReport:
    """The report for promoting ``version`` (a version record) over ``current`` (the holder's)."""
    metrics = version["metrics"]
    current_metrics = current["metrics"] if current is not None else None
    return GateReport(
        name=name,
        version=version["version"],
        alias=alias,
        protected=policy.is_protected(alias),
        status=version["status"],
        approvals=approvals,
        required_approvals=policy.required_approvals,
        current_version=current["version"] if current is not None else None,
        results=[judge_gate(gate, metrics, current_metrics) for gate in policy.gates],
    )
