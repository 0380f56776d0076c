"""The database connection: engines, pragmas, transactions with retry, schema upgrades on open.

SQLite uses two engines on one file: readers start deferred transactions, writers start
``BEGIN IMMEDIATE`` so a writer waits on the busy timeout instead of failing with
"database is locked" when it upgrades a read lock. PostgreSQL uses one pooled engine.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from mlops_jupyter.config import StoreLocation
from mlops_jupyter.store.migrations import upgrade_to_head
from mlops_jupyter.store.retry import retry_call
from mlops_jupyter.store.schema import SCHEMA_HEAD

T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 60_000
MIGRATION_LOCK_KEY = 731_640_201  # PostgreSQL advisory lock id for schema upgrades


class StoreConnectionError(RuntimeError):
    """The metadata database cannot be reached or opened."""


def _is_lock_error(error: BaseException) -> bool:
    message = str(error).lower()
    return "database is locked" in message or "database is busy" in message


def _sqlite_engine(url: str, begin_statement: str) -> Engine:
    engine = create_engine(url, pool_size=8, max_overflow=16, pool_timeout=120)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql(begin_statement)

    return engine


def _prepare_sqlite_path(db_path: Path) -> None:
    """Create the database's folder; a clear StoreConnectionError when the path cannot be one."""
    if db_path.is_dir():
        raise StoreConnectionError(f"the SQLite database path {db_path} is a folder, not a file")
    for folder in (db_path.parent, *db_path.parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise StoreConnectionError(
                    f"cannot create the store in {db_path.parent}: {folder} is a file, not a folder"
                )
            break
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreConnectionError(
            f"cannot create the store folder {db_path.parent}: {error.strerror or error}"
        ) from None
    writable = os.access(db_path if db_path.exists() else db_path.parent, os.W_OK)
    if not writable or not os.access(db_path.parent, os.W_OK | os.X_OK):
        raise StoreConnectionError(
            f"the store folder {db_path.parent} is not writable by this user "
            "(SQLite needs to create its journal files beside the database)"
        )


class Database:
    """Opens the metadata database of a store location and upgrades its schema when needed."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self.dialect = location.dialect
        if self.dialect == "sqlite":
            db_path = Path(make_url(location.db_url).database or "")
            _prepare_sqlite_path(db_path)
            self._lock_path: Path | None = db_path.with_suffix(".lock")
            self.reader = _sqlite_engine(location.db_url, "BEGIN")
            self.writer = _sqlite_engine(location.db_url, "BEGIN IMMEDIATE")
        else:
            self._lock_path = None
            self.reader = self.writer = create_engine(
                location.db_url, pool_size=8, max_overflow=16, pool_pre_ping=True
            )
        self._check_reachable()
        self.ensure_schema()

    # -- connection ---------------------------------------------------------------------------
    def _describe(self) -> str:
        url = make_url(self.location.db_url)
        if self.dialect == "sqlite":
            return f"SQLite database {url.database}"
        return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432} (database {url.database!r})"

    def _check_reachable(self) -> None:
        try:
            with self.reader.connect() as conn:
                conn.execute(text("SELECT 1"))
                if self.dialect == "sqlite":  # reads the header: "file is not a database"
                    conn.execute(text("SELECT count(*) FROM sqlite_master"))
        except DBAPIError as error:
            reason = str(error.orig or error).strip().splitlines()[0]
            verb = "reach" if isinstance(error, OperationalError) else "open"
            raise StoreConnectionError(f"cannot {verb} {self._describe()}: {reason}") from None

    def dispose(self) -> None:
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.reader.connect() as conn, conn.begin():
            yield conn

    def transact(self, work: Callable[[Connection], T], attempts: int = 8) -> T:
        """Run ``work`` in one write transaction, retrying if the database stays locked."""

        def once() -> T:
            with self.writer.connect() as conn, conn.begin():
                return work(conn)

        return retry_call(
            once,
            attempts=attempts,
            transient=lambda error: isinstance(error, OperationalError) and _is_lock_error(error),
        )

    # -- schema -------------------------------------------------------------------------------
    def schema_version(self) -> str | None:
        with self.reader.connect() as conn:
            has_table = conn.dialect.has_table(conn, "alembic_version")
            if not has_table:
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def ensure_schema(self) -> None:
        """Bring the schema to ``SCHEMA_HEAD``; cheap when it already is."""
        if self.schema_version() == SCHEMA_HEAD:
            return
        self.migrate()

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[Connection | None]:
        if self._lock_path is not None:
            with open(self._lock_path, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield None
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        else:
            with self.writer.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
                try:
                    yield conn
                finally:
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                    conn.commit()

    def migrate(self) -> tuple[str | None, str]:
        """Upgrade to the newest schema with Alembic; returns (before, after) versions."""
        with self._migration_lock():
            before = self.schema_version()
            if before != SCHEMA_HEAD:
                # SQLite DDL must not run inside our BEGIN IMMEDIATE hook's transaction mode
                # games: Alembic gets a plain engine and manages its own transaction.
                upgrade_to_head(self.location.db_url)
            return before, self.schema_version() or ""
