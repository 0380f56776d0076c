"""SQL for notebook gate results, cached per (version id, notebook SHA-256, params SHA-256):
a validation notebook runs once per candidate, notebook content and parameters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mlops_jupyter.store.database import Database
from mlops_jupyter.store.runs import dialect_insert
from mlops_jupyter.store.schema import gate_notebook_runs


def cached_result(
    db: Database, version_id: str, notebook_sha256: str, params_sha256: str
) -> dict[str, Any] | None:
    table = gate_notebook_runs
    with db.read() as conn:
        row = (
            conn.execute(
                select(table).where(
                    table.c.version_id == version_id,
                    table.c.notebook_sha256 == notebook_sha256,
                    table.c.params_sha256 == params_sha256,
                )
            )
            .mappings()
            .first()
        )
    return dict(row) if row is not None else None


def save_result(db: Database, row: dict[str, Any]) -> None:
    """Keep the first result for a key (two processes validating at once agree on one)."""
    db.transact(
        lambda conn: conn.execute(
            dialect_insert(conn)(gate_notebook_runs)
            .values(**row)
            .on_conflict_do_nothing(
                index_elements=["version_id", "notebook_sha256", "params_sha256"]
            )
        )
    )
