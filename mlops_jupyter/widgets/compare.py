"""``%compare RUN_ID ...``: a side-by-side view of runs — a param diff table and metric charts
(bars of the latest values, lines of stepped metrics).
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from mlops_jupyter.tracking.query import get_run
from mlops_jupyter.widgets.frontend import WidgetWithFallback
from mlops_jupyter.widgets.svg import bar_chart, line_chart

if TYPE_CHECKING:
    from mlops_jupyter.tracking.query import RunView

DIFFERENT = "background:#fff3cd"


def run_label(view: RunView) -> str:
    """Short and unique enough: the name and the id's last characters (ids share a time prefix)."""
    name = view.name or view.kind
    name = name if len(name) <= 28 else name[:27] + "…"
    return f"{name} ·{view.run_id[-6:]}"


def load_runs(run_ids: list[str]) -> list[RunView]:
    return [get_run(run_id) for run_id in run_ids]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def param_rows(
    views: list[RunView], only_differences: bool = False
) -> list[tuple[str, list[str], bool]]:
    """(key, value per run, differs) for every param any of the runs has."""
    keys = sorted({key for view in views for key in view.params})
    rows = []
    for key in keys:
        values = [_shown(view.params.get(key)) for view in views]
        differs = len(set(values)) > 1
        if differs or not only_differences:
            rows.append((key, values, differs))
    return rows


def _table(views: list[RunView], rows: list[tuple[str, list[str], bool]], caption: str) -> str:
    header = "".join(f'<th title="{escape(v.run_id)}">{escape(run_label(v))}</th>' for v in views)
    body = "".join(
        f'<tr style="{DIFFERENT if differs else ""}"><td><code>{escape(key)}</code></td>'
        + "".join(f"<td>{escape(value)}</td>" for value in values)
        + "</tr>"
        for key, values, differs in rows
    )
    return f'<table class="mlops-compare"><caption>{escape(caption)}</caption><tr><th></th>{header}</tr>{body}</table>'


def compare_html(views: list[RunView], only_differences: bool = False) -> str:
    params = param_rows(views, only_differences)
    metric_keys = sorted({key for view in views for key in view.metrics})
    metrics = [
        (key, [f"{view.metrics[key]:.6g}" if key in view.metrics else "—" for view in views], False)
        for key in metric_keys
    ]
    labels = [run_label(view) for view in views]
    bars = "".join(
        bar_chart(
            [label for label, view in zip(labels, views, strict=True) if key in view.metrics],
            [view.metrics[key] for view in views if key in view.metrics],
            key,
        )
        for key in metric_keys
    )
    caption = "params (rows that differ are highlighted)" + (
        " — differences only" if only_differences else ""
    )
    return (
        '<div class="mlops-compare-view">'
        + _table(views, params, caption)
        + _table(views, metrics, "latest metrics")
        + f'<div style="display:flex;flex-wrap:wrap;gap:1em">{bars}{stepped_charts(views, labels)}</div>'
        + "</div>"
    )


def stepped_charts(views: list[RunView], labels: list[str]) -> str:
    """A line chart per metric that some run logged at more than one step."""
    histories = {label: view.metric_history() for label, view in zip(labels, views, strict=True)}
    keys = sorted(
        {
            str(key)
            for frame in histories.values()
            for key, count in frame["key"].value_counts().items()
            if count > 1
        }
    )
    charts = []
    for key in keys:
        series = {}
        for label, frame in histories.items():
            rows = frame[frame["key"] == key]
            if len(rows):
                series[label] = list(
                    zip(rows["step"].astype(float), rows["value"].astype(float), strict=True)
                )
        charts.append(line_chart(series, key))
    return "".join(charts)


class CompareView:
    """The widget: the comparison plus an "only differences" switch."""

    def __init__(self, run_ids: list[str]) -> None:
        import ipywidgets  # noqa: PLC0415 - start-up: ipywidgets is imported by the first live view

        self.views = load_runs(run_ids)
        self.only_differences = ipywidgets.Checkbox(value=False, description="only differences")
        self.output = ipywidgets.HTML(value=self.html())
        self.only_differences.observe(lambda _change: self.refresh(), names="value")
        self.widget = ipywidgets.VBox([self.only_differences, self.output])

    def html(self) -> str:
        return compare_html(self.views, self.only_differences.value)

    def refresh(self) -> None:
        self.output.value = self.html()

    def display_object(self) -> Any:
        return WidgetWithFallback(self.widget, self.html)


class CompareSummary:
    """The static comparison (no widget frontend)."""

    def __init__(self, run_ids: list[str]) -> None:
        self.views = load_runs(run_ids)

    def _repr_html_(self) -> str:
        return compare_html(self.views)

    def __repr__(self) -> str:
        lines = [" | ".join(["param", *(run_label(v) for v in self.views)])]
        lines += [
            " | ".join([key, *values]) + (" *" if differs else "")
            for key, values, differs in param_rows(self.views)
        ]
        return "\n".join(lines)
