"""The services' own limits, on the portal's one mechanism (kelurahan.ratelimit):

- per address, tighter than every public page's limit (kelurahan.middleware): letter checks
  (``VERIFY_RATE_PER_MINUTE``) and complaints filed (``COMPLAINTS_PER_HOUR``);
- per staff user, ``case_view_budget``: distinct cases opened in a clock hour through the case
  and document views (D27, bulk scraping). Over the budget the user gets 429 and the office's
  supervisors one notification per user per hour, with counts only.

Counters are in Django's cache: a shared cache in production (README "Di belakang proxy") so
every node counts together; the default per-process memory cache counts per worker.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.utils import timezone

from kelurahan import ratelimit
from kelurahan.access import client_ip, office_for
from kelurahan.models import Role
from services.models import Notification
from services.notifications import notify, staff_by_office

log = logging.getLogger(__name__)

HOUR = 3600


def verification_allowed(request) -> bool:
    return ratelimit.hit(
        "verify", client_ip(request), limit=settings.VERIFY_RATE_PER_MINUTE, window=60
    )


def complaint_allowed(request) -> bool:
    """Reports from one address: at most ``COMPLAINTS_PER_HOUR`` in a clock hour."""
    return ratelimit.hit(
        "complaint", client_ip(request), limit=settings.COMPLAINTS_PER_HOUR, window=HOUR
    )


def _alert_supervisors(user, opened: int) -> None:
    """One notification per supervisor of the user's office, once per user and hour."""
    office = office_for(user)
    if office is None or not ratelimit.once_per_window("case-alert", user.pk, window=HOUR):
        return
    window = ratelimit.window_of(HOUR)
    until = timezone.localtime(ratelimit.window_end(HOUR))
    who = user.get_full_name() or user.get_username()
    message = (
        f"{who} membuka {opened} permohonan berbeda dalam satu jam (batas "
        f"{settings.CASE_VIEWS_PER_HOUR}). Akses berkasnya ditahan sampai pukul "
        f"{until:%H.%M} WIB. Periksa apakah ini wajar."
    )
    supervisors = staff_by_office([office.pk]).get(office.pk, {}).get(Role.SUPERVISOR, [])
    notify(
        Notification(
            recipient_id=recipient,
            key=f"case-views:{user.pk}:{window}",  # unique per recipient: once per hour
            kind="case_views",
            message=message[:300],
        )
        for recipient in supervisors
        if recipient != user.pk
    )
    log.warning("case view budget exceeded by user %s (%s cases)", user.pk, opened)


def case_view_budget(view):
    """Count the distinct cases a staff user (or an RT chair) opens per hour; 429 over it.

    A case is the view's ``code`` (the RT chair's pages: the request's ``uuid``). Only a case
    not yet opened this hour counts (a case page, its scans and thumbnails, its letter and
    receipt are one case), and a code that answers 404 counts too: probing codes is scraping
    as well. Put it under the role check (``staff_required``), so that a member of no office
    is never counted and the view's own access check still answers 404 outside the office.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        code = str(kwargs.get("code") or kwargs.get("uuid") or "")
        limit = settings.CASE_VIEWS_PER_HOUR
        if ratelimit.seen_first_time("case-seen", user.pk, code, window=HOUR):
            opened = ratelimit.count("case-views", user.pk, window=HOUR)
        else:
            opened = ratelimit.peek("case-views", user.pk, window=HOUR)
        if opened > limit:
            _alert_supervisors(user, opened)
            until = ratelimit.window_end(HOUR)
            return ratelimit.too_many_requests(
                request,
                f"Anda sudah membuka lebih dari {limit} permohonan dalam satu jam. Demi "
                "keamanan data warga, akses berkas ditahan sampai pukul "
                f"{timezone.localtime(until):%H.%M} WIB, dan Lurah/Sekretaris sudah diberi "
                "tahu. Bila pekerjaan Anda memang memerlukannya, minta Lurah menghubungi admin.",
                retry_after=ratelimit.seconds_until(until),
            )
        return view(request, *args, **kwargs)

    return wrapper
