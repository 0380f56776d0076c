"""The HTML views of lower layers' results, registered with ``tracking.display`` (which loads
this module on the first render): lineage graphs, data profiles, drift and performance
reports."""

from __future__ import annotations

from mlops_jupyter.monitor.drift import DriftReport
from mlops_jupyter.monitor.performance import PerformanceReport
from mlops_jupyter.tracking.display import renders
from mlops_jupyter.tracking.lineage import LineageGraph
from mlops_jupyter.tracking.profile import Profile
from mlops_jupyter.widgets.drift_view import drift_report_html, performance_report_html
from mlops_jupyter.widgets.lineage_view import lineage_html
from mlops_jupyter.widgets.profile_view import profile_html

renders(LineageGraph)(lineage_html)
renders(Profile)(profile_html)
renders(DriftReport)(drift_report_html)
renders(PerformanceReport)(performance_report_html)
