"""``%runs [FILTER]``: a sortable, filterable table of runs; select rows to compare them.

The filter box takes the run filter language (``metrics.acc > 0.9 and params.model = 'rf'``);
sorting happens in the store (``order_by``), so it applies to every run, not just the shown page.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from mlops_jupyter.store.filters import FilterError
from mlops_jupyter.tracking.query import runs
from mlops_jupyter.widgets.compare import compare_html, load_runs
from mlops_jupyter.widgets.frontend import WidgetWithFallback

if TYPE_CHECKING:
    import pandas as pd

SHOWN_FIXED = ["run_id", "name", "kind", "status", "attempt", "start_time", "duration_s"]
SORTABLE_FIXED = ["start_time", "name", "status", "kind", "duration_s", "attempt"]
MAX_VALUE_COLUMNS = 12
DEFAULT_LIMIT = 50


def value_columns(frame: pd.DataFrame) -> list[str]:
    metrics = [c for c in frame.columns if c.startswith("metrics.")]
    params = [c for c in frame.columns if c.startswith("params.")]
    return (metrics + params)[:MAX_VALUE_COLUMNS]


def runs_html(frame: pd.DataFrame, total: int | None = None) -> str:
    """The runs as an HTML table (escaped), newest or as sorted, with a row count."""
    if frame.empty:
        return "<p><i>no runs match</i></p>"
    shown = frame[[c for c in SHOWN_FIXED if c in frame.columns] + value_columns(frame)].copy()
    shown["start_time"] = shown["start_time"].dt.strftime("%Y-%m-%d %H:%M:%S")
    table = shown.to_html(
        index=False, escape=True, na_rep="", float_format=lambda v: f"{v:.4g}", border=0
    )
    count = f"{len(frame)} runs" + (
        f" of {total}" if total is not None and total > len(frame) else ""
    )
    return f'<div class="mlops-runs"><small>{escape(count)}</small>{table}</div>'


def query_runs(
    filter_text: str, order_by: str, limit: int, experiment: str | None = None
) -> pd.DataFrame:
    return runs(experiment=experiment, filter=filter_text or None, order_by=order_by, limit=limit)


def option_label(row: Any) -> str:
    return f"{row['name'] or row['kind']} · {row['status']} · {row['run_id']}"


class RunsBrowser:
    """The widget: filter box, sort column and direction, the table, a run picker and Compare."""

    def __init__(
        self, filter_text: str = "", experiment: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> None:
        import ipywidgets as w  # noqa: PLC0415 - start-up: ipywidgets is imported by the first live view

        self.experiment = experiment
        self.limit = limit
        self.frame: pd.DataFrame | None = None
        self._refreshing = False  # changing the sort options fires the observers again
        self.filter_box = w.Text(
            value=filter_text,
            description="filter",
            placeholder="metrics.acc > 0.9",
            continuous_update=False,
            layout=w.Layout(width="60%"),
        )
        self.order_box = w.Dropdown(
            options=SORTABLE_FIXED, value="start_time", description="sort by"
        )
        self.descending = w.Checkbox(value=True, description="descending")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.message = w.HTML()
        self.table = w.HTML()
        self.picker = w.SelectMultiple(
            options=[], description="compare", rows=6, layout=w.Layout(width="90%")
        )
        self.compare_button = w.Button(description="Compare selected", icon="columns")
        self.comparison = w.HTML()
        self.filter_box.observe(lambda _change: self.refresh(), names="value")
        self.order_box.observe(lambda _change: self.refresh(), names="value")
        self.descending.observe(lambda _change: self.refresh(), names="value")
        self.refresh_button.on_click(lambda _button: self.refresh())
        self.compare_button.on_click(lambda _button: self.compare())
        self.widget = w.VBox(
            [
                w.HBox([self.filter_box, self.refresh_button]),
                w.HBox([self.order_box, self.descending]),
                self.message,
                self.table,
                self.picker,
                self.compare_button,
                self.comparison,
            ]
        )
        self.refresh()

    @property
    def order_by(self) -> str:
        return f"{self.order_box.value} {'desc' if self.descending.value else 'asc'}"

    def refresh(self) -> None:
        """Query again with the current filter and sort; a bad filter is shown, not raised."""
        if self._refreshing:
            return
        self._refreshing = True
        try:
            self._refresh()
        finally:
            self._refreshing = False

    def _refresh(self) -> None:
        try:
            frame = query_runs(self.filter_box.value, self.order_by, self.limit, self.experiment)
        except (FilterError, ValueError) as error:
            self.message.value = f'<pre style="color:#d62728">{escape(str(error))}</pre>'
            return
        self.message.value = ""
        self.frame = frame
        self.table.value = runs_html(frame)
        sortable = SORTABLE_FIXED + value_columns(frame)
        if list(self.order_box.options) != sortable:
            current = self.order_box.value
            self.order_box.options = sortable
            self.order_box.value = current if current in sortable else "start_time"
        chosen = set(self.picker.value)
        self.picker.options = [(option_label(row), row["run_id"]) for _, row in frame.iterrows()]
        self.picker.value = tuple(run_id for run_id in frame["run_id"] if run_id in chosen)

    def compare(self) -> None:
        chosen = list(self.picker.value)
        if len(chosen) < 2:
            self.message.value = "<i>select two or more runs to compare</i>"
            return
        self.message.value = ""
        self.comparison.value = compare_html(load_runs(chosen))

    def html(self) -> str:
        return runs_html(self.frame) if self.frame is not None else ""

    def display_object(self) -> Any:
        return WidgetWithFallback(self.widget, self.html)


class RunsSummary:
    """The static table (no widget frontend)."""

    def __init__(
        self, filter_text: str = "", experiment: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> None:
        self.frame = query_runs(filter_text, "start_time desc", limit, experiment)

    def _repr_html_(self) -> str:
        return runs_html(self.frame)

    def __repr__(self) -> str:
        if self.frame.empty:
            return "no runs match"
        columns = [c for c in SHOWN_FIXED if c in self.frame.columns] + value_columns(self.frame)
        return str(self.frame[columns].to_string(index=False, max_colwidth=30))
