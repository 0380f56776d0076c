"""REST handlers for sweeps and for the parameters a notebook accepts (the work is in
``services_sweeps.py``)."""

from __future__ import annotations

import tornado.web

from mlops_jupyter.batch.parameters import ParameterError
from mlops_jupyter.server import services_sweeps as sweeps
from mlops_jupyter.server.models import NotebookParametersQuery, SweepRequest, SweepsQuery
from mlops_jupyter.server.rest import ErrorStatuses, StoreHandler
from mlops_jupyter.server.validation import check_text


class BatchHandler(StoreHandler):
    error_statuses: ErrorStatuses = ((ParameterError, 400), *StoreHandler.error_statuses)


class SweepsHandler(BatchHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(SweepsQuery)
        root = self.settings["server_root_dir"]
        self.reply(await self.in_store(sweeps.list_sweeps, query, root))

    @tornado.web.authenticated
    async def post(self) -> None:
        request = self.body(SweepRequest)
        notebook = sweeps.notebook_file(self.settings["server_root_dir"], request.notebook)
        self.reply(await self.in_store(sweeps.start, notebook, request), status=202)


class SweepHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, sweep_id: str) -> None:
        self.reply(await self.in_store(sweeps.sweep_detail, check_text("sweep_id", sweep_id)))


class NotebookParametersHandler(BatchHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        relative = self.query(NotebookParametersQuery).path
        notebook = sweeps.notebook_file(self.settings["server_root_dir"], relative)
        self.reply(await self.in_store(sweeps.parameters_of, notebook, relative))
