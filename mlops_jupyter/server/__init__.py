"""The jupyter_server extension: the REST API under ``/mlops/api/v1`` behind the sidebar.

Jupyter finds the extension through two magic functions that the top-level package
re-exports (``mlops_jupyter._jupyter_server_extension_points`` and
``mlops_jupyter._jupyter_labextension_paths``). Both are defined here and import nothing heavy:
``mlops_jupyter.server.app`` (and with it jupyter_server) is imported only when the server
actually loads the extension.

The REST contract is ``models.py`` (pydantic models); every route is in the table of
``routes.py``; handlers (``handlers_<area>.py``) are thin and call ``services_<area>.py``; the
OpenAPI document is generated (``openapi.py``). How to add an end point: docs/rest-api.md.
"""

from __future__ import annotations

from typing import Any

#: Name of the server extension (the key in ``jpserver_extensions``) and of its ExtensionApp.
EXTENSION_NAME = "mlops_jupyter"
#: npm name of the JupyterLab extension, and so its folder in ``share/jupyter/labextensions``.
LABEXTENSION_NAME = "mlops-jupyter"


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Tell jupyter_server which ExtensionApp to load for ``mlops_jupyter``."""
    # start-up: jupyter_server imports this module to find the extension; the app (jupyter_server
    # itself, the store) is imported only when the server loads it
    from mlops_jupyter.server.app import MlopsExtensionApp  # noqa: PLC0415 - start-up

    return [{"module": "mlops_jupyter.server", "app": MlopsExtensionApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the built frontend is, for ``jupyter labextension develop``.

    Jupyter resolves ``src`` against the folder of the module it called this function on,
    which is the top-level ``mlops_jupyter`` package (it re-exports this function): the
    build writes to ``mlops_jupyter/labextension`` (``outputDir`` in labextension/package.json).
    """
    return [{"src": "labextension", "dest": LABEXTENSION_NAME}]


__all__ = [
    "EXTENSION_NAME",
    "LABEXTENSION_NAME",
    "_jupyter_labextension_paths",
    "_jupyter_server_extension_points",
]
