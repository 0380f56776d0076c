"""Registry tables: registered models, versions, approvals, aliases with history, audit chain.

Revision ID: 0002_registry
Revises: 0001_tracking
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_registry"
down_revision = "0001_tracking"
branch_labels = None
depends_on = None

ID = sa.String(32)
NAME = sa.String(128)
USER = sa.String(255)
GENESIS_HASH = "0" * 64  # the "previous hash" of the first audit event


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("name", NAME, primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("owner", USER, nullable=False),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "model_versions",
        sa.Column("name", NAME, sa.ForeignKey("registered_models.name"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("version_id", ID, nullable=False, unique=True),
        sa.Column("run_id", ID, sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("artifact_name", sa.String(512), nullable=False),
        sa.Column("artifact_digest", sa.String(64), nullable=False),
        sa.Column("artifact_size", sa.Integer, nullable=False),
        sa.Column("flavor", sa.String(32), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("model_class", sa.String(255)),
        sa.Column("trusted_types", sa.Text, nullable=False),
        sa.Column("signature", sa.Text),
        sa.Column("input_example", sa.Text),
        sa.Column("card", sa.Text, nullable=False),
        sa.Column("metrics", sa.Text, nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("datasets", sa.Text, nullable=False),
        sa.Column("reference_profile", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("approval_round", sa.Integer, nullable=False),
        sa.Column("registered_by", USER, nullable=False),
        sa.Column("registered_at", sa.Float, nullable=False),
        sa.Column("archived_at", sa.Float),
        sa.Column("archived_by", USER),
    )
    op.create_index("ix_model_versions_run", "model_versions", ["run_id"])
    op.create_index("ix_model_versions_digest", "model_versions", ["artifact_digest"])

    op.create_table(
        "model_approvals",
        sa.Column("approval_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", NAME, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("actor", USER, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_model_approvals_version", "model_approvals", ["name", "version"])

    op.create_table(
        "model_aliases",
        sa.Column("name", NAME, sa.ForeignKey("registered_models.name"), primary_key=True),
        sa.Column("alias", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("updated_by", USER, nullable=False),
    )
    op.create_table(
        "alias_history",
        sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", NAME, nullable=False),
        sa.Column("alias", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_version", sa.Integer),
        sa.Column("to_version", sa.Integer, nullable=False),
        sa.Column("actor", USER, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("forced", sa.Integer, nullable=False),
        sa.Column("gates", sa.Text),
        sa.Column("at", sa.Float, nullable=False),
        sa.UniqueConstraint("name", "alias", "revision", name="uq_alias_history_revision"),
    )

    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("event_id", ID, nullable=False, unique=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("actor", USER, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("model", NAME),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_events_model", "audit_events", ["model"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    # the single row every audit append locks, so two writers cannot fork the chain
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])


def downgrade() -> None:
    for table in (
        "audit_head",
        "audit_events",
        "alias_history",
        "model_aliases",
        "model_approvals",
        "model_versions",
        "registered_models",
    ):
        op.drop_table(table)
