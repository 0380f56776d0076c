"""The REST API's data: one pydantic model per request, query and response shape.

These models are the contract. The OpenAPI document (``server/openapi.py``) is generated from
them, the sidebar's TypeScript types (``labextension/src/api-schema.ts``) are generated from that
document, handlers validate their input with them and write their answers through them.

Conventions:

- Times are **epoch seconds** (UTC, float), as the store keeps them.
- Non-finite numbers (NaN, +inf, -inf) are written as ``null`` (pydantic's default for JSON).
- Responses (:class:`Response`) ignore extra keys on the way in, so a store row or a domain
  object's ``to_dict()`` can be validated as it is, and the document says
  ``additionalProperties: false`` for them; every field is always present in the answer.
- Requests (:class:`Request`) accept extra keys (ignored) and validate strictly (no "2" for 2).
- Query models (:class:`Query`) are flat: one field per query argument.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops_jupyter.registry.audit import ACTIONS
from mlops_jupyter.store.outbox import EVENT_TYPES
from mlops_jupyter.tracking.api import RUN_KINDS

API_VERSION = "v1"

#: Largest page of runs one request may ask for.
MAX_RUNS_LIMIT = 1000
DEFAULT_RUNS_LIMIT = 50
#: Bounds of ``max_points`` for a metric series.
DEFAULT_MAX_POINTS = 1000
MIN_MAX_POINTS = 3
MAX_MAX_POINTS = 10_000
MAX_AUDIT_LIMIT = 1000
DEFAULT_AUDIT_LIMIT = 100
DEFAULT_LINEAGE_DEPTH = 10
MAX_LINEAGE_DEPTH = 50
DEFAULT_SWEEPS_LIMIT = 50
MAX_SWEEP_WORKERS = 16
DEFAULT_SWEEP_WORKERS = 2
MAX_OFFSET = 2**62
DEFAULT_ALIAS = "production"
MODEL_ACTIONS = ("request-approval", "approve", "reject", "promote", "rollback", "archive")
RUN_STATUSES = ("running", "finished", "failed", "killed")
LINEAGE_DIRECTIONS = ("upstream", "downstream", "both")
# the registry's name rules (registry/names.py; a test keeps them equal), so clients and fuzzers
# can tell a well-formed name from a refused one without asking the server
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
ALIAS_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
NOTEBOOK_PATTERN = r"\.ipynb$"
AUDIT_ACTIONS = tuple(ACTIONS)  # the registry's own list, so the document cannot drift

RunKind = Literal[RUN_KINDS]  # type: ignore[valid-type]
RunStatus = Literal["running", "finished", "failed", "killed"]
NodeType = Literal["dataset", "run", "model_version"]
Direction = Literal["upstream", "downstream", "both"]
VersionStatus = Literal["registered", "pending", "approved", "rejected"]
ModelAction = Literal["request-approval", "approve", "reject", "promote", "rollback", "archive"]
AuditAction = Literal[AUDIT_ACTIONS]  # type: ignore[valid-type]

Epoch = Annotated[float, Field(description="epoch seconds, UTC")]
FiniteOrNull = Annotated[float | None, Field(description="null when NaN or infinite")]


class Response(BaseModel):
    """Base of every answer: extra keys of the source are dropped, all fields always written."""

    model_config = ConfigDict(
        extra="ignore",
        from_attributes=True,
        json_schema_extra={"additionalProperties": False},
        json_schema_serialization_defaults_required=True,
    )


class Request(BaseModel):
    """Base of every JSON request body: strict types, extra fields allowed and ignored."""

    model_config = ConfigDict(extra="allow", strict=True)


class Query(BaseModel):
    """Base of every set of query arguments (each field is one argument)."""

    model_config = ConfigDict(extra="ignore")


# -- errors and meta ------------------------------------------------------------------------
class Error(BaseModel):
    """jupyter_server's JSON error body."""

    message: str
    reason: str | None = None
    traceback: str | None = None
    error_id: str | None = Field(
        None, description="id of the server log entry of an unexpected error (500)"
    )

    model_config = ConfigDict(json_schema_extra={"additionalProperties": False})


