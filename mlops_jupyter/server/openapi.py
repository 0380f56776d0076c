"""The OpenAPI 3.1 document of the REST API under ``/mlops/api/v1``: the contract between the
server's handlers and the JupyterLab sidebar.

It is built here as a plain dict and served at ``GET /mlops/api/v1/openapi.json``. Every route
the extension mounts has a path here and every path here has a handler; tests check both
directions and validate real responses against these schemas (so the document cannot drift).

Conventions the schemas encode:

- Times are **epoch seconds** (UTC, float), as the store keeps them.
- Non-finite numbers (NaN, +inf, -inf) are sent as ``null``: JSON has no literal for them.
- Errors are jupyter_server's JSON error body ``{"message": ..., "reason": ...}``.
- Paths are relative to ``/mlops/api/v1`` below the server's base URL; every operation needs
  the Jupyter token (or the login cookie plus the ``X-XSRFToken`` header for non-GET verbs).
"""

from __future__ import annotations

import copy
from typing import Any

from mlops_jupyter.registry.audit import ACTIONS
from mlops_jupyter.server.app import API_BASE, API_VERSION

#: Largest page of runs one request may ask for.
MAX_RUNS_LIMIT = 1000
DEFAULT_RUNS_LIMIT = 50
#: Bounds of ``max_points`` for a metric series.
DEFAULT_MAX_POINTS = 1000
MIN_MAX_POINTS = 3
MAX_MAX_POINTS = 10_000
MAX_AUDIT_LIMIT = 1000
DEFAULT_LINEAGE_DEPTH = 10
MAX_LINEAGE_DEPTH = 50
DEFAULT_SWEEPS_LIMIT = 50
MAX_SWEEP_WORKERS = 16
DEFAULT_AUDIT_LIMIT = 100
MODEL_ACTIONS = ("request-approval", "approve", "reject", "promote", "rollback", "archive")
RUN_KINDS = ["cell", "notebook", "script", "sweep", "check"]
RUN_STATUSES = ["running", "finished", "failed", "killed"]
LINEAGE_DIRECTIONS = ["upstream", "downstream", "both"]
NODE_TYPES = ["dataset", "run", "model_version"]
# the registry's name rules (registry/names.py; a test keeps them equal), so clients and fuzzers
# can tell a well-formed name from a refused one without asking the server
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
ALIAS_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
NOTEBOOK_PATTERN = r"\.ipynb$"
AUDIT_ACTIONS = list(ACTIONS)  # the registry's own list, so the document cannot drift
VERSION_STATUSES = ["registered", "pending", "approved", "rejected"]

JSON = "application/json"
BAD_INPUT = "invalid input; the message says which parameter and why"
STORE_REFUSED = (
    "the store's state refuses the request: a stored blob is missing or fails verification, or "
    "the store cannot be opened or written (the message says which)"
)
ANY: dict[str, Any] = {}


