"""Corrections of applicant data, re-routing the RT request, reopening an RT rejection, and
replacing a revoked letter on an issued or completed case."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from services import workflow as services_workflow
from services.models import Application, ApplicationEvent, ApplicationState, Letter, Notification
from services.selectors import current_letter
from services.validators import MSG_NIK_DATE
from services.workflow import CHANGED_UNDER_YOU, WorkflowError, WorkflowPermissionDenied
from tests.factories import (
    ApplicationFactory,
    OfficerFactory,
    RTFactory,
    case_in,
    log_in,
    sent_to_rt,
)
from verification import workflow
from verification.models import RequestState, VerificationRequest

S = ApplicationState
OTHER_NIK = "3271010101900011"


def correct(application, by, reason="salah ketik saat pencatatan", **changes):
    return workflow.application_correct(
        application=application, by=by, changes=changes, reason=reason
    )


# --- the correction itself ----------------------------------------------------------------------
@pytest.mark.django_db
def test_each_changed_field_is_written_with_old_and_new_in_one_event(officer, application, rt2):
    events = application.events.count()
    done = correct(application, officer, applicant_name="Siti Rahmawaty", rt=rt2)
    application.refresh_from_db()
    assert application.applicant_name == "Siti Rahmawaty" and application.rt == rt2
    assert set(done.changed) == {"applicant_name", "rt"}
    assert application.events.count() == events + 1
    event = application.events.latest("id")
    assert event.transition == "correct" and event.by == officer
    assert event.note == (
        "Nama: Siti Rahmawati → Siti Rahmawaty; RT: 001/001 → 002/001. "
        "Alasan: salah ketik saat pencatatan."
    )


@pytest.mark.django_db
def test_unchanged_fields_given_again_are_not_listed(officer, application):
    correct(
        application,
        officer,
        applicant_name="Siti Rahmawati",  # as stored
        address="Jl. Mawar No. 5",
        phone="0812-3456-7890",  # the stored +6281234567890, typed differently
    )
    assert application.events.latest("id").note.startswith("Alamat: Jl. Mawar No. 3 → Jl. Mawar")
    assert "Telepon" not in application.events.latest("id").note


@pytest.mark.django_db
def test_nik_is_revalidated_and_never_written_in_full_in_the_history(officer, application):
    old_nik = application.nik
    correct(
        application,
        officer,
        nik="3271-0101-0190-0011",
        kk_number="3271011203150007",
        reason=f"NIK tertukar dengan {old_nik}",
    )
    application.refresh_from_db()
    assert application.nik == OTHER_NIK  # normalised
    note = application.events.latest("id").note
    assert "NIK: 327101******0002 → 327101******0011" in note
    assert "Nomor KK: — → 327101******0007" in note
    for full in (old_nik, OTHER_NIK, "3271011203150007"):
        assert full not in note


@pytest.mark.django_db
def test_an_invalid_nik_is_refused_with_the_validator_message_and_nothing_changes(
    officer, application
):
    events = application.events.count()
    with pytest.raises(WorkflowError) as excinfo:
        correct(application, officer, nik="3271013201900001", applicant_name="Siti R")
    assert excinfo.value.message == MSG_NIK_DATE
    application.refresh_from_db()
    assert application.nik == "3271014501900002" and application.applicant_name == "Siti Rahmawati"
    assert application.events.count() == events


@pytest.mark.django_db
def test_a_nik_of_another_open_case_for_the_service_is_refused_naming_it(officer, rt1, application):
    other = ApplicationFactory(officer=officer, rt=rt1, nik=OTHER_NIK)
    with pytest.raises(WorkflowError) as excinfo:
        correct(application, officer, nik=OTHER_NIK)
    assert other.code in excinfo.value.message
    application.refresh_from_db()
    assert application.nik == "3271014501900002"


@pytest.mark.django_db
def test_a_correction_that_changes_nothing_is_refused(officer, application):
    with pytest.raises(WorkflowError) as excinfo:
        correct(application, officer, applicant_name=" Siti Rahmawati ")
    assert "Tidak ada data yang berubah" in excinfo.value.message
    assert not application.events.filter(transition="correct").exists()


@pytest.mark.django_db
def test_an_rt_of_another_office_is_refused(officer, application, other_rt):
    with pytest.raises(WorkflowError) as excinfo:
        correct(application, officer, rt=other_rt)
    assert excinfo.value.message == "RT yang dipilih bukan bagian dari kelurahan ini."
    application.refresh_from_db()
    assert application.rt_id != other_rt.pk


@pytest.mark.django_db
def test_a_reason_is_required(officer, application):
    with pytest.raises(WorkflowError) as excinfo:
        correct(application, officer, reason="  ", applicant_name="Siti R")
    assert "alasan koreksi" in excinfo.value.message


@pytest.mark.django_db
def test_courier_needs_an_address_and_pickup_clears_it(officer, application):
    with pytest.raises(WorkflowError) as excinfo:
        correct(application, officer, delivery="courier")
    assert excinfo.value.message == "Tulis alamat pengiriman untuk kurir."
    correct(application, officer, delivery="courier", delivery_address="Jl. Kenanga 9")
    correct(application, officer, delivery="pickup", delivery_address="Jl. Kenanga 9")
    application.refresh_from_db()
    assert application.delivery == "pickup" and application.delivery_address == ""
    assert "Alamat pengiriman: Jl. Kenanga 9 → —" in application.events.latest("id").note


@pytest.mark.django_db
def test_a_stale_page_is_refused(officer, application):
    seen = application.updated_at
    correct(application, officer, applicant_name="Siti Rahma")
    with pytest.raises(WorkflowError) as excinfo:
        workflow.application_correct(
            application=application,
            by=officer,
            changes={"address": "Jl. Melati 1"},
            reason="alamat",
            expected_version=seen,
        )
    assert excinfo.value.message == CHANGED_UNDER_YOU
    application.refresh_from_db()
    assert application.address == "Jl. Mawar No. 3"


@pytest.mark.django_db
def test_an_rt_chair_or_another_office_cannot_correct(application, rt_chair, other_officer):
    for user in (rt_chair, other_officer):
        with pytest.raises(WorkflowPermissionDenied):
            correct(application, user, applicant_name="X")
    application.refresh_from_db()
    assert application.applicant_name == "Siti Rahmawati"


@pytest.mark.django_db
@pytest.mark.parametrize("state", [S.CANCELLED, S.REJECTED])
def test_closed_cases_are_not_corrected(officer, rt1, state):
    application = case_in(state, officer=officer, rt=rt1)
    with pytest.raises(WorkflowError) as excinfo:
        correct(application, officer, applicant_name="X")
    assert "tidak dapat dikoreksi datanya" in excinfo.value.message
    assert ("membukanya kembali" in excinfo.value.message) == (state == S.REJECTED)


@pytest.mark.django_db
def test_the_rt_is_fixed_once_the_rt_chair_verified(officer, rt1, rt2):
    application = case_in(S.VERIFIED, officer=officer, rt=rt1)
    with pytest.raises(WorkflowError) as excinfo:
        correct(application, officer, rt=rt2)
    assert "setelah Ketua RT memverifikasi" in excinfo.value.message
    correct(application, officer, applicant_name="Siti Rahma")  # the name still can be


@pytest.mark.django_db
def test_services_side_alone_refuses_an_rt_change_that_would_need_rerouting(
    officer, rt1, rt2, rt_chair
):
    request = sent_to_rt(officer=officer, rt=rt1, rt_note="cek KK")
    with pytest.raises(WorkflowError):
        services_workflow.application_correct(
            application=request.application, by=officer, changes={"rt": rt2}, reason="pindah"
        )


# --- re-routing the pending RT request ----------------------------------------------------------
@pytest.mark.django_db
def test_rt_change_in_verification_reroutes_the_request_to_the_new_chair(
    client, officer, rt1, rt2, rt_chair, other_rt_chair
):
    old = sent_to_rt(officer=officer, rt=rt1, rt_note="cek KK")
    application = old.application
    correct(application, officer, rt=rt2, reason="pemohon warga RT 002")
    old.refresh_from_db()
    assert old.state == RequestState.REROUTED and old.decided_by == officer
    assert old.note == "Dialihkan ke RT 002/RW 001: pemohon warga RT 002"
    new = VerificationRequest.objects.get(application=application, state=RequestState.PENDING)
    assert new.rt == rt2 and new.officer_note == "cek KK"
    application.refresh_from_db()
    assert application.state == S.IN_VERIFICATION
    assert list(application.events.values_list("transition", flat=True))[-2:] == [
        "correct",
        "reroute",
    ]
    note = Notification.objects.get(recipient=other_rt_chair, kind="rt_request")
    assert application.code in note.message and note.url.endswith(f"{new.uuid}/")

    client.force_login(rt_chair)
    assert client.get(reverse("verification:request", args=[old.uuid])).status_code == 404
    home = client.get(reverse("verification:rt_home")).content.decode()
    assert application.code not in home
    approve = reverse("verification:approve", args=[old.uuid])
    assert client.post(approve, {"note": ""}).status_code == 404
    client.force_login(other_rt_chair)
    assert client.get(reverse("verification:request", args=[new.uuid])).status_code == 200
    assert application.code in client.get(reverse("verification:rt_home")).content.decode()


@pytest.mark.django_db
def test_reroute_to_an_rt_without_a_chair_changes_nothing(officer, rt1, rt_chair, rw1):
    no_chair = RTFactory(rw=rw1, number=3)
    request = sent_to_rt(officer=officer, rt=rt1, rt_note="cek KK")
    with pytest.raises(WorkflowError) as excinfo:
        correct(request.application, officer, rt=no_chair)
    assert "RT 003/RW 001 belum punya Ketua RT" in excinfo.value.message
    request.refresh_from_db()
    request.application.refresh_from_db()
    assert request.state == RequestState.PENDING and request.application.rt == rt1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rt_correction_racing_the_chairs_approval_leaves_one_consistent_outcome(
    officer, rt1, rt2, rt_chair, other_rt_chair
):
    request = sent_to_rt(officer=officer, rt=rt1, rt_note="cek KK")
    application = request.application
    seen = Application.objects.get(pk=application.pk).updated_at
    barrier = threading.Barrier(2)
    results = {}

    def run(name, step):
        try:
            barrier.wait(timeout=10)
            step()
            results[name] = "ok"
        except WorkflowError as exc:
            results[name] = exc.message
        finally:
            connection.close()

    def approve():
        workflow.verification_approve(
            request=VerificationRequest.objects.get(pk=request.pk), by=rt_chair
        )

    def reroute():
        workflow.application_correct(
            application=Application.objects.get(pk=application.pk),
            by=officer,
            changes={"rt": rt2},
            reason="pindah RT",
            expected_version=seen,
        )

    threads = [
        threading.Thread(target=run, args=("approve", approve)),
        threading.Thread(target=run, args=("reroute", reroute)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results.values()).count("ok") == 1, results
    application.refresh_from_db()
    pending = VerificationRequest.objects.filter(application=application, state="pending")
    if results["approve"] == "ok":
        assert application.state == S.VERIFIED and application.rt == rt1
        assert not pending.exists()
    else:
        assert application.state == S.IN_VERIFICATION and application.rt == rt2
        assert pending.get().rt == rt2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officers_correcting_from_the_same_page_one_wins(officer, office, application):
    other = OfficerFactory(username="petugas2", office=office)
    seen = Application.objects.get(pk=application.pk).updated_at
    barrier = threading.Barrier(2)
    results = []

    def run(user, name):
        try:
            barrier.wait(timeout=10)
            workflow.application_correct(
                application=Application.objects.get(pk=application.pk),
                by=user,
                changes={"applicant_name": name},
                reason="typo",
                expected_version=seen,
            )
            results.append("ok")
        except WorkflowError as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(officer, "Siti A")),
        threading.Thread(target=run, args=(other, "Siti B")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == sorted(["ok", CHANGED_UNDER_YOU]), results
    assert (
        ApplicationEvent.objects.filter(application=application, transition="correct").count() == 1
    )


# --- issued and completed cases: the letter follows the data ------------------------------------
@pytest.mark.django_db
def test_correcting_an_issued_case_replaces_its_letter(officer, rt1):
    application = case_in(S.ISSUED, officer=officer, rt=rt1)
    letter = current_letter(application)
    done = correct(application, officer, applicant_name="Siti Rahmawaty")
    letter.refresh_from_db()
    assert letter.revoked_at and "koreksi data" in letter.revoked_reason
    assert done.replacement.replaces == letter and done.replacement.is_valid
    assert current_letter(application) == done.replacement
    assert f"Surat {letter.number} diganti {done.replacement.number}" in (
        application.events.latest("id").note
    )


@pytest.mark.django_db
def test_a_revoked_letter_on_a_completed_case_can_be_replaced(officer, supervisor, rt1):
    application = case_in(S.COMPLETED, officer=officer, rt=rt1)
    letter = current_letter(application)
    services_workflow.letter_revoke(letter=letter, by=supervisor, reason="nama salah")
    correct(application, officer, applicant_name="Siti Rahmawaty")  # no valid letter: data only
    assert Letter.objects.filter(application=application).count() == 1
    new = services_workflow.application_issue_replacement(
        application=application, by=officer, reason="nama dibetulkan"
    )
    assert new.replaces == letter and new.is_valid and new.number != letter.number
    application.refresh_from_db()
    assert application.state == S.COMPLETED
    event = application.events.latest("id")
    assert event.transition == "issue_replacement"
    assert event.note == f"{new.number} menggantikan {letter.number}: nama dibetulkan"
    with pytest.raises(WorkflowError) as excinfo:
        services_workflow.application_issue_replacement(application=application, by=officer)
    assert f"Surat {new.number} masih berlaku" in excinfo.value.message


@pytest.mark.django_db
def test_hand_over_after_a_revocation_asks_for_the_replacement(officer, supervisor, rt1):
    application = case_in(S.ISSUED, officer=officer, rt=rt1)
    letter = current_letter(application)
    services_workflow.letter_revoke(letter=letter, by=supervisor, reason="salah")
    with pytest.raises(WorkflowError) as excinfo:
        services_workflow.application_hand_over(
            application=application, by=officer, method="pickup", received_by="Siti"
        )
    assert "Terbitkan surat pengganti" in excinfo.value.message


@pytest.mark.django_db
def test_replacement_button_shows_only_when_the_letter_was_revoked(
    client, officer, supervisor, rt1
):
    application = case_in(S.COMPLETED, officer=officer, rt=rt1)
    letter = current_letter(application)
    client.force_login(officer)
    page = reverse("services:application_detail", args=[application.code])
    assert "Terbitkan surat pengganti" not in client.get(page).content.decode()
    services_workflow.letter_revoke(letter=letter, by=supervisor, reason="rusak")
    assert "Terbitkan surat pengganti" in client.get(page).content.decode()
    url = reverse("services:application_issue_replacement", args=[application.code])
    response = client.post(url, {"state": "completed", "note": ""})
    assert response.status_code == 302
    assert Letter.objects.get(replaces=letter).is_valid


# --- reopening an RT rejection ------------------------------------------------------------------
@pytest.mark.django_db
def test_supervisor_reopens_moves_to_the_right_rt_and_sends_it_in_one_step(
    officer, supervisor, rt1, rt2, rt_chair, other_rt_chair, time_machine
):
    time_machine.move_to("2026-11-23 09:00 +0700", tick=False)
    application = case_in(S.REJECTED, officer=officer, rt=rt1, chair=rt_chair)
    assert application.closed_at
    time_machine.move_to("2026-11-26 10:00 +0700", tick=False)  # a Thursday
    request = workflow.application_reopen_and_send_to_rt(
        application=application, by=supervisor, reason="warga RT 002", rt=rt2
    )
    application.refresh_from_db()
    assert application.state == S.IN_VERIFICATION and application.rt == rt2
    assert application.closed_at is None and application.is_open
    assert request.rt == rt2 and request.state == RequestState.PENDING
    # The clock restarts as on resubmit: today is day 1.
    assert str(application.sla_started_at.date()) == "2026-11-26"
    assert f"{application.verify_due:%Y-%m-%d %H:%M}" == "2026-11-27 09:00"  # 16:00 WIB
    transitions = list(application.events.values_list("transition", flat=True))
    assert transitions[-3:] == ["reopen", "correct", "send_to_rt"]
    assert application.events.get(transition="reopen").note == "warga RT 002"
    assert Notification.objects.filter(recipient=other_rt_chair, kind="rt_request").exists()


@pytest.mark.django_db
def test_an_officer_cannot_reopen(officer, rt1, rt_chair):
    application = case_in(S.REJECTED, officer=officer, rt=rt1, chair=rt_chair)
    with pytest.raises(WorkflowPermissionDenied):
        workflow.application_reopen_and_send_to_rt(
            application=application, by=officer, reason="coba"
        )
    application.refresh_from_db()
    assert application.state == S.REJECTED


@pytest.mark.django_db
def test_reopen_is_all_or_nothing_when_the_new_rt_has_no_chair(
    supervisor, officer, rt1, rt_chair, rw1
):
    no_chair = RTFactory(rw=rw1, number=3)
    application = case_in(S.REJECTED, officer=officer, rt=rt1, chair=rt_chair)
    events = application.events.count()
    with pytest.raises(WorkflowError):
        workflow.application_reopen_and_send_to_rt(
            application=application, by=supervisor, reason="pindah", rt=no_chair
        )
    application.refresh_from_db()
    assert application.state == S.REJECTED and application.rt == rt1
    assert application.events.count() == events


@pytest.mark.django_db
def test_reopen_refused_when_a_new_open_case_exists_for_the_nik(supervisor, officer, rt1, rt_chair):
    application = case_in(S.REJECTED, officer=officer, rt=rt1, chair=rt_chair)
    newer = ApplicationFactory(officer=officer, rt=rt1)  # same NIK and service, made afterwards
    with pytest.raises(WorkflowError) as excinfo:
        workflow.application_reopen_and_send_to_rt(
            application=application, by=supervisor, reason="salah tolak"
        )
    assert newer.code in excinfo.value.message
    application.refresh_from_db()
    assert application.state == S.REJECTED


@pytest.mark.django_db
def test_reopen_needs_a_reason_and_a_rejected_case(supervisor, officer, application, rt1):
    with pytest.raises(WorkflowError):
        workflow.application_reopen_and_send_to_rt(
            application=application, by=supervisor, reason="x"
        )
    application = case_in(S.REJECTED, officer=officer, rt=rt1, nik=OTHER_NIK)
    with pytest.raises(WorkflowError) as excinfo:
        workflow.application_reopen_and_send_to_rt(
            application=application, by=supervisor, reason=" "
        )
    assert "alasan membuka kembali" in excinfo.value.message


# --- the pages ----------------------------------------------------------------------------------
def form_data(application, **overrides):
    data = {
        "applicant_name": application.applicant_name,
        "nik": application.nik,
        "kk_number": application.kk_number,
        "phone": application.phone,
        "email": application.email,
        "address": application.address,
        "rt": application.rt_id,
        "purpose": application.purpose,
        "delivery": application.delivery,
        "delivery_address": application.delivery_address,
        "reason": "salah ketik",
        "version": application.updated_at.isoformat(),
    }
    return {**data, **overrides}


@pytest.mark.django_db
def test_case_page_links_to_the_correction_form_which_opens_prefilled(officer_client, application):
    """The case page offers the correction (a link: its form is not rendered on every view of
    the page); the link opens the case page with the form open and prefilled."""
    page = officer_client.get(reverse("services:application_detail", args=[application.code]))
    html = page.content.decode()
    url = reverse("verification:correct", args=[application.code])
    assert f'href="{url}#koreksi">Koreksi data pemohon</a>' in html
    assert 'id="koreksi_nik"' not in html
    assert "Buka kembali" not in html  # not rejected, and not a supervisor
    form = officer_client.get(url)
    html = form.content.decode()
    assert form.status_code == 200 and "no-store" in form["Cache-Control"]
    assert f"<h1>{application.code} " in html  # the case page itself, around the form
    assert '<details class="card no-print" id="koreksi" open>' in html
    assert 'value="Siti Rahmawati"' in html and 'id="koreksi_nik"' in html
    assert f'action="{url}"' in html


@pytest.mark.django_db
def test_the_correction_form_of_a_case_no_longer_correctable_is_not_offered(
    officer_client, officer, rt1
):
    done = case_in(S.REJECTED, officer=officer, rt=rt1, nik="3271014501900061")
    page = officer_client.get(reverse("services:application_detail", args=[done.code]))
    assert "Koreksi data pemohon" not in page.content.decode()
    response = officer_client.get(reverse("verification:correct", args=[done.code]), follow=True)
    assert response.redirect_chain[-1][0] == done.get_absolute_url()
    html = response.content.decode()
    assert "tidak dapat dikoreksi lagi" in html and 'id="koreksi_nik"' not in html


@pytest.mark.django_db
def test_correction_form_saves_and_redirects(officer_client, application, rt2):
    url = reverse("verification:correct", args=[application.code])
    response = officer_client.post(url, form_data(application, rt=rt2.pk))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.rt == rt2


@pytest.mark.django_db
def test_correction_errors_are_shown_on_the_case_page_keeping_the_input(
    officer_client, application, rt1
):
    ApplicationFactory(officer=application.received_by, rt=rt1, nik=OTHER_NIK)
    url = reverse("verification:correct", args=[application.code])
    bad_nik = officer_client.post(
        url, form_data(application, nik="3271013201900001", applicant_name="Siti Baru")
    )
    html = bad_nik.content.decode()
    assert bad_nik.status_code == 200 and MSG_NIK_DATE in html
    assert 'value="Siti Baru"' in html and "<details" in html and " open>" in html
    assert "no-store" in bad_nik["Cache-Control"]
    duplicate = officer_client.post(url, form_data(application, nik=OTHER_NIK))
    assert "Sudah ada permohonan terbuka" in duplicate.content.decode()
    noop = officer_client.post(url, form_data(application))
    assert "Tidak ada data yang berubah" in noop.content.decode()
    stale = officer_client.post(
        url, form_data(application, applicant_name="Siti C", version="2020-01-01T00:00:00+00:00")
    )
    assert CHANGED_UNDER_YOU in stale.content.decode()
    application.refresh_from_db()
    assert application.applicant_name == "Siti Rahmawati"


@pytest.mark.django_db
def test_correct_and_reopen_urls_are_404_outside_the_office_and_for_rt_chairs(
    application, other_officer, rt_chair, rt2
):
    client = Client()
    for user in (other_officer, rt_chair):
        client.force_login(user)
        names = ("verification:correct", "verification:reopen")
        for name in (*names, "services:application_issue_replacement"):
            url = reverse(name, args=[application.code])
            response = client.post(url, form_data(application, rt=rt2.pk))
            assert response.status_code == 404, (user, name)
    application.refresh_from_db()
    assert application.rt_id != rt2.pk


@pytest.mark.django_db
def test_reopen_page_flow_for_supervisor_and_403_for_officer(
    client, officer, supervisor, rt1, rt2, rt_chair, other_rt_chair
):
    application = case_in(S.REJECTED, officer=officer, rt=rt1, chair=rt_chair)
    page = reverse("services:application_detail", args=[application.code])
    url = reverse("verification:reopen", args=[application.code])
    client.force_login(officer)
    assert "Buka kembali permohonan" not in client.get(page).content.decode()
    assert client.post(url, {"rt": rt2.pk, "reason": "pindah"}).status_code == 403
    log_in(client, supervisor)
    assert "Buka kembali permohonan" in client.get(page).content.decode()
    missing = client.post(url, {"rt": rt2.pk, "reason": "", "note": "mohon cek"})
    html = missing.content.decode()
    assert "Tulis alasan membuka kembali" in html and "mohon cek" in html
    assert client.post(url, {"rt": rt2.pk, "reason": "pindah ke RT 002"}).status_code == 302
    application.refresh_from_db()
    assert application.state == S.IN_VERIFICATION and application.rt == rt2


# --- the service's own data fields (SITU: nama usaha) ------------------------------------------
@pytest.fixture
def situ(officer, rt1):
    return ApplicationFactory(
        officer=officer,
        rt=rt1,
        service="SITU",
        extra={"nama_usaha": "Warung Sembak0", "jenis_usaha": "Warung", "alamat_usaha": "Jl. A"},
    )


@pytest.mark.django_db
def test_a_typo_in_a_data_field_is_corrected_with_old_and_new_in_the_history(officer, situ):
    correct(situ, officer, extra={"nama_usaha": "Warung Sembako"})

    situ.refresh_from_db()
    assert situ.extra["nama_usaha"] == "Warung Sembako"
    assert situ.extra["jenis_usaha"] == "Warung"  # the other answers stay
    note = situ.events.latest("id").note
    assert note.startswith("Nama usaha: Warung Sembak0 → Warung Sembako. Alasan:")


@pytest.mark.django_db
def test_a_data_field_correction_is_validated_as_at_intake(officer, situ):
    with pytest.raises(WorkflowError) as excinfo:
        correct(situ, officer, extra={"nama_usaha": ""})
    assert "Nama usaha" in excinfo.value.message
    with pytest.raises(WorkflowError):
        correct(situ, officer, extra={"tidak_ada": "x"})
    situ.refresh_from_db()
    assert situ.extra["nama_usaha"] == "Warung Sembak0"


@pytest.mark.django_db
def test_the_correction_form_asks_and_saves_the_service_data_fields(officer_client, situ):
    page = officer_client.get(reverse("verification:correct", args=[situ.code]))
    assert 'value="Warung Sembak0"' in page.content.decode()

    response = officer_client.post(
        reverse("verification:correct", args=[situ.code]),
        form_data(
            situ,
            data_nama_usaha="Warung Sembako",
            data_jenis_usaha="Warung",
            data_alamat_usaha="Jl. A",
        ),
    )

    assert response.status_code == 302
    situ.refresh_from_db()
    assert situ.extra["nama_usaha"] == "Warung Sembako"


# --- the variant (jenis permohonan) chosen at intake -------------------------------------------
@pytest.mark.django_db
def test_a_wrong_variant_is_corrected_and_the_requirements_follow_it(officer, rt1):
    # A newborn's KK recorded as "pindah datang": it cannot be archived without a moving
    # certificate the family will never have.
    application = ApplicationFactory(
        officer=officer,
        rt=rt1,
        service="KK",
        variant="pindah-datang",
        docs=False,
        documents_of="baru",
        checked=True,
    )
    with pytest.raises(WorkflowError, match="pindah"):
        services_workflow.application_archive(application=application, by=officer)

    baru = application.service.variants.get(code="baru")
    correct(application, officer, variant=baru.pk)

    application.refresh_from_db()
    assert application.variant == baru
    assert application.events.latest("id").note.startswith(
        f"Jenis permohonan: Pindah datang → {baru.name}."
    )
    services_workflow.application_archive(application=application, by=officer)
    application.refresh_from_db()
    assert application.state == S.ARCHIVED


@pytest.mark.django_db
def test_the_variant_is_fixed_once_archived_and_must_be_of_the_service(officer, rt1):
    application = ApplicationFactory(
        officer=officer,
        rt=rt1,
        service="KK",
        variant="baru",
        docs=False,
        documents_of="baru",
        checked=True,
    )
    services_workflow.application_archive(application=application, by=officer)
    pindah = application.service.variants.get(code="pindah-datang")
    with pytest.raises(WorkflowError, match="sebelum permohonan diarsipkan"):
        correct(application, officer, variant=pindah.pk)

    # A variant of another service (or one that does not exist) is not a choice.
    other = ApplicationFactory(officer=officer, rt=rt1, service="KK", nik=OTHER_NIK)
    with pytest.raises(WorkflowError, match="jenis permohonan"):
        correct(other, officer, variant=999999)


@pytest.mark.django_db
def test_the_correction_form_offers_the_variants_of_the_case_service(officer_client, officer, rt1):
    application = ApplicationFactory(
        officer=officer,
        rt=rt1,
        service="KK",
        variant="pindah-datang",
        docs=False,
        documents_of="baru",
        checked=True,
    )
    baru = application.service.variants.get(code="baru")
    page = officer_client.get(reverse("verification:correct", args=[application.code]))
    assert 'name="variant"' in page.content.decode()

    response = officer_client.post(
        reverse("verification:correct", args=[application.code]),
        form_data(application, variant=baru.pk),
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.variant == baru
