"""REST handlers for governance: a model's owners (``GET``/``POST models/{name}/owners``) and
the acting user's notifications (``GET notifications``); the work is in
``services_governance.py``. Setting owners is allowed for the model's creator, a current owner
or an admin (409 otherwise); the actor is the authenticated user, never a body field."""

from __future__ import annotations

import tornado.web

from mlops_jupyter.server import services_governance as governance
from mlops_jupyter.server.handlers_models import RegistryHandler
from mlops_jupyter.server.models import NotificationsQuery, OwnersRequest
from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.validation import check_text


class OwnersHandler(RegistryHandler):
    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        self.reply(await self.in_store(governance.owners, check_text("name", name)))

    @tornado.web.authenticated
    async def post(self, name: str) -> None:
        request = self.body(OwnersRequest)
        self.reply(
            await self.in_store(
                governance.change_owners, check_text("name", name), request, self.acting_user
            )
        )


class NotificationsHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(NotificationsQuery)
        self.reply(await self.in_store(governance.notifications, self.acting_user, query))
