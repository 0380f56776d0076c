"""REST handler for live model servers (``GET /mlops/api/v1/servers``); the work is in
``services_serving.py``."""

from __future__ import annotations

import tornado.web

from mlops_jupyter.server.models import ServersQuery
from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.services_serving import live_servers


class ServersHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(await self.in_store(live_servers, self.query(ServersQuery)))
