"""The environment a run executes in: Python, platform, the distributions actually imported,
git commit/branch/dirty-diff hash, host and user.

Capture is cheap after the first call: the module→distribution map is cached for the process,
the package list is recomputed only when ``sys.modules`` grows, and git facts are cached briefly.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

from mlops_jupyter.config import current_user

GIT_CACHE_SECONDS = 10.0
_lock = threading.Lock()
_module_distributions: Mapping[str, list[str]] | None = None
_distribution_versions: dict[str, str] = {}
_packages_cache: tuple[int, dict[str, str]] = (-1, {})
_git_cache: dict[str, tuple[float, dict[str, str | None]]] = {}


@dataclass(frozen=True)
class Environment:
    python: str
    platform: str
    packages: dict[str, str] = field(default_factory=dict)
    git_commit: str | None = None
    git_branch: str | None = None
    git_dirty_hash: str | None = None
    host: str = ""
    user: str = ""

    @property
    def environment_id(self) -> str:
        payload = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["packages"] = json.dumps(self.packages, sort_keys=True)
        return row


def _distribution_version(name: str) -> str | None:
    if name not in _distribution_versions:
        try:
            _distribution_versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            return None
    return _distribution_versions[name]


def _distributions_by_module() -> Mapping[str, list[str]]:
    global _module_distributions
    if _module_distributions is None:
        _module_distributions = metadata.packages_distributions()
    return _module_distributions


def packages_for_modules(modules: Iterable[str]) -> dict[str, str]:
    """Installed distributions (name -> version) providing the given top-level modules.

    Also used for another process's imports (a kernel reports module names; the mapping,
    which scans every installed distribution once, is done here).
    """
    with _lock:
        distributions = _distributions_by_module()
        packages: dict[str, str] = {}
        for module in modules:
            for distribution in distributions.get(module, ()):
                version = _distribution_version(distribution)
                if version:
                    packages[distribution] = version
        return packages


def imported_packages() -> dict[str, str]:
    """Versions of the installed distributions whose top-level modules are imported now."""
    global _packages_cache
    module_count = len(sys.modules)
    if _packages_cache[0] != module_count:
        packages = packages_for_modules({name.partition(".")[0] for name in list(sys.modules)})
        _packages_cache = (module_count, packages)
    return _packages_cache[1]


def _git(args: list[str], cwd: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.decode(errors="replace").strip() if result.returncode == 0 else None


def git_state(cwd: str | None = None) -> dict[str, str | None]:
    """Commit, branch and a hash of the uncommitted diff (None when clean or not a repo)."""
    cwd = cwd or os.getcwd()
    cached = _git_cache.get(cwd)
    if cached and time.monotonic() - cached[0] < GIT_CACHE_SECONDS:
        return cached[1]
    commit = _git(["rev-parse", "HEAD"], cwd)
    state: dict[str, str | None] = {
        "git_commit": commit,
        "git_branch": None,
        "git_dirty_hash": None,
    }
    if commit:
        state["git_branch"] = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
        diff = _git(["diff", "HEAD"], cwd)
        if diff:
            state["git_dirty_hash"] = hashlib.sha256(diff.encode()).hexdigest()
    _git_cache[cwd] = (time.monotonic(), state)
    return state


_environment_cache: dict[tuple[Any, ...], tuple[Environment, str]] = {}


def capture_environment(cwd: str | None = None) -> Environment:
    """The environment code runs in right now."""
    return current_environment(cwd)[0]


def current_environment(cwd: str | None = None) -> tuple[Environment, str]:
    """The current environment and its id; rebuilt only when imports, git state or user change."""
    packages = imported_packages()
    git = git_state(cwd)
    user = current_user()
    key = (id(packages), tuple(git.values()), user)
    cached = _environment_cache.get(key)
    if cached is None:
        environment = Environment(
            python=platform.python_version(),
            platform=platform.platform(),
            packages=packages,
            host=socket.gethostname(),
            user=user,
            **git,
        )
        cached = _environment_cache[key] = (environment, environment.environment_id)
    return cached
