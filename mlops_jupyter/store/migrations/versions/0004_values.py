"""Values of any size on PostgreSQL: 64-bit metric steps, and the (key, value) indexes of params
and tags on a 200-character prefix of the value instead of the whole text.

A PostgreSQL btree row holds at most about 2.7 KB, so indexing the whole text refused any param
or tag longer than that; its int4 step columns refused steps past 2**31. SQLite has neither
limit (its INTEGER is 64-bit and its index rows are unbounded), so nothing changes there.

Revision ID: 0004_values
Revises: 0008_governance
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_values"
down_revision = "0008_governance"
branch_labels = None
depends_on = None

PREFIX = 200  # characters of a param or tag value that its index holds (the store queries say so)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in (("metrics", "first_step"), ("metrics", "last_step")):
        op.alter_column(table, column, type_=sa.BigInteger, existing_nullable=False)
    op.alter_column("latest_metrics", "step", type_=sa.BigInteger, existing_nullable=False)
    op.drop_index("ix_params_key_text", table_name="params")
    op.create_index("ix_params_key_text", "params", ["key", sa.text(f"left(text, {PREFIX})")])
    op.drop_index("ix_tags_key_value", table_name="tags")
    op.create_index("ix_tags_key_value", "tags", ["key", sa.text(f"left(value, {PREFIX})")])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_tags_key_value", table_name="tags")
    op.create_index("ix_tags_key_value", "tags", ["key", "value"])
    op.drop_index("ix_params_key_text", table_name="params")
    op.create_index("ix_params_key_text", "params", ["key", "text"])
    op.alter_column("latest_metrics", "step", type_=sa.Integer, existing_nullable=False)
    for table, column in (("metrics", "first_step"), ("metrics", "last_step")):
        op.alter_column(table, column, type_=sa.Integer, existing_nullable=False)