class Version(Response):
    version: str
    api: Literal["v1"]


# -- runs -----------------------------------------------------------------------------------
class Experiment(Response):
    experiment_id: str
    name: str
    created_at: Epoch
    runs: int


class ExperimentList(Response):
    experiments: list[Experiment]


class RunSummary(Response):
    run_id: str
    experiment: str
    name: str | None
    kind: RunKind
    status: RunStatus
    attempt: int
    parent_run_id: str | None
    user: str | None
    start_time: Epoch
    end_time: Epoch | None
    duration_s: float | None
    notebook_path: str | None
    cell_id: str | None
    params: dict[str, Any]
    metrics: dict[str, FiniteOrNull]
    tags: dict[str, str]


class RunPage(Response):
    runs: list[RunSummary]
    total: int = Field(
        description="runs matching, all pages. Counted in the background: when the count is not "
        "ready within a few ms, a provisional total (rows so far plus one page when there are "
        "more) with total_exact false; the listing's next request (any page, within 30 s) gets "
        "the exact count"
    )
    total_exact: bool = Field(description="whether total is the exact count")
    has_more: bool = Field(description="whether runs follow this page")
    limit: int
    offset: int


class RunSource(Response):
    notebook_path: str | None
    cell_id: str | None
    execution_count: int | None
    code: str | None
    code_hash: str | None
    host: str | None
    pid: int | None


class Environment(Response):
    environment_id: str
    python: str | None
    platform: str | None
    packages: dict[str, str]
    git_commit: str | None
    git_branch: str | None
    git_dirty_hash: str | None
    host: str | None
    user: str | None
    created_at: Epoch


class LinkedNode(Response):
    """A dataset, run or model version linked to a run as input or output."""

    node_type: NodeType
    node_id: str
    name: str | None
    dataset_id: str | None = None
    uri: str | None = None
    fingerprint: str | None = None
    format: str | None = None
    rows: int | None = None
    columns: int | None = None
    schema_: dict[str, str] | None = Field(default=None, alias="schema")
    created_at: Epoch | None = None

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)


class Artifact(Response):
    name: str
    digest: str
    size: int
    media_type: str | None
    created_at: Epoch


class RunDetail(RunSummary):
    metric_keys: list[str]
    source: RunSource
    environment: Environment | None
    inputs: list[LinkedNode]
    outputs: list[LinkedNode]
    artifacts: list[Artifact]
    children: list[str]
    error: str | None


class MetricSeries(Response):
    run_id: str
    key: str
    total_points: int = Field(description="points logged")
    nonfinite_points: int = Field(
        description="logged points whose value was NaN or infinite (not charted)"
    )
    method: Literal["none", "lttb"] = Field(
        description="none: every finite point; lttb: Largest-Triangle-Three-Buckets"
    )
    step: list[int]
    value: list[float]
    timestamp: list[Epoch]


class RunsQuery(Query):
    filter: str | None = Field(
        None, description="filter language, e.g. metrics.acc > 0.9 and params.model = 'rf'"
    )
    order_by: str | None = Field(
        None, description="comma-separated FIELD [asc|desc]; default start_time desc"
    )
    limit: int = Field(DEFAULT_RUNS_LIMIT, ge=0, le=MAX_RUNS_LIMIT, description="page size")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="rows to skip")
    experiment: str | None = Field(None, description="only runs of this experiment (by name)")
    notebook: str | None = Field(None, description="only runs recorded from this notebook path")


class SeriesQuery(Query):
    max_points: int = Field(
        DEFAULT_MAX_POINTS,
        ge=MIN_MAX_POINTS,
        le=MAX_MAX_POINTS,
        description="most points to return",
    )


# -- lineage --------------------------------------------------------------------------------
class LineageNode(Response):
    id: str = Field(description="unique in the graph: TYPE:ID")
    type: NodeType
    node_id: str
    label: str
    attributes: dict[str, Any]


class LineageEdge(Response):
    source: str = Field(description="LineageNode.id data flows from")
    target: str = Field(description="LineageNode.id data flows to")
    role: Literal["input", "output"]
    name: str | None


