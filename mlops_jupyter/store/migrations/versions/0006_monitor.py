"""Monitoring checks: one row per drift/performance check (its run, model version, status,
report) and the retrain/rollback it led to.

Revision ID: 0006_monitor
Revises: 0007_serving
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_monitor"
down_revision = "0007_serving"
branch_labels = None
depends_on = None

ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "monitor_checks",
        sa.Column("check_id", ID, primary_key=True),
        sa.Column("run_id", ID, sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("name", sa.String(128)),
        sa.Column("alias", sa.String(64)),
        sa.Column("version", sa.Integer),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("drifted", sa.Integer),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("retrain_run_id", ID),
        sa.Column("candidate_version", sa.Integer),
        sa.Column("rolled_back_to", sa.Integer),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_monitor_checks_model", "monitor_checks", ["name", "at"])


def downgrade() -> None:
    op.drop_index("ix_monitor_checks_model", table_name="monitor_checks")
    op.drop_table("monitor_checks")
