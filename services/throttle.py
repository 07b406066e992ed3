"""Small per-address rate limits for the public pages (django's cache): letter checks and
complaints.

In production point CACHES at a shared cache (Redis/Memcached) so every node counts together;
the default per-process memory cache still limits each process.
"""

import time

from django.conf import settings
from django.core.cache import cache

from kelurahan.access import client_ip


def verification_allowed(request) -> bool:
    limit = settings.VERIFY_RATE_PER_MINUTE
    window = int(time.time() // 60)
    key = f"verify-rate:{client_ip(request)}:{window}"
    cache.add(key, 0, timeout=90)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # evicted between add and incr
        return True


def complaint_allowed(request) -> bool:
    """Reports from one address: at most ``COMPLAINTS_PER_HOUR`` in a clock hour."""
    limit = settings.COMPLAINTS_PER_HOUR
    window = int(time.time() // 3600)
    key = f"complaint-rate:{client_ip(request)}:{window}"
    cache.add(key, 0, timeout=3700)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # evicted between add and incr
        return True
