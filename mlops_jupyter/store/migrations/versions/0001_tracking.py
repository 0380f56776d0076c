"""Tracking tables: experiments, environments, runs, params, metrics, tags, artifacts, lineage.

Revision ID: 0001_tracking
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_tracking"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(32)


def _run_fk(**kwargs: object) -> sa.ForeignKey:
    return sa.ForeignKey("runs.run_id", **kwargs)  # type: ignore[arg-type]


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", ID, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "environments",
        sa.Column("environment_id", sa.String(64), primary_key=True),
        sa.Column("python", sa.String(64)),
        sa.Column("platform", sa.String(255)),
        sa.Column("packages", sa.Text),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("git_branch", sa.String(255)),
        sa.Column("git_dirty_hash", sa.String(64)),
        sa.Column("host", sa.String(255)),
        sa.Column("user", sa.String(255)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", ID, primary_key=True),
        sa.Column("experiment_id", ID, sa.ForeignKey("experiments.experiment_id"), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("parent_run_id", ID, _run_fk()),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("start_time", sa.Float, nullable=False),
        sa.Column("end_time", sa.Float),
        sa.Column("heartbeat", sa.Float),
        sa.Column("user", sa.String(255)),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer),
        sa.Column("notebook_path", sa.Text),
        sa.Column("cell_id", sa.String(128)),
        sa.Column("execution_count", sa.Integer),
        sa.Column("code", sa.Text),
        sa.Column("code_hash", sa.String(64)),
        sa.Column("environment_id", sa.String(64), sa.ForeignKey("environments.environment_id")),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_runs_experiment_start", "runs", ["experiment_id", "start_time"])
    op.create_index("ix_runs_start", "runs", ["start_time"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_parent", "runs", ["parent_run_id"])
    op.create_index("ix_runs_name", "runs", ["name"])
    op.create_index("ix_runs_source", "runs", ["notebook_path", "cell_id"])

    op.create_table(
        "params",
        sa.Column("run_id", ID, _run_fk(ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("num", sa.Float),
        sa.Column("text", sa.Text),
    )
    op.create_index("ix_params_key_num", "params", ["key", "num"])
    op.create_index("ix_params_key_text", "params", ["key", "text"])

    op.create_table(
        "metrics",
        sa.Column("chunk_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", ID, _run_fk(ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("first_step", sa.Integer, nullable=False),
        sa.Column("last_step", sa.Integer, nullable=False),
        sa.Column("steps", sa.LargeBinary, nullable=False),
        sa.Column("values", sa.LargeBinary, nullable=False),
        sa.Column("timestamps", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_metrics_run_key", "metrics", ["run_id", "key"])

    op.create_table(
        "latest_metrics",
        sa.Column("run_id", ID, _run_fk(ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Float),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])

    op.create_table(
        "tags",
        sa.Column("run_id", ID, _run_fk(ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_index("ix_tags_key_value", "tags", ["key", "value"])

    op.create_table(
        "artifacts",
        sa.Column("run_id", ID, _run_fk(ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("media_type", sa.String(128)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_artifacts_digest", "artifacts", ["digest"])

    op.create_table(
        "datasets",
        sa.Column("dataset_id", ID, primary_key=True),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("format", sa.String(32)),
        sa.Column("rows", sa.Integer),
        sa.Column("columns", sa.Integer),
        sa.Column("schema", sa.Text),
        sa.Column("profile", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("uri", "fingerprint", name="uq_datasets_uri_fingerprint"),
    )
    op.create_index("ix_datasets_fingerprint", "datasets", ["fingerprint"])

    op.create_table(
        "lineage_edges",
        sa.Column("edge_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", ID, _run_fk(ondelete="CASCADE"), nullable=False),
        sa.Column("node_type", sa.String(16), nullable=False),
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("run_id", "node_type", "node_id", "role", name="uq_lineage_edge"),
    )
    op.create_index("ix_lineage_node", "lineage_edges", ["node_type", "node_id"])


def downgrade() -> None:
    for table in (
        "lineage_edges",
        "datasets",
        "artifacts",
        "tags",
        "latest_metrics",
        "metrics",
        "params",
        "runs",
        "environments",
        "experiments",
    ):
        op.drop_table(table)
