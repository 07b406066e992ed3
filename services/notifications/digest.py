"""The morning digest: what is due today and overdue, per office, to its officers (cases, and
in a line of its own the complaints: ``complaint_digest``)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from kelurahan.models import Role
from services.models import Application, Complaint, Notification
from services.notifications.inbox import notify, staff_by_office


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
    return notify(rows) + complaint_digest(now)


def complaint_digest(now=None) -> int:
    """The same morning, the office's complaints still to verify or answer: due today and
    overdue (one notification per person and day, whatever the number of runs)."""
    now = timezone.localtime(now)
    end_of_day = now.replace(hour=23, minute=59, second=59)
    counts = (
        Complaint.objects.filter(is_open=True)
        .values("office_id")
        .annotate(
            overdue=Count("id", filter=Q(queue_due__lt=now)),
            due_today=Count("id", filter=Q(queue_due__gte=now, queue_due__lte=end_of_day)),
        )
    )
    per_office = {row["office_id"]: row for row in counts if row["overdue"] or row["due_today"]}
    staff = staff_by_office(per_office)
    rows = [
        Notification(
            recipient_id=user_id,
            key=f"digest-complaints:{now:%Y-%m-%d}",
            kind="digest",
            message=(
                f"Pengaduan hari ini: {row['due_today']} jatuh tempo, "
                f"{row['overdue']} sudah terlambat."
            ),
            url="/pengaduan/kelola/",
        )
        for office_id, row in per_office.items()
        for user_id in staff[office_id][Role.OFFICER] + staff[office_id][Role.SUPERVISOR]
    ]
    return notify(rows)
