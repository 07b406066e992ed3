"""Electronic delivery: the resident downloads the letter from the status link.

A service allows it (``Service.electronic_delivery``: NIKAH and SITU as seeded, not KTP or
KK); the intake and correction forms offer it only there and the workflow refuses it
elsewhere. Once the letter is issued and rendered, ``/s/<token>/surat/`` serves the current
letter's PDF (the file whose SHA-256 ``/v/<token>`` shows); the first download completes the
case with one "hand_over" event taken by nobody, later ones only serve the file. Every
download is in the access log.
"""

from __future__ import annotations

import hashlib
import re
import threading

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from services import workflow
from services.forms import NO_ELECTRONIC, ApplicationForm, CorrectionForm, HandOverForm
from services.models import (
    AccessLog,
    Application,
    ApplicationEvent,
    ApplicationState,
    Delivery,
    ResidentMessage,
    Service,
)
from services.selectors import current_letter
from services.workflow import DOWNLOADED_NOTE, WorkflowError
from tests.conftest import jpeg_upload, sample_extra
from tests.factories import case_in

S = ApplicationState
ELECTRONIC = {"service": "SITU", "delivery": "electronic"}


def letter_url(case: Application) -> str:
    return reverse("services:public_letter", args=[case.status_token])


def status_url(case: Application) -> str:
    return reverse("services:public_status", args=[case.status_token])


def downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


def hand_overs(case: Application) -> list[ApplicationEvent]:
    return list(case.events.filter(transition="hand_over"))


@pytest.fixture
def issued(officer, rt1, rt_chair) -> Application:
    """A SITU case with electronic delivery, its letter issued and its PDF rendered."""
    return case_in(S.ISSUED, officer=officer, rt=rt1, chair=rt_chair, jobs=True, **ELECTRONIC)


# --- the seeded catalogue -----------------------------------------------------------------------
@pytest.mark.django_db
def test_the_migration_allows_downloads_for_the_letters_not_for_the_cards():
    allowed = dict(Service.objects.values_list("code", "electronic_delivery"))
    assert allowed == {"KK": False, "KTP": False, "NIKAH": True, "SITU": True}


# --- the download -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_first_download_completes_the_case_with_one_event_and_later_ones_add_none(
    client, issued
):
    letter = current_letter(issued)
    messages_before = ResidentMessage.objects.filter(application=issued).count()

    response = client.get(letter_url(issued))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="surat-' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    assert response["X-Content-Type-Options"] == "nosniff"
    body = downloaded(response)
    assert hashlib.sha256(body).hexdigest() == letter.sha256
    issued.refresh_from_db()
    assert issued.state == S.COMPLETED
    assert issued.downloaded_at is not None and issued.completed_at == issued.downloaded_at
    [event] = hand_overs(issued)
    assert (event.source, event.target, event.by_id) == (S.ISSUED, S.COMPLETED, None)
    assert event.note == f"{DOWNLOADED_NOTE} (surat {letter.number})."
    # The resident did it: no "handed over" message waits for the officer to send.
    assert ResidentMessage.objects.filter(application=issued).count() == messages_before
    assert not ResidentMessage.objects.filter(application=issued, step="hand_over").exists()

    again = client.get(letter_url(issued))
    assert again.status_code == 200 and downloaded(again) == body
    issued.refresh_from_db()
    assert len(hand_overs(issued)) == 1
    assert issued.completed_at == issued.downloaded_at
    logged = AccessLog.objects.filter(application=issued, action="resident_download_letter")
    assert [row.user_id for row in logged] == [None, None]


@pytest.mark.django_db
def test_the_downloaded_bytes_are_the_file_the_verification_page_vouches_for(client, issued):
    body = downloaded(client.get(letter_url(issued)))
    verify = client.get(reverse("services:letter_verify", args=[current_letter(issued).token]))
    assert hashlib.sha256(body).hexdigest() in verify.content.decode()
    assert body.startswith(b"%PDF")


@pytest.mark.django_db
def test_the_status_page_offers_the_download_then_says_it_was_downloaded(client, issued):
    html = client.get(status_url(issued)).content.decode()
    assert "Surat sudah jadi. Unduh surat Anda (PDF) di bawah ini." in html
    assert f'href="{letter_url(issued)}"' in html
    assert "Unduhan pertama dicatat" in html

    client.get(letter_url(issued))
    html = client.get(status_url(issued)).content.decode()
    assert "Selesai. Surat sudah diunduh." in html
    assert "Surat diunduh pemohon" in html.split('id="riwayat"')[1]
    assert f'href="{letter_url(issued)}"' in html  # still there, for a lost file
    assert "Surat sudah diunduh pada" in html


