"""REST handler for the registry's audit log: events newest first, and the chain's verdict."""

from __future__ import annotations

import tornado.web

from mlops_jupyter.server.models import AuditQuery
from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.services_audit import audit_page


class AuditHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(await self.in_store(audit_page, self.query(AuditQuery)))
