"""In-app notifications for staff, emailed when the person has an address.

Notifications are created in bulk and are unique per (recipient, event key), so a job that
runs twice (or catches up after downtime) never notifies twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.mail import send_mail
from django.db.models import Count, Q
from django.utils import timezone

from kelurahan.models import Membership, Role
from services.models import Application, ApplicationState, Notification
from services.tasks import enqueue_after_commit

S = ApplicationState


def notify(notifications: Iterable[Notification]) -> int:
    """Store new notifications (existing keys are skipped) and queue their emails."""
    rows = list(notifications)
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    enqueue_after_commit("services.tasks.send_notification_emails_task")
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


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def send_pending_emails() -> int:
    """Email each notification not yet emailed to someone with an address; claim, then send."""
    sent = 0
    pending = Notification.objects.filter(emailed_at__isnull=True).exclude(recipient__email="")
    for note in pending.select_related("recipient")[:500]:
        claimed = Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue  # another worker has it
        send_mail(
            subject=f"[Layanan Kelurahan] {note.message[:60]}",
            message=f"{note.message}\n\n{note.url}",
            from_email=None,
            recipient_list=[note.recipient.email],
        )
        sent += 1
    return sent


def morning_digest(now=None) -> int:
    """07:00 WIB: tell each officer what is due today and what is overdue in their office."""
    now = timezone.localtime(now)
    end_of_day = now.replace(hour=23, minute=59, second=59)
    counts = (
        Application.objects.filter(is_open=True)
        .values("office_id")
        .annotate(
            overdue=Count("id", filter=Q(queue_due__lt=now)),
            due_today=Count("id", filter=Q(queue_due__gte=now, queue_due__lte=end_of_day)),
        )
    )
    per_office = {row["office_id"]: row for row in counts}
    staff = staff_by_office(per_office)
    key = f"digest:{now:%Y-%m-%d}"
    rows = []
    for office_id, row in per_office.items():
        if not (row["overdue"] or row["due_today"]):
            continue
        message = (
            f"Hari ini: {row['due_today']} permohonan jatuh tempo, "
            f"{row['overdue']} sudah terlambat."
        )
        for user_id in staff[office_id][Role.OFFICER] + staff[office_id][Role.SUPERVISOR]:
            rows.append(
                Notification(
                    recipient_id=user_id,
                    key=key,
                    kind="digest",
                    message=message,
                    url="/permohonan/",
                )
            )
    return notify(rows)
