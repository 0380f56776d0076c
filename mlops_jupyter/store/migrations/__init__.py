"""Alembic migrations for the store schema, run programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(db_url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    return config


def upgrade_to_head(db_url: str) -> None:
    from alembic import command

    config = alembic_config(db_url)
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""
