"""The served version and the thread that follows the alias.

Requests read :attr:`ModelHolder.current` once and use that model for the whole request, so a
swap (one attribute assignment) never splits a request between versions and never fails one.
The follower thread reads the alias every ``poll_seconds``; when it points elsewhere the new
version is loaded in that thread (its file re-hashed against the registry by ``load_model``),
tried on its input example, and only then swapped in. A version that fails to load is reported
(``/version``'s ``error`` and the log) and the old one keeps serving; it is retried after
``retry_failed_seconds`` or as soon as the alias moves again. When the store is unreachable
the loaded version keeps serving and following resumes when the store answers again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops_jupyter.registry.loaded import load_model
from mlops_jupyter.registry.names import ModelRef
from mlops_jupyter.registry.signature import SignatureError, dtype_family
from mlops_jupyter.registry.versions import require_version, version_number

if TYPE_CHECKING:
    from mlops_jupyter.registry.loaded import LoadedModel
    from mlops_jupyter.serve.settings import ServeSettings
    from mlops_jupyter.store import Store

log = logging.getLogger("mlops_jupyter.serve")
_CACHED_VERSIONS = 3  # recently served versions kept loaded: a rollback swaps at once


@dataclass(frozen=True)
class Served:
    """One loaded version and when it started serving."""

    model: LoadedModel
    loaded_at: float
    signature: dict[str, Any] | None
    # all-float named signature whose estimator predicts a float matrix exactly as the frame
    # (checked on the input example at load): requests may skip building a DataFrame
    fast_names: list[str] | None = None

    @property
    def version(self) -> int:
        return self.model.version


class ModelHolder:
    """Holds the served version; :meth:`follow` runs the alias watch in a daemon thread."""

    def __init__(self, settings: ServeSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.current: Served | None = None
        self.load_error: str | None = None  # the last failed load, None after a success
        self.store_error: str | None = None  # set while the store cannot be read
        self.target: int | None = None  # the version the alias points at, last we read
        self.swaps = 0
        self._failed: dict[int, float] = {}  # version -> when its load failed
        self._cache: OrderedDict[tuple[int, str], Served] = OrderedDict()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one load at a time (the initial load vs the thread)

    # -- state ----------------------------------------------------------------------------------
    @property
    def error(self) -> str | None:
        return self.load_error or self.store_error

    def describe(self) -> dict[str, Any]:
        """What ``GET /version`` answers."""
        served = self.current
        return {
            "name": self.settings.name,
            "version": served.version if served else None,
            "alias": self.settings.alias,
            "pinned": not self.settings.following,
            "signature": served.signature if served else None,
            "loaded_at": (
                datetime.fromtimestamp(served.loaded_at, timezone.utc).isoformat()
                if served
                else None
            ),
            "digest": served.model.digest if served else None,
            "alias_version": self.target,
            "error": self.error,
            "server_id": self.settings.server_id,
        }

    # -- reading the registry -------------------------------------------------------------------
    def resolve(self) -> int:
        """The version to serve: the pinned one, else where the alias points now."""
        if self.settings.pin is not None:
            return self.settings.pin

        ref = ModelRef(self.settings.name, alias=self.settings.alias)
        return self.store.registry.read(lambda tx: version_number(tx, ref))

    def _record(self, version: int) -> dict[str, Any]:
        name = self.settings.name
        return self.store.registry.read(lambda tx: require_version(tx, name, version))

    def load(self, version: int) -> Served:
        """Load ``version`` (hash verified), try it on its input example, and swap it in."""
        with self._lock:
            record = self._record(version)
            key = (version, record["artifact_digest"])
            served = self._cache.get(key)
            if served is None:
                model = load_model(f"models:/{self.settings.name}/{version}", store=self.store)
                model.alias = self.settings.alias
                fast = _warm_up(model, record)
                signature = model.signature.to_dict() if model.signature else None
                served = Served(
                    model=model, loaded_at=time.time(), signature=signature, fast_names=fast
                )
            else:
                served = Served(
                    model=served.model,
                    loaded_at=time.time(),
                    signature=served.signature,
                    fast_names=served.fast_names,
                )
            self._cache[key] = served
            self._cache.move_to_end(key)
            while len(self._cache) > _CACHED_VERSIONS:
                self._cache.popitem(last=False)
            previous = self.current
            self.current = served  # the atomic swap: requests read this attribute once
            self.load_error = None
            self._failed.pop(version, None)
            if previous is not None and previous.version != version:
                self.swaps += 1
                log.warning(
                    "%s: now serving version %d (was %d)",
                    self.settings.reference,
                    version,
                    previous.version,
                )
            return served

    # -- following ------------------------------------------------------------------------------
    def check_once(self) -> None:
        """One poll: read the alias, load and swap when it moved (errors are recorded)."""
        try:
            target = self.resolve()
        except Exception as error:
            message = f"store unreachable, serving the loaded version: {_one_line(error)}"
            if self.store_error is None:
                log.error("%s: %s", self.settings.reference, message)
            self.store_error = message
            return
        if self.store_error is not None:
            log.warning("%s: store reachable again; following resumes", self.settings.reference)
            self.store_error = None
        if target != self.target:
            self._failed.pop(target, None)  # the alias moved: try again at once
        self.target = target
        current = self.current
        if current is not None and current.version == target:
            self.load_error = None  # the alias left a version that failed: nothing is wrong now
            return
        failed_at = self._failed.get(target)
        if failed_at is not None and time.time() - failed_at < self.settings.retry_failed_seconds:
            return
        try:
            self.load(target)
        except Exception as error:
            self._failed[target] = time.time()
            keeps = f"; still serving version {current.version}" if current else ""
            self.load_error = f"version {target} failed to load: {_one_line(error)}{keeps}"
            log.error("%s: %s", self.settings.reference, self.load_error)

    def start(self) -> None:
        """Load what the reference names now (errors recorded) and start following."""
        self.check_once()
        if self.settings.following or self.current is None:
            self._thread = threading.Thread(
                target=self._run, name="mlops-serve-follower", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.settings.poll_seconds):
            if not self.settings.following and self.current is not None:
                return  # pinned and loaded: nothing more to follow
            self.check_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _warm_up(model: LoadedModel, record: dict[str, Any]) -> list[str] | None:
    """Predict the version's input example once, so its first request pays no first-call cost
    (and a model that cannot predict never takes the traffic). Returns the column names when
    the float-matrix fast path gives the same predictions as the frame, else None."""
    raw = record.get("input_example")
    if not raw:
        return None
    import pandas as pd  # noqa: PLC0415 - start-up: the model server imports pandas on first use

    example = json.loads(raw)
    frame = pd.DataFrame(example["data"], columns=example.get("columns")).head(1)
    if model.signature is not None and model.signature.columns:
        dtypes = {c.name: c.dtype for c in model.signature.columns if c.name in frame and c.dtype}
        try:
            frame = frame.astype(dtypes)
        except (TypeError, ValueError):
            return None  # JSON lost a dtype the example cannot get back: no warm-up
    try:
        expected = model.predict(frame)
    except SignatureError:
        return None  # the stored example no longer matches its own signature's dtypes
    signature = model.signature
    if signature is None or not signature.columns:
        return None
    if any(dtype_family(c.dtype) != "float" for c in signature.columns):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = model.model.predict(frame[signature.names].to_numpy(dtype=np.float64))
        same = np.array_equal(np.asarray(got), np.asarray(expected))
    except Exception:  # e.g. a ColumnTransformer that selects columns by name
        return None
    return list(signature.names) if same else None
