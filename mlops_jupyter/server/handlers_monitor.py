"""REST end point for monitoring checks (``GET /mlops/api/v1/monitor``).

No monitoring module records checks yet (DESIGN.md's ``monitor/`` is still empty), so the
answer is the documented empty list whatever the ``model``/``alias`` arguments; the sidebar's
Monitoring section shows its empty state from it.
"""

from __future__ import annotations

import tornado.web

from mlops_jupyter.server.rest import StoreHandler


class MonitorHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply({"checks": []})


handlers = [(r"monitor", MonitorHandler)]
