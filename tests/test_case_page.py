"""The case page's ergonomics: land on the next document, accept all, archive-and-send, labels."""

import re

import pytest
from django.urls import reverse

from kelurahan.models import RT
from services import workflow
from services.forms import HandOverForm
from services.models import ApplicationEvent, ApplicationState, Verdict
from tests.factories import ApplicationFactory, case_in

S = ApplicationState


def detail_url(application):
    return reverse("services:application_detail", args=[application.code])


def docs(application):
    return list(application.attachments.all())


@pytest.fixture
def rt1_with_chair(rt1, rt_chair):
    return RT.objects.get(pk=rt1.pk)


# --- after a verdict: the next document, not the top of the page ----------------------------
@pytest.mark.django_db
def test_accepting_a_document_lands_on_the_next_one_waiting_for_a_verdict(
    officer_client, application
):
    first, second, *_ = docs(application)
    response = officer_client.post(
        reverse("services:attachment_accept", args=[application.code, first.uuid])
    )
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(application)}#berkas-{second.uuid}"


@pytest.mark.django_db
def test_rejecting_the_last_unchecked_document_lands_on_the_first_one_still_unchecked(
    officer_client, application
):
    first, *_, last = docs(application)
    response = officer_client.post(
        reverse("services:attachment_reject", args=[application.code, last.uuid]),
        {"reason": "buram"},
    )
    assert response["Location"] == f"{detail_url(application)}#berkas-{first.uuid}"


@pytest.mark.django_db
def test_after_the_last_verdict_the_page_lands_on_that_document(
    officer_client, officer, application
):
    *others, last = docs(application)
    for attachment in others:
        workflow.attachment_accept(attachment=attachment, by=officer)
    response = officer_client.post(
        reverse("services:attachment_accept", args=[application.code, last.uuid])
    )
    assert response["Location"] == f"{detail_url(application)}#berkas-{last.uuid}"
    # Every document on the page carries the anchor the redirect points to.
    page = officer_client.get(detail_url(application)).content.decode()
    assert all(f'id="berkas-{a.uuid}"' in page for a in docs(application))


@pytest.mark.django_db
def test_a_reject_without_reason_goes_back_to_that_document(officer_client, application):
    first = docs(application)[0]
    response = officer_client.post(
        reverse("services:attachment_reject", args=[application.code, first.uuid]),
        {"reason": " "},
    )
    assert response["Location"] == f"{detail_url(application)}#berkas-{first.uuid}"
    first.refresh_from_db()
    assert first.verdict == Verdict.PENDING


# --- accept all -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_accept_all_accepts_every_unchecked_document_with_one_event_each(
    officer_client, officer, application
):
    first, *rest = docs(application)
    workflow.attachment_reject(attachment=first, by=officer, reason="buram")
    page = officer_client.get(detail_url(application)).content.decode()
    assert f"Terima semua ({len(rest)} berkas belum diperiksa)" in page

    response = officer_client.post(
        reverse("services:attachment_accept_all", args=[application.code]), follow=True
    )
    assert response.redirect_chain[-1][0] == f"{detail_url(application)}#h-docs"
    verdicts = {a.pk: a.verdict for a in application.attachments.all()}
    assert verdicts[first.pk] == Verdict.REJECTED  # a verdict already given stays
    assert all(verdicts[a.pk] == Verdict.ACCEPTED for a in rest)
    accepted_events = ApplicationEvent.objects.filter(
        application=application, transition="accept_document"
    )
    assert accepted_events.count() == len(rest)
    assert "Terima semua" not in response.content.decode()


@pytest.mark.django_db
def test_accept_all_with_nothing_to_check_says_so(officer_client, officer, application):
    for attachment in docs(application):
        workflow.attachment_accept(attachment=attachment, by=officer)
    response = officer_client.post(
        reverse("services:attachment_accept_all", args=[application.code]), follow=True
    )
    assert "Tidak ada berkas yang belum diperiksa." in response.content.decode()


@pytest.mark.django_db
def test_accept_all_is_refused_once_the_case_is_archived(officer, application):
    for attachment in docs(application):
        workflow.attachment_accept(attachment=attachment, by=officer)
    workflow.application_archive(application=application, by=officer)
    with pytest.raises(workflow.WorkflowError):
        workflow.attachment_accept_all(application=application, by=officer)


@pytest.mark.django_db
def test_accept_all_of_another_office_or_by_an_rt_chair_is_404(
    client, application, other_officer, rt_chair
):
    url = reverse("services:attachment_accept_all", args=[application.code])
    for user in (other_officer, rt_chair):
        client.force_login(user)
        assert client.post(url).status_code == 404
    assert not application.attachments.exclude(verdict=Verdict.PENDING).exists()


