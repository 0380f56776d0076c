"""The metadata schema: every table of the store, as SQLAlchemy Core objects.

Times are epoch seconds (float). A latest-metric value of NULL means NaN (SQLite cannot store
NaN in a REAL column).
Alembic migrations in ``store/migrations`` create exactly these tables; ``SCHEMA_HEAD`` names
the newest migration, so an up-to-date store opens without loading Alembic.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_HEAD = "0005_data"

metadata = MetaData()

#: Characters of a param or tag value held by its (key, value) index on PostgreSQL.
VALUE_INDEX_PREFIX = 200

ID = String(32)

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", ID, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

environments = Table(
    "environments",
    metadata,
    Column("environment_id", String(64), primary_key=True),  # hash of the content
    Column("python", String(64)),
    Column("platform", String(255)),
    Column("packages", Text),  # JSON {distribution: version}
    Column("git_commit", String(64)),
    Column("git_branch", String(255)),
    Column("git_dirty_hash", String(64)),
    Column("host", String(255)),
    Column("user", String(255)),
    Column("created_at", Float, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", ID, primary_key=True),
    Column("experiment_id", ID, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(255)),
    Column("kind", String(16), nullable=False),  # cell | notebook | script | sweep
    Column("status", String(16), nullable=False),  # running | finished | failed | killed
    Column("parent_run_id", ID, ForeignKey("runs.run_id")),
    Column("attempt", Integer, nullable=False, default=1),
    Column("start_time", Float, nullable=False),
    Column("end_time", Float),
    Column("heartbeat", Float),
    Column("user", String(255)),
    Column("host", String(255)),
    Column("pid", Integer),
    Column("notebook_path", Text),
    Column("cell_id", String(128)),
    Column("execution_count", Integer),
    Column("code", Text),
    Column("code_hash", String(64)),
    Column("environment_id", String(64), ForeignKey("environments.environment_id")),
    Column("error", Text),
    Index("ix_runs_experiment_start", "experiment_id", "start_time"),
    Index("ix_runs_start", "start_time"),
    Index("ix_runs_status", "status"),
    Index("ix_runs_parent", "parent_run_id"),
    Index("ix_runs_name", "name"),
    Index("ix_runs_source", "notebook_path", "cell_id"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", ID, ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),  # JSON, so an int stays an int
    Column("num", Float),  # numeric view for filters ("numbers compare as numbers")
    Column("text", Text),  # text view for filters and display
    Index("ix_params_key_num", "key", "num"),
    # on PostgreSQL this index holds left(text, VALUE_INDEX_PREFIX) (0004_values): a btree row
    # cannot hold a long text, and queries add the matching prefix condition
    Index("ix_params_key_text", "key", "text"),
)

# Metric history is stored in chunks: one row per (run, key, flush) holding packed little-endian
# arrays of steps (int64), values (float64, NaN kept) and timestamps (float64). Logging 100k
# points then costs one row, not 100k; readers unpack with numpy.
metrics = Table(
    "metrics",
    metadata,
    Column("chunk_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", ID, ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("points", Integer, nullable=False),
    Column("first_step", BigInteger, nullable=False),  # 64-bit steps (0004_values)
    Column("last_step", BigInteger, nullable=False),
    Column("steps", LargeBinary, nullable=False),
    Column("values", LargeBinary, nullable=False),
    Column("timestamps", LargeBinary, nullable=False),
    Index("ix_metrics_run_key", "run_id", "key"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", ID, ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Float),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", Float, nullable=False),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", ID, ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_tags_key_value", "key", "value"),  # left(value, 200) on PostgreSQL, as params
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("run_id", ID, ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(512), primary_key=True),
    Column("digest", String(64), nullable=False),  # sha256 of the bytes = blob key
    Column("size", Integer, nullable=False),
    Column("media_type", String(128)),
    Column("created_at", Float, nullable=False),
    Index("ix_artifacts_digest", "digest"),
)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_id", ID, primary_key=True),
    Column("uri", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("format", String(32)),
    Column("rows", Integer),
    Column("columns", Integer),
    Column("schema", Text),  # JSON {column: dtype}
    Column("profile", Text),  # JSON, filled by monitoring
    Column("created_at", Float, nullable=False),
    UniqueConstraint("uri", "fingerprint", name="uq_datasets_uri_fingerprint"),
    Index("ix_datasets_fingerprint", "fingerprint"),
)

lineage_edges = Table(
    "lineage_edges",
    metadata,
    Column("edge_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", ID, ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("node_type", String(16), nullable=False),  # dataset | run | model_version
    Column("node_id", String(64), nullable=False),
    Column("role", String(8), nullable=False),  # input | output
    Column("name", Text),  # the variable or argument name it came through
    Column("created_at", Float, nullable=False),
    UniqueConstraint("run_id", "node_type", "node_id", "role", name="uq_lineage_edge"),
    Index("ix_lineage_node", "node_type", "node_id"),
)

# -- model registry (migration 0002_registry) -------------------------------------------------
# JSON columns hold canonical JSON text. Versions are immutable once written, except for the
# fields a lifecycle changes: status (approvals), the editable card, archive, the profile slot.

registered_models = Table(
    "registered_models",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("description", Text),
    Column("owner", String(255), nullable=False),
    Column("policy", Text, nullable=False),  # JSON, see registry/policy.py
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("name", String(128), ForeignKey("registered_models.name"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("version_id", ID, nullable=False, unique=True),  # lineage node id
    Column("run_id", ID, ForeignKey("runs.run_id"), nullable=False),
    Column("artifact_name", String(512), nullable=False),
    Column("artifact_digest", String(64), nullable=False),  # sha256 of the model file = blob key
    Column("artifact_size", Integer, nullable=False),
    Column("flavor", String(32), nullable=False),  # sklearn
    Column("format", String(16), nullable=False),  # skops | pickle
    Column("model_class", String(255)),
    Column("trusted_types", Text, nullable=False),  # JSON list: exactly what a load trusts
    Column("signature", Text),  # JSON
    Column("input_example", Text),  # JSON {"columns": [...], "data": [[...]]}
    Column("card", Text, nullable=False),  # Markdown
    Column("metrics", Text, nullable=False),  # JSON snapshot of the run's metrics
    Column("params", Text, nullable=False),  # JSON snapshot of the run's params
    Column("datasets", Text, nullable=False),  # JSON list of training dataset versions
    Column("reference_profile", Text),  # JSON, filled by monitoring
    Column("description", Text),
    Column("status", String(16), nullable=False),  # registered | pending | approved | rejected
    Column("approval_round", Integer, nullable=False),
    Column("registered_by", String(255), nullable=False),
    Column("registered_at", Float, nullable=False),
    Column("archived_at", Float),
    Column("archived_by", String(255)),
    Index("ix_model_versions_run", "run_id"),
    Index("ix_model_versions_digest", "artifact_digest"),
)

model_approvals = Table(
    "model_approvals",
    metadata,
    Column("approval_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("round", Integer, nullable=False),  # approvals count within the latest request
    Column("actor", String(255), nullable=False),
    Column("decision", String(16), nullable=False),  # request | approve | reject
    Column("comment", Text),
    Column("at", Float, nullable=False),
    Index("ix_model_approvals_version", "name", "version"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("name", String(128), ForeignKey("registered_models.name"), primary_key=True),
    Column("alias", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("revision", Integer, nullable=False),  # compare-and-set token: +1 on every move
    Column("updated_at", Float, nullable=False),
    Column("updated_by", String(255), nullable=False),
)

alias_history = Table(
    "alias_history",
    metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("alias", String(64), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("action", String(16), nullable=False),  # promote | rollback
    Column("from_version", Integer),
    Column("to_version", Integer, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("reason", Text),
    Column("forced", Integer, nullable=False),  # 0/1
    Column("gates", Text),  # JSON gate results at the time of the move
    Column("at", Float, nullable=False),
    UniqueConstraint("name", "alias", "revision", name="uq_alias_history_revision"),
)

# Hash-chained audit log. ``seq`` is assigned under the lock of the single ``audit_head`` row,
# so it has no gaps: a missing number means a deleted event.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("event_id", ID, nullable=False, unique=True),
    Column("at", Float, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(32), nullable=False),
    Column("model", String(128)),  # the registered model concerned, for filtering
    Column("target", String(255), nullable=False),  # e.g. models/iris/3
    Column("payload", Text, nullable=False),  # canonical JSON, hashed as stored
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_model", "model"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# -- governance wiring (0008_governance): owners, the event outbox, webhooks, notebook gates ----
# Who owns a model (users, or ``group:NAME`` entries), names stored case-folded.
model_owners = Table(
    "model_owners",
    metadata,
    Column("name", String(128), ForeignKey("registered_models.name"), primary_key=True),
    Column("owner", String(255), primary_key=True),
    Column("added_by", String(255), nullable=False),
    Column("added_at", Float, nullable=False),
)

# The outbox: one row per event, written in the transaction of the change it reports.
# ``seq`` is assigned while emitters are serialized (see store/outbox.py), so it is commit order.
outbox_events = Table(
    "outbox_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", ID, nullable=False, unique=True),  # the webhook-id of its deliveries
    Column("type", String(64), nullable=False),  # model.registered, gate.failed, check.failed, ...
    Column("model", String(128)),
    Column("version", Integer),
    Column("actor", String(255)),
    Column("at", Float, nullable=False),
    Column("owners", Text, nullable=False),  # JSON list: who to notify
    Column("data", Text, nullable=False),  # JSON
    Index("ix_outbox_events_model", "model", "seq"),
)

# Webhook subscribers; the signing secret is stored encrypted (store/webhooks.py says with what).
webhooks = Table(
    "webhooks",
    metadata,
    Column("hook_id", ID, primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),  # JSON list of event types; [] = every type
    Column("model", String(128)),  # only this model's events (NULL: every model)
    Column("template", String(16), nullable=False),  # standard | slack | teams
    Column("secret", LargeBinary, nullable=False),  # Fernet token of the whsec_ secret
    Column("key_id", String(16), nullable=False),  # which encryption key made it
    Column("active", Integer, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
)

# One row per (hook, event): the at-least-once delivery state. Ordered per (hook, model) by seq.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("delivery_id", Integer, primary_key=True, autoincrement=True),
    Column("hook_id", ID, ForeignKey("webhooks.hook_id"), nullable=False),
    Column("seq", Integer, ForeignKey("outbox_events.seq"), nullable=False),
    Column("model", String(128), nullable=False),  # "" for events of no model
    Column("status", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_until", Float),  # a deliverer holds it until then
    Column("last_code", Integer),
    Column("last_error", Text),
    Column("delivered_at", Float),
    UniqueConstraint("hook_id", "seq", name="uq_webhook_deliveries_event"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_order", "hook_id", "model", "seq"),
)

# The delivery log: every try with its response code (or the error when there was none).
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("webhook_deliveries.delivery_id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", Float, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Float, nullable=False),
    Index("ix_webhook_attempts_delivery", "delivery_id"),
)

# Notebook gate results, cached per (version, notebook hash, params hash).
gate_notebook_runs = Table(
    "gate_notebook_runs",
    metadata,
    Column("version_id", ID, primary_key=True),
    Column("notebook_sha256", String(64), primary_key=True),
    Column("params_sha256", String(64), primary_key=True),
    Column("notebook", Text, nullable=False),
    Column("run_id", ID),
    Column("output_artifact", String(512)),
    Column("status", String(16), nullable=False),  # passed | failed | crashed
    Column("metrics", Text, nullable=False),  # JSON
    Column("results", Text, nullable=False),  # JSON list of requirement results
    Column("reason", Text),
    Column("at", Float, nullable=False),
)

# -- monitoring (migration 0006_monitor) -----------------------------------------------------------
# One row per drift/performance check. The check is also a run (kind "check") whose lineage edge
# points at the model version checked; retrain/rollback actions taken because of it are recorded
# on the row (retrain_run_id, candidate_version, rolled_back_to).
monitor_checks = Table(
    "monitor_checks",
    metadata,
    Column("check_id", ID, primary_key=True),
    Column("run_id", ID, ForeignKey("runs.run_id"), nullable=False),
    Column("name", String(128)),  # registered model (None: a check of data only)
    Column("alias", String(64)),
    Column("version", Integer),
    Column("kind", String(16), nullable=False),  # drift | performance
    Column("status", String(16), nullable=False),  # passed | failed
    Column("drifted", Integer),  # 0/1 for drift checks
    Column("summary", Text, nullable=False),  # JSON: the report (to_dict)
    Column("retrain_run_id", ID),
    Column("candidate_version", Integer),
    Column("rolled_back_to", Integer),
    Column("at", Float, nullable=False),
    Index("ix_monitor_checks_model", "name", "at"),
)

# -- serving (migration 0007_serving) ------------------------------------------------------------
# One row per live model-server worker process; `serve ls` groups them by server_id.
model_servers = Table(
    "model_servers",
    metadata,
    Column("server_id", ID, primary_key=True),
    Column("worker", Integer, primary_key=True, autoincrement=False),  # 0..N-1
    Column("pid", Integer, nullable=False),
    Column("host", String(255), nullable=False),  # the machine
    Column("url", String(512), nullable=False),  # http://127.0.0.1:PORT
    Column("name", String(128), nullable=False),
    Column("alias", String(64)),  # None when started on a version number
    Column("version", Integer),  # the version being served (None before the first load)
    Column("pinned", Integer, nullable=False),  # 0/1
    Column("started_at", Float, nullable=False),
    Column("heartbeat", Float, nullable=False),
    Column("requests", Integer, nullable=False),  # answered since start
    Column("request_rate", Float),  # per second over the last window
    Column("p50_ms", Float),
    Column("p95_ms", Float),
    Column("error", Text),  # the last load or store error, None when healthy
    Index("ix_model_servers_name", "name", "heartbeat"),
)

# Sampled predictions (one row per predicted row) and the delayed labels joined to them.
served_predictions = Table(
    "served_predictions",
    metadata,
    Column("prediction_id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),  # the row's id: REQUEST or REQUEST/ROW
    Column("name", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("alias", String(64)),
    Column("server_id", ID),
    Column("at", Float, nullable=False),
    Column("inputs", Text, nullable=False),  # JSON object column -> value
    Column("output", Text, nullable=False),  # JSON value
    Index("ix_served_predictions_request", "name", "request_id"),
    Index("ix_served_predictions_time", "name", "at"),
)

served_outcomes = Table(
    "served_outcomes",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("request_id", String(64), primary_key=True),
    Column("y_true", Text, nullable=False),  # JSON value
    Column("at", Float, nullable=False),
)


# -- input snapshots (migration 0005_data) ----------------------------------------------------
# A file's bytes, once per content fingerprint (the xxh3 of dataset versions), kept as a
# content-addressed blob (SHA-256 key): every dataset version with that fingerprint, at any
# uri, is restorable from it.
dataset_snapshots = Table(
    "dataset_snapshots",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_dataset_snapshots_digest", "digest"),
)
