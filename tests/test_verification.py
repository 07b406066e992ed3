"""RT verification: sending, the RT chair's decisions, attestations, scoping, assisted intake."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from zeal import zeal_ignore

from services import workflow as services_workflow
from services.models import Application, ApplicationEvent, ApplicationState, Channel
from services.workflow import WorkflowError, WorkflowPermissionDenied
from tests.conftest import jpeg_upload, make_application, make_user
from verification import workflow
from verification.models import RequestState, VerificationRequest

S = ApplicationState


def archived(officer, rt, **kwargs):
    application = make_application(officer=officer, rt=rt, **kwargs)
    # One case per call (tests/factories.py takes this over): not an N+1 when called in a loop.
    with zeal_ignore([{"model": "services.Application", "field": "attachments"}]):
        attachments = list(application.attachments.all())
    for attachment in attachments:
        services_workflow.attachment_accept(attachment=attachment, by=officer)
    services_workflow.application_archive(application=application, by=officer)
    return application


@pytest.fixture
def pending(officer, rt1, rt_chair):
    application = archived(officer, rt1)
    return workflow.application_send_to_rt(application=application, by=officer, note="cek KK")


# --- sending ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_send_to_rt_creates_the_request_and_moves_the_case(officer, rt1, rt_chair):
    application = archived(officer, rt1)
    request = workflow.application_send_to_rt(application=application, by=officer, note="cek")
    assert application.state == S.IN_VERIFICATION and application.sent_to_rt_at
    assert request.rt == rt1 and request.state == RequestState.PENDING
    assert request.officer_note == "cek"
    assert application.events.latest("id").transition == "send_to_rt"


@pytest.mark.django_db
def test_send_to_rt_without_a_chair_names_the_rt_and_changes_nothing(officer, rt2):
    application = archived(officer, rt2)
    events = application.events.count()
    with pytest.raises(WorkflowError) as excinfo:
        workflow.application_send_to_rt(application=application, by=officer)
    assert "RT 002/RW 001 belum punya Ketua RT" in excinfo.value.message
    application.refresh_from_db()
    assert application.state == S.ARCHIVED
    assert application.events.count() == events
    assert not VerificationRequest.objects.exists()


@pytest.mark.django_db
def test_officer_archives_and_sends_in_one_action_with_two_events(officer_client, rt1, rt_chair):
    officer = rt_chair.membership.office.members.get(role="officer").user
    application = make_application(officer=officer, rt=rt1)
    for attachment in application.attachments.all():
        services_workflow.attachment_accept(attachment=attachment, by=officer)
    response = officer_client.post(
        reverse("verification:archive_and_send", args=[application.code]),
        {
            "state": "received",
            "note": "mohon dicek",
            "needs_neighbours": "on",
            "neighbour_reason": "baru pindah",
        },
        follow=True,
    )
    assert "Diarsipkan dan dikirim ke Ketua RT 001/RW 001" in response.content.decode()
    application.refresh_from_db()
    assert application.state == S.IN_VERIFICATION
    assert list(application.events.values_list("transition", flat=True))[-2:] == [
        "archive",
        "send_to_rt",
    ]
    assert VerificationRequest.objects.get().needs_neighbours


@pytest.mark.django_db
def test_flagging_neighbours_needs_a_reason(officer, rt1, rt_chair):
    application = archived(officer, rt1)
    with pytest.raises(WorkflowError, match="alasan"):
        workflow.application_send_to_rt(application=application, by=officer, needs_neighbours=True)
    assert Application.objects.get(pk=application.pk).state == S.ARCHIVED


# --- decisions --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_approve_moves_the_case_to_verified_with_one_event(pending, rt_chair):
    before = ApplicationEvent.objects.count()
    workflow.verification_approve(request=pending, by=rt_chair, note="benar warga saya")
    pending.refresh_from_db()
    application = pending.application
    application.refresh_from_db()
    assert pending.state == RequestState.APPROVED and pending.decided_by == rt_chair
    assert application.state == S.VERIFIED and application.verified_at
    assert ApplicationEvent.objects.count() == before + 1
    assert application.events.latest("id").transition == "approve"


@pytest.mark.django_db
def test_reject_closes_the_case_and_needs_a_reason(pending, rt_chair):
    with pytest.raises(WorkflowError, match="alasan"):
        workflow.verification_reject(request=pending, by=rt_chair, note=" ")
    assert VerificationRequest.objects.get(pk=pending.pk).state == RequestState.PENDING
    before = ApplicationEvent.objects.count()
    workflow.verification_reject(request=pending, by=rt_chair, note="bukan warga RT ini")
    application = Application.objects.get(pk=pending.application_id)
    assert application.state == S.REJECTED
    assert ApplicationEvent.objects.count() == before + 1


@pytest.mark.django_db
def test_return_sends_the_case_back_incomplete_and_needs_a_reason(pending, rt_chair):
    with pytest.raises(WorkflowError, match="berkas mana"):
        workflow.verification_return(request=pending, by=rt_chair, note="")
    workflow.verification_return(request=pending, by=rt_chair, note="KK bukan milik pemohon")
    application = Application.objects.get(pk=pending.application_id)
    assert application.state == S.INCOMPLETE
    event = application.events.latest("id")
    assert event.transition == "return_to_applicant" and event.note == "KK bukan milik pemohon"


@pytest.mark.django_db
def test_a_decided_request_gets_a_message_not_a_second_decision(pending, rt_chair):
    workflow.verification_approve(request=pending, by=rt_chair)
    events = ApplicationEvent.objects.count()
    with pytest.raises(WorkflowError, match="sudah diputuskan"):
        workflow.verification_reject(request=pending, by=rt_chair, note="berubah pikiran")
    assert VerificationRequest.objects.get(pk=pending.pk).state == RequestState.APPROVED
    assert ApplicationEvent.objects.count() == events


@pytest.mark.django_db
def test_a_cancelled_case_cannot_be_decided(pending, rt_chair, officer):
    services_workflow.application_cancel(
        application=pending.application, by=officer, reason="pemohon membatalkan"
    )
    with pytest.raises(WorkflowError):
        workflow.verification_approve(request=pending, by=rt_chair)
    assert VerificationRequest.objects.get(pk=pending.pk).state == RequestState.PENDING


@pytest.mark.django_db
def test_flagged_request_needs_an_attestation_before_approval(officer, rt1, rt_chair):
    application = archived(officer, rt1)
    request = workflow.application_send_to_rt(
        application=application, by=officer, needs_neighbours=True, neighbour_reason="baru pindah"
    )
    with pytest.raises(WorkflowError, match="kesaksian tetangga"):
        workflow.verification_approve(request=request, by=rt_chair)
    workflow.attestation_add(
        request=request,
        by=rt_chair,
        name="Pak Joko",
        address="Jl. Mawar No. 5",
        relation="tetangga sebelah",
        statement="Benar tinggal di sini sejak 2024.",
    )
    workflow.verification_approve(request=request, by=rt_chair)
    assert Application.objects.get(pk=application.pk).state == S.VERIFIED


@pytest.mark.django_db
def test_chair_of_another_rt_or_an_officer_cannot_decide(pending, other_rt_chair, officer):
    with pytest.raises(WorkflowPermissionDenied):
        workflow.verification_approve(request=pending, by=other_rt_chair)
    with pytest.raises(WorkflowPermissionDenied):
        workflow.verification_approve(request=pending, by=officer)
    assert VerificationRequest.objects.get(pk=pending.pk).state == RequestState.PENDING


def superuser(office):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("pengelola", "admin@example.com", "x")


def officer_given_the_rt_permission(office):
    # A misconfigured account: an officer of this office who was also given the RT
    # chair's permission, but chairs no RT.
    from django.contrib.auth.models import Permission

    user = make_user("petugas_salah_atur", office, "officer")
    user.user_permissions.add(Permission.objects.get(codename="verify_application"))
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("make_decider", [superuser, officer_given_the_rt_permission])
@pytest.mark.parametrize(
    ("decide", "note"),
    [
        (workflow.verification_approve, ""),
        (workflow.verification_reject, "bukan warga"),
        (workflow.verification_return, "KK salah"),
    ],
    ids=["approve", "reject", "return"],
)
def test_only_the_chair_of_the_request_rt_can_decide_whatever_their_permissions(
    pending, office, make_decider, decide, note
):
    user = make_decider(office)
    assert user.has_perm("services.verify_application")
    application = pending.application
    events = application.events.count()
    with pytest.raises(WorkflowPermissionDenied, match="bukan untuk RT Anda"):
        decide(request=pending, by=user, note=note)
    pending.refresh_from_db()
    application.refresh_from_db()
    assert (pending.state, pending.decided_by) == (RequestState.PENDING, None)
    assert application.state == S.IN_VERIFICATION
    assert application.events.count() == events


@pytest.mark.django_db
def test_approval_gives_the_digital_cover_letter_when_none_was_uploaded(officer, rt1, rt_chair):
    application = make_application(officer=officer, rt=rt1, docs=False)
    from services.uploads import clean_upload

    for requirement in application.service.requirements.exclude(kind="rt_cover_letter"):
        services_workflow.attachment_add(
            application=application,
            requirement=requirement,
            files=[clean_upload(jpeg_upload())],
            by=officer,
        )
    for attachment in application.attachments.all():
        services_workflow.attachment_accept(attachment=attachment, by=officer)
    services_workflow.application_archive(application=application, by=officer)
    request = workflow.application_send_to_rt(application=application, by=officer)
    workflow.verification_approve(request=request, by=rt_chair)
    application.refresh_from_db()
    request.refresh_from_db()
    assert request.gave_cover_letter
    assert application.rt_cover_letter_by == rt_chair and application.rt_cover_letter_at
    statuses = services_workflow.requirement_statuses(application)
    assert all(s.satisfied for s in statuses)


@pytest.mark.django_db
def test_approval_with_an_uploaded_cover_letter_gives_no_digital_one(pending, rt_chair):
    workflow.verification_approve(request=pending, by=rt_chair)
    pending.refresh_from_db()
    assert not pending.gave_cover_letter
    assert Application.objects.get(pk=pending.application_id).rt_cover_letter_by is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_decisions_record_exactly_one(officer, rt1, rt_chair):
    application = archived(officer, rt1)
    request = workflow.application_send_to_rt(application=application, by=officer)
    barrier = threading.Barrier(2)
    results = []

    def decide(step, **kwargs):
        try:
            fresh = VerificationRequest.objects.get(pk=request.pk)
            barrier.wait(timeout=10)
            step(request=fresh, by=rt_chair, **kwargs)
            results.append("ok")
        except WorkflowError as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(workflow.verification_approve,)),
        threading.Thread(
            target=decide, args=(workflow.verification_return,), kwargs={"note": "foto buram"}
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results.count("ok") == 1, results
    decided = ApplicationEvent.objects.filter(
        application=application, transition__in=["approve", "return_to_applicant"]
    )
    assert decided.count() == 1
    request.refresh_from_db()
    assert request.state in {RequestState.APPROVED, RequestState.RETURNED}


# --- the RT chair's pages -----------------------------------------------------------------------
def chair_urls(request):
    attachment = request.application.attachments.first()
    gets = [
        reverse("verification:request", args=[request.uuid]),
        reverse("verification:document", args=[request.uuid, attachment.uuid]),
        reverse("verification:document_thumbnail", args=[request.uuid, attachment.uuid]),
    ]
    posts = [
        reverse(name, args=[request.uuid])
        for name in (
            "verification:approve",
            "verification:reject",
            "verification:return",
            "verification:attestation",
        )
    ]
    return gets, posts


@pytest.mark.django_db
def test_rt_chair_sees_only_their_rt_requests(client, pending, other_rt_chair, rt_chair):
    client.force_login(other_rt_chair)
    page = client.get(reverse("verification:rt_home")).content.decode()
    assert pending.application.applicant_name not in page
    gets, posts = chair_urls(pending)
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"note": "x", "name": "x"}).status_code == 404, url
    assert VerificationRequest.objects.get(pk=pending.pk).state == RequestState.PENDING

    client.force_login(rt_chair)
    page = client.get(reverse("verification:rt_home")).content.decode()
    assert pending.application.applicant_name in page
    for url in gets:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_every_officer_page_is_closed_to_an_rt_chair(client, pending, rt_chair):
    client.force_login(rt_chair)
    application = pending.application
    attachment = application.attachments.first()
    urls = [
        reverse("services:queue"),
        reverse("services:catalogue"),
        reverse("services:application_new"),
        reverse("services:application_create", args=["KTP"]),
        reverse("services:application_detail", args=[application.code]),
        reverse("services:application_receipt", args=[application.code]),
        reverse("services:attachment_file", args=[application.code, attachment.uuid]),
        reverse("territory"),
        reverse("admin:index"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404 or (
            response.status_code == 302 and "login" in response["Location"]
        ), url
    for name in ("verification:send_to_rt", "verification:archive_and_send"):
        assert client.post(reverse(name, args=[application.code])).status_code == 404


@pytest.mark.django_db
def test_officer_cannot_use_the_rt_pages(officer_client, pending):
    gets, posts = chair_urls(pending)
    for url in [*gets, reverse("verification:rt_home")]:
        assert officer_client.get(url).status_code == 404, url
    for url in posts:
        assert officer_client.post(url, {"note": "x"}).status_code == 404, url


@pytest.mark.django_db
def test_rt_request_page_masks_the_nik_and_shows_the_officer_note(client, pending, rt_chair):
    client.force_login(rt_chair)
    page = client.get(reverse("verification:request", args=[pending.uuid])).content.decode()
    nik = pending.application.nik
    assert nik not in page
    assert nik[:6] + "******" + nik[-4:] in page
    assert "cek KK" in page


@pytest.mark.django_db
def test_rt_list_is_oldest_first_with_a_badge_and_a_constant_query_count(
    client, officer, rt1, rt_chair, django_assert_max_num_queries
):
    codes = []
    for i in range(6):
        application = archived(officer, rt1, nik=f"327101010190001{i}")
        workflow.application_send_to_rt(application=application, by=officer)
        codes.append(application.code)
    client.force_login(rt_chair)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("verification:rt_home")).content.decode()
    positions = [page.index(code) for code in codes]
    assert positions == sorted(positions)
    assert '<span class="count" aria-label="6 menunggu">6</span>' in page


@pytest.mark.django_db
def test_decisions_through_the_pages(client, officer, pending, rt_chair):
    officer_client = Client()
    officer_client.force_login(officer)
    client.force_login(rt_chair)
    response = client.post(
        reverse("verification:return", args=[pending.uuid]), {"note": ""}, follow=True
    )
    assert "Tulis alasannya" in response.content.decode()
    response = client.post(
        reverse("verification:return", args=[pending.uuid]),
        {"note": "Foto KK terpotong"},
        follow=True,
    )
    assert "dikembalikan" in response.content.decode()
    page = officer_client.get(
        reverse("services:application_detail", args=[pending.application.code])
    ).content.decode()
    assert "Belum lengkap" in page and "Foto KK terpotong" in page
    assert "Dikembalikan" in page  # the request's state in the verification panel


@pytest.mark.django_db
def test_officer_page_shows_waiting_for_rt_since(officer_client, pending):
    page = officer_client.get(
        reverse("services:application_detail", args=[pending.application.code])
    ).content.decode()
    assert "menunggu RT sejak" in page
    queue = officer_client.get(reverse("services:queue"), {"state": "in_verification"})
    assert pending.application.code in queue.content.decode()
    assert "menunggu RT sejak" in queue.content.decode()


# --- assisted submission ----------------------------------------------------------------------
@pytest.mark.django_db
def test_rt_chair_submits_for_a_resident_and_it_reaches_the_officer_queue(
    client, officer, rt_chair, rt1
):
    officer_client = Client()
    officer_client.force_login(officer)
    client.force_login(rt_chair)
    service_page = client.get(reverse("verification:assisted_choose")).content.decode()
    assert "Fotokopi KTP lama" in service_page
    from services.models import Service

    service = Service.objects.get(code="KTP")
    data = {
        "applicant_name": "Mbah Karsiyem",
        "nik": "3271016507450001",
        "phone": "0813 1111 2222",
        "address": "Jl. Kenanga 2",
        "delivery": "pickup",
    }
    for requirement in service.requirements.all():
        data[f"berkas_{requirement.pk}"] = [jpeg_upload(f"{requirement.code}.jpg")]
    response = client.post(reverse("verification:assisted_create", args=["KTP"]), data)
    application = Application.objects.get()
    assert response["Location"] == reverse("verification:assisted_done", args=[application.code])
    assert application.channel == Channel.ASSISTED
    assert application.assisted_by_user == rt_chair
    assert "Ketua RT 001/RW 001" in application.assisted_by
    assert application.rt == rt1
    # Every requirement but the RT cover letter: the chair is not asked for one of their own.
    assert application.attachments.count() == 3
    assert not application.attachments.filter(requirement__kind="rt_cover_letter").exists()
    queue = officer_client.get(reverse("services:queue")).content.decode()
    assert application.code in queue and "Mbah Karsiyem" in queue


@pytest.mark.django_db
def test_rt_chair_cannot_submit_for_another_rt(rt_chair, rt2, office):
    from services.models import Service

    with pytest.raises(WorkflowPermissionDenied):
        services_workflow.application_receive(
            office=office,
            service=Service.objects.get(code="SITU"),
            data=services_workflow.ApplicantData(
                applicant_name="X",
                nik="3271010101900003",
                phone="+6281234567890",
                address="Jl. X",
                rt_id=rt2.pk,
                channel="assisted",
            ),
            files={},
            by=rt_chair,
        )


@pytest.mark.django_db
def test_officer_records_a_neighbour_as_helper(officer_client, rt1):
    response = officer_client.post(
        reverse("services:application_create", args=["SITU"]),
        {
            "applicant_name": "Bu Tini",
            "nik": "3271015507600001",
            "phone": "081311112222",
            "address": "Jl. Dahlia 1",
            "rt": rt1.pk,
            "channel": "assisted",
            "assisted_by": "Pak Joko, tetangga",
            "delivery": "pickup",
            "data_nama_usaha": "Warung Bu Tini",
            "data_jenis_usaha": "warung makan",
            "data_alamat_usaha": "Jl. Dahlia 1",
        },
    )
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.assisted_by == "Pak Joko, tetangga"
    assert application.assisted_by_user is None


@pytest.mark.django_db
def test_an_rt_chair_cannot_be_made_a_decider_for_an_rt_of_another_office(
    other_office, other_rt, pending
):
    chair = make_user("ketua_kbr", other_office, "rt_chair", rt=other_rt)
    with pytest.raises(WorkflowPermissionDenied):
        workflow.verification_approve(request=pending, by=chair)


@pytest.mark.django_db
def test_rt_list_shows_the_time_left_to_verify(client, pending, rt_chair, time_machine):
    from datetime import timedelta

    time_machine.move_to(pending.application.verify_due - timedelta(hours=2), tick=False)
    client.force_login(rt_chair)
    page = client.get(reverse("verification:rt_home")).content.decode()
    assert "jatuh tempo hari ini, sisa 2 jam kerja" in page


@pytest.mark.django_db
def test_the_chair_sees_the_variant_and_the_service_data_they_vouch_for(
    client, officer, rt1, rt_chair
):
    situ = archived(
        officer,
        rt1,
        service_code="SITU",
        extra={"nama_usaha": "Warung Bu Sri", "jenis_usaha": "Warung", "alamat_usaha": "Jl. B"},
    )
    kk = archived(
        officer, rt1, service_code="KK", variant_code="pindah-datang", nik="3271010101900029"
    )
    client.force_login(rt_chair)

    for application, shown in ((situ, ["Nama usaha", "Warung Bu Sri"]), (kk, ["Pindah datang"])):
        request = workflow.application_send_to_rt(application=application, by=officer)
        page = client.get(reverse("verification:request", args=[request.uuid])).content.decode()
        facts = page.split('id="h-warga"')[1].split("</dl>")[0]
        for text in shown:
            assert text in facts
