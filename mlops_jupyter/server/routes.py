"""Every REST operation in one table: verb, path, handler, and what the OpenAPI document says.

``OPERATIONS`` has one row per operation; one loop (:func:`routes_of`) groups the rows by path
into ``ROUTES``, from which both the tornado routes (``handlers``, what ``app.py`` mounts) and
the OpenAPI document (``openapi.py``) are derived, so a route cannot be served without being
documented, or documented without being served. Paths are OpenAPI templates relative to
``/mlops/api/v1``; ``{name}`` matches one segment and ``{name:path}`` the rest of the path
(slashes included); each path parameter is described once, by name, in ``PATH_PARAMS``.
Routes are matched in table order: a literal path must come before a parameter that would
also match it (``.../gates`` before ``.../{action}``). The 400 answer of an operation that
takes input is added by the document; ``errors`` names only the other statuses (or a more
precise 400).
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


@dataclass(frozen=True)
class Op:
    """One operation: ``verb`` on ``path``, served by ``handler``, as the OpenAPI document
    describes it."""

    verb: str
    path: str
    handler: type
    operation_id: str
    tag: str
    #: the success answer: a response model (JSON), or ``(media type, schema)`` for other content
    response: type[BaseModel] | tuple[str, dict[str, Any]]
    response_description: str
    summary: str
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


#: path parameter name -> (description, JSON schema or None for a non-empty string)
PATH_PARAMS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "run_id": ("run id, or a unique prefix of at least 4 characters", None),
    "key": ("metric key", None),
    "artifact": ("artifact name as logged", None),
    "node_id": (
        "run id (or prefix), dataset id, uri or fingerprint, models:/NAME/VERSION or "
        "models:/NAME@ALIAS",
        None,
    ),
    "name": ("registered model name", {"type": "string", "pattern": m.MODEL_NAME_PATTERN}),
    "version": ("version number", {"type": "integer", "minimum": 1}),
    "action": ("the action", {"type": "string", "enum": list(m.MODEL_ACTIONS)}),
    "retrain_id": ("the retrain's id", None),
    "check_id": ("the check's id", None),
    "sweep_id": ("the sweep run's id", None),
}

VERSION_LINKS = ("getModelVersion", "getModelGates", "actOnModelVersion")
REGISTERED = {"name": "$response.body#/name", "version": "$response.body#/version"}
LISTED = {"name": "$request.path.name", "version": "$response.body#/versions/0/version"}
BINARY = ("application/octet-stream", {"type": "string", "format": "binary"})
ANY_JSON = ("application/json", {"type": "object"})

# One row per operation: verb, path, handler, operationId, tag, success answer and its
# description, summary; then what differs from the defaults. Aligned by hand: a table to scan.
# fmt: off
OPERATIONS: list[Op] = [
    # -- meta ---------------------------------------------------------------------------------
    Op("get", "/version", VersionHandler, "getVersion", "meta", m.Version, "versions",
       "Server and API version (the frontend's handshake)"),
    Op("get", "/openapi.json", OpenAPIHandler, "getOpenAPI", "meta", ANY_JSON,
       "the OpenAPI document", "This document"),
    # -- runs ---------------------------------------------------------------------------------
    Op("get", "/experiments", ExperimentsHandler, "listExperiments", "runs", m.ExperimentList,
       "experiments", "Experiments with their run counts"),
    Op("get", "/runs", RunsHandler, "listRuns", "runs", m.RunPage, "one page of runs",
       "Runs matching a filter, one page at a time", query=m.RunsQuery,
       errors={400: "malformed filter or order_by (the message names the position)"},
       links={"getRun": {"run_id": "$response.body#/runs/0/run_id"},
              "getLineage": {"node_id": "$response.body#/runs/0/run_id"}}),
    Op("get", "/runs/{run_id}", RunHandler, "getRun", "runs", m.RunDetail, "the run",
       "Everything recorded about one run", errors={404: "no such run"},
       links={"getMetricSeries": {"run_id": "$request.path.run_id",
                                  "key": "$response.body#/metric_keys/0"},
              "getArtifact": {"run_id": "$request.path.run_id",
                              "artifact": "$response.body#/artifacts/0/name"}}),
    Op("get", "/runs/{run_id}/metrics/{key:path}", MetricSeriesHandler, "getMetricSeries",
       "runs", m.MetricSeries, "the series",
       "One metric's history, downsampled for charts (LTTB)", query=m.SeriesQuery,
       errors={404: "no such run, or the run has no such metric"}),
    Op("get", "/runs/{run_id}/artifacts/{artifact:path}", ArtifactHandler, "getArtifact", "runs",
       BINARY, "the artifact's bytes, always as an attachment of type application/octet-stream",
       "Download one artifact's bytes, verified against its SHA-256 first",
       errors={404: "no such run or artifact", 409: "stored bytes fail verification"}),
    # -- lineage ------------------------------------------------------------------------------
    Op("get", "/lineage/{node_id:path}", LineageHandler, "getLineage", "lineage",
       m.LineageGraph, "the graph", "Lineage graph around a run, dataset or model version",
       query=m.LineageQuery, errors={404: "nothing with that id"}),
    # -- registry -----------------------------------------------------------------------------
    Op("get", "/models", ModelsHandler, "listModels", "models", m.ModelList,
       "models (empty until the registry has any)", "Registered models",
       links={"getModel": {"name": "$response.body#/models/0/name"}}),
    Op("post", "/models", ModelsHandler, "registerModel", "models", m.ModelVersionDetail,
       "the new version",
       "Register a run's model as a new version (actor: the authenticated user)",
       status=201, body=m.RegisterRequest,
       errors={400: "invalid name, or the run has no single model file to register",
               404: "no such run",
               422: "the model file needs types that are not trusted (named in the message)"},
       links=dict.fromkeys(VERSION_LINKS, REGISTERED)),
    Op("get", "/models/{name}", ModelHandler, "getModel", "models", m.ModelDetail, "the model",
       "A model with its versions, aliases and alias history",
       errors={400: "invalid model name", 404: "no such model"},
       links=dict.fromkeys(VERSION_LINKS, LISTED)),
    Op("get", "/models/{name}/owners", OwnersHandler, "getModelOwners", "governance", m.Owners,
       "the owners",
       "Who owns a model (named in its events; the approvers under `approvers: owners`)",
       errors={400: "invalid model name", 404: "no such model"}),
    Op("post", "/models/{name}/owners", OwnersHandler, "setModelOwners", "governance", m.Owners,
       "the new owners",
       "Replace a model's owners (allowed for its creator, an owner or an admin)",
       body=m.OwnersRequest,
       errors={404: "no such model",
               409: "the authenticated user may not change this model's owners"}),
    Op("get", "/models/{name}/versions/{version}", ModelVersionHandler, "getModelVersion",
       "models", m.ModelVersionDetail, "the version",
       "One version: approvals, aliases, card, metrics",
       errors={404: "no such model or version"}),
    Op("get", "/models/{name}/versions/{version}/gates", GatesHandler, "getModelGates", "models",
       m.GateReport, "gate results",
       "Gate results if this version were promoted to an alias (nothing changes)",
       query=m.GatesQuery, errors={404: "no such model or version"}),
    Op("post", "/models/{name}/versions/{version}/{action}", ModelActionHandler,
       "actOnModelVersion", "models", m.ActionResult, "the version after the action",
       "Act on a version; the actor is always the authenticated user. rollback moves "
       "`alias` back to its previous holder and needs {version} to be its current holder.",
       body=m.ActionRequest,
       errors={404: "no such model or version",
               409: "refused: self-approval, unapproved or gate-failing promotion, alias moved, "
                    "or an action the version's state does not allow"}),
    Op("get", "/audit", AuditHandler, "listAudit", "audit", m.AuditPage, "audit events",
       "The hash-chained audit log, newest first, optionally verified", query=m.AuditQuery),
    # -- monitoring ---------------------------------------------------------------------------
    Op("get", "/monitor", MonitorHandler, "listMonitorChecks", "monitor", m.MonitorChecks,
       "checks", "Recorded monitoring checks (drift, performance), newest first",
       query=m.MonitorQuery),
    Op("post", "/monitor/retrain", RetrainHandler, "startRetrain", "monitor", m.RetrainState,
       "the retrain, running", "Retrain a model's alias holder on new data (in the background)",
       status=202, body=m.RetrainRequest,
       errors={403: "data outside the server root", 404: "unknown model"}),
    Op("get", "/monitor/retrain/{retrain_id}", RetrainStateHandler, "getRetrain", "monitor",
       m.RetrainState, "the retrain", "Progress and outcome of a retrain started here",
       errors={404: "no such retrain in this server"}),
    Op("get", "/monitor/{check_id}", CheckHandler, "getMonitorCheck", "monitor",
       m.MonitorCheckDetail, "the check and its report",
       "One check with its full report (per-column statistics, histograms, chain)",
       errors={404: "no such check"}),
    # -- serving ------------------------------------------------------------------------------
    Op("get", "/servers", ServersHandler, "listModelServers", "serving", m.ModelServers,
       "live servers", "Live model servers (a heartbeat in the last 30 s), newest first",
       query=m.ServersQuery),
    # -- sweeps -------------------------------------------------------------------------------
    Op("get", "/sweeps", SweepsHandler, "listSweeps", "sweeps", m.SweepList, "sweeps",
       "Sweeps, newest first, with their progress", query=m.SweepsQuery,
       links={"getSweep": {"sweep_id": "$response.body#/sweeps/0/sweep_id"}}),
    Op("post", "/sweeps", SweepsHandler, "startSweep", "sweeps", m.SweepStarted,
       "the sweep started",
       "Start a sweep of a notebook in the background; follow it with GET sweeps/{id}",
       status=202, body=m.SweepRequest,
       errors={403: "the notebook path leaves the server root, or not authenticated",
               404: "no such notebook"},
       links={"getSweep": {"sweep_id": "$response.body#/sweep_id"}}),
    Op("get", "/sweeps/{sweep_id}", SweepHandler, "getSweep", "sweeps", m.SweepDetail,
       "the sweep", "One sweep: its progress and its points", errors={404: "no such sweep"}),
    Op("get", "/notebooks/params", NotebookParametersHandler, "getNotebookParameters", "sweeps",
       m.NotebookParameters, "the parameters",
       "Parameters of a notebook's `parameters` cell, with types (for the batch dialog)",
       query=m.NotebookParametersQuery,
       errors={403: "the path leaves the server root, or not authenticated",
               404: "no such notebook"}),
    # -- governance ---------------------------------------------------------------------------
    Op("get", "/notifications", NotificationsHandler, "listNotifications", "governance",
       m.Notifications, "the notifications",
       "Events of the models the authenticated user owns: pending approvals, failed gates "
       "and checks, rejections (newest first)", query=m.NotificationsQuery),
]
# fmt: on


def routes_of(operations: list[Op]) -> list[Route]:
    """The operations grouped by path, in the order paths first appear; one handler a path."""
    verbs: dict[str, dict[str, Op]] = {}
    for op in operations:
        on_path = verbs.setdefault(op.path, {})
        if op.verb in on_path or any(other.handler is not op.handler for other in on_path.values()):
            raise ValueError(f"{op.verb.upper()} {op.path}: a second operation, or another handler")
        on_path[op.verb] = op
    return [
        Route(
            path,
            next(iter(ops.values())).handler,
            {name: PATH_PARAMS[name] for name in re.findall(r"\{(\w+)", path)},
            **ops,
        )
        for path, ops in verbs.items()
    ]


ROUTES = routes_of(OPERATIONS)

#: What ``app.py`` mounts: ``(relative tornado pattern, handler class)`` per route, in order.
handlers = [(route.pattern, route.handler) for route in ROUTES]
