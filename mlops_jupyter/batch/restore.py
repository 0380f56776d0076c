"""``reproduce --restore-inputs``: a scratch folder in which a notebook run's inputs are the
versions it read, restored from their snapshots.

The scratch folder mirrors the run's working directory: every entry is a symlink to the
original, except the input files that have a snapshot (and the folders on their way), which
are real files restored from the blob store (hash-verified). The notebook then runs with the
scratch folder as its working directory, so relative paths (``pd.read_csv("data/train.csv")``)
find the restored version; a parameter whose value is an input's path (absolute or relative)
is pointed at the restored copy. An input outside the working directory is restored under
``_inputs/`` and reached through its parameter only.

After the re-execution, the inputs the new run actually read say where each input came from:
the restored copy (``snapshot``) or the live path (``live``, e.g. a path written into the
code); a live input that changed since the run fails the verdict, naming it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from mlops_jupyter.store import get_store
from mlops_jupyter.tracking.snapshots import local_path, restore

if TYPE_CHECKING:
    from mlops_jupyter.batch.reproduce import InputCheck
    from mlops_jupyter.store import Store
    from mlops_jupyter.tracking.query import RunView


class ScratchFolder:
    """The planned restore of one run's inputs; a context manager that builds and removes it."""

    def __init__(self, store: Store, cwd: str, restores: list[tuple[InputCheck, str]]) -> None:
        self.store = store
        self.cwd = os.path.realpath(cwd)
        self.restores = restores  # (check, live path) of inputs with a snapshot
        self.folder = ""
        self.placed: dict[str, str] = {}  # live path -> restored path

    @classmethod
    def plan(cls, view: RunView, checks: list[InputCheck], cwd: str) -> ScratchFolder:
        """Decide, input by input, what comes from a snapshot (the rest stays live)."""
        store = get_store()
        files = [(check, local_path(check.uri)) for check in checks]
        held = store.data.snapshots(check.recorded for check, path in files if path)
        restores = []
        for check, path in files:
            if path is None:
                continue
            if check.recorded in held:
                check.source = "snapshot"
                restores.append((check, path))
            else:
                check.source = "live"
        return cls(store, cwd, restores)

    # -- building the folder ------------------------------------------------------------------
    def __enter__(self) -> ScratchFolder:
        self.folder = tempfile.mkdtemp(prefix="mlops-reproduce-")
        try:
            targets = {live: self._target(live) for _, live in self.restores}
            inside = {PurePath(os.path.relpath(target, self.folder)) for target in targets.values()}
            if os.path.isdir(self.cwd):
                _mirror(Path(self.cwd), Path(self.folder), PurePath("."), inside)
            for check, live in self.restores:
                restore(self.store, check.recorded, targets[live], label=check.uri)
                self.placed[os.path.realpath(live)] = targets[live]
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *_exc: Any) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _target(self, live: str) -> str:
        real = os.path.realpath(live)
        if real.startswith(os.path.join(self.cwd, "")):
            return os.path.join(self.folder, os.path.relpath(real, self.cwd))
        digest = next(c.recorded for c, path in self.restores if path == live)[:12]
        return os.path.join(self.folder, "_inputs", digest, os.path.basename(real))

    # -- redirecting and judging ----------------------------------------------------------------
    def parameters(self, recorded: dict[str, Any]) -> dict[str, Any]:
        """The recorded parameters, with input paths pointed at their restored copies."""
        redirected = {}
        for name, value in recorded.items():
            if isinstance(value, str) and value:
                candidate = value if os.path.isabs(value) else os.path.join(self.cwd, value)
                target = self.placed.get(os.path.realpath(candidate))
                if target is not None:
                    value = target
            redirected[name] = value
        return redirected

    def judge(self, tree: list[RunView]) -> list[str]:
        """Where each restored input was actually read from; reasons for the verdict."""
        read = {item.get("uri") for view in tree for item in view.inputs}
        reasons = []
        for check, live in self.restores:
            restored_uri = Path(self.placed[os.path.realpath(live)]).as_uri()
            if restored_uri in read or check.uri not in read:
                continue
            check.source = "live"  # the notebook named the live path itself
            if check.status in ("changed", "missing"):
                reasons.append(
                    f"input {live} was read from its live path, not the snapshot (the notebook "
                    f"names it directly), and it is {check.status} since the run"
                )
        return reasons


def _mirror(source: Path, target: Path, relative: PurePath, restored: set[PurePath]) -> None:
    """Symlink ``source``'s entries into ``target``, descending only into the folders that
    hold restored files (which are left out: they are written afterwards)."""
    folders = {parent for path in restored for parent in path.parents}
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        inner = relative / entry.name if relative != PurePath(".") else PurePath(entry.name)
        if inner in restored:
            continue
        if inner in folders and entry.is_dir() and not entry.is_symlink():
            _mirror(entry, target / entry.name, inner, restored)
        else:
            os.symlink(entry, target / entry.name)