class LineageGraph(Response):
    root: str = Field(description="LineageNode.id of the target")
    roots: list[str] = Field(
        description="every node the target names (a uri can name several versions)"
    )
    direction: Direction
    nodes: list[LineageNode]
    edges: list[LineageEdge]


class LineageQuery(Query):
    direction: Direction = Field(
        "upstream", description="upstream: what it came from; downstream: what came from it; both"
    )
    depth: int = Field(
        DEFAULT_LINEAGE_DEPTH, ge=1, le=MAX_LINEAGE_DEPTH, description="most hops from the root"
    )


# -- registry -------------------------------------------------------------------------------
class ModelSummary(Response):
    name: str
    description: str | None
    owner: str
    policy: dict[str, Any]
    created_at: Epoch
    updated_at: Epoch
    versions: int = Field(description="number of versions")
    latest_version: int | None
    aliases: dict[str, int] = Field(description="alias -> version")
    owners: list[str] = Field(
        default_factory=list,
        description="users or group:NAME entries (set_owners); empty: the creator is notified",
    )


class ModelList(Response):
    models: list[ModelSummary]


class ModelVersion(Response):
    name: str
    version: int
    version_id: str = Field(description="lineage node id of the version")
    uri: str = Field(description="models:/NAME/VERSION")
    status: VersionStatus = Field(
        description="approval state: registered (never requested), pending, approved, rejected"
    )
    run_id: str
    artifact_name: str
    artifact_digest: str = Field(description="SHA-256 of the model file")
    artifact_size: int
    flavor: str
    format: str = Field(description="skops or pickle")
    model_class: str | None
    description: str | None
    registered_by: str
    registered_at: Epoch
    archived: bool
    archived_at: Epoch | None
    archived_by: str | None
    aliases: list[str]
    approval_round: int = Field(description="approval requests so far")
    approved_by: list[str]
    metrics: dict[str, FiniteOrNull]
    params: dict[str, Any]
    signature: dict[str, Any] | None


class Approval(Response):
    round: int = Field(description="approval request it belongs to")
    actor: str
    decision: Literal["request", "approve", "reject"]
    comment: str | None
    at: Epoch


class AliasEvent(Response):
    alias: str
    revision: int = Field(description="the alias's revision after the move")
    action: Literal["promote", "rollback"]
    from_version: int | None
    to_version: int
    actor: str
    reason: str | None
    forced: bool
    gates: dict[str, Any] | None
    at: Epoch


class ModelDetail(ModelSummary):
    versions: list[ModelVersion]  # type: ignore[assignment]
    alias_history: list[AliasEvent]


class ModelVersionDetail(ModelVersion):
    card: str = Field(description="model card, Markdown")
    approvals: list[Approval]
    alias_history: list[AliasEvent] = Field(
        description="moves of any alias to or from this version, oldest first"
    )
    input_example: dict[str, Any] | None
    datasets: list[dict[str, Any]]
    trusted_types: list[str]


class GateResult(Response):
    gate: str = Field(description="the gate as written, e.g. acc >= 0.9")
    metric: str
    value: FiniteOrNull
    bound: FiniteOrNull
    passed: bool
    detail: str
    run_id: str | None = Field(None, description="the validation notebook's run, for its gates")
    output_notebook: str | None = None


class GateReport(Response):
    name: str
    version: int
    alias: str
    protected: bool
    status: VersionStatus
    approvals: int
    required_approvals: int
    current_version: int | None
    approved: bool
    gates_passed: bool
    allowed: bool = Field(description="a promotion would be allowed")
    reasons: list[str]
    results: list[GateResult]


class GatesQuery(Query):
    alias: str = Field(DEFAULT_ALIAS, pattern=ALIAS_PATTERN, description="target alias")


class RegisterRequest(Request):
    run_id: str = Field(min_length=1)
    name: str = Field(pattern=MODEL_NAME_PATTERN)
    description: str | None = None


class ActionRequest(Request):
    comment: str | None = None
    alias: str | None = Field(
        None, pattern=ALIAS_PATTERN, description="promote/rollback; default production"
    )
    reason: str | None = Field(None, description="required with force")
    force: bool = False


class ActionResult(Response):
    action: ModelAction
    actor: str
    version: ModelVersionDetail
    alias_change: AliasEvent | None


