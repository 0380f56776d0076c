"""The store: the only module that writes SQL. ``Store`` bundles the database, the artifact
blobs and the per-noun SQL modules (runs, lineage, and later registry and monitoring).

``get_store()`` returns one shared store per resolved location, so the kernel, CLI and server
each open the database once per process.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from typing import TYPE_CHECKING

from mlops_jupyter.config import ARTIFACTS_ENV, STORE_ENV, StoreLocation, resolve_store

if TYPE_CHECKING:
    from mlops_jupyter.store.blobs import BlobStore
    from mlops_jupyter.store.data import DataStore
    from mlops_jupyter.store.database import Database
    from mlops_jupyter.store.lineage import LineageStore
    from mlops_jupyter.store.monitor import MonitorStore
    from mlops_jupyter.store.registry import RegistryStore
    from mlops_jupyter.store.runs import RunStore
    from mlops_jupyter.store.serving import ServingStore
    from mlops_jupyter.store.webhooks import WebhookStore

_stores: dict[StoreLocation, Store] = {}
_lock = threading.Lock()


class Store:
    """One opened store: metadata database + artifact blobs.

    Its parts are imported when first used: importing this package (which any of its light
    modules, ``filters``, ``blobs``, ``ids``, ``audit_chain``, does) must not load SQLAlchemy,
    numpy or fsspec, so the CLI's error handling and the magics stay quick to start.
    """

    def __init__(self, location: StoreLocation) -> None:
        from mlops_jupyter.store.database import Database  # noqa: PLC0415 - start-up: SQL modules load with the first Store

        self.location = location
        self.db: Database = Database(location)

    @cached_property
    def blobs(self) -> BlobStore:
        from mlops_jupyter.store.blobs import BlobStore  # noqa: PLC0415 - start-up: fsspec loads with the first blob access

        return BlobStore(self.location.artifacts_url)

    @cached_property
    def runs(self) -> RunStore:
        from mlops_jupyter.store.runs import RunStore  # noqa: PLC0415 - start-up: SQL modules load with the first Store

        return RunStore(self.db)

    @cached_property
    def lineage(self) -> LineageStore:
        from mlops_jupyter.store.lineage import LineageStore  # noqa: PLC0415 - start-up: SQL modules load with the first Store

        return LineageStore(self.db)

    @cached_property
    def registry(self) -> RegistryStore:
        from mlops_jupyter.store.registry import RegistryStore  # noqa: PLC0415 - start-up: SQL modules load with the first Store

        return RegistryStore(self.db)

    @cached_property
    def webhooks(self) -> WebhookStore:
        from mlops_jupyter.store.webhooks import WebhookStore  # noqa: PLC0415 - start-up: SQL modules load with the first Store

        return WebhookStore(self.db)

    @cached_property
    def monitor(self) -> MonitorStore:
        from mlops_jupyter.store.monitor import MonitorStore  # noqa: PLC0415 - start-up: SQL modules load with the first Store

        return MonitorStore(self.db)

    @cached_property
    def serving(self) -> ServingStore:
        from mlops_jupyter.store.serving import ServingStore  # noqa: PLC0415 - start-up: SQL modules load with the first Store

        return ServingStore(self.db)

    @cached_property
    def data(self) -> DataStore:
        from mlops_jupyter.store.data import DataStore  # noqa: PLC0415 - start-up: SQL modules load with the first Store

        return DataStore(self.db)

    def referenced_digests(self) -> set[str]:
        """Blob keys some table still points at (garbage collection keeps these)."""
        return (
            self.runs.artifact_digests()
            | self.registry.model_digests()
            | self.data.snapshot_digests()
        )

    def close(self) -> None:
        self.db.dispose()


_locations: dict[tuple[str, str, str], StoreLocation] = {}


def _current_location() -> StoreLocation:
    """resolve_store() memoised on what it depends on (env vars and working directory)."""
    key = (os.environ.get(STORE_ENV, ""), os.environ.get(ARTIFACTS_ENV, ""), os.getcwd())
    location = _locations.get(key)
    if location is None:
        location = _locations[key] = resolve_store()
    return location


def get_store(location: StoreLocation | None = None) -> Store:
    """The process-wide store for ``location`` (default: the discovered one)."""
    location = location or _current_location()
    store = _stores.get(location)
    if store is None:
        with _lock:
            store = _stores.get(location)
            if store is None:
                store = _stores[location] = Store(location)
    return store


def reset_stores() -> None:
    """Forget opened stores (tests, and after ``os.fork`` in worker processes)."""
    with _lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
        _locations.clear()


if hasattr(os, "register_at_fork"):
    # a forked child must not share pooled connections with its parent
    os.register_at_fork(after_in_child=lambda: _stores.clear())
