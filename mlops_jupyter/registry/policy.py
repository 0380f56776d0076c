"""A registered model's policy: how many distinct approvers a version needs, whether the
registrant may approve their own version, which aliases are protected, and the metric gates a
version must pass to take a protected alias.

Gates are written as text and parsed (never evaluated):

* ``accuracy >= 0.9`` — an absolute threshold;
* ``accuracy >= current + 0.01`` — beat the alias's current holder by at least 0.01;
* ``rmse <= current - 2`` — for a lower-is-better metric, improve on the holder by 2.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.registry.names import check_alias

DEFAULT_PROTECTED = ("production",)
APPROVERS = ("any", "owners")  # who may approve: anyone but the registrant, or only owners
MAX_APPROVERS = 20
_GATE = re.compile(
    r"^\s*(?:metrics\.)?(?P<metric>[A-Za-z_][\w.\-/]*)\s*(?P<op>>=|<=|>|<)\s*"
    r"(?:(?P<current>current)\s*(?:(?P<sign>[+-])\s*(?P<delta>[0-9.eE+-]+))?|(?P<threshold>[-+]?[0-9.eE+-]+))\s*$"
)
_COMPARE = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


class PolicyError(RegistryError):
    """A policy or gate that cannot be understood."""


def _number(text: str, gate: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise PolicyError(f"gate {gate!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise PolicyError(f"gate {gate!r}: the number must be finite")
    return value


@dataclass(frozen=True)
class Gate:
    """``metric op threshold``, or ``metric op current + delta`` when ``relative``."""

    metric: str
    op: str
    threshold: float = 0.0
    relative: bool = False  # compare with the current alias holder's value plus ``threshold``

    @classmethod
    def parse(cls, text: str) -> Gate:
        match = _GATE.match(text or "")
        if match is None:
            raise PolicyError(
                f"cannot read gate {text!r}: write 'METRIC OP NUMBER' or 'METRIC OP current [+|- DELTA]' "
                "with OP one of >=, <=, >, < (e.g. 'accuracy >= current + 0.01')"
            )
        if match["current"]:
            delta = _number(match["delta"], text) if match["delta"] else 0.0
            return cls(
                match["metric"],
                match["op"],
                -delta if match["sign"] == "-" else delta,
                relative=True,
            )
        return cls(match["metric"], match["op"], _number(match["threshold"], text))

    def bound(self, current: float | None) -> float | None:
        """The value to compare with; None when a relative gate has nothing to beat."""
        if not self.relative:
            return self.threshold
        return None if current is None else current + self.threshold

    def passes(self, value: float, bound: float) -> bool:
        return bool(_COMPARE[self.op](value, bound))

    def __str__(self) -> str:
        if not self.relative:
            return f"{self.metric} {self.op} {self.threshold:g}"
        if self.threshold == 0:
            return f"{self.metric} {self.op} current"
        sign = "+" if self.threshold > 0 else "-"
        return f"{self.metric} {self.op} current {sign} {abs(self.threshold):g}"


@dataclass(frozen=True)
class NotebookGate:
    """A validation notebook as a gate: ``{"notebook": PATH, "params": {...}, "require":
    {"auc": ">= 0.85", ...}}``. The notebook runs through the ``mlops`` papermill engine with
    the candidate as parameter ``model_uri``; the metrics its run logs are judged against
    ``require`` (see ``registry/notebook_gates.py``)."""

    notebook: str  # absolute path
    params: dict[str, Any] = field(default_factory=dict)
    require: tuple[Gate, ...] = ()

    @classmethod
    def from_dict(cls, data: Any, *, base: str | None = None) -> NotebookGate:
        if not isinstance(data, dict) or not isinstance(data.get("notebook"), str):
            raise PolicyError(
                'a notebook gate is {"notebook": PATH, "params": {...}, '
                '"require": {"metric": ">= 0.85"}}'
            )
        unknown = sorted(set(data) - {"notebook", "params", "require"})
        if unknown:
            raise PolicyError(f"notebook gate: unknown key(s) {', '.join(unknown)}")
        params = data.get("params") or {}
        if not isinstance(params, dict) or "model_uri" in params:
            raise PolicyError(
                "notebook gate: params must be a mapping (model_uri is set to the candidate)"
            )
        try:
            json.dumps(params, allow_nan=False)
        except (TypeError, ValueError):
            raise PolicyError("notebook gate: params must be JSON values") from None
        require = data.get("require")
        if not isinstance(require, dict) or not require:
            raise PolicyError('notebook gate: require at least one metric, e.g. {"auc": ">= 0.85"}')
        gates = []
        for metric, bound in require.items():
            gate = Gate.parse(f"{metric} {bound}")
            if gate.relative:
                raise PolicyError(f"notebook gate: {metric} {bound}: give a number, not current")
            gates.append(gate)
        path = os.path.abspath(os.path.join(base or os.getcwd(), data["notebook"]))
        if base is not None and not os.path.isfile(path):
            raise PolicyError(f"notebook gate: {data['notebook']} is not a file ({path})")
        return cls(path, dict(params), tuple(gates))

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "params": dict(self.params),
            "require": {g.metric: f"{g.op} {g.threshold:g}" for g in self.require},
        }

    def __str__(self) -> str:
        return f"notebook {Path(self.notebook).name}"


@dataclass(frozen=True)
class Policy:
    """The governance rules of one registered model."""

    required_approvals: int = 1
    allow_self_approval: bool = False
    protected_aliases: tuple[str, ...] = DEFAULT_PROTECTED
    gates: tuple[Gate, ...] = field(default_factory=tuple)
    approvers: str = "any"
    notebook_gates: tuple[NotebookGate, ...] = ()
    # monitoring: a failing check on a newly released version moves the alias back to its
    # previous holder; a performance check fails when a metric is worse than the version's
    # recorded value by more than ``performance_tolerance`` (absolute)
    auto_rollback: bool = False
    performance_tolerance: float = 0.05

    def __post_init__(self) -> None:
        if self.approvers not in APPROVERS:
            raise PolicyError(
                f"approvers must be one of {', '.join(APPROVERS)}, got {self.approvers!r}"
            )
        count = self.required_approvals
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_APPROVERS:
            raise PolicyError(
                f"required_approvals must be a whole number from 1 to {MAX_APPROVERS}, got {count!r}"
            )
        for alias in self.protected_aliases:
            check_alias(alias)
        tolerance = self.performance_tolerance
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, (int, float))
            or not (math.isfinite(tolerance) and tolerance >= 0)
        ):
            raise PolicyError(f"performance_tolerance must be a number >= 0, got {tolerance!r}")

    def is_protected(self, alias: str) -> bool:
        return alias in self.protected_aliases

    def to_dict(self) -> dict[str, Any]:
        return {
            "required_approvals": self.required_approvals,
            "allow_self_approval": self.allow_self_approval,
            "protected_aliases": list(self.protected_aliases),
            "gates": [str(gate) for gate in self.gates],
            "approvers": self.approvers,
            "notebook_gates": [gate.to_dict() for gate in self.notebook_gates],
            "auto_rollback": self.auto_rollback,
            "performance_tolerance": self.performance_tolerance,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        return cls(
            required_approvals=int(data.get("required_approvals", 1)),
            allow_self_approval=bool(data.get("allow_self_approval", False)),
            protected_aliases=tuple(data.get("protected_aliases", DEFAULT_PROTECTED)),
            gates=tuple(Gate.parse(text) for text in data.get("gates", ())),
            approvers=str(data.get("approvers", "any")),
            notebook_gates=tuple(
                NotebookGate.from_dict(gate) for gate in data.get("notebook_gates", ())
            ),
            auto_rollback=bool(data.get("auto_rollback", False)),
            performance_tolerance=float(data.get("performance_tolerance", 0.05)),
        )

    @classmethod
    def from_json(cls, text: str) -> Policy:
        return cls.from_dict(json.loads(text))

    def changed(
        self,
        *,
        required_approvals: int | None = None,
        allow_self_approval: bool | None = None,
        protected_aliases: Iterable[str] | None = None,
        gates: Iterable[str | Gate | dict[str, Any] | NotebookGate] | None = None,
        approvers: str | None = None,
        auto_rollback: bool | None = None,
        performance_tolerance: float | None = None,
    ) -> Policy:
        """A copy with the given fields replaced (None keeps a field)."""
        updates: dict[str, Any] = {}
        if auto_rollback is not None:
            updates["auto_rollback"] = bool(auto_rollback)
        if performance_tolerance is not None:
            updates["performance_tolerance"] = performance_tolerance
        if required_approvals is not None:
            updates["required_approvals"] = required_approvals
        if allow_self_approval is not None:
            updates["allow_self_approval"] = allow_self_approval
        if protected_aliases is not None:
            updates["protected_aliases"] = tuple(dict.fromkeys(protected_aliases))
        if gates is not None:
            # metric gates (text) and notebook gates (mappings) arrive in one list
            metric: list[Gate] = []
            notebooks: list[NotebookGate] = []
            for gate in gates:
                if isinstance(gate, NotebookGate):
                    notebooks.append(gate)
                elif isinstance(gate, dict):
                    notebooks.append(NotebookGate.from_dict(gate, base="."))
                else:
                    metric.append(gate if isinstance(gate, Gate) else Gate.parse(gate))
            updates["gates"] = tuple(metric)
            updates["notebook_gates"] = tuple(notebooks)
        if approvers is not None:
            updates["approvers"] = approvers
        return replace(self, **updates)
