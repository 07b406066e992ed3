"""The reconciliation job (services.letters.renders): PDFs whose render job was lost are queued
again, once per run window, never while one is being rendered, and not forever.

SECURITY.md J61 (a letter or bundle without its file after N minutes is re-queued), I55 (run
twice or after downtime with catch_up: one re-queue, one event) and I56 (a worker killed
mid-render: the document is rendered again, once).
"""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from services.letters.render import render_bundle, render_letter
from services.letters.renders import reconcile_renders, render_claim, unrendered_count
from services.models import ApplicationEvent, ApplicationState, DocumentRender, Notification
from services.selectors import current_letter
from services.workflow import WorkflowError, application_hand_over
from tests.factories import case_in, log_in

S = ApplicationState


def later(settings, extra_minutes: int = 1):
    return timezone.now() + timedelta(minutes=settings.RENDER_RETRY_MINUTES + extra_minutes)


def sweep(now, *, run_jobs: bool = True) -> int:
    """One run of the scheduled job, its queued renders run (sync) as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=run_jobs):
        return reconcile_renders(now)


def requeue_events(application) -> list[ApplicationEvent]:
    return list(application.events.filter(transition="render_requeue"))


@pytest.fixture
def lost_letter(officer, rt1):
    """An issued case whose render job never ran: no file and nothing in the queue."""
    case = case_in(S.ISSUED, officer=officer, rt=rt1)  # its after-commit jobs are dropped
    letter = current_letter(case)
    render_bundle(case.pk)  # the archive bundle was lost too: make it, to watch the letter only
    assert list(DocumentRender.objects.filter(done_at__isnull=True)) == [letter.renders.get()]
    assert not letter.is_rendered and not OrmQ.objects.exists()
    return letter


@pytest.mark.django_db
def test_j61_a_lost_letter_is_requeued_after_n_minutes_and_rendered(lost_letter, settings):
    case = lost_letter.application
    assert sweep(timezone.now() + timedelta(minutes=settings.RENDER_RETRY_MINUTES - 1)) == 0
    assert not requeue_events(case)

    assert sweep(later(settings)) == 1
    lost_letter.refresh_from_db()
    assert lost_letter.is_rendered and lost_letter.pdf.name
    [event] = requeue_events(case)
    assert lost_letter.number in event.note and event.by is None
    assert DocumentRender.objects.get(letter=lost_letter).done_at is not None

    # A second run adds nothing: no event, no render.
    assert sweep(later(settings, extra_minutes=30)) == 0
    assert len(requeue_events(case)) == 1


@pytest.mark.django_db
def test_j61_a_lost_archive_bundle_is_requeued_and_rendered(officer, rt1, settings):
    case = case_in(S.ARCHIVED, officer=officer, rt=rt1)  # the bundle job dropped
    case.refresh_from_db()
    assert not case.bundle_sha256
    assert sweep(later(settings)) == 1
    case.refresh_from_db()
    assert case.bundle_sha256
    [event] = requeue_events(case)
    assert "Berkas arsip" in event.note


@pytest.mark.django_db
def test_j61_a_document_being_rendered_now_is_not_requeued(lost_letter, settings):
    now = later(settings)
    assert render_claim(letter_id=lost_letter.pk) is not None
    # A worker took it up 30 s before this run (long after it was queued) and is still at it.
    DocumentRender.objects.update(started_at=now - timedelta(seconds=30))
    assert sweep(now) == 0
    assert not requeue_events(lost_letter.application)
    # And a second worker handed the same letter does not render it beside the first.
    assert render_letter(lost_letter.pk) is False
    lost_letter.refresh_from_db()
    assert not lost_letter.is_rendered


@pytest.mark.django_db
def test_i56_a_render_whose_worker_died_is_requeued_once_its_lease_is_over(lost_letter, settings):
    render_claim(letter_id=lost_letter.pk)
    died = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    DocumentRender.objects.filter(letter=lost_letter).update(started_at=died, queued_at=died)
    assert sweep(timezone.now() + timedelta(minutes=settings.RENDER_RETRY_MINUTES)) == 1
    lost_letter.refresh_from_db()
    assert lost_letter.is_rendered
    assert len(requeue_events(lost_letter.application)) == 1


@pytest.mark.django_db
def test_i55_runs_in_a_row_after_downtime_queue_one_render(lost_letter, settings):
    """catch_up replays the missed runs back to back: the first re-queues, the rest see it
    queued a moment ago. The render goes through the real ORM broker: one task in the queue."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    now = later(settings, extra_minutes=60)
    assert [sweep(now), sweep(now), sweep(now + timedelta(seconds=1))] == [1, 0, 0]
    assert OrmQ.objects.count() == 1
    assert "render_letter_task" in str(OrmQ.objects.get().task["func"])
    assert len(requeue_events(lost_letter.application)) == 1


