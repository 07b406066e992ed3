"""The resident's outbox: one message per step that matters, written in the step's transaction,
and the officer's one-click WhatsApp send (mark sent + open wa.me)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from services import workflow
from services.models import (
    ApplicationEvent,
    ApplicationState,
    MessageTemplate,
    ResidentMessage,
)
from services.notifications.residents import wa_me_link, whatsapp_number
from services.workflow import WorkflowError
from tests.factories import (
    NIK,
    ApplicationFactory,
    OfficerFactory,
    advance,
    case_in,
    log_in,
    sent_to_rt,
)
from verification import workflow as rt_workflow

S = ApplicationState
KK = "3271010101230005"


def messages_of(case, step=None):
    rows = ResidentMessage.objects.filter(application=case)
    return list(rows.filter(step=step) if step else rows)


def only_message(case, step):
    rows = messages_of(case, step)
    assert len(rows) == 1, [(m.step, m.channel) for m in rows]
    return rows[0]


# --- every step writes its one message ---------------------------------------------------------
def test_receive_writes_one_whatsapp_message_with_the_placeholders_filled(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, kk_number=KK, phone="0812-3456-7890")

    message = only_message(case, "receive")
    assert message.channel == "whatsapp"
    assert message.recipient == "6281234567890"
    assert message.office_id == case.office_id
    assert message.sent_at is None
    assert case.code in message.text
    assert case.service.name in message.text
    assert "S*** R********" in message.text  # the masked name, never the full one
    assert "Siti Rahmawati" not in message.text
    assert f"{settings.SITE_URL}/s/{case.status_token}/" in message.text
    assert case.office.name in message.text
    assert "{" not in message.text
    assert NIK not in message.text and KK not in message.text


def test_an_email_address_gets_its_own_email_message(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, email="siti@example.com")

    rows = messages_of(case, "receive")
    assert sorted((m.channel, m.recipient) for m in rows) == [
        ("email", "siti@example.com"),
        ("whatsapp", "6281234567890"),
    ]
    assert rows[0].text == rows[1].text


def test_a_landline_gets_no_whatsapp_message(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, phone="(0711) 123456")
    assert messages_of(case) == []


def test_mark_incomplete_writes_one_message_saying_what_is_missing(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, one_rejected=True)
    rejected = case.attachments.get(verdict="rejected").requirement.label

    workflow.application_mark_incomplete(application=case, by=officer)

    text = only_message(case, "mark_incomplete").text
    assert f"{rejected}: ditolak (foto buram)" in text
    assert case.code in text


def test_the_rt_return_writes_one_message_with_the_rt_reason(officer, rt1, rt_chair):
    request = sent_to_rt(officer=officer, rt=rt1)

    rt_workflow.verification_return(request=request, by=rt_chair, note="foto KK buram")

    text = only_message(request.application, "return_to_applicant").text
    assert "dikembalikan oleh Ketua RT: foto KK buram" in text


def test_the_rt_rejection_writes_one_message_with_the_rt_reason(officer, rt1, rt_chair):
    request = sent_to_rt(officer=officer, rt=rt1)

    rt_workflow.verification_reject(request=request, by=rt_chair, note="bukan warga RT 001")

    case = request.application
    assert [m.step for m in messages_of(case)] == ["receive", "reject"]
    text = only_message(case, "reject").text
    assert "ditolak oleh Ketua RT: bukan warga RT 001" in text
    assert case.code in text and f"/s/{case.status_token}/" in text


def test_a_refused_rejection_writes_no_message(officer, rt1, rt_chair):
    request = sent_to_rt(officer=officer, rt=rt1)
    with pytest.raises(WorkflowError):
        rt_workflow.verification_reject(request=request, by=rt_chair, note="  ")  # no reason
    with pytest.raises(WorkflowError):
        rt_workflow.verification_reject(request=request, by=officer, note="bukan warga")
    assert messages_of(request.application, "reject") == []


def test_reopen_writes_one_message_with_the_reason_and_the_new_date(
    officer, supervisor, rt1, rt_chair, time_machine
):
    time_machine.move_to("2026-11-23 09:00 +0700", tick=False)
    case = case_in(S.REJECTED, officer=officer, rt=rt1, chair=rt_chair)
    time_machine.move_to("2026-11-26 10:00 +0700", tick=False)  # a Thursday: day 1 again

    rt_workflow.application_reopen_and_send_to_rt(
        application=case, by=supervisor, reason="salah paham, pemohon warga RT 001"
    )

    assert [m.step for m in messages_of(case)] == ["receive", "reject", "reopen"]
    text = only_message(case, "reopen").text
    assert "dibuka kembali oleh kantor kelurahan: salah paham, pemohon warga RT 001" in text
    assert "Senin, 30 November 2026" in text  # day 3 of the restarted clock


def test_a_refused_reopen_writes_no_message(officer, rt1, rt_chair):
    case = case_in(S.REJECTED, officer=officer, rt=rt1, chair=rt_chair)
    with pytest.raises(WorkflowError):  # an officer may not reopen
        rt_workflow.application_reopen_and_send_to_rt(application=case, by=officer, reason="x")
    assert messages_of(case, "reopen") == []


def test_a_reopen_that_fails_at_the_rt_request_rolls_its_message_back(
    officer, supervisor, rt1, rt_chair
):
    from kelurahan.models import RT

    case = case_in(S.REJECTED, officer=officer, rt=rt1, chair=rt_chair)
    RT.objects.filter(pk=rt1.pk).update(chair=None)  # nobody to send it to: the step fails

    with pytest.raises(WorkflowError):
        rt_workflow.application_reopen_and_send_to_rt(
            application=case, by=supervisor, reason="dibuka lagi"
        )

    assert messages_of(case, "reopen") == []
    case.refresh_from_db()
    assert case.state == S.REJECTED


def test_approve_issue_and_hand_over_write_one_message_each(officer, rt1, rt_chair):
    case = case_in(S.COMPLETED, officer=officer, rt=rt1, chair=rt_chair)

    assert [m.step for m in messages_of(case)] == ["receive", "approve", "issue", "hand_over"]
    assert "disetujui Ketua RT" in only_message(case, "approve").text
    issue = only_message(case, "issue").text
    assert "sudah jadi" in issue and "ambil di kantor kelurahan" in issue
    assert "sudah diserahkan" in only_message(case, "hand_over").text


def test_a_courier_case_is_told_the_courier_brings_it(officer, rt1, rt_chair):
    case = case_in(
        S.ISSUED, officer=officer, rt=rt1, chair=rt_chair, delivery="courier",
        delivery_address="Jl. Melati 1",
    )  # fmt: skip
    assert "dikirim lewat kurir" in only_message(case, "issue").text


def test_cancel_writes_the_reason_and_masks_a_nik_typed_into_it(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)

    workflow.application_cancel(application=case, by=officer, reason=f"NIK {NIK} salah")

    text = only_message(case, "cancel").text
    assert NIK not in text
    assert f"NIK {NIK[:6]}******{NIK[-4:]} salah" in text


def test_a_refused_step_writes_no_message(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)  # nothing rejected: nothing missing
    before = messages_of(case)

    with pytest.raises(WorkflowError):
        workflow.application_mark_incomplete(application=case, by=officer)
    with pytest.raises(WorkflowError):
        workflow.application_issue(application=case, by=officer)  # not verified

    assert messages_of(case) == before


def test_a_step_that_fails_after_the_message_rolls_the_message_back(officer, rt1, monkeypatch):
    """The message is in the step's transaction: a failure later in the step takes it away."""
    case = ApplicationFactory(officer=officer, rt=rt1)

    def fail(*args, **kwargs):
        raise WorkflowError("gagal")

    original = workflow.message_resident

    def write_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        fail()

    monkeypatch.setattr(workflow, "message_resident", write_then_fail)
    with pytest.raises(WorkflowError):
        workflow.application_cancel(application=case, by=officer, reason="uji")

    assert messages_of(case, "cancel") == []
    case.refresh_from_db()
    assert case.state == S.RECEIVED


