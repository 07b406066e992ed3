"""The supervisor's dashboard: the SLA in a handful of aggregate queries."""

from __future__ import annotations

from django.db.models import Count, Min, Q
from django.utils import timezone

from services.models import Application, Milestone, SlaBreach


def dashboard_numbers(office, now) -> dict:
    """The supervisor's view of the SLA in a handful of aggregate queries."""
    local = timezone.localtime(now)
    day_end = local.replace(hour=23, minute=59, second=59, microsecond=0)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    open_cases = Application.objects.filter(office=office, is_open=True)
    # Overdue per state and due later today, in one query on the open cases' deadline index.
    by_state = list(
        open_cases.filter(queue_due__lte=day_end)
        .values("state")
        .annotate(
            overdue=Count("id", filter=Q(queue_due__lt=now)),
            today=Count("id", filter=Q(queue_due__gte=now)),
        )
    )
    overdue_by_state = {row["state"]: row["overdue"] for row in by_state if row["overdue"]}
    waiting_rt = list(
        open_cases.filter(state="in_verification")
        .values("rt__number", "rt__rw__number", "rt__chair__first_name", "rt__chair__last_name")
        .annotate(n=Count("id"), since=Min("sent_to_rt_at"))
        .order_by("since")
    )
    breaches = {
        row["milestone"]: row["n"]
        for row in SlaBreach.objects.filter(office=office, detected__gte=month_start)
        .values("milestone")
        .annotate(n=Count("id"))
    }
    due_fields = {"archive": "archive_due", "verify": "verify_due", "issue": "issue_due"}
    # One query, flat in the office's history: an OR of three (office, month range) terms lets
    # each term use its own (office, <milestone>_due) index (BitmapOr on PostgreSQL, MULTI-INDEX
    # OR on SQLite) instead of walking every case the office ever had. The office must be inside
    # each term: SQLite does not distribute an outer AND over the OR.
    in_month = {
        m: Q(office=office, **{f"{f}__gte": month_start, f"{f}__lte": now})
        for m, f in due_fields.items()
    }
    due_counts = Application.objects.filter(
        in_month["archive"] | in_month["verify"] | in_month["issue"]
    ).aggregate(**{m: Count("id", filter=q) for m, q in in_month.items()})
    breached_due = {
        row["milestone"]: row["n"]
        for row in SlaBreach.objects.filter(office=office, due__gte=month_start, due__lte=now)
        .values("milestone")
        .annotate(n=Count("id"))
    }
    milestones = []
    for milestone in Milestone:
        due = due_counts[milestone.value]
        late = breached_due.get(milestone.value, 0)
        milestones.append(
            {
                "label": milestone.label,
                "due": due,
                "late": late,
                "breaches": breaches.get(milestone.value, 0),
                "share": round(100 * (due - late) / due) if due else None,
            }
        )
    return {
        "due_today": sum(row["today"] for row in by_state),
        "overdue_by_state": overdue_by_state,
        "overdue_total": sum(overdue_by_state.values()),
        "waiting_rt": waiting_rt,
        "milestones": milestones,
        "breaches_this_month": sum(breaches.values()),
        "month_start": month_start,
    }
