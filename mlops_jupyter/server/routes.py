"""Every REST route in one table: path, handler, and per verb what the OpenAPI document says.

Paths are OpenAPI templates relative to ``/mlops/api/v1``; ``{name}`` matches one segment and
``{name:path}`` the rest of the path (slashes included). The tornado routes (``handlers``, what
``app.py`` mounts) and the OpenAPI document (``openapi.py``) are both derived from this table,
so a route cannot be served without being documented, or documented without being served.
Routes are matched in table order: a literal path must come before a parameter that would
also match it (``.../gates`` before ``.../{action}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from mlops_jupyter.server import models as m
from mlops_jupyter.server.handlers_audit import AuditHandler
from mlops_jupyter.server.handlers_governance import NotificationsHandler, OwnersHandler
from mlops_jupyter.server.handlers_lineage import LineageHandler
from mlops_jupyter.server.handlers_meta import VersionHandler
from mlops_jupyter.server.handlers_models import (
    GatesHandler,
    ModelActionHandler,
    ModelHandler,
    ModelsHandler,
    ModelVersionHandler,
)
from mlops_jupyter.server.handlers_monitor import (
    CheckHandler,
    MonitorHandler,
    RetrainHandler,
    RetrainStateHandler,
)
from mlops_jupyter.server.handlers_openapi import OpenAPIHandler
from mlops_jupyter.server.handlers_runs import (
    ArtifactHandler,
    ExperimentsHandler,
    MetricSeriesHandler,
    RunHandler,
    RunsHandler,
)
from mlops_jupyter.server.handlers_serving import ServersHandler
from mlops_jupyter.server.handlers_sweeps import (
    NotebookParametersHandler,
    SweepHandler,
    SweepsHandler,
)
from mlops_jupyter.server.openapi import BAD_INPUT


@dataclass(frozen=True)
class Op:
    """One operation (verb) of a route, as the OpenAPI document describes it."""

    operation_id: str
    summary: str
    tag: str
    #: the success answer: a response model (JSON), or ``(media type, schema)`` for other content
    response: type[BaseModel] | tuple[str, dict[str, Any]]
    response_description: str
    status: int = 200
    query: type[m.Query] | None = None
    body: type[m.Request] | None = None
    #: error statuses besides 403 (always) and 400 (whenever the operation takes input)
    errors: dict[int, str] = field(default_factory=dict)
    #: operationId -> {parameter: runtime expression}: which answer feeds which request
    links: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    path: str
    handler: type
    #: path parameter -> (description, JSON schema); default schema: a non-empty string
    params: dict[str, tuple[str, dict[str, Any] | None]] = field(default_factory=dict)
    get: Op | None = None
    post: Op | None = None

    @property
    def operations(self) -> dict[str, Op]:
        return {verb: op for verb in ("get", "post") if (op := getattr(self, verb)) is not None}

    @property
    def pattern(self) -> str:
        """The tornado route (relative) for :attr:`path`."""

        def group(match: re.Match[str]) -> str:
            return f"(?P<{match[1]}>{'.+' if match[2] else '[^/]+'})"

        parts = re.split(r"(\{\w+(?::path)?\})", self.path.lstrip("/"))
        return "".join(
            re.sub(r"\{(\w+)(:path)?\}", group, part) if part.startswith("{") else re.escape(part)
            for part in parts
        )


RUN_ID = ("run id, or a unique prefix of at least 4 characters", None)
MODEL_NAME = ("registered model name", {"type": "string", "pattern": m.MODEL_NAME_PATTERN})
MODEL_VERSION = ("version number", {"type": "integer", "minimum": 1})
VERSION_LINKS = ("getModelVersion", "getModelGates", "actOnModelVersion")

ROUTES: list[Route] = [
    # -- meta -------------------------------------------------------------------------------
    Route(
        "/version",
        VersionHandler,
        get=Op(
            "getVersion",
            "Server and API version (the frontend's handshake)",
            "meta",
            m.Version,
            "versions",
        ),
    ),
    Route(
        "/openapi.json",
        OpenAPIHandler,
        get=Op(
            "getOpenAPI",
            "This document",
            "meta",
            ("application/json", {"type": "object"}),
            "the OpenAPI document",
        ),
    ),
    # -- runs -------------------------------------------------------------------------------
    Route(
        "/experiments",
        ExperimentsHandler,
        get=Op(
            "listExperiments",
            "Experiments with their run counts",
            "runs",
            m.ExperimentList,
            "experiments",
        ),
    ),
    Route(
        "/runs",
        RunsHandler,
        get=Op(
            "listRuns",
            "Runs matching a filter, one page at a time",
            "runs",
            m.RunPage,
            "one page of runs",
            query=m.RunsQuery,
            errors={400: "malformed filter or order_by (the message names the position)"},
            links={
                "getRun": {"run_id": "$response.body#/runs/0/run_id"},
                "getLineage": {"node_id": "$response.body#/runs/0/run_id"},
            },
        ),
    ),
    Route(
        "/runs/{run_id}",
        RunHandler,
        params={"run_id": RUN_ID},
        get=Op(
            "getRun",
            "Everything recorded about one run",
            "runs",
            m.RunDetail,
            "the run",
            errors={404: "no such run"},
            links={
                "getMetricSeries": {
                    "run_id": "$request.path.run_id",
                    "key": "$response.body#/metric_keys/0",
                },
                "getArtifact": {
                    "run_id": "$request.path.run_id",
                    "artifact": "$response.body#/artifacts/0/name",
                },
            },
        ),
    ),
    Route(
        "/runs/{run_id}/metrics/{key:path}",
        MetricSeriesHandler,
        params={"run_id": RUN_ID, "key": ("metric key", None)},
        get=Op(
            "getMetricSeries",
            "One metric's history, downsampled for charts (LTTB)",
            "runs",
            m.MetricSeries,
            "the series",
            query=m.SeriesQuery,
            errors={400: BAD_INPUT, 404: "no such run, or the run has no such metric"},
        ),
    ),
    Route(
        "/runs/{run_id}/artifacts/{artifact:path}",
        ArtifactHandler,
        params={"run_id": RUN_ID, "artifact": ("artifact name as logged", None)},
        get=Op(
            "getArtifact",
            "Download one artifact's bytes, verified against its SHA-256 first",
            "runs",
            ("application/octet-stream", {"type": "string", "format": "binary"}),
            "the artifact's bytes, always as an attachment of type application/octet-stream",
            errors={404: "no such run or artifact", 409: "stored bytes fail verification"},
        ),
    ),
    # -- lineage ----------------------------------------------------------------------------
    Route(
        "/lineage/{node_id:path}",
        LineageHandler,
        params={
            "node_id": (
                "run id (or prefix), dataset id, uri or fingerprint, models:/NAME/VERSION or "
                "models:/NAME@ALIAS",
                None,
            )
        },
        get=Op(
            "getLineage",
            "Lineage graph around a run, dataset or model version",
            "lineage",
            m.LineageGraph,
            "the graph",
            query=m.LineageQuery,
            errors={400: BAD_INPUT, 404: "nothing with that id"},
        ),
    ),
    # -- registry ---------------------------------------------------------------------------
    Route(
        "/models",
        ModelsHandler,
        get=Op(
            "listModels",
            "Registered models",
            "models",
            m.ModelList,
            "models (empty until the registry has any)",
            links={"getModel": {"name": "$response.body#/models/0/name"}},
        ),
        post=Op(
            "registerModel",
            "Register a run's model as a new version (actor: the authenticated user)",
            "models",
            m.ModelVersionDetail,
            "the new version",
            status=201,
            body=m.RegisterRequest,
            errors={
                400: "invalid name, or the run has no single model file to register",
                404: "no such run",
                422: "the model file needs types that are not trusted (named in the message)",
            },
            links={
                op: {"name": "$response.body#/name", "version": "$response.body#/version"}
                for op in VERSION_LINKS
            },
        ),
    ),
    Route(
        "/models/{name}",
        ModelHandler,
        params={"name": MODEL_NAME},
        get=Op(
            "getModel",
            "A model with its versions, aliases and alias history",
            "models",
            m.ModelDetail,
            "the model",
            errors={400: "invalid model name", 404: "no such model"},
            links={
                op: {"name": "$request.path.name", "version": "$response.body#/versions/0/version"}
                for op in VERSION_LINKS
            },
        ),
    ),
    Route(
        "/models/{name}/owners",
        OwnersHandler,
        params={"name": MODEL_NAME},
        get=Op(
            "getModelOwners",
            "Who owns a model (named in its events; the approvers under `approvers: owners`)",
            "governance",
            m.Owners,
            "the owners",
            errors={400: "invalid model name", 404: "no such model"},
        ),
        post=Op(
            "setModelOwners",
            "Replace a model's owners (allowed for its creator, an owner or an admin)",
            "governance",
            m.Owners,
            "the new owners",
            body=m.OwnersRequest,
            errors={
                404: "no such model",
                409: "the authenticated user may not change this model's owners",
            },
        ),
    ),
    Route(
        "/models/{name}/versions/{version}",
        ModelVersionHandler,
        params={"name": MODEL_NAME, "version": MODEL_VERSION},
        get=Op(
            "getModelVersion",
            "One version: approvals, aliases, card, metrics",
            "models",
            m.ModelVersionDetail,
            "the version",
            errors={400: BAD_INPUT, 404: "no such model or version"},
        ),
    ),
    Route(
        "/models/{name}/versions/{version}/gates",
        GatesHandler,
        params={"name": MODEL_NAME, "version": MODEL_VERSION},
        get=Op(
            "getModelGates",
            "Gate results if this version were promoted to an alias (nothing changes)",
            "models",
            m.GateReport,
            "gate results",
            query=m.GatesQuery,
            errors={400: BAD_INPUT, 404: "no such model or version"},
        ),
    ),
    Route(
        "/models/{name}/versions/{version}/{action}",
        ModelActionHandler,
        params={
            "name": MODEL_NAME,
            "version": MODEL_VERSION,
            "action": ("the action", {"type": "string", "enum": list(m.MODEL_ACTIONS)}),
        },
        post=Op(
            "actOnModelVersion",
            "Act on a version; the actor is always the authenticated user. rollback moves "
            "`alias` back to its previous holder and needs {version} to be its current holder.",
            "models",
            m.ActionResult,
            "the version after the action",
            body=m.ActionRequest,
            errors={
                400: BAD_INPUT,
                404: "no such model or version",
                409: "refused: self-approval, unapproved or gate-failing promotion, alias moved, "
                "or an action the version's state does not allow",
            },
        ),
    ),
    Route(
        "/audit",
        AuditHandler,
        get=Op(
            "listAudit",
            "The hash-chained audit log, newest first, optionally verified",
            "audit",
            m.AuditPage,
            "audit events",
            query=m.AuditQuery,
            errors={400: BAD_INPUT},
        ),
    ),
    # -- monitoring -------------------------------------------------------------------------
    Route(
        "/monitor",
        MonitorHandler,
        get=Op(
            "listMonitorChecks",
            "Recorded monitoring checks (drift, performance), newest first",
            "monitor",
            m.MonitorChecks,
            "checks",
            query=m.MonitorQuery,
            errors={400: BAD_INPUT},
        ),
    ),
    Route(
        "/monitor/retrain",
        RetrainHandler,
        post=Op(
            "startRetrain",
            "Retrain a model's alias holder on new data (in the background)",
            "monitor",
            m.RetrainState,
            "the retrain, running",
            status=202,
            body=m.RetrainRequest,
            errors={400: BAD_INPUT, 403: "data outside the server root", 404: "unknown model"},
        ),
    ),
    Route(
        "/monitor/retrain/{retrain_id}",
        RetrainStateHandler,
        params={"retrain_id": ("the retrain's id", None)},
        get=Op(
            "getRetrain",
            "Progress and outcome of a retrain started here",
            "monitor",
            m.RetrainState,
            "the retrain",
            errors={400: BAD_INPUT, 404: "no such retrain in this server"},
        ),
    ),
    Route(
        "/monitor/{check_id}",
        CheckHandler,
        params={"check_id": ("the check's id", None)},
        get=Op(
            "getMonitorCheck",
            "One check with its full report (per-column statistics, histograms, chain)",
            "monitor",
            m.MonitorCheckDetail,
            "the check and its report",
            errors={400: BAD_INPUT, 404: "no such check"},
        ),
    ),
    # -- serving ----------------------------------------------------------------------------
    Route(
        "/servers",
        ServersHandler,
        get=Op(
            "listModelServers",
            "Live model servers (a heartbeat in the last 30 s), newest first",
            "serving",
            m.ModelServers,
            "live servers",
            query=m.ServersQuery,
            errors={400: BAD_INPUT},
        ),
    ),
    # -- sweeps -----------------------------------------------------------------------------
    Route(
        "/sweeps",
        SweepsHandler,
        get=Op(
            "listSweeps",
            "Sweeps, newest first, with their progress",
            "sweeps",
            m.SweepList,
            "sweeps",
            query=m.SweepsQuery,
            errors={400: BAD_INPUT},
            links={"getSweep": {"sweep_id": "$response.body#/sweeps/0/sweep_id"}},
        ),
        post=Op(
            "startSweep",
            "Start a sweep of a notebook in the background; follow it with GET sweeps/{id}",
            "sweeps",
            m.SweepStarted,
            "the sweep started",
            status=202,
            body=m.SweepRequest,
            errors={
                400: BAD_INPUT,
                403: "the notebook path leaves the server root, or not authenticated",
                404: "no such notebook",
            },
            links={"getSweep": {"sweep_id": "$response.body#/sweep_id"}},
        ),
    ),
    Route(
        "/sweeps/{sweep_id}",
        SweepHandler,
        params={"sweep_id": ("the sweep run's id", None)},
        get=Op(
            "getSweep",
            "One sweep: its progress and its points",
            "sweeps",
            m.SweepDetail,
            "the sweep",
            errors={404: "no such sweep"},
        ),
    ),
    Route(
        "/notebooks/params",
        NotebookParametersHandler,
        get=Op(
            "getNotebookParameters",
            "Parameters of a notebook's `parameters` cell, with types (for the batch dialog)",
            "sweeps",
            m.NotebookParameters,
            "the parameters",
            query=m.NotebookParametersQuery,
            errors={
                400: BAD_INPUT,
                403: "the path leaves the server root, or not authenticated",
                404: "no such notebook",
            },
        ),
    ),
    # -- governance ---------------------------------------------------------------------------
    Route(
        "/notifications",
        NotificationsHandler,
        get=Op(
            "listNotifications",
            "Events of the models the authenticated user owns: pending approvals, failed gates "
            "and checks, rejections (newest first)",
            "governance",
            m.Notifications,
            "the notifications",
            query=m.NotificationsQuery,
        ),
    ),
]

#: What ``app.py`` mounts: ``(relative tornado pattern, handler class)`` per route, in order.
handlers = [(route.pattern, route.handler) for route in ROUTES]
