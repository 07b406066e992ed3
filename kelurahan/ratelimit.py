"""The one rate-limit mechanism of the portal: counters and locks in Django's cache.

Every limit (the login POST, the public pages and forms, the lacak lookup, the staff's case
views) goes through these functions, keyed by ``kelurahan.access.client_ip`` (an address) or
a user id / username. Two primitives:

- ``hit(name, key, limit=, window=)``: count this request in a fixed window of ``window``
  seconds (a clock minute, a clock hour); False once the window's count passes ``limit``.
- ``record_failure(name, key, limit=, seconds=)`` and ``locked_until(name, key)``: count only
  what went wrong (a wrong password, a wrong lookup answer); the ``limit``-th failure within
  ``seconds`` locks the key for ``seconds`` from then.

The counters live in ``CACHES["default"]``. Django's default is a per-process memory cache:
each gunicorn worker (and each node) then counts on its own, so a limit of N lets
N × workers through. Production with several workers or nodes points the cache at a shared
server (``DJANGO_CACHE_URL``, see README "Di belakang proxy"); ``cache.add`` + ``cache.incr``
are atomic there, so every node counts together.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from django.core.cache import cache
from django.shortcuts import render


def _key(name: str, key: str) -> str:
    # Hashed: anything a visitor types (a username, a code) becomes a safe cache key of fixed
    # length, and no address or username is stored in the clear.
    return f"rl:{name}:" + hashlib.sha256(str(key).encode()).hexdigest()[:32]


def _incr(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def window_of(window: int, now: float | None = None) -> int:
    """The number of the fixed window ``now`` falls in (the same on every node)."""
    return int((time.time() if now is None else now) // window)


def window_end(window: int) -> datetime:
    return datetime.fromtimestamp((window_of(window) + 1) * window, UTC)


def hit(name: str, key: str, *, limit: int, window: int) -> bool:
    """Count one request of ``key``; True while the window's count is within ``limit``."""
    return count(name, key, window=window) <= limit


def count(name: str, key: str, *, window: int) -> int:
    """Count one request of ``key`` and return the window's count so far."""
    return _incr(f"{_key(name, key)}:{window_of(window)}", timeout=window + 60)


def peek(name: str, key: str, *, window: int) -> int:
    """The window's count so far, without counting."""
    return int(cache.get(f"{_key(name, key)}:{window_of(window)}") or 0)


def seen_first_time(name: str, key: str, item: str, *, window: int) -> bool:
    """True the first time ``item`` is seen for ``key`` in this window (e.g. a case code)."""
    slot = f"{_key(name, key)}:{window_of(window)}:{_key('item', item)}"
    return cache.add(slot, 1, timeout=window + 60)


def once_per_window(name: str, key: str, *, window: int) -> bool:
    """True for the first caller in this window only (an alert sent once)."""
    return cache.add(f"{_key(name, key)}:{window_of(window)}:once", 1, timeout=window + 60)


def locked_until(name: str, key: str) -> datetime | None:
    until = cache.get(_key(name, key) + ":lock")
    if until is None or until <= time.time():
        return None
    return datetime.fromtimestamp(until, UTC)


def record_failure(name: str, key: str, *, limit: int, seconds: int) -> tuple[int, datetime | None]:
    """One more failure; (failures left, the lock's end when this one locked the key)."""
    counter = _key(name, key)
    failures = _incr(counter, timeout=seconds)
    if failures < limit:
        return limit - failures, None
    until = time.time() + seconds
    cache.set(counter + ":lock", until, timeout=seconds)
    cache.delete(counter)
    return 0, datetime.fromtimestamp(until, UTC)


def forget_failures(name: str, key: str) -> None:
    cache.delete(_key(name, key))


def too_many_requests(request, message: str, *, retry_after: int, template: str = "throttled.html"):
    """The 429 page: what happened and when to try again, in Indonesian."""
    response = render(request, template, {"message": message}, status=429)
    response["Retry-After"] = str(max(1, int(retry_after)))
    return response


def seconds_until(when: datetime) -> int:
    return max(1, int(when.timestamp() - time.time()) + 1)
