"""The SLA sweep: record each milestone that passed its deadline, once, and tell people.

Cases (``SlaBreach``) and complaints (``ComplaintBreach``: verify and answer deadlines of
``services.complaints``) alike; officers are told, supervisors get the escalation.

Set-based: it claims the time window since its last run and looks only at deadlines that
fell inside it (partial indexes on each due column). Breaches and notifications are written
with INSERT ... SELECT, so the sweep's number of queries is constant and its cost follows the
number of newly passed deadlines, not the size of the table.

One sweep at a time, however many job clusters and nodes run: on PostgreSQL the sweep's
transaction first tries a transaction-level advisory lock (``pg_try_advisory_xact_lock``) and
returns at once, logging that it skipped, when another sweep holds it. The database itself is
the one thing every node shares whatever the cache, the lock needs no row (the first run
creates the ``SweepState`` row), it never waits, and PostgreSQL releases it at commit, at
rollback (an exception) and when the connection drops (a worker killed mid-sweep), so there is
no expiry to guess. A cache lock (``cache.add`` with a timeout) would be per process without
Redis, outlive a crash until it expired, and let a second sweep in if one ran past it. On
SQLite (one machine only) the IMMEDIATE transaction's write lock already serialises sweeps;
the window claim then leaves the later one nothing it has not seen, or only the new minutes.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from kelurahan.models import Role
from services import jobs
from services.models import (
    Application,
    ApplicationState,
    Complaint,
    ComplaintBreach,
    ComplaintMilestone,
    ComplaintState,
    Milestone,
    Notification,
    SlaBreach,
    SweepState,
)
from services.sla.bulk import insert_from_select

logger = logging.getLogger(__name__)
S = ApplicationState
SWEEP = "sla"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# The advisory lock's key (any bigint; namespaced by this fixed value, "SLA" in ASCII + 1).
SWEEP_LOCK_KEY = 0x534C4101
NOTIFICATION_COLUMNS = ["recipient", "key", "kind", "application", "message", "url", "created_at"]

# milestone: (due field, reached-at field, states in which the milestone is still awaited
# with the clock running — `incomplete` stops the clock).
MILESTONES = {
    Milestone.ARCHIVE: ("archive_due", "archived_at", [S.RECEIVED]),
    Milestone.VERIFY: ("verify_due", "verified_at", [S.RECEIVED, S.ARCHIVED, S.IN_VERIFICATION]),
    Milestone.ISSUE: (
        "issue_due",
        "issued_at",
        [S.RECEIVED, S.ARCHIVED, S.IN_VERIFICATION, S.VERIFIED],
    ),
}
MILESTONE_TEXT = {
    Milestone.ARCHIVE: "belum diarsipkan (hari 1)",
    Milestone.VERIFY: "belum diverifikasi RT (hari 2)",
    Milestone.ISSUE: "suratnya belum terbit (hari 3)",
}


def _text(*parts) -> Concat:
    return Concat(*parts, output_field=models.CharField())


def _as_text(field: str) -> Cast:
    return Cast(field, output_field=models.CharField())


def _take_sweep_lock() -> bool:
    """In the sweep's transaction: False when another sweep holds the lock (PostgreSQL);
    elsewhere the transaction's own write lock serialises sweeps, so always True."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _claim_window(now: datetime) -> datetime | None:
    """Take (since, now] for this run; None when another run already took it."""
    state, _ = SweepState.objects.get_or_create(name=SWEEP, defaults={"swept_until": EPOCH})
    since = state.swept_until
    if now <= since:
        return None
    claimed = SweepState.objects.filter(name=SWEEP, swept_until=since).update(swept_until=now)
    return since if claimed else None


def _record_breaches(
    since: datetime, now: datetime, application_ids: list[int] | None = None
) -> int:
    recorded = 0
    for milestone, (due_field, reached_field, waiting) in MILESTONES.items():
        newly_due = Application.objects.filter(
            is_open=True, **{f"{due_field}__gt": since, f"{due_field}__lte": now}
        )
        if application_ids is not None:
            newly_due = newly_due.filter(pk__in=application_ids)
        newly_due = newly_due.filter(
            Q(state__in=waiting) | Q(**{f"{reached_field}__gt": F(due_field)})
        ).annotate(
            application=F("pk"),
            breach_office=F("office_id"),
            breach_rt=F("rt_id"),
            milestone=Value(milestone.value),
            due=F(due_field),
            detected=Value(now, output_field=models.DateTimeField()),
        )
        recorded += insert_from_select(
            SlaBreach,
            ["application", "office", "rt", "milestone", "due", "detected"],
            newly_due,
            select=["application", "breach_office", "breach_rt", "milestone", "due", "detected"],
        )
    return recorded


