"""``reproduce RUN_ID``: does a recorded notebook run's result come out the same again?

Before executing anything, the run's recorded inputs are fingerprinted again and the package
versions it imported are compared with what is installed now, naming every difference. Then the
recorded notebook snapshot is executed with the recorded parameters (a new notebook run tagged
``reproduces=RUN_ID``) and its metrics — the run's own and its ``%%track`` cells' — are compared
within a tolerance. It reproduced when the inputs are unchanged, the execution finished and every
metric matches; package differences are reported and fail it only with ``strict_env``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import math
import os
import platform
import tempfile
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from mlops_jupyter.batch.execute import NotebookRun, PointTask, execute_point
from mlops_jupyter.batch.kernels import KernelPool, store_environment
from mlops_jupyter.batch.record import INPUT_ARTIFACT, PARAMETERS_ARTIFACT
from mlops_jupyter.batch.restore import ScratchFolder
from mlops_jupyter.tracking.display import html
from mlops_jupyter.tracking.fingerprint import fingerprint_file
from mlops_jupyter.tracking.query import RunView, get_run

DEFAULT_TOLERANCE = 1e-9
DEFAULT_IGNORED = ("*_seconds", "*fit_time_s")  # durations never reproduce exactly


class NotReproducibleError(ValueError):
    """The run cannot be re-executed (not a notebook run recorded by the batch engine)."""


@dataclass
class InputCheck:
    name: str | None
    uri: str
    recorded: str
    current: str | None
    status: str  # unchanged | changed | missing | not checked
    source: str | None = None  # with --restore-inputs: snapshot | live (what the re-execution read)

    @property
    def differs(self) -> bool:
        return self.status in ("changed", "missing")


@dataclass
class PackageCheck:
    name: str
    recorded: str
    installed: str | None


@dataclass
class MetricCheck:
    key: str
    recorded: float | None
    reproduced: float | None
    matches: bool


@dataclass
class ReproduceReport:
    """What ``reproduce`` found; ``reproduced`` is the verdict, ``reasons`` say why not."""

    run_id: str
    reproduced: bool
    tolerance: float
    new_run_id: str | None = None
    new_status: str | None = None
    inputs: list[InputCheck] = field(default_factory=list)
    packages: list[PackageCheck] = field(default_factory=list)
    python: tuple[str, str] | None = None  # (recorded, current) when they differ
    metrics: list[MetricCheck] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["python"] = list(self.python) if self.python else None
        return data

    def to_text(self) -> str:
        verdict = "REPRODUCED" if self.reproduced else "NOT REPRODUCED"
        lines = [f"run {self.run_id}: {verdict}"]
        if self.new_run_id:
            lines.append(f"  re-executed as run {self.new_run_id} ({self.new_status})")
        lines.append("inputs:")
        lines += [
            f"  {c.status:<10} {c.uri}"
            + (
                f"  {c.recorded[:12]} -> {c.current[:12]}"
                if c.status == "changed" and c.current
                else ""
            )
            + (f"  ({_SOURCES[c.source]})" if c.source else "")
            for c in self.inputs
        ] or ["  (none recorded)"]
        lines.append("packages:")
        if self.python:
            lines.append(f"  python {self.python[0]} -> {self.python[1]}")
        lines += [
            f"  {p.name} {p.recorded} -> {p.installed or 'not installed'}" for p in self.packages
        ] or ([] if self.python else ["  same versions as recorded"])
        if self.metrics:
            lines.append(f"metrics (tolerance {self.tolerance:g}):")
            lines += [
                f"  {'ok ' if m.matches else 'DIFF'} {m.key}: {_number(m.recorded)} -> {_number(m.reproduced)}"
                for m in self.metrics
            ]
        lines += [f"note: {note}" for note in self.notes]
        lines += [f"reason: {reason}" for reason in self.reasons]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)


_SOURCES = {"snapshot": "restored from the snapshot", "live": "read from the live path"}


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


# -- the checks --------------------------------------------------------------------------------
def _run_tree(view: RunView) -> list[RunView]:
    """The run and its descendants (``%%track`` cells and anything nested in them)."""
    tree, queue = [view], list(view.children)
    while queue:
        child = get_run(queue.pop(0))
        tree.append(child)
        queue.extend(child.children)
    return tree


def local_path(uri: str) -> str | None:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def check_inputs(tree: list[RunView]) -> list[InputCheck]:
    """Every recorded input file fingerprinted again."""
    checks: dict[tuple[str, str], InputCheck] = {}
    for view in tree:
        for item in view.inputs:
            uri, recorded = item.get("uri"), item.get("fingerprint")
            if not uri or not recorded or (uri, recorded) in checks:
                continue
            if uri.startswith("memory://"):
                continue  # derived by the notebook's own code from its inputs
            path = local_path(uri)
            if path is None:
                check = InputCheck(item.get("name"), uri, recorded, None, "not checked")
            elif not os.path.isfile(path):
                check = InputCheck(item.get("name"), uri, recorded, None, "missing")
            else:
                current = fingerprint_file(path)
                check = InputCheck(
                    item.get("name"),
                    uri,
                    recorded,
                    current,
                    "unchanged" if current == recorded else "changed",
                )
            checks[(uri, recorded)] = check
    return list(checks.values())


def check_packages(
    environment: dict[str, Any] | None,
) -> tuple[list[PackageCheck], tuple[str, str] | None]:
    """Recorded package versions that differ from the installed ones, and the Python version."""
    if not environment:
        return [], None
    differences = []
    for name, recorded in sorted((environment.get("packages") or {}).items()):
        try:
            installed: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != recorded:
            differences.append(PackageCheck(name, recorded, installed))
    recorded_python = environment.get("python")
    python = (
        (recorded_python, platform.python_version())
        if recorded_python and recorded_python != platform.python_version()
        else None
    )
    return differences, python


def metric_table(tree: list[RunView], ignored: tuple[str, ...]) -> dict[str, float]:
    """Metrics of a run and its cells, keyed ``metric`` (the run) or ``cell/metric`` (a cell)."""
    table = {}
    for depth, view in enumerate(tree):
        prefix = "" if depth == 0 else f"{view.source.get('cell_id') or view.name or view.run_id}/"
        for key, value in view.metrics.items():
            if not any(fnmatch.fnmatchcase(key, pattern) for pattern in ignored):
                table[prefix + key] = value
    return table


def _same(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)


def compare_metrics(
    recorded: dict[str, float], reproduced: dict[str, float], tolerance: float
) -> list[MetricCheck]:
    checks = []
    for key in sorted(set(recorded) | set(reproduced)):
        a, b = recorded.get(key), reproduced.get(key)
        matches = a is not None and b is not None and _same(a, b, tolerance)
        checks.append(MetricCheck(key, a, b, matches))
    return checks


# -- re-execution ----------------------------------------------------------------------------
def recorded_parameters(view: RunView) -> dict[str, Any]:
    """The values papermill injected into the original execution."""
    rows = json.loads(view.artifact_bytes(PARAMETERS_ARTIFACT))
    return {row["name"]: row["value"] for row in rows if row.get("source") == "injected"}


def _artifact_names(view: RunView) -> set[str]:
    return {artifact["name"] for artifact in view.artifacts}


def recorded_cwd(view: RunView) -> str:
    """The working directory the run executed in (else its notebook's folder, else ours)."""
    notebook_path = view.source.get("notebook_path") or "notebook.ipynb"
    cwd = view.tags.get("cwd")
    if not cwd or not os.path.isdir(cwd):
        cwd = (
            str(Path(notebook_path).parent)
            if os.path.isdir(Path(notebook_path).parent)
            else os.getcwd()
        )
    return cwd


def re_execute(
    view: RunView,
    *,
    output: str | None,
    timeout: float | None,
    cwd: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> NotebookRun:
    """Execute the recorded snapshot with the recorded parameters, as a new notebook run
    (in ``cwd`` and with ``parameters`` instead, for a restore into a scratch folder)."""
    notebook_path = view.source.get("notebook_path") or "notebook.ipynb"
    cwd = cwd or recorded_cwd(view)
    kernel_name = view.tags.get("kernel") or "python3"
    with tempfile.TemporaryDirectory(prefix="mlops-reproduce-") as folder:
        snapshot = Path(folder) / Path(notebook_path).name
        snapshot.write_bytes(view.artifact_bytes(INPUT_ARTIFACT))
        task = PointTask(
            notebook=str(snapshot),
            parameters=recorded_parameters(view) if parameters is None else parameters,
            kernel_name=kernel_name,
            cwd=cwd,
            store_env=store_environment(),
            output_path=os.path.abspath(output) if output else None,
            experiment=view.experiment,
            run_name=view.name,
            tags={"reproduces": view.run_id},
            timeout=timeout,
            record_as=notebook_path,
        )
        pool = KernelPool(kernel_name, cwd=cwd, env=task.store_env, quiet=True)
        try:
            return execute_point(task, pool=pool)
        finally:
            pool.close()


def reproduce(
    run_id: str,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    output: str | os.PathLike[str] | None = None,
    ignore: tuple[str, ...] | list[str] = DEFAULT_IGNORED,
    strict_env: bool = False,
    execute: bool = True,
    timeout: float | None = None,
    restore_inputs: bool = False,
) -> ReproduceReport:
    """Re-execute a notebook run and say whether it reproduced (see the module docstring).

    ``tolerance`` is relative, with the same absolute floor for metrics near zero; ``ignore``
    lists metric-name patterns not compared (durations by default); ``execute=False`` only
    checks inputs and packages. ``restore_inputs``: run in a scratch folder against the
    input snapshots (see ``batch.restore``), so a run whose data moved on still reproduces.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be 0 or more, got {tolerance}")
    original = get_run(run_id)
    if original.kind != "notebook" or INPUT_ARTIFACT not in _artifact_names(original):
        raise NotReproducibleError(
            f"run {original.run_id} is a {original.kind} run without a notebook snapshot: only notebook "
            "runs executed through the mlops papermill engine (run, sweep, papermill --engine mlops) can be reproduced"
        )
    tree = _run_tree(original)
    report = ReproduceReport(run_id=original.run_id, reproduced=False, tolerance=tolerance)
    report.inputs = check_inputs(tree)
    report.packages, report.python = check_packages(original.environment)
    scratch = None
    if restore_inputs:
        scratch = ScratchFolder.plan(original, report.inputs, recorded_cwd(original))
    _explain_environment(report, strict_env)
    if not report.inputs:
        report.notes.append(
            "the run recorded no input data (mj.log_input), so inputs could not be checked"
        )
    if execute:
        with contextlib.ExitStack() as stack:
            cwd, parameters = None, None
            if scratch is not None:
                stack.enter_context(scratch)
                cwd, parameters = scratch.folder, scratch.parameters(recorded_parameters(original))
                report.notes.append(f"re-executed in the scratch folder {scratch.folder}")
            rerun = re_execute(
                original,
                output=str(output) if output else None,
                timeout=timeout,
                cwd=cwd,
                parameters=parameters,
            )
            if scratch is not None and rerun.run_id:
                report.reasons += scratch.judge(_run_tree(get_run(rerun.run_id)))
        report.new_run_id, report.new_status = rerun.run_id, rerun.status
        if rerun.status != "finished":
            report.reasons.append(f"the re-execution {rerun.status}: {rerun.error}")
        ignored = tuple(ignore)
        reproduced_tree = _run_tree(get_run(rerun.run_id)) if rerun.run_id else []
        report.metrics = compare_metrics(
            metric_table(tree, ignored), metric_table(reproduced_tree, ignored), tolerance
        )
        report.reasons += [
            f"metric {m.key}: recorded {_number(m.recorded)}, now {_number(m.reproduced)}"
            for m in report.metrics
            if not m.matches
        ]
    else:
        report.notes.append("not re-executed (check only): metrics were not compared")
    report.reproduced = not report.reasons
    return report


def _explain_environment(report: ReproduceReport, strict_env: bool) -> None:
    for check in report.inputs:
        if check.source == "snapshot":
            continue  # restored: what the live path holds now does not matter
        if check.status == "changed":
            report.reasons.append(
                f"input {local_path(check.uri) or check.uri} changed since the run (content "
                f"fingerprint differs: {check.recorded} -> {check.current})"
            )
        elif check.status == "missing":
            report.reasons.append(f"input {local_path(check.uri) or check.uri} is missing")
    differences = [
        f"{p.name} {p.recorded} -> {p.installed or 'not installed'}" for p in report.packages
    ]
    if report.python:
        differences.insert(0, f"python {report.python[0]} -> {report.python[1]}")
    if differences:
        message = "package versions differ from the run's: " + ", ".join(differences)
        (report.reasons if strict_env else report.notes).append(message)
