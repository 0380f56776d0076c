"""The run view under a tracked cell: status, elapsed time, latest metrics and a sparkline for
each stepped metric.

Live (ipywidgets): one background thread refreshes every live view at most four times a
second, from values the run already holds in memory, so the cell never waits on it; the final
picture (with the full metric history from the store) is drawn by that thread too.
Static (papermill, nbconvert, plain IPython): one summary when the cell ends.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from mlops_jupyter.widgets.frontend import WidgetWithFallback
from mlops_jupyter.widgets.svg import sparkline

if TYPE_CHECKING:
    from mlops_jupyter.tracking.run import Run

REFRESH_SECONDS = 0.25  # at most 4 updates a second per view
STATUS_COLORS = {
    "running": "#1f77b4",
    "finished": "#2ca02c",
    "failed": "#d62728",
    "killed": "#7f7f7f",
}
MAX_METRICS_SHOWN = 12


def metric_steps(run: Run) -> dict[str, int]:
    """Points logged per metric key so far (the run's own step counters)."""
    return run.next_steps()


@dataclass
class RunSnapshot:
    """What a run view shows at one moment."""

    run_id: str
    name: str | None
    status: str
    attempt: int
    seconds: float
    metrics: dict[str, float]
    history: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # "registered as models:/x/3", problems


def snapshot(
    run: Run,
    history: dict[str, list[float]] | None = None,
    notes: list[str] | None = None,
    ended_at: float | None = None,
) -> RunSnapshot:
    end = ended_at or time.time()
    return RunSnapshot(
        run_id=run.run_id,
        name=run.name,
        status=run.status,
        attempt=run.attempt,
        seconds=max(0.0, end - run.start_time),
        metrics=dict(run.latest_metrics),
        history=history or {},
        notes=list(notes or []),
    )


def stored_history(run: Run) -> dict[str, list[float]]:
    """Every point of the run's stepped metrics, from the store (only keys with 2+ points)."""
    stepped = [key for key, count in metric_steps(run).items() if count > 1]
    if not stepped:
        return {}
    history = run.store.runs.metric_history(run.run_id)
    return {key: [float(v) for v in history[key]["value"]] for key in stepped if key in history}


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(int(seconds), 60)
    return (
        f"{minutes} min {rest:02d} s"
        if minutes < 60
        else f"{minutes // 60} h {minutes % 60:02d} min"
    )


def run_html(view: RunSnapshot) -> str:
    color = STATUS_COLORS.get(view.status, "#444")
    chips = []
    for key in sorted(view.metrics)[:MAX_METRICS_SHOWN]:
        line = sparkline(view.history.get(key, []))
        chips.append(
            f'<span class="mlops-metric" style="margin-right:1em;white-space:nowrap">'
            f"{escape(key)} <b>{view.metrics[key]:.4g}</b> {line}</span>"
        )
    hidden = len(view.metrics) - MAX_METRICS_SHOWN
    if hidden > 0:
        chips.append(f"<span>… {hidden} more</span>")
    notes = "".join(f"<div><small>{escape(note)}</small></div>" for note in view.notes)
    return (
        f'<div class="mlops-run-view" style="font-size:0.9em;border-left:3px solid {color};padding-left:8px">'
        f'<div><b style="color:{color}">{escape(view.status)}</b> · {escape(view.name or "")} · '
        f"<code>{escape(view.run_id)}</code> · attempt {view.attempt} · {_duration(view.seconds)}</div>"
        f"<div>{''.join(chips)}</div>{notes}</div>"
    )


def run_text(view: RunSnapshot) -> str:
    metrics = " ".join(
        f"{key}={view.metrics[key]:.4g}" for key in sorted(view.metrics)[:MAX_METRICS_SHOWN]
    )
    notes = "".join(f"\n  {note}" for note in view.notes)
    return (
        f"run {view.run_id} {view.status} in {_duration(view.seconds)} · attempt {view.attempt}"
        + (f" · {metrics}" if metrics else "")
        + notes
    )


class RunSummary:
    """The static run view: HTML for notebooks, one line of text for terminals."""

    def __init__(self, view: RunSnapshot) -> None:
        self.view = view

    def _repr_html_(self) -> str:
        return run_html(self.view)

    def __repr__(self) -> str:
        return run_text(self.view)

    def mimebundle(self) -> dict[str, str]:
        """Both forms at once, for ``publish_display_data`` (it skips IPython's formatter pass,
        which costs more than drawing the summary)."""
        return {"text/plain": run_text(self.view), "text/html": run_html(self.view)}


class LiveRunView:
    """An ipywidgets view of a running run, refreshed by the shared ticker thread."""

    def __init__(self, run: Run) -> None:
        import ipywidgets  # noqa: PLC0415 - start-up: ipywidgets is imported by the first live view

        self.run = run
        self.samples: dict[str, list[float]] = {}
        self._seen_steps: dict[str, int] = {}
        self.notes: list[str] = []
        self.ended_at: float | None = None  # set by whoever ends the run, so elapsed stops there
        self.done = False
        self.widget = ipywidgets.HTML(value=self.html())

    def html(self) -> str:
        return run_html(snapshot(self.run, self.samples, self.notes, self.ended_at))

    def sample(self) -> None:
        """Append the latest value of each metric that got a new point since the last sample."""
        steps = metric_steps(self.run)
        for key, value in list(self.run.latest_metrics.items()):
            if steps.get(key, 1) != self._seen_steps.get(key):
                self._seen_steps[key] = steps.get(key, 1)
                self.samples.setdefault(key, []).append(float(value))

    def tick(self) -> bool:
        """One refresh; False once the run has ended and the final picture is drawn."""
        if self.run.status != "running":
            self.samples = stored_history(self.run) or self.samples
            self.widget.value = self.html()
            self.done = True
            return False
        self.sample()
        self.widget.value = self.html()
        return True

    def display_object(self) -> Any:
        return WidgetWithFallback(self.widget, self.html)


class Ticker:
    """One daemon thread refreshing every live view, at most every ``REFRESH_SECONDS``."""

    def __init__(self, interval: float = REFRESH_SECONDS) -> None:
        self.interval = interval
        self._views: list[LiveRunView] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, view: LiveRunView) -> None:
        with self._lock:
            self._views.append(view)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="mlops-jupyter-views", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.interval)
            with self._lock:
                views = list(self._views)
            finished = []
            for view in views:
                try:
                    keep = view.tick()
                except Exception:  # a view must never break anything; drop it
                    keep = False
                if not keep:
                    finished.append(view)
            with self._lock:
                self._views = [view for view in self._views if view not in finished]
                if not self._views:
                    self._wake.clear()


TICKER = Ticker()
