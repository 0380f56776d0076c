"""The webhook deliverer: posts due outbox deliveries, signed per Standard Webhooks, with retries.

At-least-once: a delivery is done only when the subscriber answered 2xx, recorded in the same
transaction as the try's log line; any other answer, a timeout or a dead deliverer (its lease
expires) means another try later. The retry delay doubles from ``base_delay`` up to
``max_delay``, with jitter; after ``max_attempts`` tries the delivery is ``failed`` (and
``hooks retry`` puts it back). Each subscriber gets one model's events in order: the next one
waits until the previous is delivered or failed. The ``webhook-id`` is the event id, the same on
every try and for every subscriber, so receivers can drop duplicates.

Runs as ``mlops-jupyter hooks deliver [--follow]`` and as a thread in the Jupyter server
extension; commits in the same process wake it at once; another process's commit is seen through
a change of the write-ahead log (embedded SQLite store, a stat every 50 ms) or a NOTIFY on channel
``mlops_outbox`` (PostgreSQL, sent by ``emit_event`` at commit); the poll is the fallback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url
from standardwebhooks.webhooks import Webhook

from mlops_jupyter.registry.events import Event
from mlops_jupyter.registry.webhooks import WebhookError, decrypt_secret
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.outbox import NOTIFY_CHANNEL, WROTE_EVENTS

log = logging.getLogger("mlops_jupyter.webhooks")
USER_AGENT = "mlops-jupyter-webhooks/1"
WAL_WATCH = 0.05  # seconds between looks at an embedded store's write-ahead log


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 2.0
    max_delay: float = 3600.0
    max_attempts: int = 12
    timeout: float = 10.0
    lease: float = 60.0  # a deliverer's hold on a delivery; must exceed ``timeout``

    def delay(self, attempt: int) -> float:
        """Wait before try ``attempt + 1`` (attempt counts from 1): exponential, 10% jitter."""
        base = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return base * (0.9 + 0.2 * random.random())


def render(template: str, event: Event) -> dict[str, Any]:
    """The JSON body for a template."""
    if template == "slack":
        link = f" ({event.data['uri']})" if event.data.get("uri") else ""
        return {"text": f"[{event.type}] {event.summary()}{link}"}
    if template == "teams":
        facts = [
            {"name": key, "value": str(value)}
            for key, value in (
                ("model", event.model),
                ("version", event.version),
                ("by", event.actor),
                ("owners", ", ".join(event.owners)),
                ("uri", event.data.get("uri")),
            )
            if value not in (None, "")
        ]
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": event.summary(),
            "title": event.type,
            "text": event.summary(),
            "sections": [{"facts": facts}],
        }
    return event.body()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer other than 2xx: retried later, never followed


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: str, headers: dict[str, str], timeout: float) -> int:
    """POST and return the status code (raises OSError when there is no answer)."""
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(65536)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def signed_request(event: Event, secret: str, template: str) -> tuple[str, dict[str, str]]:
    """The body text and headers of one try (timestamp = now, as the spec wants)."""
    body = json.dumps(render(template, event), separators=(",", ":"), default=str)
    sent = datetime.now(timezone.utc)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.event_id,
        "webhook-timestamp": str(int(sent.timestamp())),
        "webhook-signature": Webhook(secret).sign(event.event_id, sent, body),
    }
    return body, headers


def _event(row: dict[str, Any]) -> Event:
    return Event(
        seq=row["seq"],
        event_id=row["event_id"],
        type=row["type"],
        model=row["event_model"],
        version=row["version"],
        actor=row["actor"],
        at=row["at"],
        owners=json.loads(row["owners"]),
        data=json.loads(row["data"]),
    )


class Deliverer:
    """Delivers due webhook deliveries of one store; ``run_once`` or ``follow``."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        policy: RetryPolicy | None = None,
        workers: int = 4,
        poll: float = 0.5,
    ) -> None:
        self.store = store or get_store()
        self.policy = policy or RetryPolicy()
        self.poll = poll
        self.workers = workers
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self._listen: Any = None
        self._listen_failed = False
        self._wal: Path | None = None
        if self.store.location.dialect == "sqlite":
            database = make_url(self.store.location.db_url).database or ""
            self._wal = Path(database + "-wal")
        # a commit in this process that wrote events: look at once instead of polling.
        # SQLAlchemy's "commit" event fires just before the commit; the connection's return to
        # the pool ("checkin") comes after it, when the new rows are visible to other sessions.
        # Only transactions that emitted count (emit_event flags the connection), so the
        # deliverer's own reads and writes do not wake it.
        self._committed = False
        writer = self.store.db.writer
        sa_event.listen(writer, "begin", self._on_begin)
        sa_event.listen(writer, "commit", self._on_commit)
        sa_event.listen(writer, "checkin", self._on_checkin)

    def _on_begin(self, conn: Any) -> None:
        conn.info.pop(WROTE_EVENTS, None)  # the flag describes the current transaction only

    def _on_commit(self, conn: Any) -> None:
        if conn.info.get(WROTE_EVENTS):
            self._committed = True

    def _on_checkin(self, _dbapi_connection: Any, _record: Any) -> None:
        if self._committed:
            self._committed = False
            self._wake.set()

    def _close_listener(self) -> None:
        if self._listen is not None:
            with contextlib.suppress(Exception):  # already broken
                self._listen.close()
            self._listen = None

    def close(self) -> None:
        self.stop()
        self._close_listener()
        writer = self.store.db.writer
        listeners = (
            ("begin", self._on_begin),
            ("commit", self._on_commit),
            ("checkin", self._on_checkin),
        )
        for name, listener in listeners:
            if sa_event.contains(writer, name, listener):
                sa_event.remove(writer, name, listener)

    # -- one try ---------------------------------------------------------------------------------
    def _attempt(self, row: dict[str, Any]) -> bool:
        now = time.time()
        if not self.store.webhooks.claim(row["delivery_id"], now, now + self.policy.lease):
            return False
        attempt = int(row["attempts"]) + 1
        code: int | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            secret = decrypt_secret(self.store, row["secret"], row["key_id"])
            body, headers = signed_request(_event(row), secret, row["template"])
            code = post(row["url"], body, headers, self.policy.timeout)
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except WebhookError as problem:
            error = str(problem)
        except (OSError, ValueError) as problem:  # refused, timed out, bad URL
            error = f"{type(problem).__name__}: {problem}"[:500]
        elapsed = (time.perf_counter() - started) * 1000
        at = time.time()
        ok = error is None
        if ok:
            status, next_at = "delivered", at
        elif attempt >= self.policy.max_attempts:
            status, next_at = "failed", at
        else:
            status, next_at = "pending", at + self.policy.delay(attempt)
        self.store.webhooks.record_attempt(
            row["delivery_id"],
            attempt={
                "attempt": attempt,
                "at": at,
                "status_code": code,
                "error": error,
                "duration_ms": round(elapsed, 3),
            },
            status=status,
            next_attempt_at=next_at,
        )
        if not ok:
            log.warning(
                "webhook %s for event %s (%s), try %d: %s%s",
                row["url"],
                row["event_id"],
                row["type"],
                attempt,
                error,
                "; giving up" if status == "failed" else "",
            )
        return ok

    def run_once(self) -> int:
        """Deliver everything due now (following each queue as it frees up); returns how many
        deliveries succeeded."""
        delivered = 0
        with ThreadPoolExecutor(self.workers, thread_name_prefix="mlops-webhook") as pool:
            while not self._stop.is_set():
                due = self.store.webhooks.due(time.time(), limit=self.workers * 8)
                if not due:
                    break
                results = list(pool.map(self._attempt, due))
                delivered += sum(results)
                if not any(results):
                    break  # everything due failed or was taken: wait for the next due time
        self.delivered += delivered
        return delivered

    def follow(self, until: float | None = None) -> None:
        """Deliver until ``stop()`` (or the monotonic time ``until``)."""
        while not self._stop.is_set():
            if until is not None and time.monotonic() >= until:
                return
            try:
                self.run_once()
                next_due = self.store.webhooks.next_due_at()
            except Exception:  # the store was unreachable: keep going, say so
                log.exception("webhook delivery pass failed")
                next_due = None
            wait = self.poll
            if next_due is not None:
                wait = max(0.02, min(wait, next_due - time.time()))
            self._sleep(wait)
            self._wake.clear()

    def _wal_state(self) -> tuple[int, int] | None:
        """(mtime, size) of an embedded store's write-ahead log: every commit of any process
        changes it, so watching it (a stat call) finds other processes' events quickly."""
        if self._wal is None:
            return None
        try:
            info = self._wal.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def _listener(self) -> Any:
        """On PostgreSQL, a connection LISTENing for emitting commits of any process (None
        elsewhere, or when it cannot connect: then the poll alone finds them)."""
        if self.store.location.dialect != "postgresql" or self._listen_failed:
            return None
        if self._listen is None:
            try:
                import psycopg  # noqa: PLC0415 - start-up: psycopg is imported only to listen on PostgreSQL

                url = make_url(self.store.location.db_url).set(drivername="postgresql")
                conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
                conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                self._listen = conn
            except Exception as error:
                log.warning("webhook deliverer cannot LISTEN (polling instead): %s", error)
                self._listen_failed = True
        return self._listen

    def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less: a commit in this process (wake-up) or another process's
        commit (SQLite: a change of the write-ahead log; PostgreSQL: a NOTIFY) ends the wait."""
        listener = self._listener()
        if listener is not None:
            deadline = time.monotonic() + seconds
            while not self._wake.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                try:
                    if any(True for _ in listener.notifies(timeout=min(0.2, left), stop_after=1)):
                        return
                except Exception as error:  # connection lost: poll from now on
                    log.warning("webhook deliverer stopped listening: %s", error)
                    self._close_listener()
                    self._listen_failed = True
                    self._wake.wait(max(0.0, deadline - time.monotonic()))
                    return
            return
        if self._wal is None:
            self._wake.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        before = self._wal_state()
        while not self._wake.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._wake.wait(min(WAL_WATCH, left))
            if self._wal_state() != before:
                return

    # -- background thread -------------------------------------------------------------------------
    def start(self) -> Deliverer:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self.follow, name="mlops-webhook-deliverer", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
