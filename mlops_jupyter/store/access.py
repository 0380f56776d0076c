"""Database roles on a PostgreSQL team store: who the connection is, and what each role may do.

**Who acts.** The role a connection authenticated as (``session_user``) is the actor of every
registry action, unless that role is a superuser or owns the store's tables: such a role can
write any row directly (a superuser can even become another role), so pinning it would protect
nothing, and it acts under the name it gives (``MLOPS_JUPYTER_USER``). On SQLite there are no
database roles: whoever can write the file can write anything (see ``docs/security.md``).

**What each role may do** (``mlops-jupyter store grant ROLE --role LEVEL``, run by the owner;
levels are cumulative):

=========  =====================================================================================
reader     read everything
writer     track (runs, params, metrics, artifacts, lineage, ...), register versions, request
           approval, edit cards and reference profiles, export
approver   approve and reject, promote, roll back, archive
admin      change a model's policy (and owner, description) and its owners (``set_owners``)
=========  =====================================================================================

Nobody but the owner can UPDATE or DELETE audit events: they are insert-only. Row-level
security makes the database itself check that a role records only its own name: an audit
event's ``actor``, an approval's ``actor``, a version's ``registered_by``, an alias's
``updated_by`` and an alias move's ``actor`` must equal ``session_user``, and a writer's
approval rows can only be requests. Approvals are counted from those rows, so a writer who
edits a version's ``status`` column by hand still cannot release it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from mlops_jupyter.store.database import Database

LEVELS = ("reader", "writer", "approver", "admin")
# the registry's tables; every other table of the store is tracking data (writers write it)
GOVERNANCE_TABLES = (
    "registered_models",
    "model_versions",
    "model_approvals",
    "model_aliases",
    "alias_history",
    "audit_events",
    "audit_head",
    # governance wiring: who owns a model decides who may approve under `approvers: owners`;
    # events are insert-only like the audit log (a delivered or pending event cannot be edited)
    "model_owners",
    "outbox_events",
)
OWNER_ONLY = ("alembic_version",)
# table -> column that must name the acting role (row-level security)
ACTOR_COLUMNS = {
    "model_versions": "registered_by",
    "model_approvals": "actor",
    "model_aliases": "updated_by",
    "alias_history": "actor",
    "audit_events": "actor",
}
_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$")


class AccessError(PermissionError):
    """A database role may not do what was asked (or privileges cannot be granted here)."""


@dataclass(frozen=True)
class SessionRole:
    """The role a PostgreSQL connection authenticated as, and whether it owns the store."""

    name: str
    owner: bool  # a superuser, or a member of the role owning the store's tables


def session_role(db: Database) -> SessionRole | None:
    """The connection's role on PostgreSQL; None on SQLite."""
    if db.dialect != "postgresql":
        return None
    with db.reader.connect() as conn:
        row = conn.execute(
            text(
                "SELECT session_user, r.rolsuper, "
                "COALESCE(pg_has_role(session_user, c.relowner, 'USAGE'), false) "
                "FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass('audit_events') "
                "WHERE r.rolname = session_user"
            )
        ).first()
    if row is None:  # pragma: no cover - session_user always has a pg_roles row
        raise AccessError("cannot tell which database role this connection uses")
    return SessionRole(str(row[0]), bool(row[1]) or bool(row[2]))


def is_permission_error(error: BaseException) -> bool:
    """True for PostgreSQL's "permission denied" and row-level-security refusals (42501)."""
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) == "42501"


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _policy_prefix(role: str) -> str:
    return "mj_" + hashlib.sha256(role.encode()).hexdigest()[:12]


