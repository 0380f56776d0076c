"""REST handlers for runs: the run list, one run, a metric's series, an artifact's bytes, and
the experiments runs belong to (the work is in ``services_runs.py``)."""

from __future__ import annotations

from urllib.parse import quote

import tornado.web

from mlops_jupyter.server.models import RunsQuery, SeriesQuery
from mlops_jupyter.server.rest import StoreHandler
from mlops_jupyter.server.services_runs import (
    artifact_bytes,
    list_experiments,
    list_runs,
    metric_series,
    run_detail,
)
from mlops_jupyter.server.validation import check_text


class ExperimentsHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(await self.in_store(list_experiments))


class RunsHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        query = self.query(RunsQuery)
        root = self.settings["server_root_dir"]
        self.reply(await self.in_store(list_runs, query, root))


class RunHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        self.reply(await self.in_store(run_detail, check_text("run_id", run_id)))


class MetricSeriesHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str, key: str) -> None:
        query = self.query(SeriesQuery)
        series = await self.in_store(
            metric_series,
            check_text("run_id", run_id),
            check_text("key", key),
            query.max_points,
        )
        self.reply(series)


class ArtifactHandler(StoreHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str, artifact: str) -> None:
        payload = await self.in_store(
            artifact_bytes, check_text("run_id", run_id), check_text("artifact", artifact)
        )
        # Always an opaque download, never rendered in the Jupyter origin: an HTML or SVG
        # artifact served with its own media type could run script with the user's credentials.
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(artifact)}")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(payload, set_content_type="application/octet-stream")