def test_an_inactive_template_sends_nothing_for_its_step(officer, rt1):
    MessageTemplate.objects.filter(step="cancel").update(active=False)
    case = ApplicationFactory(officer=officer, rt=rt1)
    workflow.application_cancel(application=case, by=officer, reason="uji")
    assert messages_of(case, "cancel") == []


# --- the wa.me link -----------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890"])
def test_the_wa_me_link_has_the_normalised_number_and_the_text(typed, officer, rt1):
    assert whatsapp_number(typed) == "6281234567890"
    case = ApplicationFactory(officer=officer, rt=rt1, phone=typed)
    message = only_message(case, "receive")

    link = urlsplit(wa_me_link(message))
    assert (link.scheme, link.netloc, link.path) == ("https", "wa.me", "/6281234567890")
    assert parse_qs(link.query)["text"] == [message.text]
    assert " " not in link.query and "&" not in link.query.removeprefix("text=")


# --- the one-click send ------------------------------------------------------------------------
def send_url(message):
    return reverse("services:resident_message_send", args=[message.uuid])


def test_the_click_marks_it_sent_writes_one_event_and_opens_whatsapp(officer_client, officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)
    message = only_message(case, "receive")

    response = officer_client.post(send_url(message))

    assert response.status_code == 303
    assert response["Location"] == wa_me_link(message)
    message.refresh_from_db()
    assert message.sent_by == officer and message.sent_at is not None
    events = ApplicationEvent.objects.filter(application=case, transition="message_sent")
    assert [(e.by, e.source, e.target) for e in events] == [(officer, S.RECEIVED, S.RECEIVED)]