@pytest.mark.django_db
def test_j61_after_k_requeues_it_stops_and_alerts_the_supervisors_once(
    lost_letter, settings, supervisor, officer
):
    settings.RENDER_MAX_REQUEUES = 2
    now = timezone.now()
    runs = []
    for _ in range(5):  # the renders it queues are lost again every time
        now += timedelta(minutes=settings.RENDER_RETRY_MINUTES + 1)
        runs.append(sweep(now, run_jobs=False))
    assert runs == [1, 1, 1, 0, 0]
    case = lost_letter.application
    assert len(requeue_events(case)) == 2
    assert case.events.filter(transition="render_gave_up").count() == 1
    [alert] = Notification.objects.filter(kind="render_failed")
    assert alert.recipient == supervisor and case.code in alert.message
    assert DocumentRender.objects.get(letter=lost_letter).gave_up_at is not None


@pytest.mark.django_db
def test_j61_hand_over_stays_blocked_and_the_dashboard_counts_the_document(
    lost_letter, supervisor, client, settings, django_assert_max_num_queries
):
    case = lost_letter.application
    with pytest.raises(WorkflowError, match="masih dibuat"):
        application_hand_over(application=case, by=supervisor, method="pickup", received_by="Budi")
    assert unrendered_count(later(settings)) == 1
    DocumentRender.objects.filter(letter=lost_letter).update(
        requested_at=timezone.now() - timedelta(minutes=settings.RENDER_RETRY_MINUTES + 1)
    )
    log_in(client, supervisor)
    page = client.get(reverse("services:dashboard")).content.decode()
    assert "dokumen belum jadi" in page
    assert reverse("services:unrendered") in page
    with django_assert_max_num_queries(12):
        listing = client.get(reverse("services:unrendered")).content.decode()
    assert case.code in listing and lost_letter.number in listing


@pytest.mark.django_db
def test_the_unrendered_list_shows_only_the_own_office(lost_letter, other_officer, settings):
    from django.test import Client

    DocumentRender.objects.update(requested_at=timezone.now() - timedelta(hours=1))
    client = Client()
    client.force_login(other_officer)
    listing = client.get(reverse("services:unrendered"))
    assert listing.status_code == 200
    assert lost_letter.application.code not in listing.content.decode()


@pytest.mark.django_db
def test_the_dashboards_count_is_its_offices_late_documents(lost_letter, other_officer, settings):
    """The office's count (prepared SQL on PostgreSQL): its own late render once it is late,
    never another office's."""
    office = lost_letter.application.office
    other = other_officer.membership.office
    assert unrendered_count(timezone.now(), office) == 0  # asked for just now: not late yet
    assert unrendered_count(later(settings), office) == 1
    assert unrendered_count(later(settings), other) == 0
    DocumentRender.objects.update(done_at=timezone.now())
    assert unrendered_count(later(settings), office) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_i55_two_sweeps_at_the_same_moment_queue_each_document_once(officer, rt1, settings):
    """Two clusters' schedulers (PostgreSQL) or a replayed run racing the live one."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    case = case_in(S.ISSUED, officer=officer, rt=rt1)
    OrmQ.objects.all().delete()  # what the pusher does to tasks signed with another key
    assert DocumentRender.objects.filter(done_at__isnull=True).count() == 2  # letter, bundle
    now = later(settings)
    barrier = threading.Barrier(2)
    acted = []

    def run():
        try:
            barrier.wait(timeout=10)
            acted.append(reconcile_renders(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(acted) in ([0, 2], [1, 1])
    assert case.events.filter(transition="render_requeue").count() == 2
    assert OrmQ.objects.count() == 2


@pytest.mark.django_db
def test_j61_the_stopped_documents_are_tried_again_on_request(lost_letter, settings):
    settings.RENDER_MAX_REQUEUES = 0
    assert sweep(later(settings)) == 1  # gives up at once
    assert DocumentRender.objects.get(letter=lost_letter).gave_up_at is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("reconcile_renders", stdout=StringIO())  # a plain run leaves it stopped
    lost_letter.refresh_from_db()
    assert not lost_letter.is_rendered
    settings.RENDER_MAX_REQUEUES = 3  # the cluster is fixed
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("reconcile_renders", "--retry-stopped", stdout=out)
    assert "1 dokumen dibuka lagi; 1 diantrekan ulang atau dihentikan" in out.getvalue()
    lost_letter.refresh_from_db()
    assert lost_letter.is_rendered
