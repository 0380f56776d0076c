"""The base of the REST handlers that read or change the store.

A handler is thin: it validates its input with a model of ``server/models.py``
(:meth:`StoreHandler.query`, :meth:`StoreHandler.body`), calls one service function
(``server/services_<area>.py``) in the store's thread pool (:meth:`StoreHandler.in_store`) and
writes the response model it gets back (:meth:`StoreHandler.reply`).

Store calls block (SQLite, PostgreSQL, artifact files), so they run in a small thread pool and
the server's event loop stays free for kernels and other requests. Errors the domain raises for
bad input or unknown ids become 4xx answers with the domain's own message. The mapping of
errors to statuses lives in ``server/errors.py``; a handler may prepend its own
``error_statuses``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import tornado.web
from pydantic import BaseModel

from mlops_jupyter.server import errors
from mlops_jupyter.server.app import MlopsAPIHandler
from mlops_jupyter.server.validation import ApiError, Q, R, parse_body, parse_query
from mlops_jupyter.store.filters import FilterError
from mlops_jupyter.tracking.query import RunNotFoundError

T = TypeVar("T")

#: Bounded below the store's connection pool (8 + 16 overflow), so requests queue here.
STORE_THREADS = 4
_executor = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="mlops-rest")

ErrorStatuses = tuple[tuple[type[BaseException], int], ...]


class StoreHandler(MlopsAPIHandler):
    """A REST handler that works on the store in a worker thread and answers strict JSON."""

    #: Domain errors -> HTTP status, first match wins; subclasses prepend their module's errors.
    error_statuses: ErrorStatuses = ((FilterError, 400), (RunNotFoundError, 404))

    def status_for(self, error: BaseException) -> int | None:
        for error_type, status in self.error_statuses:
            if isinstance(error, error_type):
                return status
        return errors.status_for(error)

    async def in_store(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``work(store, *args, **kwargs)`` in the thread pool; domain errors become HTTP errors."""
        call = functools.partial(self._with_store, work, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(_executor, call)
        except tornado.web.HTTPError:
            raise
        except Exception as error:
            status = self.status_for(error)
            if status is None:
                raise
            raise ApiError(status, str(error)) from error

    def _with_store(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return work(self.get_store(), *args, **kwargs)

    def query(self, model: type[Q]) -> Q:
        """The query arguments, validated as ``model`` (400 with a one-line message otherwise)."""
        return parse_query(self, model)

    def body(self, model: type[R]) -> R:
        """The JSON body, validated as ``model`` (400 with a one-line message otherwise)."""
        return parse_body(self, model)

    def reply(self, answer: BaseModel, status: int = 200) -> None:
        """Finish with ``answer`` as JSON (NaN and infinities written as null)."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(answer.model_dump_json(by_alias=True))
