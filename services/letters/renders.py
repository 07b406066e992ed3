"""Keeping track of the PDFs jobs must make, and the reconciliation job that re-queues lost ones.

A render job can be lost: refused by the cluster (a web/cluster ``DJANGO_SECRET_KEY``
mismatch drops every task the web process signed), dropped after its last failed attempt, or
killed with its worker. Each requested PDF therefore has a ``DocumentRender`` row, written
with the request in the step's transaction:

- ``queue_letter_render`` / ``queue_bundle_render``: the row, and the job after commit;
- ``render_claim`` / ``render_release`` / ``render_close``: the render job's lease (at most one
  render in flight per document, a conditional UPDATE on ``started_at``) and its end;
- ``reconcile_renders``: the scheduled job. A row still open ``RENDER_RETRY_MINUTES`` after it
  was last queued, and not being rendered now, is queued again with one event on the case;
  the conditional UPDATE on ``queued_at`` makes two concurrent or catch-up runs queue it once.
  After ``RENDER_MAX_REQUEUES`` re-queues it stops, writes one event and alerts the office's
  supervisors (a notification per person, unique per event key); ``retry_stopped``
  (``manage.py reconcile_renders --retry-stopped``) makes those due again;
- ``unrendered``, ``unrendered_count``, ``health_check``: what the dashboard and ``/healthz``
  show.

May import: ``kelurahan``, ``services.models``, ``services.jobs``, ``services.notifications``.
Not ``services.letters.render`` (it imports us) or ``services.workflow``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from kelurahan.models import Role
from kelurahan.prepared import preparing_cursor
from services import jobs
from services.models import (
    Application,
    ApplicationEvent,
    DocumentRender,
    Letter,
    Notification,
    RenderKind,
)
from services.notifications import notify, staff_by_office

# Rows one run looks at: lost documents are few; a flood waits for the next run.
RECONCILE_BATCH = 200


def _lease_start(now: datetime) -> datetime:
    """A render claimed before this moment is dead: django-q2 kills a task at its timeout."""
    return now - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 10)


def _not_in_flight(now: datetime) -> Q:
    return Q(started_at__isnull=True) | Q(started_at__lt=_lease_start(now))


# --- requests (inside the step's transaction) -------------------------------------------------
def queue_letter_render(letter: Letter) -> None:
    DocumentRender.objects.create(
        kind=RenderKind.LETTER, application_id=letter.application_id, letter=letter
    )
    jobs.enqueue_after_commit(jobs.RENDER_LETTER, letter.pk)


def queue_bundle_render(application: Application) -> None:
    """Once per case: archiving again (after a return) finds the first request."""
    DocumentRender.objects.bulk_create(
        [DocumentRender(kind=RenderKind.BUNDLE, application=application)],
        ignore_conflicts=True,
    )
    jobs.enqueue_after_commit(jobs.RENDER_BUNDLE, application.pk)


# --- the render job's lease -------------------------------------------------------------------
def _rows(*, letter_id: int | None = None, application_id: int | None = None) -> QuerySet:
    if letter_id is not None:
        return DocumentRender.objects.filter(letter_id=letter_id)
    return DocumentRender.objects.filter(application_id=application_id, kind=RenderKind.BUNDLE)


def render_claim(**document) -> datetime | None:
    """Claim the document's render; the claim's time, or None when another render holds it.
    A document requested before rows existed gets one now."""
    now = timezone.now()
    rows = _rows(**document)
    if not rows.exists():
        kind = RenderKind.LETTER if document.get("letter_id") else RenderKind.BUNDLE
        application_id = document.get("application_id") or (
            Letter.objects.values_list("application_id", flat=True).get(pk=document["letter_id"])
        )
        DocumentRender.objects.bulk_create(
            [
                DocumentRender(
                    kind=kind,
                    application_id=application_id,
                    letter_id=document.get("letter_id"),
                )
            ],
            ignore_conflicts=True,
        )
    # The caller found the file missing, which is the truth: a row closed without one reopens.
    claimed = rows.filter(_not_in_flight(now)).update(started_at=now, done_at=None)
    return now if claimed else None


def render_release(claimed_at: datetime, **document) -> None:
    """The render failed: let the next attempt (django-q2's retry, or ours) claim it at once."""
    _rows(**document).filter(started_at=claimed_at).update(started_at=None)


def render_close(**document) -> None:
    """The file is stored (call in the transaction that records its SHA-256)."""
    _rows(**document).filter(done_at__isnull=True).update(done_at=timezone.now(), started_at=None)


# --- the reconciliation job -------------------------------------------------------------------
def _what(render: DocumentRender) -> str:
    if render.kind == RenderKind.LETTER:
        return f"PDF surat {render.letter.number}"
    return "Berkas arsip (PDF)"


def _is_rendered(render: DocumentRender) -> bool:
    if render.kind == RenderKind.LETTER:
        return bool(render.letter.sha256)
    return bool(render.application.bundle_sha256)


def _event(render: DocumentRender, transition: str, note: str) -> None:
    state = render.application.state
    ApplicationEvent.objects.create(
        application=render.application,
        by=None,
        transition=transition,
        source=state,
        target=state,
        note=note,
    )


def _requeue(render: DocumentRender, now: datetime, still_lost: Q) -> bool:
    claimed = DocumentRender.objects.filter(still_lost, pk=render.pk).update(
        queued_at=now, requeues=F("requeues") + 1
    )
    if not claimed:
        return False
    minutes = settings.RENDER_RETRY_MINUTES
    attempt = render.requeues + 1
    _event(
        render,
        "render_requeue",
        f"{_what(render)} belum jadi {minutes} menit setelah diantrekan; dibuat ulang "
        f"(ke-{attempt} dari {settings.RENDER_MAX_REQUEUES}).",
    )
    if render.kind == RenderKind.LETTER:
        jobs.enqueue_after_commit(jobs.RENDER_LETTER, render.letter_id)
    else:
        jobs.enqueue_after_commit(jobs.RENDER_BUNDLE, render.application_id)
    return True


def _give_up(render: DocumentRender, now: datetime, still_lost: Q) -> bool:
    if not DocumentRender.objects.filter(still_lost, pk=render.pk).update(gave_up_at=now):
        return False
    application = render.application
    _event(
        render,
        "render_gave_up",
        f"{_what(render)} tetap belum jadi setelah dibuat ulang {render.requeues} kali; "
        "pembuatan dihentikan dan supervisor diberi tahu. Periksa tugas latar (qcluster).",
    )
    supervisors = staff_by_office([application.office_id])[application.office_id][Role.SUPERVISOR]
    notify(
        Notification(
            recipient_id=user_id,
            key=f"render_gave_up:{render.pk}:{render.requeues}",
            kind="render_failed",
            application=application,
            message=f"{application.code}: {_what(render)} gagal dibuat. Serah terima tertahan.",
            url=f"/permohonan/{application.code}/",
        )
        for user_id in supervisors
    )
    return True


def reconcile_renders(now: datetime | None = None) -> int:
    """Re-queue the PDFs lost on their way; the number re-queued or given up this run.

    Safe to run twice, concurrently, or many times in a row after downtime (``catch_up``):
    each step is a conditional UPDATE on the row as it was read, so only one run acts on it,
    and a re-queued row is not due again for ``RENDER_RETRY_MINUTES``.
    """
    now = now or timezone.now()
    due = Q(
        done_at__isnull=True,
        gave_up_at__isnull=True,
        queued_at__lt=now - timedelta(minutes=settings.RENDER_RETRY_MINUTES),
    ) & _not_in_flight(now)
    lost = list(
        DocumentRender.objects.filter(due)
        .select_related("application", "letter")
        .order_by("queued_at", "id")[:RECONCILE_BATCH]
    )
    acted = 0
    for render in lost:
        # The row as read: if another run (or a render) changed it since, we do nothing.
        still_lost = due & Q(queued_at=render.queued_at, requeues=render.requeues)
        with transaction.atomic():
            if _is_rendered(render):
                # Rendered before rows existed or before its job closed it: just close it.
                DocumentRender.objects.filter(pk=render.pk).update(done_at=now, started_at=None)
            elif render.requeues >= settings.RENDER_MAX_REQUEUES:
                acted += _give_up(render, now, still_lost)
            else:
                acted += _requeue(render, now, still_lost)
    return acted


def retry_stopped(now: datetime | None = None) -> int:
    """The documents the job gave up on are due again now, with a fresh count of re-queues
    (``manage.py reconcile_renders --retry-stopped``, once the job cluster is fixed)."""
    now = now or timezone.now()
    return DocumentRender.objects.filter(done_at__isnull=True, gave_up_at__isnull=False).update(
        gave_up_at=None,
        requeues=0,
        queued_at=now - timedelta(minutes=settings.RENDER_RETRY_MINUTES + 1),
    )


# --- reads ------------------------------------------------------------------------------------
def _late(now: datetime) -> Q:
    """Open and asked for longer ago than a render should ever take."""
    return Q(
        done_at__isnull=True,
        requested_at__lt=now - timedelta(minutes=settings.RENDER_RETRY_MINUTES),
    )


# An office's late renders (the dashboard's count, on every visit): EXISTS, not a join, so the
# few late renders are found first (render_open), each case looked up by its key, instead of
# walking every case the office ever had. SQL of a fixed text, prepared on PostgreSQL (the ORM
# took longer to build it than the database to answer).
UNRENDERED_SQL = """
SELECT COUNT(*) FROM services_documentrender r
WHERE r.done_at IS NULL AND r.requested_at < %(before)s
 AND EXISTS (SELECT 1 FROM services_application a
             WHERE a.id = r.application_id AND a.office_id = %(office)s)
"""


def unrendered_count(now: datetime, office=None) -> int:
    """Documents still without their file N minutes after they were asked for (one query)."""
    if office is None:
        return DocumentRender.objects.filter(_late(now)).count()
    before = now - timedelta(minutes=settings.RENDER_RETRY_MINUTES)
    params = {"before": connection.ops.adapt_datetimefield_value(before), "office": office.pk}
    with preparing_cursor(connection) as cursor:
        cursor.execute(UNRENDERED_SQL, params)
        return cursor.fetchone()[0]


def unrendered(office, now: datetime) -> QuerySet:
    """The dashboard's list of those documents, oldest first, with their case and letter."""
    return (
        DocumentRender.objects.filter(_late(now), application__office=office)
        .select_related("application__service", "letter")
        .order_by("requested_at", "id")
    )


def health_check(now: datetime) -> dict:
    """``/healthz``'s entry (registered in ServicesConfig.ready): one count, no case named."""
    late = unrendered_count(now)
    return {"unrendered": late, "ok": late <= settings.HEALTH_MAX_UNRENDERED}
