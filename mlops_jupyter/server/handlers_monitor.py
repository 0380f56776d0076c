"""REST handler for monitoring checks (``GET /mlops/api/v1/monitor``)."""

from __future__ import annotations

import tornado.web

from mlops_jupyter.server.models import MonitorQuery
from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.services_monitor import list_checks


class MonitorHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(await self.in_store(list_checks, self.query(MonitorQuery)))
