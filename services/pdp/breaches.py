"""The breach register's clock (UU PDP Pasal 46): notify within 3 × 24 hours of discovery.

``breach_sweep(now)`` warns the supervisors (of the breach's office, or of every office for a
portal-wide breach) and the superusers once when a day is left and once when the deadline has
passed, for each breach whose subjects or agency have not been notified yet. Clock hours:
weekends and holidays count, unlike the service SLA. Each alert is claimed with a conditional
UPDATE and the bell's notifications are unique per event, so running twice sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kelurahan.models import Membership, Role
from services.models import DataBreach, Notification
from services.notifications.inbox import notify

WARN_BEFORE = timedelta(hours=24)


def _recipients(breach: DataBreach) -> list[int]:
    supervisors = Membership.objects.filter(role=Role.SUPERVISOR, user__is_active=True)
    if breach.office_id:
        supervisors = supervisors.filter(office_id=breach.office_id)
    ids = set(supervisors.values_list("user_id", flat=True))
    ids |= set(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .values_list("pk", flat=True)
    )
    return sorted(ids)


def breach_sweep(now: datetime | None = None) -> int:
    """Send the due alerts; returns the number of notifications written."""
    now = now or timezone.now()
    pending = DataBreach.objects.filter(
        Q(subjects_notified_at__isnull=True) | Q(agency_notified_at__isnull=True)
    )
    sent = 0
    for mark, when, text in (
        ("warned_at", Q(notify_due__lte=now + WARN_BEFORE), "tinggal kurang dari 24 jam"),
        ("overdue_at", Q(notify_due__lte=now), "sudah lewat batas 3 × 24 jam"),
    ):
        for breach in pending.filter(when, **{f"{mark}__isnull": True}).select_related("office"):
            with transaction.atomic():
                claimed = DataBreach.objects.filter(
                    pk=breach.pk, **{f"{mark}__isnull": True}
                ).update(**{mark: now})
                if not claimed:
                    continue
                due = timezone.localtime(breach.notify_due)
                message = (
                    f'Kebocoran data "{breach.title[:80]}": pemberitahuan kepada subjek data dan '
                    f"lembaga PDP {text} (batas {due:%d-%m-%Y %H:%M})."
                )
                sent += notify(
                    Notification(
                        recipient_id=user_id,
                        key=f"breach-pdp:{mark}:{breach.pk}",
                        kind="pdp_breach",
                        message=message[:300],
                        url=f"/admin/services/databreach/{breach.pk}/change/",
                    )
                    for user_id in _recipients(breach)
                )
    return sent
