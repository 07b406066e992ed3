import re
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import DataError
from django.http import HttpResponseBadRequest, HttpResponseNotFound
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


# Control characters (Unicode category Cc): C0, DEL and C1. A path never needs one; PostgreSQL
# refuses NUL in any text value, so one that reached a query was a 500 (SECURITY.md J65).
PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# In query strings and form values tab, LF and CR are text (a multi-line address); the rest
# of C0 and DEL are refused.
VALUE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NOT_FOUND_TEXT = "Halaman tidak ditemukan."
BAD_REQUEST_TEXT = (
    "Permintaan berisi karakter yang tidak diizinkan (karakter kendali, mis. NUL). "
    "Hapus karakter itu, lalu coba lagi."
)


def _has_control(query, pattern: re.Pattern) -> bool:
    return any(
        pattern.search(key) or any(pattern.search(value) for value in values)
        for key, values in query.lists()
    )


class ControlCharactersMiddleware:
    """Refuse control characters before any view, query or log line sees them.

    A path with one → 404 (no page has such an address); a query string or a urlencoded form
    with NUL or another control character except tab/LF/CR → 400. Multipart bodies are not
    parsed here, so uploads stay streamed into the view's form: their text fields are forms'
    CharFields, which refuse NUL (ProhibitNullCharactersValidator), and any NUL that still
    reaches PostgreSQL is answered 400 by process_exception instead of a 500.
    Plain-text answers: the 404 template's context processors need the user, whom no
    middleware has loaded yet at this point.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if PATH_CONTROL.search(request.path_info) or PATH_CONTROL.search(request.path):
            return HttpResponseNotFound(NOT_FOUND_TEXT, content_type="text/plain; charset=utf-8")
        if _has_control(request.GET, VALUE_CONTROL) or (
            request.method == "POST"
            and request.content_type == "application/x-www-form-urlencoded"
            and _has_control(request.POST, VALUE_CONTROL)
        ):
            return self.bad_request()
        return self.get_response(request)

    @staticmethod
    def bad_request():
        return HttpResponseBadRequest(BAD_REQUEST_TEXT, content_type="text/plain; charset=utf-8")

    def process_exception(self, request, exception):
        # psycopg refuses to send a NUL ("PostgreSQL text fields cannot contain NUL (0x00)
        # bytes", a DataError; psycopg2's "A string literal cannot contain NUL", a
        # ValueError): the step's atomic block has rolled back, and the answer is a 400.
        if isinstance(exception, (DataError, ValueError)) and "NUL" in str(exception):
            return self.bad_request()
        return None