def record_moved_breaches(application_ids: list[int], now: datetime | None = None) -> int:
    """Deadlines that moved earlier, behind the window the sweep already looked at (a closed
    day removed after the fact), would never be seen: record those breaches now, once, and
    tell people as the sweep does."""
    now = now or timezone.now()
    state = SweepState.objects.filter(name=SWEEP).first()
    if state is None or not application_ids:
        return 0
    recorded = _record_breaches(EPOCH, min(state.swept_until, now), application_ids)
    if recorded:
        _notify_breaches(min(state.swept_until, now))
        jobs.enqueue_after_commit(jobs.SEND_NOTIFICATION_EMAILS)
    return recorded


def _notify_breaches(now: datetime) -> int:
    """Officers of the office hear of each new breach; its supervisors get the escalation."""
    members = "application__office__members"
    is_supervisor = Q(**{f"{members}__role": Role.SUPERVISOR})
    milestone_text = Case(
        *(When(milestone=m, then=Value(text)) for m, text in MILESTONE_TEXT.items()),
        output_field=models.CharField(),
    )
    rows = SlaBreach.objects.filter(
        detected=now,
        **{f"{members}__role__in": [Role.OFFICER, Role.SUPERVISOR]},
        **{f"{members}__user__is_active": True},
    ).annotate(
        recipient=F(f"{members}__user_id"),
        key=_text(Value("breach:"), "milestone", Value(":"), _as_text("application_id")),
        kind=Case(When(is_supervisor, then=Value("escalation")), default=Value("breach")),
        application_ref=F("application_id"),
        message=_text(
            Case(When(is_supervisor, then=Value("Eskalasi: ")), default=Value("")),
            "application__code",
            Value(" terlambat: "),
            milestone_text,
            Value("."),
        ),
        url=_text(Value("/permohonan/"), "application__code", Value("/")),
        created_at=Value(now, output_field=models.DateTimeField()),
    )
    # SlaBreach has its own `application` field, hence the alias for that column.
    return insert_from_select(
        Notification,
        NOTIFICATION_COLUMNS,
        rows,
        select=[*NOTIFICATION_COLUMNS[:3], "application_ref", *NOTIFICATION_COLUMNS[4:]],
    )


def _remind_rt_chairs(since: datetime, now: datetime) -> int:
    """Remind the RT chair once, a few working hours before verify_due.

    verify_due is always at office close and the lead is shorter than an office day, so
    "N working hours before" is simply N hours before.
    """
    lead = timedelta(hours=settings.SLA_RT_REMINDER_HOURS)
    rows = Application.objects.filter(
        is_open=True,
        state=S.IN_VERIFICATION,
        verify_due__gt=since + lead,
        verify_due__lte=now + lead,
        rt__chair__isnull=False,
    ).annotate(
        recipient=F("rt__chair_id"),
        key=_text(Value("rt_reminder:"), _as_text("pk")),
        kind=Value("rt_reminder"),
        application=F("pk"),
        message=_text(
            Value("Pengingat: verifikasi "),
            "applicant_name",
            Value(" ("),
            "code",
            Value(") ditunggu hari ini sebelum kantor tutup."),
        ),
        url=Value("/rt/"),
        created_at=Value(now, output_field=models.DateTimeField()),
    )
    return insert_from_select(Notification, NOTIFICATION_COLUMNS, rows)


def _tell_rt_chairs_overdue(since: datetime, now: datetime) -> int:
    """The chair hears once that their own deadline (verify_due) passed on a case still
    waiting for them; the key makes a re-run or a catch-up write nothing twice."""
    rows = Application.objects.filter(
        is_open=True,
        state=S.IN_VERIFICATION,
        verify_due__gt=since,
        verify_due__lte=now,
        rt__chair__isnull=False,
    ).annotate(
        recipient=F("rt__chair_id"),
        key=_text(Value("rt_overdue:"), _as_text("pk")),
        kind=Value("rt_overdue"),
        application=F("pk"),
        message=_text(
            Value("Batas waktu verifikasi "),
            "applicant_name",
            Value(" ("),
            "code",
            Value(") sudah lewat. Mohon segera diputuskan."),
        ),
        url=Value("/rt/"),
        created_at=Value(now, output_field=models.DateTimeField()),
    )
    return insert_from_select(Notification, NOTIFICATION_COLUMNS, rows)


