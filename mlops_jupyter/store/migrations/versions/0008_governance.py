"""Governance wiring: model owners, the event outbox, webhooks and their delivery log, notebook
gate results.

Revision ID: 0008_governance
Revises: 0006_monitor
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_governance"
down_revision = "0006_monitor"
branch_labels = None
depends_on = None

ID = sa.String(32)
NAME = sa.String(128)
USER = sa.String(255)


def upgrade() -> None:
    op.create_table(
        "model_owners",
        sa.Column("name", NAME, sa.ForeignKey("registered_models.name"), primary_key=True),
        sa.Column("owner", USER, primary_key=True),
        sa.Column("added_by", USER, nullable=False),
        sa.Column("added_at", sa.Float, nullable=False),
    )
    op.create_table(
        "outbox_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", ID, nullable=False, unique=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("model", NAME),
        sa.Column("version", sa.Integer),
        sa.Column("actor", USER),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("owners", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_outbox_events_model", "outbox_events", ["model", "seq"])
    op.create_table(
        "webhooks",
        sa.Column("hook_id", ID, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("model", NAME),
        sa.Column("template", sa.String(16), nullable=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("active", sa.Integer, nullable=False),
        sa.Column("created_by", USER, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("hook_id", ID, sa.ForeignKey("webhooks.hook_id"), nullable=False),
        sa.Column("seq", sa.Integer, sa.ForeignKey("outbox_events.seq"), nullable=False),
        sa.Column("model", NAME, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("lease_until", sa.Float),
        sa.Column("last_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", sa.Float),
        sa.UniqueConstraint("hook_id", "seq", name="uq_webhook_deliveries_event"),
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_webhook_deliveries_order", "webhook_deliveries", ["hook_id", "model", "seq"]
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("attempt_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id",
            sa.Integer,
            sa.ForeignKey("webhook_deliveries.delivery_id"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Float, nullable=False),
    )
    op.create_index("ix_webhook_attempts_delivery", "webhook_attempts", ["delivery_id"])
    op.create_table(
        "gate_notebook_runs",
        sa.Column("version_id", ID, primary_key=True),
        sa.Column("notebook_sha256", sa.String(64), primary_key=True),
        sa.Column("params_sha256", sa.String(64), primary_key=True),
        sa.Column("notebook", sa.Text, nullable=False),
        sa.Column("run_id", ID),
        sa.Column("output_artifact", sa.String(512)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("metrics", sa.Text, nullable=False),
        sa.Column("results", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "gate_notebook_runs",
        "webhook_attempts",
        "webhook_deliveries",
        "webhooks",
        "outbox_events",
        "model_owners",
    ):
        op.drop_table(table)