@pytest.mark.django_db
def test_accept_all_by_another_office_in_the_workflow_is_refused(other_officer, application):
    with pytest.raises(workflow.WorkflowPermissionDenied):
        workflow.attachment_accept_all(application=application, by=other_officer)
    assert not application.attachments.exclude(verdict=Verdict.PENDING).exists()


# --- archive and send in one click ----------------------------------------------------------
@pytest.mark.django_db
def test_archive_and_send_shows_once_every_document_is_accepted_and_works(
    officer_client, officer, rt1_with_chair
):
    application = ApplicationFactory(officer=officer, rt=rt1_with_chair)
    page = officer_client.get(detail_url(application)).content.decode()
    assert "Arsipkan &amp; kirim ke Ketua RT</button>" not in page
    assert "muncul di sini setelah semua berkas diperiksa" in page

    workflow.attachment_accept_all(application=application, by=officer)
    page = officer_client.get(detail_url(application)).content.decode()
    action = reverse("verification:archive_and_send", args=[application.code])
    assert f'action="{action}"' in page
    assert "Arsipkan &amp; kirim ke Ketua RT</button>" in page

    officer_client.post(action, {"state": "received", "note": "mohon dicek"})
    application.refresh_from_db()
    assert application.state == S.IN_VERIFICATION


@pytest.mark.django_db
def test_archive_and_send_does_not_show_when_the_rt_has_no_chair(officer_client, officer, rt2):
    application = ApplicationFactory(officer=officer, rt=rt2)
    workflow.attachment_accept_all(application=application, by=officer)
    page = officer_client.get(detail_url(application)).content.decode()
    assert "Arsipkan &amp; kirim ke Ketua RT</button>" not in page


# --- labels ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_optional_labels_are_said_once_and_each_note_has_its_own_label(
    officer_client, officer, rt1_with_chair
):
    application = ApplicationFactory(officer=officer, rt=rt1_with_chair)
    page = officer_client.get(detail_url(application)).content.decode()
    assert "(tidak wajib) (tidak wajib)" not in page
    assert page.count("Catatan (tidak wajib)") == 0
    assert "Catatan pengarsipan" in page
    assert "Pesan kekurangan untuk pemohon" in page

    archived = case_in(S.ARCHIVED, officer=officer, rt=rt1_with_chair, nik="3271010101900011")
    page = officer_client.get(detail_url(archived)).content.decode()
    assert "Catatan untuk Ketua RT" in page
    assert "(tidak wajib) (tidak wajib)" not in page
    assert "(tidak wajib)</span> <span" not in page


@pytest.mark.django_db
def test_courier_fields_are_required_for_a_courier_and_labelled_so(officer_client, officer, rt1):
    assert not HandOverForm({"method": "courier", "courier_name": "JNE"}).is_valid()
    assert not HandOverForm({"method": "pickup"}).is_valid()
    assert HandOverForm({"method": "pickup", "received_by": "Siti"}).is_valid()
    assert HandOverForm(
        {"method": "courier", "courier_name": "JNE", "courier_receipt": "123"}
    ).is_valid()

    application = case_in(S.ISSUED, officer=officer, rt=rt1)
    response = officer_client.post(
        reverse("services:application_hand_over", args=[application.code]),
        {"state": "issued", "method": "courier", "courier_name": "JNE"},
        follow=True,
    )
    page = response.content.decode()
    assert "Wajib diisi bila surat dikirim lewat kurir." in page
    assert "Nomor resi — wajib bila dikirim kurir" in page
    assert "tidak wajib" not in page.split('class="no-print handover"')[1].split("</form>")[0]
    application.refresh_from_db()
    assert application.state == S.ISSUED


@pytest.mark.django_db
def test_a_hand_over_error_shows_the_form_again_with_what_the_officer_chose_and_typed(
    officer_client, officer, rt1
):
    application = case_in(S.ISSUED, officer=officer, rt=rt1)

    response = officer_client.post(
        reverse("services:application_hand_over", args=[application.code]),
        {"state": "issued", "method": "courier", "courier_name": "JNE Palembang"},
    )

    assert response.status_code == 200
    form = response.content.decode().split('class="no-print handover"')[1].split("</form>")[0]
    assert re.search(r'value="courier"[^>]*checked', form)
    assert not re.search(r'value="pickup"[^>]*checked', form)
    assert 'value="JNE Palembang"' in form
    # The error is at the field it belongs to, and that field is focused.
    assert re.search(r'<input[^>]*name="courier_receipt"[^>]*autofocus', form)
    receipt_field = form.split('name="courier_receipt"')[1].split('<div class="field')[0]
    assert "Wajib diisi bila surat dikirim lewat kurir." in receipt_field
    application.refresh_from_db()
    assert application.state == S.ISSUED
