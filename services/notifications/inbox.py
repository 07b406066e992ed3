"""The bell: storing notifications once per event, who gets them, unread counts.

Notifications are created in bulk and are unique per (recipient, event key), so a job that
runs twice (or catches up after downtime) never notifies twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kelurahan.models import Membership, Role
from services import jobs
from services.models import Notification


def notify(notifications: Iterable[Notification]) -> int:
    """Store new notifications (existing keys are skipped) and queue their emails."""
    rows = list(notifications)
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    jobs.enqueue_after_commit(jobs.SEND_NOTIFICATION_EMAILS)
    return len(rows)


def staff_by_office(office_ids: Iterable[int]) -> dict[int, dict[str, list[int]]]:
    """User ids of officers and supervisors per office, in one query."""
    staff: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for user_id, office_id, role in Membership.objects.filter(
        office_id__in=set(office_ids),
        role__in=[Role.OFFICER, Role.SUPERVISOR],
        user__is_active=True,
    ).values_list("user_id", "office_id", "role"):
        staff[office_id][role].append(user_id)
    return staff


UNREAD_COLUMN = "portal_unread_notifications"


def unread_count(user) -> int:
    """The bell's figure: read with the user of the request when the auth backend did
    (``unread_count_column``, registered in ServicesConfig.ready()), else one query."""
    counted = getattr(user, UNREAD_COLUMN, None)
    if counted is not None:
        return counted
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def unread_count_column():
    """The member's unread count as a column of the user's query (kelurahan.backends)."""
    unread = (
        Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread), 0)


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
