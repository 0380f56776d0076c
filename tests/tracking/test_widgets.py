"""The views: SVG charts, the live run view and its throttled refresh thread, the ``%runs``
browser (filter, sort, select, compare), ``%compare``, and the static HTML fallback."""

from __future__ import annotations

import re
import threading
import time

import pytest
from IPython.utils.capture import capture_output
from shell_support import cell_runs, run, tracked_shell

import mlops_jupyter as mj
from mlops_jupyter.tracking import context
from mlops_jupyter.widgets.compare import CompareView, compare_html, load_runs, param_rows
from mlops_jupyter.widgets.frontend import WidgetWithFallback, display_mode
from mlops_jupyter.widgets.run_view import LiveRunView, RunSummary, Ticker, snapshot
from mlops_jupyter.widgets.runs_table import RunsBrowser
from mlops_jupyter.widgets.svg import bar_chart, line_chart, sparkline


def polyline_points(svg: str) -> list[tuple[float, float]]:
    (points,) = re.findall(r'points="([^"]+)"', svg)
    return [tuple(float(v) for v in pair.split(",")) for pair in points.split()]  # type: ignore[misc]


def test_sparkline_scales_values_into_the_box() -> None:
    svg = sparkline([1.0, 3.0, 2.0, float("nan"), 5.0], width=100, height=20)
    points = polyline_points(svg)
    assert len(points) == 4  # NaN dropped
    assert all(0 <= x <= 100 and 0 <= y <= 20 for x, y in points)
    assert points[-1][1] < points[0][1]  # higher values are drawn higher (smaller y)
    assert sparkline([1.0]) == "" and sparkline([]) == ""


def test_line_and_bar_charts() -> None:
    chart = line_chart({"run a": [(0, 1.0), (1, 0.5)], "run <b>": [(0, 2.0)]}, "loss")
    assert chart.count("<polyline") == 1 and chart.count("<circle") == 1
    assert "run &lt;b&gt;" in chart and "loss" in chart
    bars = bar_chart(["a", "b"], [0.5, 1.0], "acc")
    widths = [float(w) for w in re.findall(r'<rect x="120" y="[^"]+" width="([^"]+)"', bars)]
    assert widths[1] == pytest.approx(2 * widths[0])


@pytest.fixture
def live_run(mj_store):  # type: ignore[no-untyped-def]
    run = context.create_run(name="training", kind="cell", push=False)
    yield run
    if run.status == "running":
        run.end()


def test_live_view_samples_metrics_and_draws_the_final_history(live_run) -> None:  # type: ignore[no-untyped-def]
    view = LiveRunView(live_run)
    for step, loss in enumerate([0.9, 0.7]):
        live_run.log_metric("loss", loss, step=step)
        assert view.tick() is True
    live_run.log_metric("acc", 0.8)
    assert view.tick() is True
    assert "running" in view.widget.value and "loss" in view.widget.value
    assert view.samples["loss"] == [0.9, 0.7]
    for step, loss in enumerate([0.6, 0.5, 0.4], start=2):
        live_run.log_metric("loss", loss, step=step)  # between two refreshes
    live_run.end()
    assert view.tick() is False  # final picture, then the view is done
    assert view.samples == {"loss": [0.9, 0.7, 0.6, 0.5, 0.4]}  # the full history from the store
    assert "finished" in view.widget.value and "<polyline" in view.widget.value


def test_ticker_refreshes_at_most_four_times_a_second(live_run) -> None:  # type: ignore[no-untyped-def]
    view = LiveRunView(live_run)
    changes: list[float] = []
    view.widget.observe(lambda _change: changes.append(time.monotonic()), names="value")
    ticker = Ticker()
    ticker.add(view)
    for step in range(400):  # the cell keeps logging; the view must not follow every point
        live_run.log_metric("loss", 1.0 / (step + 1), step=step)
        time.sleep(0.0025)
    live_run.end()
    deadline = time.monotonic() + 3
    while not view.done and time.monotonic() < deadline:
        time.sleep(0.05)
    assert view.done and "finished" in view.widget.value
    assert 2 <= len(changes) <= 4 * (changes[-1] - changes[0]) + 2
    assert all(t.name != "mlops-jupyter-views" or t.daemon for t in threading.enumerate())


def test_static_summary_has_html_and_a_text_line(live_run) -> None:  # type: ignore[no-untyped-def]
    live_run.log_metric("acc", 0.93)
    live_run.end("failed")
    summary = RunSummary(snapshot(live_run, notes=["not recorded: x"]))
    assert "failed" in summary._repr_html_() and "acc" in summary._repr_html_()
    assert repr(summary).startswith(f"run {live_run.run_id} failed") and "acc=0.93" in repr(summary)


def test_widget_output_carries_static_html_as_fallback(live_run) -> None:  # type: ignore[no-untyped-def]
    view = LiveRunView(live_run)
    bundle = view.display_object()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "running" in bundle["text/html"]
    assert isinstance(view.display_object(), WidgetWithFallback)


