"""REST handlers for the model registry: models, versions, gate previews, registration and
the lifecycle actions (the work is in ``services_registry.py``).

The acting user of every action is the user jupyter_server authenticated
(``self.acting_user``); a ``user``/``actor`` field in a request body is ignored. Refusals by the
registry's rules (self-approval, an unapproved or gate-failing promotion, a moved alias) are
409 with the registry's message, as are actions the version's current state does not allow
(approving a rejected version, archiving one that holds an alias); malformed requests are 400;
unknown models or versions 404.
"""

from __future__ import annotations

import tornado.web

from mlops_jupyter.registry import api as registry
from mlops_jupyter.server import services_registry as models
from mlops_jupyter.server.models import (
    MODEL_ACTIONS,
    ActionRequest,
    GatesQuery,
    RegisterRequest,
)
from mlops_jupyter.server.rest import ErrorStatuses, StoreHandler
from mlops_jupyter.server.validation import ApiError, check_text, positive_int


class RegistryHandler(StoreHandler):
    error_statuses: ErrorStatuses = (
        (registry.ModelNotFoundError, 404),
        (registry.UntrustedModelError, 422),  # a hostile or unknown model file
        (registry.RefusedError, 409),
        (PermissionError, 403),  # the database role may not do this (PostgreSQL grants)
        (registry.InvalidStateError, 409),  # the request is fine; the version's state is not
        (registry.RegistryError, 400),
        *StoreHandler.error_statuses,
    )


class ModelsHandler(RegistryHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(await self.in_store(models.list_models))

    @tornado.web.authenticated
    async def post(self) -> None:
        request = self.body(RegisterRequest)
        self.reply(await self.in_store(models.register, request, self.acting_user), status=201)


class ModelHandler(RegistryHandler):
    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        self.reply(await self.in_store(models.model_detail, check_text("name", name)))


class ModelVersionHandler(RegistryHandler):
    @tornado.web.authenticated
    async def get(self, name: str, version: str) -> None:
        number = positive_int("version", version)
        self.reply(await self.in_store(models.version_detail, check_text("name", name), number))


class GatesHandler(RegistryHandler):
    @tornado.web.authenticated
    async def get(self, name: str, version: str) -> None:
        number = positive_int("version", version)
        alias = self.query(GatesQuery).alias
        self.reply(await self.in_store(models.gates, check_text("name", name), number, alias))


class ModelActionHandler(RegistryHandler):
    @tornado.web.authenticated
    async def post(self, name: str, version: str, action: str) -> None:
        if action not in MODEL_ACTIONS:
            raise ApiError(400, f"unknown action {action!r}; one of {', '.join(MODEL_ACTIONS)}")
        number = positive_int("version", version)
        request = self.body(ActionRequest)
        result = await self.in_store(
            models.act, check_text("name", name), number, action, request, self.acting_user
        )
        self.reply(result)
