"""Store discovery and settings: where the metadata database and the artifact root live.

The kernel, the CLI and the server extension all call :func:`resolve_store` so they find the same
store: ``MLOPS_JUPYTER_STORE`` wins; otherwise the first ``.mlops/`` found walking up from the
working directory; otherwise a new ``.mlops/`` beside the nearest ``.git`` or ``pyproject.toml``,
else in the working directory.
"""

from __future__ import annotations

import functools
import getpass
import os
from dataclasses import dataclass
from pathlib import Path

STORE_ENV = "MLOPS_JUPYTER_STORE"
ARTIFACTS_ENV = "MLOPS_JUPYTER_ARTIFACTS"
USER_ENV = "MLOPS_JUPYTER_USER"
EXPERIMENT_ENV = "MLOPS_JUPYTER_EXPERIMENT"
STORE_DIRNAME = ".mlops"
DB_FILENAME = "mlops.db"
SUPPORTED_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


class StoreConfigError(ValueError):
    """The store location cannot be understood (bad URI, unknown scheme)."""


@dataclass(frozen=True)
class StoreLocation:
    """Where one store keeps its metadata (a SQLAlchemy URL) and its artifacts (an fsspec URL)."""

    db_url: str
    artifacts_url: str
    origin: str  # how it was found, for `store info` and error messages

    @property
    def dialect(self) -> str:
        return self.db_url.split(":", 1)[0].split("+", 1)[0]


def _find_upwards(start: Path, name: str) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / name).exists():
            return folder
    return None


def _default_store_dir(start: Path) -> tuple[Path, str]:
    existing = _find_upwards(start, STORE_DIRNAME)
    if existing is not None:
        return existing / STORE_DIRNAME, f"found {existing / STORE_DIRNAME}"
    for marker in (".git", "pyproject.toml"):
        project = _find_upwards(start, marker)
        if project is not None:
            return project / STORE_DIRNAME, f"new store beside {project / marker}"
    return start / STORE_DIRNAME, f"new store in {start}"


def _location_for_directory(directory: Path, origin: str) -> StoreLocation:
    directory = directory.expanduser().resolve()
    return StoreLocation(
        db_url=f"sqlite:///{directory / DB_FILENAME}",
        artifacts_url=os.environ.get(ARTIFACTS_ENV) or str(directory / "artifacts"),
        origin=origin,
    )


def _location_for_url(url: str, origin: str) -> StoreLocation:
    scheme = url.split("://", 1)[0]
    if scheme not in SUPPORTED_SCHEMES:
        raise StoreConfigError(
            f"unknown store URI scheme {scheme!r} in {url!r}: use a directory path, "
            "'sqlite:///path/to/mlops.db' or 'postgresql+psycopg://user@host:5432/db'"
        )
    if scheme == "postgresql":  # psycopg 3 is the only PostgreSQL driver we ship
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    artifacts = os.environ.get(ARTIFACTS_ENV)
    if not artifacts:
        if scheme == "sqlite":
            db_path = Path(url.split(":///", 1)[1]) if ":///" in url else None
            if db_path is None or str(db_path) in ("", ":memory:"):
                raise StoreConfigError(f"{url!r} has no file path; the embedded store needs a file")
            artifacts = str(db_path.expanduser().resolve().parent / "artifacts")
        else:
            store_dir, _ = _default_store_dir(Path.cwd())
            artifacts = str(store_dir / "artifacts")
    return StoreLocation(db_url=url, artifacts_url=artifacts, origin=origin)


def resolve_store(start_dir: str | os.PathLike[str] | None = None) -> StoreLocation:
    """Find the store the way every component must: env var, then walk up, then create."""
    configured = os.environ.get(STORE_ENV, "").strip()
    if configured:
        if "://" in configured:
            return _location_for_url(configured, f"${STORE_ENV}")
        return _location_for_directory(Path(configured), f"${STORE_ENV}")
    start = Path(start_dir or Path.cwd()).resolve()
    directory, origin = _default_store_dir(start)
    return _location_for_directory(directory, origin)


def current_user() -> str:
    """The acting user for API and CLI calls: ``MLOPS_JUPYTER_USER``, else the OS login."""
    configured = os.environ.get(USER_ENV, "").strip()
    return configured or _os_login()


@functools.cache
def _os_login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"