def test_display_mode_follows_the_frontend(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert display_mode("auto", shell) == "html"  # plain IPython: no widget frontend
    assert display_mode("auto", None) == "html"
    assert display_mode("widget", shell) == "widget" and display_mode("none", shell) == "none"
    with pytest.raises(ValueError, match="display must be one of"):
        display_mode("fancy", shell)


@pytest.fixture
def three_runs(mj_store):  # type: ignore[no-untyped-def]
    ids = []
    for name, model, depth, acc in (
        ("rf-a", "rf", 3, 0.91),
        ("rf-b", "rf", 5, 0.94),
        ("lr", "lr", None, 0.88),
    ):
        with mj.start_run(name, experiment="study", params={"model": model, "depth": depth}) as r:
            for step in range(3):
                r.log_metric("loss", 1.0 - acc + 0.1 * (2 - step), step=step)
            r.log_metric("acc", acc)
        ids.append(r.run_id)
    return ids


def test_runs_browser_filters_sorts_selects_and_compares(three_runs) -> None:  # type: ignore[no-untyped-def]
    browser = RunsBrowser(experiment="study")
    assert browser.frame is not None and len(browser.frame) == 3
    browser.filter_box.value = "params.model = 'rf'"
    assert sorted(browser.frame.name) == ["rf-a", "rf-b"] and "rf-b" in browser.table.value
    browser.order_box.value = "metrics.acc"
    browser.descending.value = False
    assert list(browser.frame.name) == ["rf-a", "rf-b"]
    browser.descending.value = True
    assert list(browser.frame.name) == ["rf-b", "rf-a"]
    browser.filter_box.value = "metrics.acc >>> 1"
    assert "malformed filter" in browser.message.value
    assert list(browser.frame.name) == ["rf-b", "rf-a"]  # the last good table stays
    browser.filter_box.value = ""
    browser.picker.value = (three_runs[0],)
    browser.compare_button.click()
    assert "select two or more" in browser.message.value and browser.comparison.value == ""
    browser.picker.value = (three_runs[0], three_runs[1])
    browser.compare_button.click()
    assert "depth" in browser.comparison.value and "background:#fff3cd" in browser.comparison.value
    browser.refresh_button.click()
    assert set(browser.picker.value) == {
        three_runs[0],
        three_runs[1],
    }  # the selection survives a refresh


def test_compare_shows_param_differences_and_metric_charts(three_runs) -> None:  # type: ignore[no-untyped-def]
    views = load_runs(three_runs[:2])
    rows = {key: (values, differs) for key, values, differs in param_rows(views)}
    assert rows["depth"] == (["3", "5"], True) and rows["model"] == (["rf", "rf"], False)
    assert [key for key, _, _ in param_rows(views, only_differences=True)] == ["depth"]
    html = compare_html(views)
    assert html.count("<polyline") == 2  # loss, one line per run
    assert "acc" in html and "0.94" in html
    widget = CompareView(three_runs[:2])
    widget.only_differences.value = True
    assert (
        "model"
        not in re.sub(r"<caption>.*?</caption>", "", widget.output.value).split("latest metrics")[0]
    )


def test_view_magics_render_static_html_without_a_widget_frontend(three_runs) -> None:  # type: ignore[no-untyped-def]
    with tracked_shell() as shell:
        with capture_output() as shown:
            shell.run_line_magic("runs", "-e study -n 2 params.model = 'rf'")
            shell.run_line_magic("compare", " ".join(three_runs))
        html = [output.data["text/html"] for output in shown.outputs]
        assert "rf-b" in html[0] and "lr" not in html[0].split("<table")[1].split("</table>")[0]
        assert html[1].count("<th title=") == 6  # three runs, in two tables
        with pytest.raises(Exception, match="two or more"):
            shell.run_line_magic("compare", three_runs[0])


def test_tracked_cell_shows_its_run_summary(mj_store) -> None:  # type: ignore[no-untyped-def]
    with tracked_shell() as shell, capture_output() as shown:
        run(shell, "%%track -n shown -m acc\nacc = 0.5\n")
        run(shell, "%config Track.display = 'none'")
        run(shell, "%%track -n hidden\nx = 1\n")
    html = [output.data.get("text/html", "") for output in shown.outputs]
    assert len(html) == 1 and "shown" in html[0] and "acc" in html[0] and "finished" in html[0]
    assert len(cell_runs()) == 2


def test_view_magic_mistakes_are_usage_errors(three_runs) -> None:  # type: ignore[no-untyped-def]
    from IPython.core.error import UsageError

    with tracked_shell() as shell:
        with pytest.raises(UsageError, match="malformed filter"):
            shell.run_line_magic("runs", "metrics.acc >>> 1")
        with pytest.raises(UsageError, match="no run with id"):
            shell.run_line_magic("compare", f"{three_runs[0]} nosuchrun")
        with pytest.raises(UsageError, match="no run, dataset, variable"):
            shell.run_line_magic("lineage", "nothing-like-this")
        with pytest.raises(UsageError, match="-n"):
            shell.run_line_magic("runs", "-n many")
