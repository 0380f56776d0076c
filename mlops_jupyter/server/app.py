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
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from sqlalchemy.engine import make_url
from tornado.ioloop import PeriodicCallback
from traitlets import Bool, Float, List, Unicode

from mlops_jupyter.config import resolve_store
from mlops_jupyter.registry.delivery import Deliverer
from mlops_jupyter.server import EXTENSION_NAME
from mlops_jupyter.server.actor import acting_user
from mlops_jupyter.server.errors import new_error_id, status_for
from mlops_jupyter.store import get_store
from mlops_jupyter.tracking.context import reap_dead_runs

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
        """Who acts (never a request field): the server's owner in a single-user server, the
        authenticated name behind an identity provider that names users (``server/actor.py``)."""
        return acting_user(self.identity_provider, self.current_user)

    # -- errors: one mapping for every handler (see ``server/errors.py``) -------------------
    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if value is not None and status_for(value) is not None:
            self.log.info("mlops_jupyter: %s %s: %s", self.request.method, self.request.path, value)
            return
        if isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)
            return
        self._mlops_error_id = new_error_id()
        self.log.error(
            "mlops_jupyter: unexpected error %s in %s %s",
            self._mlops_error_id,
            self.request.method,
            self.request.path,
            exc_info=(typ, value, tb),
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """JSON errors: an error of this package is its 4xx status with its own message; any
        other is a 500 carrying the error id under which its traceback was logged."""
        error = (kwargs.get("exc_info") or (None, None, None))[1]
        message = getattr(error, "message", None)
        if message is not None and isinstance(error, tornado.web.HTTPError):
            body: dict[str, Any] = {"message": message, "reason": self._reason}
        elif error is not None and not isinstance(error, tornado.web.HTTPError):
            status = status_for(error)
            if status is not None:
                self.set_status(status)
                body = {"message": str(error), "reason": self._reason}
            else:
                error_id = getattr(self, "_mlops_error_id", None) or "unlogged"
                body = {
                    "message": f"internal error {error_id}: the server log has the details",
                    "reason": None,
                    "error_id": error_id,
                }
        else:
            super().write_error(status_code, **kwargs)
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

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
        help="Extra modules with a `handlers` list, mounted after the route table (undocumented).",
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

    # -- governance wiring: the webhook deliverer -------------------------------------------
    deliver_webhooks = Bool(
        True,
        help=(
            "Run a webhook deliverer in the server (posts the store's governance events to "
            "`mlops-jupyter hooks` subscribers). Safe beside `hooks deliver`: deliveries are "
            "leased to one deliverer at a time."
        ),
    ).tag(config=True)

    webhook_poll = Float(
        0.5,
        help="Seconds between looks for events written by other processes (kernels, CLI).",
    ).tag(config=True)

    async def _reap(self) -> None:
        """Record dead runs as killed, in a worker thread (reads only ever show them killed)."""
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._reap_store, reap_dead_runs)
        except Exception as error:  # a store that cannot be opened now may open later
            self.log.debug("mlops_jupyter: reaping dead runs failed: %s", error)

    def _reap_store(self, reap: Callable[[Store], list[str]]) -> None:
        if self._store_used:  # never create a store just to reap it
            reap(self.get_store())

    def initialize_settings(self) -> None:
        self.settings["mlops_jupyter_api_base"] = API_BASE
        if self.deliver_webhooks:
            self._start_webhook_deliverer()
        if self.reap_interval > 0:
            self._reaper = PeriodicCallback(self._reap, self.reap_interval * 1000)
            self._reaper.start()

    def _start_webhook_deliverer(self) -> None:
        self._delivery_stop = threading.Event()
        self._deliverer: Any = None
        threading.Thread(
            target=self._run_webhook_deliverer, name="mlops-webhooks", daemon=True
        ).start()

    def _run_webhook_deliverer(self) -> None:
        """Wait for the store to exist (the server never creates one), then deliver until
        the extension stops."""
        stop = self._delivery_stop
        while not stop.is_set():
            try:
                location = self.store_location()
                if (
                    location.dialect == "sqlite"
                    and not Path(make_url(location.db_url).database or "").exists()
                ):
                    stop.wait(5.0)
                    continue
                self._deliverer = Deliverer(get_store(location), poll=self.webhook_poll)
            except Exception as error:  # unreachable store: try again later, say why once
                self.log.warning(
                    "mlops_jupyter: webhook deliverer waiting for the store: %s", error
                )
                stop.wait(30.0)
                continue
            if stop.is_set():  # the extension stopped while the store opened
                self._deliverer.close()
                return
            self.log.info("mlops_jupyter: delivering webhooks for %s", location.db_url)
            self._deliverer.follow()
            return

    async def stop_extension(self) -> None:
        if self._reaper is not None:
            self._reaper.stop()
        stop = getattr(self, "_delivery_stop", None)
        if stop is not None:
            stop.set()
        deliverer = getattr(self, "_deliverer", None)
        if deliverer is not None:
            deliverer.close()

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
        return resolve_store(self.store_start_dir)

    def get_store(self) -> Store:
        store = get_store(self.store_location())
        self._store_used = True
        return store


main = launch_new_instance = MlopsExtensionApp.launch_instance
