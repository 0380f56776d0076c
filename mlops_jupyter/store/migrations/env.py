"""Alembic environment: runs migrations on the connection handed over by ``upgrade_to_head``."""

from alembic import context

from mlops_jupyter.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