def test_a_second_click_only_opens_whatsapp_again(officer_client, officer, supervisor, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)
    message = only_message(case, "receive")
    officer_client.post(send_url(message))
    message.refresh_from_db()
    first = message.sent_at

    log_in(officer_client, supervisor)
    response = officer_client.post(send_url(message))

    assert response.status_code == 303
    assert response["Location"] == wa_me_link(message)
    message.refresh_from_db()
    assert (message.sent_at, message.sent_by) == (first, officer)
    assert ApplicationEvent.objects.filter(transition="message_sent").count() == 1


def test_another_office_gets_404_and_nothing_changes(client, officer, other_officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)
    message = only_message(case, "receive")
    client.force_login(other_officer)

    assert client.post(send_url(message)).status_code == 404
    with pytest.raises(workflow.WorkflowPermissionDenied):
        workflow.resident_message_mark_sent(message=message, by=other_officer)

    message.refresh_from_db()
    assert message.sent_at is None
    assert not ApplicationEvent.objects.filter(transition="message_sent").exists()


def test_an_rt_chair_may_not_send(client, officer, rt1, rt_chair):
    case = ApplicationFactory(officer=officer, rt=rt1)
    client.force_login(rt_chair)
    assert client.post(send_url(only_message(case, "receive"))).status_code == 404
    assert client.get(reverse("services:resident_messages")).status_code in (403, 404)


def test_an_email_message_is_not_sent_by_click(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, email="siti@example.com")
    email = ResidentMessage.objects.get(application=case, channel="email")
    with pytest.raises(WorkflowError):
        workflow.resident_message_mark_sent(message=email, by=officer)
    email.refresh_from_db()
    assert email.sent_at is None


# --- the pages ---------------------------------------------------------------------------------
def test_the_case_page_lists_the_pending_whatsapp_messages(officer_client, officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)
    message = only_message(case, "receive")

    page = officer_client.get(case.get_absolute_url()).content.decode()
    assert "Pesan untuk pemohon" in page
    assert send_url(message) in page and 'target="_blank"' in page

    officer_client.post(send_url(message))
    page = officer_client.get(case.get_absolute_url()).content.decode()
    assert send_url(message) not in page


def test_the_pending_page_lists_the_office_messages_oldest_first(
    officer_client, officer, rt1, other_officer
):
    first = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900012")
    second = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900013")
    elsewhere = ApplicationFactory(officer=other_officer, nik="3271014501900014")

    page = officer_client.get(reverse("services:resident_messages")).content.decode()

    assert page.index(first.code) < page.index(second.code)
    assert elsewhere.code not in page
    assert send_url(only_message(elsewhere, "receive")) not in page
    assert NIK not in page


def test_the_pending_page_costs_the_same_queries_for_one_or_many(
    officer_client, officer, rt1, django_assert_max_num_queries
):
    url = reverse("services:resident_messages")
    ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900012")
    officer_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        officer_client.get(url)
    for n in range(13, 20):
        advance(
            ApplicationFactory(officer=officer, rt=rt1, nik=f"32710145019000{n}"),
            S.CANCELLED,
            by=officer,
        )
    assert ResidentMessage.objects.filter(sent_at__isnull=True).count() == 15

    with django_assert_max_num_queries(len(one)):
        response = officer_client.get(url)
    assert response.content.decode().count("card resident-message") == 15


def test_the_nav_links_officers_to_the_pending_page(officer_client):
    page = officer_client.get(reverse("services:queue")).content.decode()
    assert reverse("services:resident_messages") in page


# --- the admin ---------------------------------------------------------------------------------
def test_every_step_has_a_seeded_template_with_known_placeholders(db):
    steps = set(MessageTemplate.objects.values_list("step", flat=True))
    assert steps == {
        "receive",
        "mark_incomplete",
        "return_to_applicant",
        "approve",
        "issue",
        "hand_over",
        "cancel",
        "reject",
        "reopen",
        "complaint_receive",
        "complaint_answer",
        "complaint_dismiss",
    }
    for template in MessageTemplate.objects.all():
        template.full_clean()