@pytest.mark.django_db
def test_the_case_page_shows_the_download_in_the_history(officer_client, issued):
    Client().get(letter_url(issued))
    html = officer_client.get(issued.get_absolute_url()).content.decode()
    assert DOWNLOADED_NOTE in html


# --- when there is nothing to download: 404, nothing written ----------------------------------
def assert_404_and_nothing_written(client, case: Application, url: str | None = None) -> None:
    events = case.events.count()
    state = Application.objects.get(pk=case.pk).state
    response = client.get(url or letter_url(case))
    assert response.status_code == 404
    assert case.events.count() == events
    assert Application.objects.get(pk=case.pk).state == state
    assert not AccessLog.objects.filter(application=case, action="resident_download_letter")


@pytest.mark.django_db
def test_a_revoked_letter_is_404_and_the_status_page_says_it_was_revoked(
    client, issued, supervisor
):
    workflow.letter_revoke(letter=current_letter(issued), by=supervisor, reason="salah nama")
    assert_404_and_nothing_written(client, issued)
    html = client.get(status_url(issued)).content.decode()
    assert "Surat dicabut oleh kantor kelurahan" in html
    assert letter_url(issued) not in html


@pytest.mark.django_db
def test_a_letter_not_yet_rendered_is_404_and_the_page_says_it_is_being_made(
    client, officer, rt1, rt_chair
):
    case = case_in(S.ISSUED, officer=officer, rt=rt1, chair=rt_chair, **ELECTRONIC)
    assert not current_letter(case).is_rendered
    assert_404_and_nothing_written(client, case)
    html = client.get(status_url(case)).content.decode()
    assert "Surat sedang dibuat." in html
    assert letter_url(case) not in html


@pytest.mark.django_db
@pytest.mark.parametrize("delivery", ["pickup", "courier"])
def test_a_case_that_did_not_choose_electronic_delivery_is_404(
    client, officer, rt1, rt_chair, delivery
):
    case = case_in(
        S.ISSUED,
        officer=officer,
        rt=rt1,
        chair=rt_chair,
        jobs=True,
        service="SITU",
        delivery=delivery,
        delivery_address="Jl. Kenanga 7" if delivery == "courier" else "",
    )
    assert current_letter(case).is_rendered
    assert_404_and_nothing_written(client, case)
    assert "Unduh surat" not in client.get(status_url(case)).content.decode()


@pytest.mark.django_db
def test_an_unknown_token_another_kind_of_token_or_a_case_not_issued_is_404(
    client, issued, officer, rt1, rt_chair
):
    waiting = case_in(
        S.IN_VERIFICATION, officer=officer, rt=rt1, nik="3271014501900041", **ELECTRONIC
    )
    assert_404_and_nothing_written(client, waiting)
    letter = current_letter(issued)
    for token in ("tidak-ada", issued.status_token[:-1], letter.token, issued.code):
        url = reverse("services:public_letter", args=[token])
        assert_404_and_nothing_written(client, issued, url)
    assert client.get(f"/s/{issued.status_token}%00/surat/").status_code == 404
    assert client.post(letter_url(issued)).status_code == 405
    assert Application.objects.get(pk=issued.pk).state == S.ISSUED


@pytest.mark.django_db
def test_the_workflow_refuses_a_letter_that_is_not_the_current_one(issued, supervisor, officer):
    old = current_letter(issued)
    workflow.letter_reissue(letter=old, by=officer, reason="salah ketik")
    with pytest.raises(WorkflowError, match="dicabut"):
        workflow.application_download_by_resident(application=issued, letter=old)
    issued.refresh_from_db()
    assert issued.state == S.ISSUED and not hand_overs(issued)


@pytest.mark.django_db
def test_after_a_replacement_the_download_is_the_new_letter(client, issued, officer):
    old = current_letter(issued)
    with TestCase.captureOnCommitCallbacks(execute=True):
        new = workflow.letter_reissue(letter=old, by=officer, reason="salah ketik")
    new.refresh_from_db()
    body = downloaded(client.get(letter_url(issued)))
    assert hashlib.sha256(body).hexdigest() == new.sha256 != old.sha256


