"""Input snapshots: a dataset version's bytes kept in the blob store, once per content.

Revision ID: 0005_data
Revises: 0004_values
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_data"
down_revision = "0004_values"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_snapshots",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_dataset_snapshots_digest", "dataset_snapshots", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_dataset_snapshots_digest", "dataset_snapshots")
    op.drop_table("dataset_snapshots")