def _statements(conn: Connection, role: str, level: str, tables: list[str]) -> list[str]:
    """The GRANT/REVOKE/POLICY statements that give ``role`` exactly ``level``."""
    rank = LEVELS.index(level)
    who = _quote(conn, role)
    schema = _quote(conn, conn.execute(text("SELECT current_schema()")).scalar_one())
    q = {table: _quote(conn, table) for table in tables}
    prefix = _policy_prefix(role)
    sql = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
    ]
    existing = conn.execute(
        text(
            "SELECT tablename, policyname FROM pg_policies "
            "WHERE schemaname = current_schema() AND policyname LIKE :prefix"
        ),
        {"prefix": prefix + "%"},
    ).all()
    sql += [f"DROP POLICY {_quote(conn, p)} ON {q.get(t, _quote(conn, t))}" for t, p in existing]
    sql += [f"GRANT SELECT ON {q[t]} TO {who}" for t in tables]
    for table in ACTOR_COLUMNS:
        if table not in q:
            continue
        sql.append(f"ALTER TABLE {q[table]} ENABLE ROW LEVEL SECURITY")
        sql.append(f"CREATE POLICY {prefix}_read ON {q[table]} FOR SELECT TO {who} USING (true)")
    if rank < 1:
        return sql

    def own(table: str, command: str, extra: str = "") -> str:
        check = f"{ACTOR_COLUMNS[table]} = session_user{extra}"
        if command == "UPDATE":
            return (
                f"CREATE POLICY {prefix}_update ON {q[table]} FOR UPDATE TO {who} "
                f"USING (true) WITH CHECK ({check})"
            )
        return (
            f"CREATE POLICY {prefix}_insert ON {q[table]} FOR INSERT TO {who} WITH CHECK ({check})"
        )

    tracking = [t for t in tables if t not in GOVERNANCE_TABLES and t not in OWNER_ONLY]
    sql += [f"GRANT INSERT, UPDATE, DELETE ON {q[t]} TO {who}" for t in tracking]
    sql.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}")
    version_columns = "status, approval_round, card, reference_profile"
    if rank >= 2:
        version_columns += ", archived_at, archived_by"
    model_columns = "updated_at" if rank < 3 else "policy, owner, description, updated_at"
    sql += [
        f"GRANT INSERT, UPDATE ({model_columns}) ON {q['registered_models']} TO {who}",
        f"GRANT INSERT, UPDATE ({version_columns}) ON {q['model_versions']} TO {who}",
        own("model_versions", "INSERT"),
        # registered_by is not updatable; the policy lets the granted columns change
        f"CREATE POLICY {prefix}_update ON {q['model_versions']} FOR UPDATE TO {who} "
        "USING (true) WITH CHECK (true)",
        f"GRANT INSERT ON {q['model_approvals']} TO {who}",
        own("model_approvals", "INSERT", "" if rank >= 2 else " AND decision = 'request'"),
        f"GRANT INSERT ON {q['audit_events']} TO {who}",
        own("audit_events", "INSERT"),
        f"GRANT UPDATE ON {q['audit_head']} TO {who}",  # appends move the head
    ]
    if "outbox_events" in q:  # every registry action a writer may take writes its event
        sql.append(f"GRANT INSERT ON {q['outbox_events']} TO {who}")
    if rank >= 3 and "model_owners" in q:  # owners are set by admins on a team store
        sql.append(f"GRANT INSERT, DELETE ON {q['model_owners']} TO {who}")
    if rank >= 2:
        sql += [
            f"GRANT INSERT, UPDATE ON {q['model_aliases']} TO {who}",
            own("model_aliases", "INSERT"),
            own("model_aliases", "UPDATE"),
            f"GRANT INSERT ON {q['alias_history']} TO {who}",
            own("alias_history", "INSERT"),
        ]
    return sql


def grant(db: Database, role: str, level: str) -> list[str]:
    """Give ``role`` exactly the privileges of ``level`` on this store (replacing what it had);
    returns the statements run. Only the store's owner can do this, on PostgreSQL."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: one of {', '.join(LEVELS)}")
    if not isinstance(role, str) or not _ROLE.match(role):
        raise ValueError(f"{role!r} is not a database role name")
    if db.dialect != "postgresql":
        raise AccessError(
            "privileges exist only on a PostgreSQL store; on SQLite whoever can write the "
            "database file can change anything (protect it with file permissions)"
        )
    me = session_role(db)
    if me is None or not me.owner:
        raise AccessError(
            f"only the store's owner (or a superuser) can grant privileges; this connection "
            f"is role {me.name if me else '?'}"
        )

    def work(conn: Connection) -> list[str]:
        exists = conn.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first()
        if exists is None:
            raise ValueError(
                f"database role {role!r} does not exist: create it first "
                f"(CREATE ROLE {role} LOGIN ...), then grant it a level"
            )
        tables = list(
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "ORDER BY tablename"
                )
            ).scalars()
        )
        missing = [t for t in GOVERNANCE_TABLES if t not in tables]
        if missing:
            raise AccessError(f"the store has no {', '.join(missing)} table: run store migrate")
        statements = _statements(conn, role, level, tables)
        for statement in statements:
            conn.execute(text(statement))
        return statements

    return db.transact(work)