# --- the officer's hand-over stays ----------------------------------------------------------------
@pytest.mark.django_db
def test_the_officer_can_still_record_a_pickup_and_the_file_stays_downloadable(
    client, issued, officer
):
    workflow.application_hand_over(
        application=issued, by=officer, method="pickup", received_by="Siti (pemohon)"
    )
    issued.refresh_from_db()
    assert issued.state == S.COMPLETED and issued.downloaded_at is None
    assert "Selesai. Surat sudah diambil." in client.get(status_url(issued)).content.decode()

    response = client.get(letter_url(issued))
    assert response.status_code == 200
    issued.refresh_from_db()
    assert len(hand_overs(issued)) == 1 and issued.downloaded_at is None


@pytest.mark.django_db
def test_the_officer_cannot_record_an_electronic_hand_over(issued, officer):
    assert Delivery.ELECTRONIC not in dict(HandOverForm.base_fields["method"].choices)
    with pytest.raises(WorkflowError, match="Pilih cara penyerahan"):
        workflow.application_hand_over(application=issued, by=officer, method="electronic")
    assert Application.objects.get(pk=issued.pk).state == S.ISSUED


# --- the service's flag, in the forms and the workflow ------------------------------------------
def delivery_choices(form) -> list[str]:
    return [value for value, _ in form.fields["delivery"].choices]


@pytest.mark.django_db
def test_the_intake_form_offers_electronic_delivery_only_where_the_service_allows_it(office):
    situ, ktp = Service.objects.get(code="SITU"), Service.objects.get(code="KTP")
    assert "electronic" in delivery_choices(ApplicationForm(office=office, service=situ))
    assert "electronic" not in delivery_choices(ApplicationForm(office=office, service=ktp))
    ktp.electronic_delivery = True
    ktp.save()
    assert "electronic" in delivery_choices(ApplicationForm(office=office, service=ktp))


@pytest.mark.django_db
def test_the_rt_chairs_assisted_form_offers_it_only_where_the_service_allows_it(rt_chair):
    from verification.forms import AssistedForm

    nikah, ktp = Service.objects.get(code="NIKAH"), Service.objects.get(code="KTP")
    assert "electronic" in delivery_choices(AssistedForm(chair=rt_chair, service=nikah))
    assert "electronic" not in delivery_choices(AssistedForm(chair=rt_chair, service=ktp))


def intake_post(rt, **changes) -> dict:
    return {
        "applicant_name": "Siti Rahmawati",
        "nik": "3271014501900002",
        "phone": "081234567890",
        "address": "Jl. Mawar No. 3",
        "rt": rt.pk,
        "channel": "walk_in",
        "delivery": "electronic",
        "berkas_ktp": jpeg_upload("ktp.jpg"),
        **changes,
    }


