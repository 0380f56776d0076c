"""The HTML views of lower layers' results, registered with ``tracking.display`` (which loads
this module on the first render). Types are named, not imported: registering a view never
loads the layer it draws."""

from __future__ import annotations

from mlops_jupyter.tracking.display import renders
from mlops_jupyter.widgets import results_view
from mlops_jupyter.widgets.drift_view import drift_report_html, performance_report_html
from mlops_jupyter.widgets.lineage_view import lineage_html
from mlops_jupyter.widgets.profile_view import profile_html

renders("mlops_jupyter.tracking.lineage.LineageGraph")(lineage_html)
renders("mlops_jupyter.tracking.profile.Profile")(profile_html)
renders("mlops_jupyter.monitor.drift.DriftReport")(drift_report_html)
renders("mlops_jupyter.monitor.performance.PerformanceReport")(performance_report_html)
renders("mlops_jupyter.tracking.query.RunView")(results_view.run_view_html)
renders("mlops_jupyter.tracking.run.Run")(results_view.live_run_html)
renders("mlops_jupyter.tracking.datasets.DatasetRef")(results_view.dataset_html)
renders("mlops_jupyter.batch.execute.NotebookRun")(results_view.notebook_run_html)
renders("mlops_jupyter.batch.parameters.ParameterList")(results_view.parameters_html)
renders("mlops_jupyter.batch.reproduce.ReproduceReport")(results_view.reproduce_html)
renders("mlops_jupyter.batch.sweep.SweepResult")(results_view.sweep_result_html)
renders("mlops_jupyter.batch.sweep.SweepHandle")(results_view.sweep_handle_html)
