"""The metadata schema: every table of the store, as SQLAlchemy Core objects.

Times are epoch seconds (float). A latest-metric value of NULL means NaN (SQLite cannot store
NaN in a REAL column).
Alembic migrations in ``store/migrations`` create exactly these tables; ``SCHEMA_HEAD`` names
the newest migration, so an up-to-date store opens without loading Alembic.
"""

from __future__ import annotations

from sqlalchemy import (
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

SCHEMA_HEAD = "0001_tracking"

metadata = MetaData()

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
    Column("first_step", Integer, nullable=False),
    Column("last_step", Integer, nullable=False),
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
    Column("step", Integer, nullable=False),
    Column("timestamp", Float, nullable=False),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", ID, ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_tags_key_value", "key", "value"),
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