# -- audit ----------------------------------------------------------------------------------
class AuditEvent(Response):
    seq: int
    event_id: str
    at: Epoch
    actor: str
    action: str
    model: str | None
    target: str = Field(description="e.g. models/iris/3")
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class AuditVerification(Response):
    ok: bool
    events: int = Field(description="events checked")
    head_hash: str
    broken_seq: int | None
    problem: str | None
    message: str = Field(description="one-line verdict")


class AuditPage(Response):
    events: list[AuditEvent]
    has_more: bool = Field(description="older events exist past this page")
    limit: int
    offset: int
    verify: AuditVerification | None


class AuditQuery(Query):
    model: str | None = Field(None, description="only events about this model")
    action: AuditAction | None = Field(None, description="only events of this action")
    actor: str | None = Field(None, description="only events by this user")
    limit: int = Field(DEFAULT_AUDIT_LIMIT, ge=0, le=MAX_AUDIT_LIMIT, description="page size")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="rows to skip")
    verify: bool = Field(
        False, description="recompute the whole chain and report the first broken event"
    )


# -- monitoring -----------------------------------------------------------------------------
DEFAULT_CHECKS_LIMIT = 200
MAX_CHECKS_LIMIT = 1000


class MonitorCheck(Response):
    check_id: str
    model: str
    version: int
    alias: str | None
    kind: Literal["drift", "performance"]
    status: Literal["ok", "warning", "failed"] = Field(
        description="ok: passed; warning: passed with non-failing problems"
    )
    drifted_columns: list[str]
    result: dict[str, Any]
    run_id: str | None = Field(description="the run that trained the checked version")
    check_run_id: str = Field(description="the check's own run (kind check)")
    notebook: str | None = Field(description="training notebook, relative to the root")
    retrain_run_id: str | None
    candidate_version: int | None
    rolled_back_to: int | None
    created_at: Epoch


class MonitorChecks(Response):
    checks: list[MonitorCheck]


class MonitorCheckDetail(Response):
    check: MonitorCheck
    report: dict[str, Any] = Field(
        description="the report: per-column statistics and histograms (drift) or metrics "
        "(performance), problems, the version's chain"
    )


class MonitorQuery(Query):
    model: str | None = Field(None, description="only checks of this model")
    alias: str | None = Field(None, description="only checks of the version holding this alias")
    limit: int = Field(DEFAULT_CHECKS_LIMIT, ge=1, le=MAX_CHECKS_LIMIT, description="most checks")


class RetrainRequest(Request):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=MODEL_NAME_PATTERN)
    alias: str | None = Field(None, min_length=1)
    data: str | None = Field(None, description="new training data, under the root")
    check_id: str | None = Field(None, min_length=1)
    params: dict[str, Any] | None = None


class RetrainState(Response):
    retrain_id: str
    name: str
    alias: str
    status: Literal["running", "finished", "failed"]
    run_id: str | None
    result: dict[str, Any] | None
    error: str | None
    started_at: Epoch
    finished_at: Epoch | None


# -- serving --------------------------------------------------------------------------------
class ModelServer(Response):
    """A live model server (``mlops-jupyter serve``), from its heartbeats."""

    server_id: str
    url: str = Field(description="where the server listens")
    model: str
    alias: str | None
    version: int | None = Field(description="what most workers serve")
    versions: list[int]
    heartbeat: str = Field(description="ISO time of the newest beat")
    workers: int
    pinned: bool
    requests: int
    request_rate: float = Field(description="requests per second, last minute")
    p50_ms: float | None
    p95_ms: float | None
    error: str | None
    host: str


class ModelServers(Response):
    servers: list[ModelServer]


class ServersQuery(Query):
    model: str | None = Field(None, description="only servers of this model")


# -- sweeps and notebook parameters ---------------------------------------------------------
class SweepProgress(Response):
    total: int | None = Field(description="points planned")
    finished: int
    failed: int
    killed: int
    running: int
    pending: int | None = Field(description="planned, not started")


