import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control

from kelurahan import ratelimit
from kelurahan.access import client_ip


class NoStoreForStaffPagesMiddleware:
    """Pages seen by a logged-in user may hold personal data: browsers must not keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


class SessionLifetimeMiddleware:
    """Idle expiry, renewed at most once a minute, and an absolute cap (ASVS 7.3.1-7.3.2).

    Saving the session on every request (SESSION_SAVE_EVERY_REQUEST) would cost a database
    write per page view; renewing its expiry once a minute keeps the idle limit to the minute.
    However active, a session ends SESSION_ABSOLUTE_SECONDS after it began.
    """

    STARTED, RENEWED = "_started_at", "_renewed_minute"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(self.STARTED, now)
            if now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, "Sesi Anda sudah 12 jam. Silakan masuk lagi.")
                return redirect_to_login(request.get_full_path())
            if request.session.get(self.RENEWED) != now // 60:
                request.session[self.RENEWED] = now // 60  # saved with a fresh expiry
        return self.get_response(request)


def second_factor_exempt(view):
    """Mark a view an unverified superuser or supervisor may still open (the code pages,
    logout)."""
    view.second_factor_exempt = True
    return view


class SecondFactorMiddleware:
    """Superusers and supervisors reach no page until they gave their TOTP code (B15).

    In process_view, after the CSRF and login checks: the view tells whether it is exempt, and
    pages open to anyone (``login_not_required``) stay open.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from kelurahan.two_factor import confirmed_device, needs_second_factor

        user = getattr(request, "user", None)
        if user is None or not needs_second_factor(user) or user.is_verified():
            return None
        if getattr(view_func, "second_factor_exempt", False):
            return None
        if not getattr(view_func, "login_required", True):
            return None  # public pages (the resident's status, the login itself)
        step = "second_factor" if confirmed_device(user) else "second_factor_setup"
        return redirect_to_login(request.get_full_path(), reverse(step))


class PublicRateLimitMiddleware:
    """Every public page and form (a view marked ``login_not_required``), per address.

    One limit for all of them (``PUBLIC_RATE_PER_MINUTE`` a clock minute, on the shared
    mechanism, kelurahan.ratelimit), so a new public page is covered without doing anything;
    pages with a tighter limit of their own (the letter check, the complaint form, the lookup)
    add it in their view. ``PUBLIC_RATE_EXEMPT`` names the views left out.
    """

    MESSAGE = (
        "Terlalu banyak permintaan dari perangkat atau jaringan ini dalam satu menit. Tunggu "
        "sebentar lalu muat ulang halaman ini."
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "login_required", True):
            return None
        match = request.resolver_match
        if match is None or "admin" in match.namespaces:
            return None
        if match.view_name in settings.PUBLIC_RATE_EXEMPT:
            return None
        address = client_ip(request) or "unknown"
        if ratelimit.hit("public", address, limit=settings.PUBLIC_RATE_PER_MINUTE, window=60):
            return None
        return ratelimit.too_many_requests(
            request, self.MESSAGE, retry_after=ratelimit.seconds_until(ratelimit.window_end(60))
        )
