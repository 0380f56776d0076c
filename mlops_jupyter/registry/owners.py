"""Model owners: the people (or groups, written ``group:NAME``) responsible for a registered
model. Events about the model name its owners to notify; a policy with ``approvers="owners"``
accepts approvals only from them.

Who may set them: the user who created the model, a current owner, or an admin (a name listed in
``MLOPS_JUPYTER_ADMINS``, which only orders a single-user store since its file is writable). On
a PostgreSQL team store the database decides: only the store's owner and roles granted ``admin``
(``mlops-jupyter store grant ROLE --role admin``) may write the owners table.
Names compare case-folded and trimmed. Group membership: the operating system's groups of that
user name, and on PostgreSQL the roles it is a member of.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mlops_jupyter.registry.errors import RefusedError, RegistryError
from mlops_jupyter.registry.models import actor_key, require_model, resolve_actor
from mlops_jupyter.registry.names import check_model_name
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store import owners as owner_sql
from mlops_jupyter.store.ids import now

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from mlops_jupyter.store.registry import RegistryTransaction

GROUP_PREFIX = "group:"
ADMINS_ENV = "MLOPS_JUPYTER_ADMINS"
MAX_OWNERS = 50
_NAME = re.compile(r"^[^\s,]{1,200}$")


class NotOwnerError(RefusedError):
    """The acting user is not among the owners the action requires."""


def fold(name: str) -> str:
    """The form names are compared in: trimmed and case-folded (the registry's actor rule)."""
    return actor_key(name)


def normalize_owner(entry: str) -> str:
    """``" Alice "`` -> ``"alice"``, ``"Group:ML"`` -> ``"group:ml"``; a clear error otherwise."""
    if not isinstance(entry, str):
        raise RegistryError(f"an owner must be a user or group name, got {type(entry).__name__}")
    text = fold(entry)
    bare = text[len(GROUP_PREFIX) :] if text.startswith(GROUP_PREFIX) else text
    if not _NAME.match(bare):
        raise RegistryError(
            f"invalid owner {entry!r}: a user name or group:NAME, without spaces or commas"
        )
    return text


def _os_groups(user: str) -> set[str]:
    groups = {fold(g.gr_name) for g in grp.getgrall() if user in {fold(m) for m in g.gr_mem}}
    with contextlib.suppress(KeyError):
        groups.add(fold(grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name))
    return groups


def is_owner(conn: Connection, actor: str, owners: Iterable[str]) -> bool:
    """Is ``actor`` one of ``owners`` (directly, or through a ``group:`` entry)?"""
    user = fold(actor)
    groups = [o[len(GROUP_PREFIX) :] for o in owners if o.startswith(GROUP_PREFIX)]
    if user in owners:
        return True
    if not groups:
        return False
    if set(groups) & _os_groups(user):
        return True
    return conn.dialect.name == "postgresql" and any(
        owner_sql.pg_role_member(conn, user, g) for g in groups
    )


def is_admin(conn: Connection, actor: str) -> bool:
    """May ``actor`` set any model's owners? On PostgreSQL: the connection's role may write the
    owners table (the store's owner, or a role granted ``admin``); elsewhere: listed in
    ``MLOPS_JUPYTER_ADMINS``."""
    if conn.dialect.name == "postgresql":
        return owner_sql.session_may_write_owners(conn)
    listed = {fold(n) for n in os.environ.get(ADMINS_ENV, "").split(",") if n.strip()}
    return fold(actor) in listed


def effective_owners(tx: RegistryTransaction, name: str) -> list[str]:
    """The owners set on the model, else its creator."""
    explicit = owner_sql.owners(tx.conn, name)
    return explicit or [fold(require_model(tx, name)["owner"])]


def require_owner_approver(tx: RegistryTransaction, name: str, version: int, actor: str) -> None:
    """Under ``approvers="owners"``: refuse an approval by someone who is not an owner."""
    explicit = owner_sql.owners(tx.conn, name)
    if not explicit:
        raise NotOwnerError(
            f"the policy of {name} accepts approvals only from its owners, and none are set: "
            f"set them first (mj.set_owners / mlops-jupyter models owners {name} USER ...)"
        )
    if not is_owner(tx.conn, actor, explicit):
        raise NotOwnerError(
            f"{actor} cannot approve {name} version {version}: the policy accepts approvals only "
            f"from its owners ({', '.join(explicit)})"
        )


def get_owners(name: str, *, store: Store | None = None) -> list[str]:
    """The owners set on the model (empty when none were set: its creator is notified)."""
    store = store or get_store()

    def read(tx: RegistryTransaction) -> list[str]:
        require_model(tx, name)
        return owner_sql.owners(tx.conn, name)

    return store.registry.read(read)


def set_owners(
    name: str,
    owners: Iterable[str] | str,
    *,
    actor: str | None = None,
    store: Store | None = None,
) -> list[str]:
    """Make ``owners`` the model's owners (users or ``group:NAME``); audited as ``owners``.
    Allowed for the model's creator, a current owner or an admin."""
    check_model_name(name)
    if isinstance(owners, str):
        owners = [owners]
    names = sorted(dict.fromkeys(normalize_owner(o) for o in owners))
    if len(names) > MAX_OWNERS:
        raise RegistryError(f"a model can have at most {MAX_OWNERS} owners, got {len(names)}")
    store = store or get_store()
    actor = resolve_actor(actor, store)

    def work(tx: RegistryTransaction) -> list[str]:
        row = require_model(tx, name, lock=True)
        before = owner_sql.owners(tx.conn, name)
        allowed = (
            fold(actor) == fold(row["owner"])
            or is_owner(tx.conn, actor, before)
            or is_admin(tx.conn, actor)
        )
        if not allowed:
            raise NotOwnerError(
                f"{actor} cannot change the owners of {name}: only its creator ({row['owner']}), "
                f"a current owner ({', '.join(before) or 'none set'}) or an admin can"
            )
        at = now()
        owner_sql.replace_owners(tx.conn, name, names, fold(actor), at)
        tx.append_audit(
            actor=actor,
            action="owners",
            model=name,
            target=f"models/{name}",
            payload={"before": before, "after": names},
            at=at,
        )
        return names

    return store.registry.write(work)
