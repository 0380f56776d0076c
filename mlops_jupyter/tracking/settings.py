"""What capture records, process-wide: ``mj.autolog(sklearn=, pandas=, memory=)`` and the
input-snapshot policy.

One set of switches serves every kind of run — ``%%track`` cells, ``mj.start_run`` blocks and
notebooks executed by the ``mlops`` papermill engine — and ``%config Track.*`` writes into the
same switches, so turning a part off in one place turns it off everywhere in the process.

- ``sklearn``: fits, searches, ``score`` and metric functions become params and metrics;
- ``pandas``: pandas readers and writers become input and output dataset versions;
- ``memory``: in-memory data (the DataFrames and arrays a cell reads and writes, the X and y
  of a fit) is fingerprinted as ``memory://NAME`` dataset versions.

Input snapshots (``snapshot_inputs``): ``auto`` copies input files up to ``snapshot_max_bytes``
(100 MB by default) into the content-addressed blob store, ``always`` copies every input file,
``never`` none. Without an explicit setting the policy comes from
``MLOPS_JUPYTER_SNAPSHOT_INPUTS`` (and ``MLOPS_JUPYTER_SNAPSHOT_MAX_BYTES``), which is how
``run``/``sweep --snapshot-inputs`` reach the kernels they start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

SNAPSHOT_ENV = "MLOPS_JUPYTER_SNAPSHOT_INPUTS"
SNAPSHOT_MAX_ENV = "MLOPS_JUPYTER_SNAPSHOT_MAX_BYTES"
SNAPSHOT_POLICIES = ("auto", "always", "never")
DEFAULT_SNAPSHOT_MAX_BYTES = 100 * 1024 * 1024


@dataclass
class CaptureSwitches:
    sklearn: bool = True
    pandas: bool = True
    memory: bool = True
    snapshot_inputs: str | None = None  # None: from the environment, else "auto"
    snapshot_max_bytes: int | None = None  # None: from the environment, else 100 MB
    max_child_runs: int = 5  # child runs per search CV: its best candidates (Track.max_child_runs)


SWITCHES = CaptureSwitches()


def check_policy(policy: str) -> str:
    cleaned = str(policy).strip().lower()
    if cleaned not in SNAPSHOT_POLICIES:
        raise ValueError(
            f"snapshot policy must be one of {', '.join(SNAPSHOT_POLICIES)}, got {policy!r}"
        )
    return cleaned


def autolog(
    sklearn: bool | None = True,
    pandas: bool | None = True,
    memory: bool | None = True,
    *,
    snapshot_inputs: str | None = None,
    snapshot_max_bytes: int | None = None,
) -> CaptureSwitches:
    """Turn parts of capture on or off for every run in this process; returns the switches.

    ``mj.autolog(sklearn=False)`` stops recording scikit-learn fits (pandas IO stays);
    ``None`` leaves a switch as it is. ``snapshot_inputs``: ``"auto"``, ``"always"`` or
    ``"never"`` (see the module docstring)."""
    if sklearn is not None:
        SWITCHES.sklearn = bool(sklearn)
    if pandas is not None:
        SWITCHES.pandas = bool(pandas)
    if memory is not None:
        SWITCHES.memory = bool(memory)
    if snapshot_inputs is not None:
        SWITCHES.snapshot_inputs = check_policy(snapshot_inputs)
    if snapshot_max_bytes is not None:
        if snapshot_max_bytes < 0:
            raise ValueError(f"snapshot_max_bytes must be 0 or more, got {snapshot_max_bytes}")
        SWITCHES.snapshot_max_bytes = int(snapshot_max_bytes)
    return SWITCHES


def any_capture() -> bool:
    return SWITCHES.sklearn or SWITCHES.pandas or SWITCHES.memory


def snapshot_policy() -> str:
    if SWITCHES.snapshot_inputs is not None:
        return SWITCHES.snapshot_inputs
    configured = os.environ.get(SNAPSHOT_ENV, "").strip()
    if not configured:
        return "auto"
    try:
        return check_policy(configured)
    except ValueError:
        return "auto"  # a bad environment value must not break tracking; auto is the default


def snapshot_max_bytes() -> int:
    if SWITCHES.snapshot_max_bytes is not None:
        return SWITCHES.snapshot_max_bytes
    configured = os.environ.get(SNAPSHOT_MAX_ENV, "").strip()
    return int(configured) if configured.isdigit() else DEFAULT_SNAPSHOT_MAX_BYTES


def reset() -> None:
    """Back to the defaults (tests)."""
    fresh = CaptureSwitches()
    for name in vars(fresh):
        setattr(SWITCHES, name, getattr(fresh, name))
