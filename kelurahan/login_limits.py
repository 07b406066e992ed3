"""Login limits beside django-axes, checked before any password is hashed.

django-axes locks one username from one address (``AXES_LOCKOUT_PARAMETERS =
[["username", "ip_address"]]``): one officer's typos never lock the colleagues behind the same
office NAT. Its limit is the same for every parameter combination it is given, so the wider
limits live here, on the shared mechanism (``kelurahan.ratelimit``):

- per address: ``LOGIN_RATE_PER_MINUTE`` login POSTs a minute, and ``LOGIN_ADDRESS_FAILURES``
  failures (whatever the usernames) lock the address for ``LOGIN_ADDRESS_LOCK_MINUTES``;
- per username, from any address: ``LOGIN_USERNAME_FAILURES`` failures lock it for
  ``LOGIN_USERNAME_LOCK_MINUTES``.

``LoginLimitMiddleware`` answers 429 in ``process_view``, before the view runs the
authentication backends (and so before PBKDF2); ``count_failure`` (on ``user_login_failed``)
counts what went wrong.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from kelurahan import ratelimit
from kelurahan.access import client_ip

log = logging.getLogger(__name__)

POSTS, ADDRESS, USERNAME = "login-post", "login-addr", "login-user"


def _username(value) -> str:
    return str(value or "").strip().lower()[:150]


def _clock(when) -> str:
    return f"{timezone.localtime(when):%H.%M} WIB"


def refusal(request) -> tuple[str, int] | None:
    """(Indonesian message, seconds to wait) when this login POST is refused, else None."""
    address = client_ip(request) or "unknown"
    until = ratelimit.locked_until(ADDRESS, address)
    if until is not None:
        return (
            "Terlalu banyak percobaan masuk yang gagal dari jaringan ini. Demi keamanan, masuk "
            f"dari jaringan ini ditutup sampai pukul {_clock(until)}. Hubungi admin kelurahan "
            "bila Anda perlu masuk sekarang.",
            ratelimit.seconds_until(until),
        )
    username = _username(request.POST.get("username"))
    until = ratelimit.locked_until(USERNAME, username) if username else None
    if until is not None:
        return (
            "Terlalu banyak percobaan masuk yang gagal untuk nama pengguna ini. Demi keamanan, "
            f"akun ini dikunci sampai pukul {_clock(until)}. Hubungi admin kelurahan bila "
            "Anda perlu masuk sekarang.",
            ratelimit.seconds_until(until),
        )
    if not ratelimit.hit(POSTS, address, limit=settings.LOGIN_RATE_PER_MINUTE, window=60):
        return (
            "Terlalu banyak percobaan masuk dari jaringan ini dalam satu menit. Tunggu sebentar "
            "lalu coba lagi.",
            ratelimit.seconds_until(ratelimit.window_end(60)),
        )
    return None


class LoginLimitMiddleware:
    """429 for a login POST over its address's or username's limit, before authentication."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "POST" or match is None:
            return None
        if match.view_name not in settings.LOGIN_THROTTLED_VIEWS:
            return None
        refused = refusal(request)
        if refused is None:
            return None
        message, retry_after = refused
        log.warning("login refused by rate limit from %s", client_ip(request))
        return ratelimit.too_many_requests(request, message, retry_after=retry_after)


def count_failure(sender, credentials, request=None, **kwargs) -> None:
    """A failed login (``user_login_failed``): one more for its address and its username."""
    if request is None:
        return
    address = client_ip(request) or "unknown"
    ratelimit.record_failure(
        ADDRESS,
        address,
        limit=settings.LOGIN_ADDRESS_FAILURES,
        seconds=60 * settings.LOGIN_ADDRESS_LOCK_MINUTES,
    )
    username = _username(credentials.get("username"))
    if username:
        ratelimit.record_failure(
            USERNAME,
            username,
            limit=settings.LOGIN_USERNAME_FAILURES,
            seconds=60 * settings.LOGIN_USERNAME_LOCK_MINUTES,
        )
