"""Alembic migrations for the store schema, run programmatically (no alembic.ini needed)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(db_url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config  # noqa: PLC0415 - start-up: alembic loads only to upgrade a store

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    return config


@contextlib.contextmanager
def quiet_alembic() -> Iterator[None]:
    """Alembic's INFO lines (plugin setup, "Running upgrade ...") stay out of the user's stderr
    even when the host process logs INFO (papermill's CLI does); warnings still show."""
    logger = logging.getLogger("alembic")
    level = logger.level
    if logger.getEffectiveLevel() < logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def upgrade_to_head(db_url: str) -> None:
    with quiet_alembic():
        from alembic import command  # noqa: PLC0415 - start-up: alembic loads only to upgrade a store

        config = alembic_config(db_url)
        engine = create_engine(db_url)
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            engine.dispose()


def head_revision() -> str:
    with quiet_alembic():
        from alembic.script import ScriptDirectory  # noqa: PLC0415 - start-up: alembic loads only to upgrade a store

        return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""
