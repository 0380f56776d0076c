"""SQL for model owners: the users (or ``group:NAME`` entries) who own a registered model, and
the PostgreSQL role checks behind ownership (group membership, admin rights).

Called with the connection of a registry transaction (``RegistryTransaction.conn``), so a
change of owners commits together with its audit event.
"""

from __future__ import annotations

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection

from mlops_jupyter.store.schema import model_owners


def owners(conn: Connection, name: str) -> list[str]:
    """The model's owners, sorted."""
    query = select(model_owners.c.owner).where(model_owners.c.name == name)
    return list(conn.execute(query.order_by(model_owners.c.owner)).scalars())


def owners_by_model(conn: Connection) -> dict[str, list[str]]:
    """Every model's owners (models without owners are absent)."""
    result: dict[str, list[str]] = {}
    query = select(model_owners.c.name, model_owners.c.owner).order_by(
        model_owners.c.name, model_owners.c.owner
    )
    for name, owner in conn.execute(query):
        result.setdefault(name, []).append(owner)
    return result


def replace_owners(conn: Connection, name: str, names: list[str], actor: str, at: float) -> None:
    """Make ``names`` the model's owners (replacing the previous list)."""
    conn.execute(delete(model_owners).where(model_owners.c.name == name))
    if names:
        conn.execute(
            model_owners.insert(),
            [{"name": name, "owner": owner, "added_by": actor, "added_at": at} for owner in names],
        )


def pg_role_member(conn: Connection, user: str, role: str) -> bool:
    """PostgreSQL: is the role ``user`` a member of the role ``role`` (names compared folded)?"""
    row = conn.execute(
        text(
            "SELECT pg_has_role(u.oid, r.oid, 'MEMBER') FROM pg_roles u, pg_roles r "
            "WHERE lower(u.rolname) = :user AND lower(r.rolname) = :role"
        ),
        {"user": user, "role": role},
    ).first()
    return bool(row and row[0])


def session_may_write_owners(conn: Connection) -> bool:
    """PostgreSQL: may the session's role write the owners table (the store's owner, or a role
    granted ``admin``)?"""
    return bool(
        conn.execute(
            text("SELECT has_table_privilege(session_user, 'model_owners', 'INSERT')")
        ).scalar()
    )