# -- schema helpers -------------------------------------------------------------------------
def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null (OpenAPI 3.1 / JSON Schema style)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    result = dict(schema)
    kind = result.get("type")
    result["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
    if "enum" in result:
        result["enum"] = [*result["enum"], None]
    return result


def obj(
    properties: dict[str, Any], required: list[str] | None = None, *, extra: bool = False
) -> dict[str, Any]:
    """An object schema; ``required`` defaults to every property."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": extra,
    }


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def mapping(values: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": values}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
EPOCH = {"type": "number", "description": "epoch seconds, UTC"}
FINITE_OR_NULL = nullable({"type": "number", "description": "null when NaN or infinite"})


def _schemas() -> dict[str, Any]:
    run_summary_properties = {
        "run_id": STRING,
        "experiment": STRING,
        "name": nullable(STRING),
        "kind": {"type": "string", "enum": RUN_KINDS},
        "status": {"type": "string", "enum": RUN_STATUSES},
        "attempt": INTEGER,
        "parent_run_id": nullable(STRING),
        "user": nullable(STRING),
        "start_time": EPOCH,
        "end_time": nullable(EPOCH),
        "duration_s": nullable(NUMBER),
        "notebook_path": nullable(STRING),
        "cell_id": nullable(STRING),
        "params": mapping(ANY),
        "metrics": mapping(FINITE_OR_NULL),
        "tags": mapping(STRING),
    }
    dataset_properties = {
        "dataset_id": STRING,
        "uri": STRING,
        "fingerprint": STRING,
        "format": nullable(STRING),
        "rows": nullable(INTEGER),
        "columns": nullable(INTEGER),
        "schema": nullable(mapping(STRING)),
        "created_at": EPOCH,
    }
    model_version_properties = {
        "name": STRING,
        "version": INTEGER,
        "version_id": {"type": "string", "description": "lineage node id of the version"},
        "uri": {"type": "string", "description": "models:/NAME/VERSION"},
        "status": {
            "type": "string",
            "description": "approval state: registered (never requested), pending, approved, rejected",
            "enum": VERSION_STATUSES,
        },
        "run_id": STRING,
        "artifact_name": STRING,
        "artifact_digest": {"type": "string", "description": "SHA-256 of the model file"},
        "artifact_size": INTEGER,
        "flavor": STRING,
        "format": {"type": "string", "description": "skops or pickle"},
        "model_class": nullable(STRING),
        "description": nullable(STRING),
        "registered_by": STRING,
        "registered_at": EPOCH,
        "archived": BOOLEAN,
        "archived_at": nullable(EPOCH),
        "archived_by": nullable(STRING),
        "aliases": array(STRING),
        "approval_round": {"type": "integer", "description": "approval requests so far"},
        "approved_by": array(STRING),
        "metrics": mapping(FINITE_OR_NULL),
        "params": mapping(ANY),
        "signature": nullable(mapping(ANY)),
    }
    model_properties = {
        "name": STRING,
        "description": nullable(STRING),
        "owner": STRING,
        "policy": mapping(ANY),
        "created_at": EPOCH,
        "updated_at": EPOCH,
        "versions": {"type": "integer", "description": "number of versions"},
        "latest_version": nullable(INTEGER),
        "aliases": {
            "type": "object",
            "additionalProperties": INTEGER,
            "description": "alias -> version",
        },
    }
    return {
        "Error": obj(
            {
                "message": STRING,
                "reason": nullable(STRING),
                "traceback": STRING,
                "error_id": {
                    "type": "string",
                    "description": "id of the server log entry of an unexpected error (500)",
                },
            },
            ["message"],
        ),
        "Version": obj({"version": STRING, "api": {"type": "string", "const": API_VERSION}}),
        "Experiment": obj(
            {"experiment_id": STRING, "name": STRING, "created_at": EPOCH, "runs": INTEGER}
        ),
        "ExperimentList": obj({"experiments": array(ref("Experiment"))}),
        "RunSummary": obj(run_summary_properties),
        "RunPage": obj(
            {
                "runs": array(ref("RunSummary")),
                "total": {
                    "type": "integer",
                    "description": "runs matching, all pages. Counted in the background: when "
                    "the count is not ready within a few ms, a provisional total (rows so far plus "
                    "one page when there are more) with total_exact false; the listing's next "
                    "request (any page, within 30 s) gets the exact count",
                },
                "total_exact": {
                    "type": "boolean",
                    "description": "whether total is the exact count",
                },
                "has_more": {"type": "boolean", "description": "whether runs follow this page"},
                "limit": INTEGER,
                "offset": INTEGER,
            }
        ),
        "RunSource": obj(
            {
                "notebook_path": nullable(STRING),
                "cell_id": nullable(STRING),
                "execution_count": nullable(INTEGER),
                "code": nullable(STRING),
                "code_hash": nullable(STRING),
                "host": nullable(STRING),
                "pid": nullable(INTEGER),
            }
        ),
        "Environment": obj(
            {
                "environment_id": STRING,
                "python": nullable(STRING),
                "platform": nullable(STRING),
                "packages": mapping(STRING),
                "git_commit": nullable(STRING),
                "git_branch": nullable(STRING),
                "git_dirty_hash": nullable(STRING),
                "host": nullable(STRING),
                "user": nullable(STRING),
                "created_at": EPOCH,
            }
        ),
        "LinkedNode": obj(
            {
                "node_type": {"type": "string", "enum": NODE_TYPES},
                "node_id": STRING,
                "name": nullable(STRING),
                **{key: nullable(value) for key, value in dataset_properties.items()},
            },
            ["node_type", "node_id", "name"],
        ),
        "Artifact": obj(
            {
                "name": STRING,
                "digest": STRING,
                "size": INTEGER,
                "media_type": nullable(STRING),
                "created_at": EPOCH,
            }
        ),
        "RunDetail": obj(
            {
                **run_summary_properties,
                "metric_keys": array(STRING),
                "source": ref("RunSource"),
                "environment": nullable(ref("Environment")),
                "inputs": array(ref("LinkedNode")),
                "outputs": array(ref("LinkedNode")),
                "artifacts": array(ref("Artifact")),
                "children": array(STRING),
                "error": nullable(STRING),
            }
        ),
        "MetricSeries": obj(
            {
                "run_id": STRING,
                "key": STRING,
                "total_points": {"type": "integer", "description": "points logged"},
                "nonfinite_points": {
                    "type": "integer",
                    "description": "logged points whose value was NaN or infinite (not charted)",
                },
                "method": {
                    "type": "string",
                    "enum": ["none", "lttb"],
                    "description": "none: every finite point; lttb: Largest-Triangle-Three-Buckets",
                },
                "step": array(INTEGER),
                "value": array(NUMBER),
                "timestamp": array(EPOCH),
            }
        ),
        "LineageNode": obj(
            {
                "id": {"type": "string", "description": "unique in the graph: TYPE:ID"},
                "type": {"type": "string", "enum": NODE_TYPES},
                "node_id": STRING,
                "label": STRING,
                "attributes": mapping(ANY),
            }
        ),
        "LineageEdge": obj(
            {
                "source": {"type": "string", "description": "LineageNode.id data flows from"},
                "target": {"type": "string", "description": "LineageNode.id data flows to"},
                "role": {"type": "string", "enum": ["input", "output"]},
                "name": nullable(STRING),
            }
        ),
        "LineageGraph": obj(
            {
                "root": {"type": "string", "description": "LineageNode.id of the target"},
                "roots": {
                    "type": "array",
                    "items": STRING,
                    "description": "every node the target names (a uri can name several versions)",
                },
                "direction": {"type": "string", "enum": LINEAGE_DIRECTIONS},
                "nodes": array(ref("LineageNode")),
                "edges": array(ref("LineageEdge")),
            }
        ),
        "ModelSummary": obj(model_properties),
        "ModelList": obj({"models": array(ref("ModelSummary"))}),
        "ModelVersion": obj(model_version_properties),
        "Approval": obj(
            {
                "round": {"type": "integer", "description": "approval request it belongs to"},
                "actor": STRING,
                "decision": {"type": "string", "enum": ["request", "approve", "reject"]},
                "comment": nullable(STRING),
                "at": EPOCH,
            }
        ),
        "AliasEvent": obj(
            {
                "alias": STRING,
                "revision": {
                    "type": "integer",
                    "description": "the alias's revision after the move",
                },
                "action": {"type": "string", "enum": ["promote", "rollback"]},
                "from_version": nullable(INTEGER),
                "to_version": INTEGER,
                "actor": STRING,
                "reason": nullable(STRING),
                "forced": BOOLEAN,
                "gates": nullable(mapping(ANY)),
                "at": EPOCH,
            }
        ),
        "ModelDetail": obj(
            {
                **model_properties,
                "versions": array(ref("ModelVersion")),
                "alias_history": array(ref("AliasEvent")),
            }
        ),
        "ModelVersionDetail": obj(
            {
                **model_version_properties,
                "card": {"type": "string", "description": "model card, Markdown"},
                "approvals": array(ref("Approval")),
                "alias_history": {
                    "type": "array",
                    "items": ref("AliasEvent"),
                    "description": "moves of any alias to or from this version, oldest first",
                },
                "input_example": nullable(mapping(ANY)),
                "datasets": array(mapping(ANY)),
                "trusted_types": array(STRING),
            }
        ),
        "GateResult": obj(
            {
                "gate": {"type": "string", "description": "the gate as written, e.g. acc >= 0.9"},
                "metric": STRING,
                "value": FINITE_OR_NULL,
                "bound": FINITE_OR_NULL,
                "passed": BOOLEAN,
                "detail": STRING,
                "run_id": nullable(STRING),
                "output_notebook": nullable(STRING),
            },
            ["gate", "metric", "value", "bound", "passed", "detail"],
        ),
        "GateReport": obj(
            {
                "name": STRING,
                "version": INTEGER,
                "alias": STRING,
                "protected": BOOLEAN,
                "status": {"type": "string", "enum": VERSION_STATUSES},
                "approvals": INTEGER,
                "required_approvals": INTEGER,
                "current_version": nullable(INTEGER),
                "approved": BOOLEAN,
                "gates_passed": BOOLEAN,
                "allowed": {"type": "boolean", "description": "a promotion would be allowed"},
                "reasons": array(STRING),
                "results": array(ref("GateResult")),
            }
        ),
        "RegisterRequest": obj(
            {
                "run_id": {"type": "string", "minLength": 1},
                "name": {"type": "string", "pattern": MODEL_NAME_PATTERN},
                "description": STRING,
            },
            ["run_id", "name"],
            extra=True,
        ),
        "ActionRequest": obj(
            {
                "comment": STRING,
                "alias": {
                    "type": "string",
                    "pattern": ALIAS_PATTERN,
                    "description": "promote/rollback; default production",
                },
                "reason": {"type": "string", "description": "required with force"},
                "force": BOOLEAN,
            },
            [],
            extra=True,
        ),
        "ActionResult": obj(
            {
                "action": {"type": "string", "enum": list(MODEL_ACTIONS)},
                "actor": STRING,
                "version": ref("ModelVersionDetail"),
                "alias_change": nullable(ref("AliasEvent")),
            }
        ),
        "AuditEvent": obj(
            {
                "seq": INTEGER,
                "event_id": STRING,
                "at": EPOCH,
                "actor": STRING,
                "action": STRING,
                "model": nullable(STRING),
                "target": {"type": "string", "description": "e.g. models/iris/3"},
                "payload": mapping(ANY),
                "prev_hash": STRING,
                "hash": STRING,
            }
        ),
        "AuditVerification": obj(
            {
                "ok": BOOLEAN,
                "events": {"type": "integer", "description": "events checked"},
                "head_hash": STRING,
                "broken_seq": nullable(INTEGER),
                "problem": nullable(STRING),
                "message": {"type": "string", "description": "one-line verdict"},
            }
        ),
        "AuditPage": obj(
            {
                "events": array(ref("AuditEvent")),
                "has_more": {"type": "boolean", "description": "older events exist past this page"},
                "limit": INTEGER,
                "offset": INTEGER,
                "verify": nullable(ref("AuditVerification")),
            }
        ),
        "MonitorCheck": obj(
            {
                "check_id": STRING,
                "model": STRING,
                "version": INTEGER,
                "alias": nullable(STRING),
                "kind": {"type": "string", "enum": ["drift", "performance"]},
                "status": {
                    "type": "string",
                    "enum": ["ok", "warning", "failed"],
                    "description": "ok: passed; warning: passed with non-failing problems",
                },
                "drifted_columns": array(STRING),
                "result": mapping(ANY),
                "run_id": nullable(
                    {"type": "string", "description": "the run that trained the checked version"}
                ),
                "check_run_id": {
                    "type": "string",
                    "description": "the check's own run (kind check)",
                },
                "notebook": nullable(
                    {"type": "string", "description": "training notebook, relative to the root"}
                ),
                "retrain_run_id": nullable(STRING),
                "candidate_version": nullable(INTEGER),
                "rolled_back_to": nullable(INTEGER),
                "created_at": EPOCH,
            }
        ),
        "MonitorCheckDetail": obj(
            {
                "check": ref("MonitorCheck"),
                "report": {
                    "type": "object",
                    "description": "the report: per-column statistics and histograms (drift) or "
                    "metrics (performance), problems, the version's chain",
                    "additionalProperties": ANY,
                },
            }
        ),
        "RetrainRequest": obj(
            {
                "name": {"type": "string", "pattern": MODEL_NAME_PATTERN},
                "alias": {"type": "string", "minLength": 1},
                "data": {"type": "string", "description": "new training data, under the root"},
                "check_id": {"type": "string", "minLength": 1},
                "params": mapping(ANY),
            },
            required=["name"],
        ),
        "RetrainState": obj(
            {
                "retrain_id": STRING,
                "name": STRING,
                "alias": STRING,
                "status": {"type": "string", "enum": ["running", "finished", "failed"]},
                "run_id": nullable(STRING),
                "result": nullable(mapping(ANY)),
                "error": nullable(STRING),
                "started_at": EPOCH,
                "finished_at": nullable(EPOCH),
            }
        ),
        "MonitorChecks": obj({"checks": array(ref("MonitorCheck"))}),
        # live model servers (`mlops-jupyter serve`), from their heartbeats
        "ModelServer": obj(
            {
                "server_id": STRING,
                "url": {"type": "string", "description": "where the server listens"},
                "model": STRING,
                "alias": nullable(STRING),
                "version": nullable({"type": "integer", "description": "what most workers serve"}),
                "versions": array(INTEGER),
                "heartbeat": {"type": "string", "description": "ISO time of the newest beat"},
                "workers": INTEGER,
                "pinned": {"type": "boolean"},
                "requests": INTEGER,
                "request_rate": {
                    "type": "number",
                    "description": "requests per second, last minute",
                },
                "p50_ms": nullable(NUMBER),
                "p95_ms": nullable(NUMBER),
                "error": nullable(STRING),
                "host": STRING,
            }
        ),
        "ModelServers": obj({"servers": array(ref("ModelServer"))}),
        "SweepProgress": obj(
            {
                "total": nullable({"type": "integer", "description": "points planned"}),
                "finished": INTEGER,
                "failed": INTEGER,
                "killed": INTEGER,
                "running": INTEGER,
                "pending": nullable({"type": "integer", "description": "planned, not started"}),
            }
        ),
        "SweepSummary": obj(
            {
                "sweep_id": {"type": "string", "description": "the run id of the sweep run"},
                "name": nullable(STRING),
                "experiment": STRING,
                "status": {"type": "string", "enum": RUN_STATUSES},
                "notebook_path": nullable(STRING),
                "start_time": EPOCH,
                "end_time": nullable(EPOCH),
                "progress": ref("SweepProgress"),
            }
        ),
        "SweepList": obj({"sweeps": array(ref("SweepSummary"))}),
        "SweepDetail": obj(
            {
                "sweep": ref("SweepSummary"),
                "params": {
                    "type": "object",
                    "additionalProperties": ANY,
                    "description": "the sweep run's params: grid.K, points, workers, seed, ...",
                },
                "children": {
                    "type": "array",
                    "items": ref("RunSummary"),
                    "description": "one notebook run per point started so far, oldest first",
                },
            }
        ),
        "SweepRequest": obj(
            {
                "notebook": {
                    "type": "string",
                    "pattern": NOTEBOOK_PATTERN,
                    "description": "notebook path relative to the server root",
                },
                "grid": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {"type": "array", "minItems": 1},
                    "description": "parameter name -> values; every combination is a point",
                },
                "parameters": {
                    "type": "object",
                    "description": "fixed parameters for every point",
                },
                "workers": {"type": "integer", "minimum": 1, "maximum": MAX_SWEEP_WORKERS},
                "name": {"type": "string", "maxLength": 255},
                "experiment": {"type": "string", "minLength": 1, "maxLength": 255},
                "timeout_s": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "description": "per point; a point running longer is killed",
                },
            },
            ["notebook", "grid"],
            extra=True,
        ),
        "SweepStarted": obj(
            {
                "sweep_id": STRING,
                "points_total": INTEGER,
                "status": {"type": "string", "enum": ["running"]},
            },
        ),
        "NotebookParameter": obj(
            {
                "name": STRING,
                "type": {"type": "string", "description": "e.g. float, int | None, 'a' | 'b'"},
                "kinds": {
                    "type": "array",
                    "items": STRING,
                    "description": "accepted Python kinds: bool int float str list tuple dict NoneType",
                },
                "choices": nullable({"type": "array", "description": "allowed values (Literal)"}),
                "default": {"description": "the literal default; null when not a literal"},
                "default_source": {"type": "string", "description": "the default as written"},
                "annotation": nullable(STRING),
                "help": nullable({"type": "string", "description": "the trailing comment"}),
                "line": INTEGER,
            }
        ),
        "NotebookParameters": obj(
            {
                "path": STRING,
                "has_parameters_cell": BOOLEAN,
                "parameters": array(ref("NotebookParameter")),
            }
        ),
    }


# -- parameter and response helpers ---------------------------------------------------------
def path_param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string", "minLength": 1},
    }


def query_param(
    name: str, description: str, schema: dict[str, Any], *, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def content_response(description: str, media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def json_response(description: str, schema_name: str) -> dict[str, Any]:
    return content_response(description, JSON, ref(schema_name))


def _error(description: str) -> dict[str, Any]:
    return json_response(description, "Error")


def operation(
    summary: str,
    operation_id: str,
    ok: tuple[int, dict[str, Any]],
    *,
    tag: str,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
    errors: dict[int, str] | None = None,
    links: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One operation: its success response, 403 without auth, 400 when it takes any input,
    plus the listed error responses. ``links``: operationId -> {parameter: runtime expression},
    the OpenAPI links that say which answer feeds which request (clients and fuzzers follow them)."""
    status, success = ok
    responses: dict[str, Any] = {str(status): success}
    defaults = {
        403: "not authenticated (or XSRF check failed)",
        409: STORE_REFUSED,
        500: "a bug: the body's error_id names the server log entry with the details",
    }
    if parameters or body:
        defaults[400] = BAD_INPUT
    for code, text in {**defaults, **(errors or {})}.items():
        responses[str(code)] = _error(text)
    if links:
        success["links"] = {
            f"{target}": {"operationId": target, "parameters": parameters_from}
            for target, parameters_from in links.items()
        }
    result: dict[str, Any] = {
        "summary": summary,
        "operationId": operation_id,
        "tags": [tag],
        "parameters": parameters or [],
        "responses": responses,
    }
    if body is not None:
        result["requestBody"] = {"required": True, "content": {JSON: {"schema": ref(body)}}}
    return result


RUN_ID = path_param("run_id", "run id, or a unique prefix of at least 4 characters")
MODEL_NAME = path_param(
    "name", "registered model name", {"type": "string", "pattern": MODEL_NAME_PATTERN}
)
MODEL_VERSION = path_param("version", "version number", {"type": "integer", "minimum": 1})
PAGE_OFFSET = query_param("offset", "rows to skip", {"type": "integer", "minimum": 0, "default": 0})


def _paths() -> dict[str, Any]:
    runs_list = operation(
        "Runs matching a filter, one page at a time",
        "listRuns",
        (200, json_response("one page of runs", "RunPage")),
        tag="runs",
        links={
            "getRun": {"run_id": "$response.body#/runs/0/run_id"},
            "getLineage": {"node_id": "$response.body#/runs/0/run_id"},
        },
        parameters=[
            query_param(
                "filter",
                "filter language, e.g. metrics.acc > 0.9 and params.model = 'rf'",
                STRING,
            ),
            query_param(
                "order_by",
                "comma-separated FIELD [asc|desc]; default start_time desc",
                STRING,
            ),
            query_param(
                "limit",
                "page size",
                {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_RUNS_LIMIT,
                    "default": DEFAULT_RUNS_LIMIT,
                },
            ),
            PAGE_OFFSET,
            query_param("experiment", "only runs of this experiment (by name)", STRING),
            query_param("notebook", "only runs recorded from this notebook path", STRING),
        ],
        errors={400: "malformed filter or order_by (the message names the position)"},
    )
    return {
        "/version": {
            "get": operation(
                "Server and API version (the frontend's handshake)",
                "getVersion",
                (200, json_response("versions", "Version")),
                tag="meta",
            )
        },
        "/openapi.json": {
            "get": operation(
                "This document",
                "getOpenAPI",
                (200, content_response("the OpenAPI document", JSON, {"type": "object"})),
                tag="meta",
            )
        },
        "/experiments": {
            "get": operation(
                "Experiments with their run counts",
                "listExperiments",
                (200, json_response("experiments", "ExperimentList")),
                tag="runs",
            )
        },
        "/runs": {"get": runs_list},
        "/runs/{run_id}": {
            "get": operation(
                "Everything recorded about one run",
                "getRun",
                (200, json_response("the run", "RunDetail")),
                tag="runs",
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
                parameters=[RUN_ID],
                errors={404: "no such run"},
            )
        },
        "/runs/{run_id}/metrics/{key}": {
            "get": operation(
                "One metric's history, downsampled for charts (LTTB)",
                "getMetricSeries",
                (200, json_response("the series", "MetricSeries")),
                tag="runs",
                parameters=[
                    RUN_ID,
                    path_param("key", "metric key"),
                    query_param(
                        "max_points",
                        "most points to return",
                        {
                            "type": "integer",
                            "minimum": MIN_MAX_POINTS,
                            "maximum": MAX_MAX_POINTS,
                            "default": DEFAULT_MAX_POINTS,
                        },
                    ),
                ],
                errors={400: BAD_INPUT, 404: "no such run, or the run has no such metric"},
            )
        },
        "/runs/{run_id}/artifacts/{artifact}": {
            "get": operation(
                "Download one artifact's bytes, verified against its SHA-256 first",
                "getArtifact",
                (
                    200,
                    content_response(
                        "the artifact's bytes, always as an attachment of type application/octet-stream",
                        "application/octet-stream",
                        {"type": "string", "format": "binary"},
                    ),
                ),
                tag="runs",
                parameters=[RUN_ID, path_param("artifact", "artifact name as logged")],
                errors={404: "no such run or artifact", 409: "stored bytes fail verification"},
            )
        },
        "/lineage/{node_id}": {
            "get": operation(
                "Lineage graph around a run, dataset or model version",
                "getLineage",
                (200, json_response("the graph", "LineageGraph")),
                tag="lineage",
                parameters=[
                    path_param(
                        "node_id",
                        "run id (or prefix), dataset id, uri or fingerprint, models:/NAME/VERSION or models:/NAME@ALIAS",
                    ),
                    query_param(
                        "direction",
                        "upstream: what it came from; downstream: what came from it; both",
                        {"type": "string", "enum": LINEAGE_DIRECTIONS, "default": "upstream"},
                    ),
                    query_param(
                        "depth",
                        "most hops from the root",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_LINEAGE_DEPTH,
                            "default": DEFAULT_LINEAGE_DEPTH,
                        },
                    ),
                ],
                errors={400: BAD_INPUT, 404: "nothing with that id"},
            )
        },
        "/models": {
            "get": operation(
                "Registered models",
                "listModels",
                (200, json_response("models (empty until the registry has any)", "ModelList")),
                tag="models",
                links={"getModel": {"name": "$response.body#/models/0/name"}},
            ),
            "post": operation(
                "Register a run's model as a new version (actor: the authenticated user)",
                "registerModel",
                (201, json_response("the new version", "ModelVersionDetail")),
                tag="models",
                links={
                    op: {"name": "$response.body#/name", "version": "$response.body#/version"}
                    for op in ("getModelVersion", "getModelGates", "actOnModelVersion")
                },
                body="RegisterRequest",
                errors={
                    400: "invalid name, or the run has no single model file to register",
                    404: "no such run",
                    422: "the model file needs types that are not trusted (named in the message)",
                },
            ),
        },
        "/models/{name}": {
            "get": operation(
                "A model with its versions, aliases and alias history",
                "getModel",
                (200, json_response("the model", "ModelDetail")),
                tag="models",
                links={
                    op: {
                        "name": "$request.path.name",
                        "version": "$response.body#/versions/0/version",
                    }
                    for op in ("getModelVersion", "getModelGates", "actOnModelVersion")
                },
                parameters=[MODEL_NAME],
                errors={400: "invalid model name", 404: "no such model"},
            )
        },
        "/models/{name}/versions/{version}": {
            "get": operation(
                "One version: approvals, aliases, card, metrics",
                "getModelVersion",
                (200, json_response("the version", "ModelVersionDetail")),
                tag="models",
                parameters=[MODEL_NAME, MODEL_VERSION],
                errors={400: BAD_INPUT, 404: "no such model or version"},
            )
        },
        "/models/{name}/versions/{version}/gates": {
            "get": operation(
                "Gate results if this version were promoted to an alias (nothing changes)",
                "getModelGates",
                (200, json_response("gate results", "GateReport")),
                tag="models",
                parameters=[
                    MODEL_NAME,
                    MODEL_VERSION,
                    query_param(
                        "alias",
                        "target alias",
                        {"type": "string", "pattern": ALIAS_PATTERN, "default": "production"},
                    ),
                ],
                errors={400: BAD_INPUT, 404: "no such model or version"},
            )
        },
        "/models/{name}/versions/{version}/{action}": {
            "post": operation(
                "Act on a version; the actor is always the authenticated user. rollback moves "
                "`alias` back to its previous holder and needs {version} to be its current holder.",
                "actOnModelVersion",
                (200, json_response("the version after the action", "ActionResult")),
                tag="models",
                parameters=[
                    MODEL_NAME,
                    MODEL_VERSION,
                    path_param(
                        "action", "the action", {"type": "string", "enum": list(MODEL_ACTIONS)}
                    ),
                ],
                body="ActionRequest",
                errors={
                    400: BAD_INPUT,
                    404: "no such model or version",
                    409: "refused: self-approval, unapproved or gate-failing promotion, alias moved, "
                    "or an action the version's state does not allow",
                },
            )
        },
        "/audit": {
            "get": operation(
                "The hash-chained audit log, newest first, optionally verified",
                "listAudit",
                (200, json_response("audit events", "AuditPage")),
                tag="audit",
                parameters=[
                    query_param("model", "only events about this model", STRING),
                    query_param(
                        "action",
                        "only events of this action",
                        {"type": "string", "enum": AUDIT_ACTIONS},
                    ),
                    query_param("actor", "only events by this user", STRING),
                    query_param(
                        "limit",
                        "page size",
                        {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": MAX_AUDIT_LIMIT,
                            "default": DEFAULT_AUDIT_LIMIT,
                        },
                    ),
                    PAGE_OFFSET,
                    query_param(
                        "verify",
                        "recompute the whole chain and report the first broken event",
                        {"type": "boolean", "default": False},
                    ),
                ],
                errors={400: BAD_INPUT},
            )
        },
        "/monitor": {
            "get": operation(
                "Recorded monitoring checks (drift, performance), newest first",
                "listMonitorChecks",
                (200, json_response("checks", "MonitorChecks")),
                tag="monitor",
                parameters=[
                    query_param("model", "only checks of this model", STRING),
                    query_param("alias", "only checks of the version holding this alias", STRING),
                    query_param(
                        "limit",
                        "most checks",
                        {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200},
                    ),
                ],
                errors={400: BAD_INPUT},
            )
        },
        "/monitor/{check_id}": {
            "get": operation(
                "One check with its full report (per-column statistics, histograms, chain)",
                "getMonitorCheck",
                (200, json_response("the check and its report", "MonitorCheckDetail")),
                tag="monitor",
                parameters=[path_param("check_id", "the check's id")],
                errors={400: BAD_INPUT, 404: "no such check"},
            )
        },
        "/monitor/retrain": {
            "post": operation(
                "Retrain a model's alias holder on new data (in the background)",
                "startRetrain",
                (202, json_response("the retrain, running", "RetrainState")),
                tag="monitor",
                body="RetrainRequest",
                errors={400: BAD_INPUT, 403: "data outside the server root", 404: "unknown model"},
            )
        },
        "/monitor/retrain/{retrain_id}": {
            "get": operation(
                "Progress and outcome of a retrain started here",
                "getRetrain",
                (200, json_response("the retrain", "RetrainState")),
                tag="monitor",
                parameters=[path_param("retrain_id", "the retrain's id")],
                errors={400: BAD_INPUT, 404: "no such retrain in this server"},
            )
        },
        "/servers": {
            "get": operation(
                "Live model servers (a heartbeat in the last 30 s), newest first",
                "listModelServers",
                (200, json_response("live servers", "ModelServers")),
                tag="serving",
                parameters=[query_param("model", "only servers of this model", STRING)],
                errors={400: BAD_INPUT},
            )
        },
        "/sweeps": {
            "get": operation(
                "Sweeps, newest first, with their progress",
                "listSweeps",
                (200, json_response("sweeps", "SweepList")),
                tag="sweeps",
                links={"getSweep": {"sweep_id": "$response.body#/sweeps/0/sweep_id"}},
                parameters=[
                    query_param(
                        "limit",
                        "most sweeps",
                        {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": MAX_RUNS_LIMIT,
                            "default": DEFAULT_SWEEPS_LIMIT,
                        },
                    ),
                    query_param("notebook", "only sweeps of this notebook path", STRING),
                ],
                errors={400: BAD_INPUT},
            ),
            "post": operation(
                "Start a sweep of a notebook in the background; follow it with GET sweeps/{id}",
                "startSweep",
                (202, json_response("the sweep started", "SweepStarted")),
                tag="sweeps",
                links={"getSweep": {"sweep_id": "$response.body#/sweep_id"}},
                body="SweepRequest",
                errors={
                    400: BAD_INPUT,
                    403: "the notebook path leaves the server root, or not authenticated",
                    404: "no such notebook",
                },
            ),
        },
        "/sweeps/{sweep_id}": {
            "get": operation(
                "One sweep: its progress and its points",
                "getSweep",
                (200, json_response("the sweep", "SweepDetail")),
                tag="sweeps",
                parameters=[path_param("sweep_id", "the sweep run's id")],
                errors={404: "no such sweep"},
            )
        },
        "/notebooks/params": {
            "get": operation(
                "Parameters of a notebook's `parameters` cell, with types (for the batch dialog)",
                "getNotebookParameters",
                (200, json_response("the parameters", "NotebookParameters")),
                tag="sweeps",
                parameters=[
                    query_param(
                        "path",
                        "notebook path relative to the server root",
                        {"type": "string", "pattern": NOTEBOOK_PATTERN},
                        required=True,
                    )
                ],
                errors={
                    400: BAD_INPUT,
                    403: "the path leaves the server root, or not authenticated",
                    404: "no such notebook",
                },
            )
        },
    }


_DOCUMENT: dict[str, Any] | None = None


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy; callers may add ``servers``)."""
    global _DOCUMENT
    if _DOCUMENT is None:
        _DOCUMENT = {
            "openapi": "3.1.0",
            "info": {
                "title": "mlops_jupyter REST API",
                "version": API_VERSION,
                "description": __doc__,
            },
            "servers": [{"url": API_BASE}],
            "paths": _paths(),
            "components": {
                "schemas": _schemas(),
                "securitySchemes": {
                    "jupyterToken": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "Authorization",
                        "description": "`token <Jupyter token>`",
                    }
                },
            },
            "security": [{"jupyterToken": []}],
        }
    return copy.deepcopy(_DOCUMENT)
