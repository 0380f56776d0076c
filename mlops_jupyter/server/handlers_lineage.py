"""REST handler for the lineage graph around a run, a dataset version or a model version
(the work, and why targets are looked up in the store only, is in ``services_lineage.py``)."""

from __future__ import annotations

import tornado.web

from mlops_jupyter.server.models import LineageQuery
from mlops_jupyter.server.rest import ErrorStatuses, StoreHandler
from mlops_jupyter.server.services_lineage import lineage_graph
from mlops_jupyter.server.validation import check_text
from mlops_jupyter.tracking.lineage import LineageTargetError


class LineageHandler(StoreHandler):
    error_statuses: ErrorStatuses = ((LineageTargetError, 404), *StoreHandler.error_statuses)

    @tornado.web.authenticated
    async def get(self, node_id: str) -> None:
        query = self.query(LineageQuery)
        self.reply(await self.in_store(lineage_graph, check_text("id", node_id), query))
