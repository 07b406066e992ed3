"""services.workflow: allowed and refused steps, events, requirements and concurrency."""

import threading

import pytest
from django.db import connection

from services import workflow
from services.models import Application, ApplicationEvent, ApplicationState, Service, Verdict
from services.workflow import WorkflowError, WorkflowPermissionDenied
from tests.factories import ApplicationFactory, RtChairFactory

S = ApplicationState


def accept_all(application, by):
    for attachment in application.attachments.all():
        workflow.attachment_accept(attachment=attachment, by=by)


# Every transition x every state is in tests/test_state_matrix.py.
STEPS = {
    "archive": (workflow.application_archive, {}),
    "mark_incomplete": (workflow.application_mark_incomplete, {}),
    "resubmit": (workflow.application_resubmit, {}),
    "cancel": (workflow.application_cancel, {"reason": "pemohon membatalkan"}),
}


@pytest.mark.django_db
def test_archive_writes_exactly_one_event(application, officer):
    accept_all(application, officer)
    before = application.events.count()
    workflow.application_archive(application=application, by=officer)
    assert application.state == S.ARCHIVED and application.archived_at is not None
    events = list(application.events.order_by("-id")[: application.events.count() - before])
    assert [(e.transition, e.source, e.target, e.by) for e in events] == [
        ("archive", S.RECEIVED, S.ARCHIVED, officer)
    ]


@pytest.mark.django_db
def test_mark_incomplete_then_resubmit_each_write_one_event(application, officer):
    attachment = application.attachments.first()
    workflow.attachment_reject(attachment=attachment, by=officer, reason="foto buram")
    before = application.events.count()
    workflow.application_mark_incomplete(application=application, by=officer, note="kirim lagi")
    assert application.state == S.INCOMPLETE
    event = application.events.latest("id")
    assert application.events.count() == before + 1
    assert "Surat pengantar RT: ditolak (foto buram)" in event.note
    assert "kirim lagi" in event.note
    workflow.application_resubmit(application=application, by=officer)
    assert application.state == S.RECEIVED
    assert application.events.count() == before + 2


@pytest.mark.django_db
def test_cancel_needs_a_reason_and_writes_one_event(application, officer):
    with pytest.raises(WorkflowError):
        workflow.application_cancel(application=application, by=officer, reason="  ")
    before = application.events.count()
    workflow.application_cancel(application=application, by=officer, reason="pindah domisili")
    assert application.state == S.CANCELLED and application.closed_at
    assert application.events.count() == before + 1


@pytest.mark.django_db
def test_archive_refused_while_a_document_is_unchecked(application, officer):
    with pytest.raises(WorkflowError, match="belum diperiksa"):
        workflow.application_archive(application=application, by=officer)
    assert Application.objects.get(pk=application.pk).state == S.RECEIVED


@pytest.mark.django_db
def test_archive_refused_while_a_required_document_is_rejected(application, officer):
    accept_all(application, officer)
    photo = application.attachments.get(requirement__code="pas-foto")
    workflow.attachment_reject(attachment=photo, by=officer, reason="bukan pas foto")
    with pytest.raises(WorkflowError) as excinfo:
        workflow.application_archive(application=application, by=officer)
    assert "Pas foto: ditolak (bukan pas foto)" in excinfo.value.message
    assert Application.objects.get(pk=application.pk).state == S.RECEIVED


@pytest.mark.django_db
def test_archive_refused_while_a_required_document_is_missing(officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1, docs=False)
    with pytest.raises(WorkflowError) as excinfo:
        workflow.application_archive(application=application, by=officer)
    assert "Fotokopi KTP lama: belum ada" in excinfo.value.message
    # The RT cover letter may come later as the RT chair's approval in the portal.
    assert "Surat pengantar RT" not in excinfo.value.message


@pytest.mark.django_db
def test_rt_cover_letter_is_required_when_the_service_does_not_accept_portal_approval(
    application, officer
):
    Service.objects.filter(code="KTP").update(rt_approval_replaces_cover_letter=False)
    cover = application.attachments.get(requirement__code="pengantar-rt")
    workflow.attachment_reject(attachment=cover, by=officer, reason="tanpa cap RT")
    for attachment in application.attachments.exclude(pk=cover.pk):
        workflow.attachment_accept(attachment=attachment, by=officer)
    with pytest.raises(WorkflowError, match="Surat pengantar RT"):
        workflow.application_archive(application=application, by=officer)


@pytest.mark.django_db
def test_archive_allowed_without_cover_letter_when_the_rt_will_approve(officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1, docs=False)
    service = application.service
    from services.documents.cleaning import clean_upload
    from tests.conftest import jpeg_upload

    for requirement in service.requirements.exclude(code="pengantar-rt"):
        workflow.attachment_add(
            application=application,
            requirement=requirement,
            files=[clean_upload(jpeg_upload())],
            by=officer,
        )
    accept_all(application, officer)
    workflow.application_archive(application=application, by=officer)
    assert application.state == S.ARCHIVED


