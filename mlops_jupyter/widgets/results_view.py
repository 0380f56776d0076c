"""HTML of tracking and batch results (runs, datasets, notebook runs, parameters, sweeps,
reproduction reports), registered with ``tracking.display`` by ``widgets/renderers.py``."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_jupyter.batch.execute import NotebookRun
    from mlops_jupyter.batch.parameters import ParameterList
    from mlops_jupyter.batch.reproduce import ReproduceReport
    from mlops_jupyter.batch.sweep import SweepHandle, SweepResult
    from mlops_jupyter.tracking.datasets import DatasetRef
    from mlops_jupyter.tracking.query import RunView
    from mlops_jupyter.tracking.run import Run


def run_view_html(result: RunView) -> str:
    def table(title: str, values: dict[str, Any]) -> str:
        if not values:
            return ""
        rows = "".join(
            f"<tr><td>{escape(str(k))}</td><td>{escape(repr(v))}</td></tr>"
            for k, v in sorted(values.items())
        )
        return f"<h4>{title}</h4><table>{rows}</table>"

    header = (
        f"<h3>Run {escape(result.name or result.run_id)} <small>{escape(result.run_id)}</small></h3>"
        f"<p>{escape(result.kind)} · <b>{escape(result.status)}</b> · attempt {result.attempt} · "
        f"experiment {escape(result.experiment)}</p>"
    )
    datasets = "".join(
        f"<li>{role}: {escape(d.get('uri') or '')} <code>{escape((d.get('fingerprint') or '')[:12])}</code></li>"
        for role, items in (("input", result.inputs), ("output", result.outputs))
        for d in items
    )
    return (
        header
        + table("Params", result.params)
        + table("Metrics", result.metrics)
        + table("Tags", result.tags)
        + (f"<h4>Data</h4><ul>{datasets}</ul>" if datasets else "")
    )


def live_run_html(result: Run) -> str:
    metrics = ", ".join(f"{escape(k)}={v:.4g}" for k, v in sorted(result.latest_metrics.items()))
    return (
        f"<div class='mlops-run'><b>run</b> <code>{escape(result.run_id)}</code> "
        f"{escape(result.name or '')} <i>{escape(result.status)}</i> {metrics}</div>"
    )


def dataset_html(result: DatasetRef) -> str:
    shape = f"{result.rows} × {result.columns}" if result.rows is not None else ""
    return (
        f"<span class='mlops-dataset'><b>{escape(result.uri)}</b> "
        f"<code>{result.fingerprint[:12]}</code> {escape(result.format or '')} {shape}</span>"
    )


def notebook_run_html(result: NotebookRun) -> str:
    colour = {"finished": "green", "failed": "red"}.get(result.status, "grey")
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(repr(v))}</td></tr>"
        for k, v in [*sorted(result.parameters.items()), *sorted(result.metrics.items())]
    )
    error = f"<pre>{escape(result.error)}</pre>" if result.error else ""
    return (
        f"<div class='mlops-notebook-run'><b>notebook run</b> <code>{escape(result.run_id or '-')}</code> "
        f"<span style='color:{colour}'>{escape(result.status)}</span> "
        f"{'' if result.duration_s is None else f'{result.duration_s:.1f} s'}"
        f"<table>{rows}</table>{error}</div>"
    )


def parameters_html(result: ParameterList) -> str:
    if not result.has_cell:
        return "<p>This notebook has no cell tagged <code>parameters</code>.</p>"
    rows = "".join(
        f"<tr><td><code>{escape(p.name)}</code></td><td>{escape(p.type_name)}</td>"
        f"<td><code>{escape(p.default_source)}</code></td><td>{escape(p.help or '')}</td></tr>"
        for p in result
    )
    return (
        "<table class='mlops-params'><thead><tr><th>name</th><th>type</th><th>default</th>"
        f"<th>help</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def reproduce_html(result: ReproduceReport) -> str:
    colour = "green" if result.reproduced else "red"
    metric_rows = "".join(
        f"<tr><td>{escape(m.key)}</td><td>{_number(m.recorded)}</td><td>{_number(m.reproduced)}</td>"
        f"<td>{'✓' if m.matches else '✗'}</td></tr>"
        for m in result.metrics
    )
    items = "".join(f"<li>{escape(reason)}</li>" for reason in result.reasons + result.notes)
    return (
        f"<div class='mlops-reproduce'><b style='color:{colour}'>"
        f"{'reproduced' if result.reproduced else 'not reproduced'}</b> run <code>{escape(result.run_id)}</code>"
        + (f" → <code>{escape(result.new_run_id)}</code>" if result.new_run_id else "")
        + f"<ul>{items}</ul><table><tr><th>metric</th><th>recorded</th><th>now</th><th></th></tr>"
        f"{metric_rows}</table></div>"
    )


def sweep_result_html(result: SweepResult) -> str:
    counts = {
        s: sum(p.status == s for p in result.points) for s in ("finished", "failed", "killed")
    }
    summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    return (
        f"<div class='mlops-sweep'><b>sweep</b> <code>{escape(result.sweep_run_id)}</code> "
        f"<i>{escape(result.status)}</i> — {escape(summary)}"
        f"{result.to_frame().to_html(index=False, na_rep='', max_rows=200)}</div>"
    )


def sweep_handle_html(result: SweepHandle) -> str:
    progress = result.progress()
    state = "done" if result.done() else ("cancelling" if result.cancelled else "running")
    return (
        f"<div class='mlops-sweep-handle'><b>sweep</b> <code>{escape(result.sweep_run_id)}</code> "
        f"<i>{state}</i>: {progress.completed}/{progress.total} points — {progress.finished} finished, "
        f"{progress.failed} failed, {progress.killed} killed</div>"
    )


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