def test_the_admin_refuses_an_unknown_placeholder(admin_client):
    template = MessageTemplate.objects.get(step="receive")
    url = reverse("admin:services_messagetemplate_change", args=[template.pk])

    response = admin_client.post(url, {"text": "Halo {nama}, NIK Anda {nik}.", "active": "on"})

    assert response.status_code == 200
    assert "Isian tidak dikenal: {nik}" in response.content.decode()
    template.refresh_from_db()
    assert "{nik}" not in template.text

    response = admin_client.post(url, {"text": "Halo {nama}, kode {kode}.", "active": "on"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.text == "Halo {nama}, kode {kode}."


def test_a_placeholder_with_attribute_access_is_refused(db):
    from django.core.exceptions import ValidationError

    from services.models.messages import validate_placeholders

    for text in ["{kode.__class__}", "{kode!r}", "{kode:>99}", "kode {"]:
        with pytest.raises(ValidationError):
            validate_placeholders(text)


def test_a_new_officer_of_the_same_office_sees_the_messages(client, officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)
    colleague = OfficerFactory(office=officer.membership.office)
    client.force_login(colleague)
    page = client.get(reverse("services:resident_messages")).content.decode()
    assert send_url(only_message(case, "receive")) in page


# --- a corrected phone or email: the unsent messages follow ---------------------------------------
def correct(case, by, **changes):
    return rt_workflow.application_correct(
        application=case, by=by, changes=changes, reason="salah ketik nomor"
    )


def test_a_corrected_mobile_number_takes_the_unsent_messages_with_it(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, one_rejected=True)
    sent = only_message(case, "receive")
    workflow.resident_message_mark_sent(message=sent, by=officer)
    workflow.application_mark_incomplete(application=case, by=officer)
    waiting = only_message(case, "mark_incomplete")
    assert waiting.recipient == "6281234567890"

    done = correct(case, officer, phone="0813 1111 2222")

    waiting.refresh_from_db()
    sent.refresh_from_db()
    assert waiting.recipient == "6281311112222" and waiting.state == "pending"
    assert sent.recipient == "6281234567890"  # what went out stays as it went
    assert "1 pesan yang belum terkirim dialihkan ke nomor baru." in done.note
    link = urlsplit(wa_me_link(waiting))
    assert link.path == "/6281311112222"


def test_a_number_corrected_to_a_landline_drops_the_unsent_whatsapp_messages(
    officer_client, officer, rt1
):
    case = ApplicationFactory(officer=officer, rt=rt1, email="siti@example.com")
    whatsapp = ResidentMessage.objects.get(application=case, channel="whatsapp")
    email = ResidentMessage.objects.get(application=case, channel="email")

    done = correct(case, officer, phone="(0711) 123456")

    whatsapp.refresh_from_db()
    email.refresh_from_db()
    assert whatsapp.state == "dropped" and "bukan nomor ponsel" in whatsapp.last_error
    assert email.state == "pending" and email.recipient == "siti@example.com"
    assert "1 pesan yang belum terkirim batal dikirim (bukan nomor ponsel)." in done.note
    page = officer_client.get(reverse("services:resident_messages")).content.decode()
    assert send_url(whatsapp) not in page
    with pytest.raises(WorkflowError):
        workflow.resident_message_mark_sent(message=whatsapp, by=officer)
    assert ApplicationEvent.objects.filter(transition="message_sent").count() == 0


def test_a_corrected_or_removed_email_takes_the_unsent_email_with_it(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, email="siti@exampel.com")
    email = ResidentMessage.objects.get(application=case, channel="email")
    whatsapp = ResidentMessage.objects.get(application=case, channel="whatsapp")

    correct(case, officer, email="siti@example.com")
    email.refresh_from_db()
    assert email.recipient == "siti@example.com" and email.state == "pending"
    assert email.next_attempt_at is not None  # due now for the sending job

    correct(case, officer, email="")
    email.refresh_from_db()
    whatsapp.refresh_from_db()
    assert email.state == "dropped" and email.next_attempt_at is None
    assert whatsapp.state == "pending" and whatsapp.recipient == "6281234567890"


def test_correcting_another_field_leaves_the_messages_alone(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)
    message = only_message(case, "receive")
    done = correct(case, officer, applicant_name="Siti Rahmawaty")
    message.refresh_from_db()
    assert (message.recipient, message.state) == ("6281234567890", "pending")
    assert "pesan" not in done.note
