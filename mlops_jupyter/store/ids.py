"""Identifiers and event times: time-sortable, URL-safe ids (ULID layout: 48-bit milliseconds +
80 random bits) and the timestamps the registry records."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_lock = threading.Lock()
_last_ms = 0
_last_random = 0


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id() -> str:
    """A 26-character id; ids made later in one process sort after earlier ones."""
    global _last_ms, _last_random
    with _lock:
        now_ms = int(time.time() * 1000)
        if now_ms <= _last_ms:
            # same millisecond (or the clock stepped back): keep the order by counting up
            now_ms = _last_ms
            _last_random += 1
        else:
            _last_random = int.from_bytes(os.urandom(10), "big") >> 1
        _last_ms = now_ms
        return _encode(now_ms, 10) + _encode(_last_random, 16)


def id_time(identifier: str) -> float:
    """The creation time (epoch seconds) encoded in an id."""
    value = 0
    for char in identifier[:10]:
        value = value * 32 + _ALPHABET.index(char)
    return value / 1000.0


def now() -> float:
    """Event time: epoch seconds rounded to microseconds (what both back ends store exactly)."""
    return round(time.time(), 6)
