"""The one retry helper: call again on a transient error, with jittered exponential backoff.

(tenacity does the same but costs ~75 ms of import in every tracked process; this is the only
retry loop with backoff the package needs.)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def retry_call(
    work: Callable[[], T],
    *,
    attempts: int,
    transient: Callable[[BaseException], bool],
    base_delay: float = 0.05,
    max_delay: float = 2.0,
) -> T:
    """``work()``, called up to ``attempts`` times while it raises an error ``transient`` accepts;
    between tries sleep ``min(max_delay, base_delay * 2**try)`` scaled by a random 0.5-1.5. The
    last error, or any other error, propagates unchanged."""
    for attempt in range(attempts):
        try:
            return work()
        except Exception as error:
            if not transient(error) or attempt == attempts - 1:
                raise
            time.sleep(min(max_delay, base_delay * 2**attempt) * (0.5 + random.random()))
    raise ValueError(f"attempts must be at least 1, got {attempts}")