class SweepSummary(Response):
    sweep_id: str = Field(description="the run id of the sweep run")
    name: str | None
    experiment: str
    status: RunStatus
    notebook_path: str | None
    start_time: Epoch
    end_time: Epoch | None
    progress: SweepProgress


class SweepList(Response):
    sweeps: list[SweepSummary]


class SweepDetail(Response):
    sweep: SweepSummary
    params: dict[str, Any] = Field(
        description="the sweep run's params: grid.K, points, workers, seed, ..."
    )
    children: list[RunSummary] = Field(
        description="one notebook run per point started so far, oldest first"
    )


class SweepsQuery(Query):
    limit: int = Field(DEFAULT_SWEEPS_LIMIT, ge=0, le=MAX_RUNS_LIMIT, description="most sweeps")
    notebook: str | None = Field(None, description="only sweeps of this notebook path")


class SweepRequest(Request):
    notebook: str = Field(
        pattern=NOTEBOOK_PATTERN, description="notebook path relative to the server root"
    )
    grid: dict[
        str, Annotated[str, Field(max_length=10_000)] | Annotated[list[Any], Field(min_length=1)]
    ] = Field(
        min_length=1,
        description=(
            "parameter name -> values; every combination is a point. The values are either the"
            ' text the user typed, comma-separated ("0.1,1,10", "[1,2],[3]", "\'a,b\',c"),'
            " split and typed by the server with the notebook's declared parameter types exactly as"
            " the CLI's --grid K=V1,V2 (an empty value or a non-finite number is a 400), or a JSON"
            " list of values"
        ),
    )
    parameters: dict[str, Any] | None = Field(None, description="fixed parameters for every point")
    workers: int = Field(DEFAULT_SWEEP_WORKERS, ge=1, le=MAX_SWEEP_WORKERS)
    name: str | None = Field(None, max_length=255)
    experiment: str | None = Field(None, min_length=1, max_length=255)
    timeout_s: float | None = Field(
        None, gt=0, description="per point; a point running longer is killed"
    )


class SweepStarted(Response):
    sweep_id: str
    points_total: int
    status: Literal["running"]


class NotebookParameter(Response):
    name: str
    type: str = Field(description="e.g. float, int | None, 'a' | 'b'")
    kinds: list[str] = Field(
        description="accepted Python kinds: bool int float str list tuple dict NoneType"
    )
    choices: list[Any] | None = Field(description="allowed values (Literal)")
    default: Any = Field(description="the literal default; null when not a literal")
    default_source: str = Field(description="the default as written")
    annotation: str | None
    help: str | None = Field(description="the trailing comment")
    line: int


class NotebookParameters(Response):
    path: str
    has_parameters_cell: bool
    parameters: list[NotebookParameter]


class NotebookParametersQuery(Query):
    # the pattern is documented, not enforced here: the handler's own checks say precisely
    # what is wrong with a path (empty, not a notebook, outside the root, missing)
    path: str = Field(
        description="notebook path relative to the server root",
        json_schema_extra={"pattern": NOTEBOOK_PATTERN},
    )


# -- governance: owners and notifications (issue 14) ------------------------------------------
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
MAX_NOTIFICATIONS = 200


class Owners(Response):
    name: str
    owners: list[str] = Field(
        description="users, or group:NAME entries (case-folded); empty: the creator is notified"
    )


class OwnersRequest(Request):
    owners: list[str] = Field(max_length=50, description="the new owners (replaces the list)")


class GovernanceEvent(Response):
    seq: int = Field(description="outbox order; ask for events after the newest seen")
    event_id: str = Field(description="the webhook-id of its deliveries")
    type: EventType
    model: str | None
    version: int | None
    actor: str | None
    at: Epoch
    owners: list[str] = Field(description="who to notify")
    summary: str = Field(description="one line for people")
    data: dict[str, Any] = Field(description="event details; uri names the version")


class Notifications(Response):
    user: str = Field(description="whose notifications these are (the authenticated user)")
    notifications: list[GovernanceEvent] = Field(description="newest first")


class NotificationsQuery(Query):
    after: int = Field(0, ge=0, le=MAX_OFFSET, description="only events after this seq")
    limit: int = Field(20, ge=1, le=MAX_NOTIFICATIONS)
