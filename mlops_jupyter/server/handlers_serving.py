"""REST end point for live model servers (``GET /mlops/api/v1/servers``): what each running
``mlops-jupyter serve`` reports in its heartbeats, for the sidebar's Models section."""

from __future__ import annotations

from typing import Any

import tornado.web

from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.validation import text_argument


def live_servers(store: Any, model: str | None) -> dict[str, Any]:
    from mlops_jupyter.serve.servers import list_servers

    return {"servers": [server.to_dict() for server in list_servers(model, store=store)]}


class ServersHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        model = text_argument(self, "model")
        self.reply(await self.in_store(live_servers, model))


handlers = [(r"servers", ServersHandler)]
