"""The ExtensionApp that jupyter_server loads, and the base class of every REST handler.

Routes are listed in one table, ``server/routes.py`` (how to add an end point: docs/rest-api.md).
Extra modules with a ``handlers`` list of ``(relative pattern, HandlerClass)`` can be mounted
with ``c.MlopsExtensionApp.handler_modules`` (they are not in the OpenAPI document).
The app also reaps dead runs periodically (``tracking.context.reap_dead_runs``), so reads
never need to write.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado.ioloop import PeriodicCallback
from traitlets import Float, List, Unicode

from mlops_jupyter.server import EXTENSION_NAME

if TYPE_CHECKING:
    from mlops_jupyter.config import StoreLocation
    from mlops_jupyter.store import Store

#: Generation of the REST API; part of every path.
API_VERSION = "v1"
#: Path of the REST API below the server's base URL.
API_BASE = f"/mlops/api/{API_VERSION}"

#: The module holding the route table (``handlers``): every route the API serves.
ROUTES_MODULE = "mlops_jupyter.server.routes"


def api_path(path: str) -> str:
    """Absolute route (without base_url) for a handler path relative to :data:`API_BASE`."""
    path = path.lstrip("/")
    return url_path_join(API_BASE, path) if path else API_BASE


def discover_handler_modules() -> list[str]:
    """The modules whose ``handlers`` lists are mounted: the route table (``routes.py``)."""
    return [ROUTES_MODULE]


def collect_handlers(
    module_names: list[str],
    on_import_error: Callable[[str, BaseException], None] | None = None,
) -> list[tuple[str, type, dict[str, Any]]]:
    """Import each module and turn its ``handlers`` list into absolute tornado routes.

    Entries may be ``(path, cls)`` or ``(path, cls, kwargs)``. A route defined twice is an
    error, so two modules cannot silently shadow each other. A module that fails to import
    raises, unless ``on_import_error`` is given: then it is reported and skipped, so one broken
    noun does not take ``/version`` (and with it the sidebar's diagnosis) down with it.
    """
    routes: list[tuple[str, type, dict[str, Any]]] = []
    seen: dict[str, str] = {}
    for name in module_names:
        try:
            module = importlib.import_module(name)
        except Exception as error:
            if on_import_error is None:
                raise
            on_import_error(name, error)
            continue
        entries = getattr(module, "handlers", None)
        if entries is None:
            raise RuntimeError(f"{name} defines no `handlers` list")
        for entry in entries:
            path, cls, *rest = entry
            kwargs = dict(rest[0]) if rest else {}
            route = api_path(path)
            if route in seen:
                raise RuntimeError(f"route {route} defined by both {seen[route]} and {name}")
            seen[route] = name
            routes.append((route, cls, kwargs))
    return routes


class MlopsAPIHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every mlops_jupyter REST handler.

    An ``APIHandler``: answers JSON, and an unauthenticated request gets 403 rather than a
    redirect to the login page. Decorate each verb with ``@tornado.web.authenticated``;
    jupyter_server checks the XSRF token on every non-GET verb.
    """

    @property
    def mlops_app(self) -> MlopsExtensionApp:
        app = self.extensionapp
        assert isinstance(app, MlopsExtensionApp)
        return app

    def get_store(self) -> Store:
        """The store this server uses (found from the server's root dir, like the kernels)."""
        return self.mlops_app.get_store()

    @property
    def acting_user(self) -> str:
        """Name of the user jupyter_server authenticated (never a request field)."""
        user = self.current_user
        for attribute in ("username", "name"):
            value = getattr(user, attribute, None)
            if value:
                return str(value)
        return str(user) if user else "anonymous"

    def write_json(self, data: Any, status: int = 200) -> None:
        """Finish the request with ``data`` as JSON (``default=str`` for dates and ids)."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))


class MlopsExtensionApp(ExtensionApp):
    """jupyter_server extension ``mlops_jupyter``: REST API for the MLOps sidebar."""

    name = EXTENSION_NAME
    description = "mlops_jupyter REST API for the JupyterLab MLOps sidebar"
    load_other_extensions = True

    handler_modules = List(
        Unicode(),
        default_value=[],
        help="Extra modules with a `handlers` list, mounted after the handlers_* modules.",
    ).tag(config=True)

    store_root = Unicode(
        "",
        help=(
            "Folder from which the store is discovered when MLOPS_JUPYTER_STORE is unset "
            "(default: the server's root_dir, so the server finds the store its kernels use)."
        ),
    ).tag(config=True)

    reap_interval = Float(
        10.0,
        help="Seconds between two passes recording dead runs as killed (0: never).",
    ).tag(config=True)

    _reaper: PeriodicCallback | None = None
    _store_used = False

    def initialize_settings(self) -> None:
        self.settings["mlops_jupyter_api_base"] = API_BASE
        if self.reap_interval > 0:
            self._reaper = PeriodicCallback(self._reap, self.reap_interval * 1000)
            self._reaper.start()

    async def _reap(self) -> None:
        """Record dead runs as killed, in a worker thread (reads only ever show them killed)."""
        from mlops_jupyter.tracking.context import reap_dead_runs

        try:
            await asyncio.get_running_loop().run_in_executor(None, self._reap_store, reap_dead_runs)
        except Exception as error:  # a store that cannot be opened now may open later
            self.log.debug("mlops_jupyter: reaping dead runs failed: %s", error)

    def _reap_store(self, reap: Callable[[Store], list[str]]) -> None:
        if self._store_used:  # never create a store just to reap it
            reap(self.get_store())

    async def stop_extension(self) -> None:
        if self._reaper is not None:
            self._reaper.stop()

    def initialize_handlers(self) -> None:
        modules = discover_handler_modules()
        modules += [name for name in self.handler_modules if name not in modules]
        routes = collect_handlers(modules, on_import_error=self._report_import_error)
        self.handlers.extend(routes)
        self.log.info(
            "mlops_jupyter: %d REST routes under %s from %s",
            len(routes),
            API_BASE,
            ", ".join(m.rsplit(".", 1)[-1] for m in modules),
        )

    def _report_import_error(self, module: str, error: BaseException) -> None:
        self.log.error(
            "mlops_jupyter: REST module %s failed to import; its routes are missing",
            module,
            exc_info=error,
        )

    # -- the store -------------------------------------------------------------------------

    @property
    def store_start_dir(self) -> str:
        if self.store_root:
            return self.store_root
        root_dir = getattr(self.serverapp, "root_dir", None) if self.serverapp else None
        return str(Path(root_dir).expanduser()) if root_dir else str(Path.cwd())

    def store_location(self) -> StoreLocation:
        from mlops_jupyter.config import resolve_store

        return resolve_store(self.store_start_dir)

    def get_store(self) -> Store:
        from mlops_jupyter.store import get_store

        store = get_store(self.store_location())
        self._store_used = True
        return store


main = launch_new_instance = MlopsExtensionApp.launch_instance