# Complaints (services.complaints): milestone -> (due field, reached-at field, the state in
# which it is still awaited).
COMPLAINT_MILESTONES = {
    ComplaintMilestone.VERIFY: ("verify_due", "verified_at", ComplaintState.RECEIVED),
    ComplaintMilestone.ANSWER: ("answer_due", "answered_at", ComplaintState.VERIFIED),
}
COMPLAINT_MILESTONE_TEXT = {
    ComplaintMilestone.VERIFY: "belum diverifikasi",
    ComplaintMilestone.ANSWER: "belum dijawab",
}


def _record_complaint_breaches(since: datetime, now: datetime) -> int:
    """Each complaint deadline that passed in (since, now] with its step not taken in time,
    once (the unique constraint skips a re-run's rows)."""
    recorded = 0
    for milestone, (due_field, reached_field, waiting) in COMPLAINT_MILESTONES.items():
        newly_due = (
            Complaint.objects.filter(**{f"{due_field}__gt": since, f"{due_field}__lte": now})
            .filter(Q(state=waiting) | Q(**{f"{reached_field}__gt": F(due_field)}))
            .annotate(
                complaint=F("pk"),
                milestone=Value(milestone.value),
                due=F(due_field),
                detected=Value(now, output_field=models.DateTimeField()),
            )
        )
        recorded += insert_from_select(
            ComplaintBreach, ["complaint", "milestone", "due", "detected"], newly_due
        )
    return recorded


def _notify_complaint_breaches(now: datetime) -> int:
    """As for cases: the office's officers hear of it, its supervisors get the escalation."""
    members = "complaint__office__members"
    is_supervisor = Q(**{f"{members}__role": Role.SUPERVISOR})
    milestone_text = Case(
        *(When(milestone=m, then=Value(text)) for m, text in COMPLAINT_MILESTONE_TEXT.items()),
        output_field=models.CharField(),
    )
    rows = ComplaintBreach.objects.filter(
        detected=now,
        **{f"{members}__role__in": [Role.OFFICER, Role.SUPERVISOR]},
        **{f"{members}__user__is_active": True},
    ).annotate(
        recipient=F(f"{members}__user_id"),
        key=_text(Value("complaint:"), "milestone", Value(":"), _as_text("complaint_id")),
        kind=Case(When(is_supervisor, then=Value("escalation")), default=Value("breach")),
        application=Cast(Value(None), output_field=models.BigIntegerField()),
        message=_text(
            Case(When(is_supervisor, then=Value("Eskalasi: ")), default=Value("")),
            Value("pengaduan "),
            "complaint__code",
            Value(" terlambat: "),
            milestone_text,
            Value("."),
        ),
        url=_text(Value("/pengaduan/kelola/"), "complaint__code", Value("/")),
        created_at=Value(now, output_field=models.DateTimeField()),
    )
    return insert_from_select(Notification, NOTIFICATION_COLUMNS, rows)


def sla_sweep(now: datetime | None = None) -> int:
    """Record new breaches since the last run; returns how many were recorded."""
    now = now or timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        if not _take_sweep_lock():
            logger.info("sla sweep: skipped, another sweep is running", extra={"skipped": True})
            return 0
        since = _claim_window(now)
        if since is None:
            return 0
        recorded = _record_breaches(since, now)
        notified = _remind_rt_chairs(since, now)
        notified += _tell_rt_chairs_overdue(since, now)
        if recorded:
            notified += _notify_breaches(now)
        complaint_breaches = _record_complaint_breaches(since, now)
        if complaint_breaches:
            notified += _notify_complaint_breaches(now)
        recorded += complaint_breaches
        if notified:
            jobs.enqueue_after_commit(jobs.SEND_NOTIFICATION_EMAILS)
    # The whole sweep is one transaction: this is how long it held the write lock.
    logger.info(
        "sla sweep: %d breaches, %d notifications, transaction %.1f ms",
        recorded,
        notified,
        (time.perf_counter() - started) * 1000,
        extra={"transaction_ms": (time.perf_counter() - started) * 1000},
    )
    return recorded
