"""Serving tables: live model servers, sampled predictions, delayed outcomes.

Revision ID: 0007_serving
Revises: 0002_registry
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_serving"
down_revision = "0002_registry"
branch_labels = None
depends_on = None

ID = sa.String(32)
NAME = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "model_servers",
        sa.Column("server_id", ID, primary_key=True),
        sa.Column("worker", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("url", sa.String(512), nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("alias", sa.String(64)),
        sa.Column("version", sa.Integer),
        sa.Column("pinned", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("heartbeat", sa.Float, nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("request_rate", sa.Float),
        sa.Column("p50_ms", sa.Float),
        sa.Column("p95_ms", sa.Float),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_model_servers_name", "model_servers", ["name", "heartbeat"])
    op.create_table(
        "served_predictions",
        sa.Column("prediction_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("alias", sa.String(64)),
        sa.Column("server_id", ID),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("output", sa.Text, nullable=False),
    )
    op.create_index("ix_served_predictions_request", "served_predictions", ["name", "request_id"])
    op.create_index("ix_served_predictions_time", "served_predictions", ["name", "at"])
    op.create_table(
        "served_outcomes",
        sa.Column("name", NAME, primary_key=True),
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("y_true", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("served_outcomes")
    op.drop_index("ix_served_predictions_time", "served_predictions")
    op.drop_index("ix_served_predictions_request", "served_predictions")
    op.drop_table("served_predictions")
    op.drop_index("ix_model_servers_name", "model_servers")
    op.drop_table("model_servers")