@pytest.mark.django_db
def test_mark_incomplete_refused_when_nothing_is_missing(application, officer):
    accept_all(application, officer)
    with pytest.raises(WorkflowError, match="Tidak ada persyaratan yang kurang"):
        workflow.application_mark_incomplete(application=application, by=officer)


@pytest.mark.django_db
def test_reject_without_reason_is_refused(application, officer):
    attachment = application.attachments.first()
    with pytest.raises(WorkflowError, match="alasan"):
        workflow.attachment_reject(attachment=attachment, by=officer, reason="")
    attachment.refresh_from_db()
    assert attachment.verdict == Verdict.PENDING


@pytest.mark.django_db
def test_documents_cannot_change_after_archive(application, officer):
    accept_all(application, officer)
    workflow.application_archive(application=application, by=officer)
    with pytest.raises(WorkflowError):
        workflow.attachment_reject(
            attachment=application.attachments.first(), by=officer, reason="terlambat"
        )


@pytest.mark.django_db
def test_duplicate_open_application_is_refused_and_points_to_the_open_one(
    application, officer, rt1
):
    with pytest.raises(WorkflowError) as excinfo:
        ApplicationFactory(officer=officer, rt=rt1)
    assert application.code in excinfo.value.message
    assert Application.objects.count() == 1
    # Another service, or after the first one closes, is fine.
    ApplicationFactory(officer=officer, rt=rt1, service="SITU")
    workflow.application_cancel(application=application, by=officer, reason="salah layanan")
    ApplicationFactory(officer=officer, rt=rt1)
    assert Application.objects.count() == 3


@pytest.mark.django_db
def test_reference_codes_count_up_per_office_and_month(officer, rt1, time_machine):
    time_machine.move_to("2026-11-23 10:00 +0700")
    first = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900003")
    second = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900004")
    assert first.code == "BKS-2611-0001"
    assert second.code == "BKS-2611-0002"
    time_machine.move_to("2026-12-01 10:00 +0700")
    assert ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900005").code == (
        "BKS-2612-0001"
    )


@pytest.mark.django_db
def test_officer_of_another_office_cannot_take_any_step(application, other_officer):
    for function, kwargs in STEPS.values():
        with pytest.raises(WorkflowPermissionDenied):
            function(application=application, by=other_officer, **kwargs)
    with pytest.raises(WorkflowPermissionDenied):
        workflow.attachment_accept(attachment=application.attachments.first(), by=other_officer)


@pytest.mark.django_db
def test_user_without_the_permission_is_refused(application, office, rt2):
    chair = RtChairFactory(username="ketua", rt=rt2)
    with pytest.raises(WorkflowPermissionDenied):
        workflow.application_cancel(application=application, by=chair, reason="x")
    assert Application.objects.get(pk=application.pk).state == S.RECEIVED


@pytest.mark.django_db
def test_state_cannot_be_assigned_directly(application):
    with pytest.raises(AttributeError):
        application.state = S.COMPLETED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_archives_one_wins_the_other_gets_a_message(officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1)
    accept_all(application, officer)
    barrier = threading.Barrier(2)
    results = []

    def archive():
        try:
            case = Application.objects.get(pk=application.pk)
            barrier.wait(timeout=10)
            workflow.application_archive(application=case, by=officer)
            results.append("ok")
        except WorkflowError as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=archive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results, key=lambda r: r != "ok")[0] == "ok"
    assert results.count("ok") == 1, results
    assert (
        ApplicationEvent.objects.filter(application=application, transition="archive").count() == 1
    )
    assert Application.objects.get(pk=application.pk).state == S.ARCHIVED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_intakes_of_the_same_person_leave_one_application(officer, rt1):
    barrier = threading.Barrier(2)
    results = []

    def receive():
        try:
            barrier.wait(timeout=10)
            ApplicationFactory(officer=officer, rt=rt1, docs=False)
            results.append("ok")
        except WorkflowError as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results.count("ok") == 1, results
    assert Application.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_verdict_and_an_archive_racing_leave_a_consistent_case(officer, rt1):
    """Never archived with a rejected required document (the case row is the lock)."""
    application = ApplicationFactory(officer=officer, rt=rt1)
    accept_all(application, officer)
    photo = application.attachments.get(requirement__code="pas-foto")
    barrier = threading.Barrier(2)

    def run(step):
        try:
            barrier.wait(timeout=10)
            step()
        except WorkflowError:
            pass
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=run,
            args=(
                lambda: workflow.application_archive(
                    application=Application.objects.get(pk=application.pk), by=officer
                ),
            ),
        ),
        threading.Thread(
            target=run,
            args=(
                lambda: workflow.attachment_reject(
                    attachment=photo, by=officer, reason="bukan pas foto"
                ),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    application.refresh_from_db()
    photo.refresh_from_db()
    assert not (application.state == S.ARCHIVED and photo.verdict == Verdict.REJECTED)