@pytest.mark.django_db
def test_electronic_delivery_posted_for_ktp_is_refused_and_the_chosen_file_is_kept(
    officer_client, rt1
):
    ktp = Service.objects.get(code="KTP")
    requirement = ktp.requirements.order_by("order").first()
    data = intake_post(rt1)
    data[f"berkas_{requirement.pk}"] = data.pop("berkas_ktp")
    url = reverse("services:application_create", args=["KTP"])

    response = officer_client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert NO_ELECTRONIC in html
    assert "sudah dipilih: ktp.jpg" in html  # the file survives the refusal
    assert 'value="Siti Rahmawati"' in html
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_electronic_delivery_is_recorded_for_situ_through_the_intake_form(officer_client, rt1):
    situ = Service.objects.get(code="SITU")
    data = intake_post(rt1, **{f"data_{k}": v for k, v in sample_extra(situ).items()})
    data.pop("berkas_ktp")
    response = officer_client.post(reverse("services:application_create", args=["SITU"]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Application.objects.get()
    assert (case.delivery, case.delivery_address) == ("electronic", "")


@pytest.mark.django_db
def test_the_workflow_refuses_electronic_delivery_for_a_service_that_does_not_allow_it(
    officer, rt1
):
    with pytest.raises(WorkflowError, match="tidak dapat diunduh sendiri"):
        case_in(S.RECEIVED, officer=officer, rt=rt1, service="KTP", delivery="electronic")
    assert not Application.objects.exists()
    with pytest.raises(WorkflowError, match="Pilih cara pengambilan"):
        case_in(S.RECEIVED, officer=officer, rt=rt1, service="SITU", delivery="drone")
    case = case_in(S.RECEIVED, officer=officer, rt=rt1, **ELECTRONIC)
    assert case.delivery == "electronic"


@pytest.mark.django_db
def test_a_correction_offers_and_accepts_electronic_delivery_only_where_allowed(
    officer, rt1, rt_chair
):
    ktp = case_in(S.RECEIVED, officer=officer, rt=rt1, service="KTP")
    assert "electronic" not in delivery_choices(CorrectionForm(application=ktp))
    with pytest.raises(WorkflowError, match="tidak dapat diunduh sendiri"):
        workflow.application_correct(
            application=ktp, by=officer, changes={"delivery": "electronic"}, reason="minta PDF"
        )
    ktp.refresh_from_db()
    assert ktp.delivery == "pickup" and ktp.events.filter(transition="correct").count() == 0

    situ = case_in(
        S.RECEIVED,
        officer=officer,
        rt=rt1,
        service="SITU",
        delivery="courier",
        delivery_address="Jl. Kenanga 7",
    )
    assert "electronic" in delivery_choices(CorrectionForm(application=situ))
    workflow.application_correct(
        application=situ, by=officer, changes={"delivery": "electronic"}, reason="minta PDF"
    )
    situ.refresh_from_db()
    assert (situ.delivery, situ.delivery_address) == ("electronic", "")


@pytest.mark.django_db
def test_a_case_keeps_its_electronic_delivery_when_the_service_stops_offering_it(officer, rt1):
    case = case_in(S.RECEIVED, officer=officer, rt=rt1, **ELECTRONIC)
    Service.objects.filter(code="SITU").update(electronic_delivery=False)
    case.refresh_from_db()
    assert "electronic" in delivery_choices(CorrectionForm(application=case))
    workflow.application_correct(
        application=case, by=officer, changes={"purpose": "izin warung"}, reason="lengkapi"
    )
    case.refresh_from_db()
    assert case.delivery == "electronic" and case.purpose == "izin warung"


# --- the resident's messages ----------------------------------------------------------------------
@pytest.mark.django_db
def test_the_issue_message_tells_the_resident_to_download_from_the_status_link(issued):
    message = ResidentMessage.objects.filter(application=issued, step="issue").first()
    assert message is not None
    assert "unduh surat (PDF) sendiri lewat tautan status" in message.text
    assert "ambil di kantor" not in message.text


# --- query count ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_status_page_query_count_is_the_same_for_electronic_cases_in_every_step(
    client, issued, officer, supervisor, django_assert_max_num_queries
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(status_url(issued)).status_code == 200
        return len(queries)

    baseline = count()
    for _ in range(3):  # letters revoked and replaced: more letters, more events
        workflow.letter_reissue(letter=current_letter(issued), by=officer, reason="koreksi")
    assert count() == baseline
    workflow.letter_revoke(letter=current_letter(issued), by=supervisor, reason="dicabut")
    assert count() == baseline
    with django_assert_max_num_queries(8):
        client.get(status_url(issued))


# --- two downloads at once ------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_downloads_at_once_complete_the_case_once(officer, rt1, rt_chair):
    case = case_in(S.ISSUED, officer=officer, rt=rt1, chair=rt_chair, jobs=True, **ELECTRONIC)
    letter = current_letter(case)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def download():
        try:
            barrier.wait(timeout=10)
            response = Client().get(letter_url(case))
            results.append((response.status_code, hashlib.sha256(downloaded(response)).hexdigest()))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert results == [(200, letter.sha256)] * 2
    case.refresh_from_db()
    assert case.state == S.COMPLETED
    assert len(hand_overs(case)) == 1
    assert (
        AccessLog.objects.filter(application=case, action="resident_download_letter").count() == 2
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workflow_calls_at_once_write_one_event(officer, rt1, rt_chair):
    case = case_in(S.ISSUED, officer=officer, rt=rt1, chair=rt_chair, jobs=True, **ELECTRONIC)
    letter = current_letter(case)
    barrier = threading.Barrier(2)
    results = []

    def complete():
        try:
            stale = Application.objects.get(pk=case.pk)  # both read it as issued
            barrier.wait(timeout=10)
            results.append(
                workflow.application_download_by_resident(application=stale, letter=letter)
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results, key=str) == [False, True], results
    assert len(hand_overs(case)) == 1


def test_the_download_link_is_not_a_pdf_url_on_the_status_page():
    # The status page's guard (tests/test_public_status.py) refuses ".pdf" in its HTML.
    assert not re.search(r"\.pdf", reverse("services:public_letter", args=["x" * 22]))
