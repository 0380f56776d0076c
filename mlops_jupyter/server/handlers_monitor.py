"""REST handlers for monitoring: the recorded checks (``GET monitor``), one check's full
report (``GET monitor/{check_id}``), and retraining from the sidebar (``POST monitor/retrain``
starts it in the background, ``GET monitor/retrain/{retrain_id}`` reports its progress and
outcome). The work is in ``services_monitor.py``."""

from __future__ import annotations

import tornado.web

from mlops_jupyter.server import services_monitor as monitor
from mlops_jupyter.server.models import MonitorQuery, RetrainRequest
from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.validation import check_text


class MonitorHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(MonitorQuery)
        root = self.settings["server_root_dir"]
        self.reply(await self.in_store(monitor.list_checks, query, root))


class CheckHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, check_id: str) -> None:
        root = self.settings["server_root_dir"]
        check_id = check_text("check_id", check_id)
        self.reply(await self.in_store(monitor.check_detail, check_id, root))


class RetrainHandler(StoreHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(RetrainRequest)
        root = self.settings["server_root_dir"]
        started = await self.in_store(monitor.start_retrain, body, root, self.acting_user)
        self.reply(started, status=202)


class RetrainStateHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, retrain_id: str) -> None:
        self.reply(monitor.retrain_state(check_text("retrain_id", retrain_id)))
