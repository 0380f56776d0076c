"""Static HTML for monitoring results: drift reports (a table with a small reference-versus-
current histogram per column, the same picture as the sidebar's Monitoring section),
performance reports and data profiles.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING, Any

from mlops_jupyter.widgets.svg import CURRENT_COLOR, REFERENCE_COLOR, histogram_svg

if TYPE_CHECKING:
    from mlops_jupyter.monitor.drift import DriftReport
    from mlops_jupyter.monitor.performance import PerformanceReport


def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}"
    return escape(str(value))


def drift_report_html(report: DriftReport) -> str:
    state = "drift detected" if report.drifted else "no drift"
    color = "#c62828" if report.failed else "#2e7d32"
    head = (
        f'<div class="mlops-drift-report"><b style="color:{color}">{escape(state)}</b> · '
        f"{len(report.drifted_columns)}/{len(report.columns)} columns drifted · "
        f"{report.reference_rows} reference rows vs {report.current_rows} current rows · "
        f"computed on {escape(report.on)}"
    )
    if report.on == "profiles":
        head += f" (sketch rank error ±{report.error:.2%})"
    head += f"<br><small>rule: {escape(report.rule)}"
    if report.model:
        head += f" · model {escape(str(report.model.get('uri', '')))}"
    head += (
        f' · <span style="color:{REFERENCE_COLOR}">■</span> reference '
        f'<span style="color:{CURRENT_COLOR}">■</span> current</small>'
    )
    rows = []
    for c in report.columns:
        mark = "⚠ drift" if c.drifted else "ok"
        rows.append(
            f'<tr style="{"background:#fdecea" if c.drifted else ""}"><td>{escape(c.column)}</td>'
            f"<td>{escape(c.method)}</td><td>{_num(c.statistic)}</td><td>{_num(c.p_value)}</td>"
            f"<td>{_num(c.threshold)}</td><td>{mark}</td><td>{histogram_svg(c.histogram)}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>column</th><th>method</th><th>statistic</th><th>p-value</th>"
        "<th>threshold</th><th>drifted</th><th>distribution</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    problems = ""
    if report.problems:
        items = "".join(
            f"<li><b>{escape(p['severity'])}</b> {escape(p['kind'])}: {escape(p['message'])}</li>"
            for p in report.problems
        )
        problems = f"<p><b>Problems</b></p><ul>{items}</ul>"
    return head + table + problems + "</div>"


def performance_report_html(report: PerformanceReport) -> str:
    color = "#c62828" if report.failed else "#2e7d32"
    rows = "".join(
        f"<tr><td>{escape(r['metric'])}</td><td>{_num(r['value'])}</td><td>{_num(r['recorded'])}</td>"
        f"<td>{escape(r.get('rule') or '')}</td><td>{'✗' if r['failed'] else '✓'}</td></tr>"
        for r in report.metrics
    )
    problems = "".join(f"<li>{escape(p)}</li>" for p in report.problems)
    return (
        f'<div class="mlops-performance-report"><b style="color:{color}">{escape(report.status)}</b> · '
        f"{escape(report.model_uri)} · {escape(report.task)} · {report.rows} rows"
        "<table><thead><tr><th>metric</th><th>now</th><th>at registration</th><th>rule</th>"
        f"<th>ok</th></tr></thead><tbody>{rows}</tbody></table>"
        + (f"<ul>{problems}</ul>" if problems else "")
        + "</div>"
    )
