"""mlops_jupyter: notebook-native MLOps — tracked cells, papermill batch, model registry,
monitoring and a JupyterLab sidebar, on SQLite by default or PostgreSQL for teams.

``import mlops_jupyter as mj`` is cheap: every public name is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

try:
    from mlops_jupyter._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0"

# Start-up time: `import mlops_jupyter` (a notebook's first cell, `%load_ext`, the CLI, Jupyter's
# extension discovery) imports none of the modules below. Each public name resolves on first use
# through __getattr__; __init__.pyi (scripts/package_stub.py) shows them to editors and mypy.
# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # tracking
    "start_run": "mlops_jupyter.tracking.api",
    "end_run": "mlops_jupyter.tracking.api",
    "active_run": "mlops_jupyter.tracking.api",
    "set_experiment": "mlops_jupyter.tracking.api",
    "log_param": "mlops_jupyter.tracking.api",
    "log_params": "mlops_jupyter.tracking.api",
    "log_metric": "mlops_jupyter.tracking.api",
    "log_metrics": "mlops_jupyter.tracking.api",
    "set_tag": "mlops_jupyter.tracking.api",
    "log_artifact": "mlops_jupyter.tracking.api",
    "log_input": "mlops_jupyter.tracking.api",
    "log_output": "mlops_jupyter.tracking.api",
    "autolog": "mlops_jupyter.tracking.api",
    "Run": "mlops_jupyter.tracking.run",
    "runs": "mlops_jupyter.tracking.query",
    "get_run": "mlops_jupyter.tracking.query",
    "RunView": "mlops_jupyter.tracking.query",
    "RunNotFoundError": "mlops_jupyter.tracking.query",
    "fingerprint": "mlops_jupyter.tracking.fingerprint",
    "lineage": "mlops_jupyter.tracking.lineage",
    "LineageGraph": "mlops_jupyter.tracking.lineage",
    "FilterError": "mlops_jupyter.store.filters",
    "get_store": "mlops_jupyter.store",
    # registry
    "register_model": "mlops_jupyter.registry.api",
    "request_approval": "mlops_jupyter.registry.api",
    "approve": "mlops_jupyter.registry.api",
    "reject": "mlops_jupyter.registry.api",
    "promote": "mlops_jupyter.registry.api",
    "rollback": "mlops_jupyter.registry.api",
    "archive": "mlops_jupyter.registry.api",
    "load_model": "mlops_jupyter.registry.api",
    "LoadedModel": "mlops_jupyter.registry.api",
    "ModelVersion": "mlops_jupyter.registry.api",
    "RegisteredModel": "mlops_jupyter.registry.api",
    "AliasChange": "mlops_jupyter.registry.api",
    "list_models": "mlops_jupyter.registry.api",
    "get_model": "mlops_jupyter.registry.api",
    "list_versions": "mlops_jupyter.registry.api",
    "get_version": "mlops_jupyter.registry.api",
    "alias_history": "mlops_jupyter.registry.api",
    "list_approvals": "mlops_jupyter.registry.api",
    "check_gates": "mlops_jupyter.registry.api",
    "set_policy": "mlops_jupyter.registry.api",
    "get_policy": "mlops_jupyter.registry.api",
    "update_card": "mlops_jupyter.registry.api",
    "set_reference_profile": "mlops_jupyter.registry.api",
    "audit_log": "mlops_jupyter.registry.api",
    "verify_audit": "mlops_jupyter.registry.api",
    "export_release": "mlops_jupyter.registry.api",
    "Signature": "mlops_jupyter.registry.api",
    "SignatureError": "mlops_jupyter.registry.api",
    "RegistryError": "mlops_jupyter.registry.api",
    "RefusedError": "mlops_jupyter.registry.api",
    "ModelNotFoundError": "mlops_jupyter.registry.api",
    "PromotionRefusedError": "mlops_jupyter.registry.api",
    "AliasConflictError": "mlops_jupyter.registry.api",
    "ModelIntegrityError": "mlops_jupyter.registry.api",
    "UntrustedModelError": "mlops_jupyter.registry.api",
    "SelfApprovalError": "mlops_jupyter.registry.api",
    # governance wiring: owners, events, webhooks
    "set_owners": "mlops_jupyter.registry.owners",
    "get_owners": "mlops_jupyter.registry.owners",
    "NotOwnerError": "mlops_jupyter.registry.owners",
    "list_events": "mlops_jupyter.registry.events",
    "notifications": "mlops_jupyter.registry.events",
    "add_hook": "mlops_jupyter.registry.webhooks",
    "list_hooks": "mlops_jupyter.registry.webhooks",
    "remove_hook": "mlops_jupyter.registry.webhooks",
    "delivery_log": "mlops_jupyter.registry.webhooks",
    # batch
    "run_notebook": "mlops_jupyter.batch.api",
    "sweep": "mlops_jupyter.batch.api",
    "start_sweep": "mlops_jupyter.batch.api",
    "reproduce": "mlops_jupyter.batch.api",
    "notebook_params": "mlops_jupyter.batch.parameters",
    "SweepHandle": "mlops_jupyter.batch.api",
    "SweepResult": "mlops_jupyter.batch.api",
    "NotebookRun": "mlops_jupyter.batch.api",
    "ReproduceReport": "mlops_jupyter.batch.api",
    "ParameterError": "mlops_jupyter.batch.parameters",
    # monitoring
    "profile": "mlops_jupyter.tracking.profile",
    "Profile": "mlops_jupyter.tracking.profile",
    "ProfileError": "mlops_jupyter.tracking.profile",
    "check_drift": "mlops_jupyter.monitor.checks",
    "check_performance": "mlops_jupyter.monitor.checks",
    "list_checks": "mlops_jupyter.monitor.checks",
    "get_check": "mlops_jupyter.monitor.checks",
    "MonitorError": "mlops_jupyter.monitor.checks",
    "DriftReport": "mlops_jupyter.monitor.drift",
    "PerformanceReport": "mlops_jupyter.monitor.performance",
    "retrain": "mlops_jupyter.monitor.retrain",
    "RetrainResult": "mlops_jupyter.monitor.retrain",
    # serving
    "log_outcomes": "mlops_jupyter.serve.predictions",
    "serving_log": "mlops_jupyter.serve.predictions",
    "check_served_performance": "mlops_jupyter.serve.predictions",
    "check_served_drift": "mlops_jupyter.serve.predictions",
    "model_servers": "mlops_jupyter.serve.servers",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'mlops_jupyter' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext mlops_jupyter``: register the magics (see ``mlops_jupyter.magics``)."""
    # start-up: IPython and the magics are imported by `%load_ext`, not by `import mlops_jupyter`
    from mlops_jupyter.magics import load_ipython_extension as load  # noqa: PLC0415 - start-up

    load(ipython)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # start-up: the server extension's modules are imported only when Jupyter asks for them
    from mlops_jupyter.server import _jupyter_server_extension_points as points  # noqa: PLC0415 - start-up

    return points()


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    # start-up: as above
    from mlops_jupyter.server import _jupyter_labextension_paths as paths  # noqa: PLC0415 - start-up

    return paths()
