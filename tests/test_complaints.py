"""Complaints (pengaduan): the steps with their events and messages, deadlines on the working
calendar, the sweep, the public form (anonymous, throttled, spam held), the status page, the
office's pages and their scoping."""

import hashlib
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from services import complaints
from services.documents.cleaning import clean_upload
from services.models import (
    Complaint,
    ComplaintBreach,
    ComplaintDeadline,
    ComplaintEvent,
    ComplaintState,
    Notification,
    ResidentMessage,
)
from services.sla import sla_sweep
from services.workflow import WorkflowError
from tests.factories import (
    COMPLAINT_TEXT,
    ApplicationFactory,
    OfficerFactory,
    complaint_filed,
    complaint_in,
    jpeg_upload,
)

WIB = ZoneInfo("Asia/Jakarta")
C = ComplaintState


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def transitions(complaint) -> list[str]:
    return list(complaint.events.order_by("id").values_list("transition", flat=True))


def messages_of(complaint) -> list[tuple[str, str, str]]:
    return list(
        ResidentMessage.objects.filter(complaint=complaint)
        .order_by("id")
        .values_list("step", "channel", "recipient")
    )


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


# --- the steps --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_complaint_moves_through_its_states_with_events_and_outbox_messages(officer):
    complaint = complaint_filed(office=officer.membership.office, contact_email="siti@contoh.id")
    assert complaint.state == C.RECEIVED and complaint.code.startswith("ADU-BKS-")
    assert messages_of(complaint) == [
        ("complaint_receive", "whatsapp", "6281234567890"),
        ("complaint_receive", "email", "siti@contoh.id"),
    ]

    complaints.complaint_verify(complaint=complaint, by=officer)
    complaints.complaint_answer(complaint=complaint, by=officer, answer="Loket kini dijaga.")
    complaints.complaint_close(complaint=complaint, by=officer)

    complaint.refresh_from_db()
    assert complaint.state == C.CLOSED
    assert complaint.answer == "Loket kini dijaga." and complaint.answered_by == officer
    assert complaint.assigned_to == officer  # who verified takes it when nobody had it
    assert transitions(complaint) == ["file", "verify", "answer", "close"]
    events = list(complaint.events.order_by("id").values_list("source", "target", "by"))
    assert events == [
        ("", C.RECEIVED, None),
        (C.RECEIVED, C.VERIFIED, officer.pk),
        (C.VERIFIED, C.ANSWERED, officer.pk),
        (C.ANSWERED, C.CLOSED, officer.pk),
    ]
    answer_texts = ResidentMessage.objects.filter(complaint=complaint, step="complaint_answer")
    assert [m.channel for m in answer_texts] == ["whatsapp", "email"]
    assert all("Loket kini dijaga." in m.text and complaint.code in m.text for m in answer_texts)
    assert all(complaint.token in m.text for m in answer_texts)  # the status link


@pytest.mark.django_db
def test_dismissal_needs_a_reason_and_tells_the_reporter_why(officer):
    complaint = complaint_filed(office=officer.membership.office)
    with pytest.raises(WorkflowError, match="alasan"):
        complaints.complaint_dismiss(complaint=complaint, by=officer, reason="  ")
    assert Complaint.objects.get(pk=complaint.pk).state == C.RECEIVED

    complaints.complaint_dismiss(complaint=complaint, by=officer, reason="Soal tagihan PLN.")

    complaint.refresh_from_db()
    assert complaint.state == C.DISMISSED and complaint.dismiss_reason == "Soal tagihan PLN."
    assert transitions(complaint) == ["file", "dismiss"]
    dismissal = ResidentMessage.objects.get(complaint=complaint, step="complaint_dismiss")
    assert "Soal tagihan PLN." in dismissal.text


@pytest.mark.django_db
def test_a_step_from_the_wrong_state_is_refused_and_changes_nothing(officer):
    complaint = complaint_filed(office=officer.membership.office)
    with pytest.raises(WorkflowError, match="tidak dapat dijawab"):
        complaints.complaint_answer(complaint=complaint, by=officer, answer="Jawaban.")
    with pytest.raises(WorkflowError, match="tidak dapat ditutup"):
        complaints.complaint_close(complaint=complaint, by=officer)
    assert transitions(complaint) == ["file"]
    assert Complaint.objects.get(pk=complaint.pk).answer == ""


@pytest.mark.django_db
def test_a_double_click_or_a_second_officer_on_a_stale_page_does_not_step_twice(officer):
    complaint = complaint_filed(office=officer.membership.office)
    stale = Complaint.objects.get(pk=complaint.pk)  # what the second officer's page showed
    complaints.complaint_verify(complaint=complaint, by=officer)
    second = OfficerFactory(office=officer.membership.office)

    with pytest.raises(WorkflowError, match="Diverifikasi"):
        complaints.complaint_verify(complaint=stale, by=second)

    assert transitions(complaint) == ["file", "verify"]
    answer = complaints.complaint_answer(complaint=complaint, by=officer, answer="Sudah beres.")
    with pytest.raises(WorkflowError):
        complaints.complaint_answer(complaint=stale, by=second, answer="Jawaban kedua.")
    assert Complaint.objects.get(pk=complaint.pk).answer == answer.answer == "Sudah beres."


@pytest.mark.django_db
def test_an_anonymous_complaint_works_and_gets_no_message(officer):
    complaint = complaint_in(
        "closed", by=officer, office=officer.membership.office, contact_name="", contact_phone=""
    )
    assert complaint.is_anonymous and complaint.state == C.CLOSED
    assert transitions(complaint) == ["file", "verify", "answer", "close"]
    assert ResidentMessage.objects.filter(complaint=complaint).count() == 0


@pytest.mark.django_db
def test_a_landline_gets_no_whatsapp_message(officer):
    complaint = complaint_filed(office=officer.membership.office, contact_phone="(0711) 123456")
    assert complaint.contact_phone == "+62711123456"
    assert messages_of(complaint) == []


@pytest.mark.django_db
def test_an_officer_of_another_office_may_not_take_a_step(officer, other_officer):
    complaint = complaint_filed(office=officer.membership.office)
    with pytest.raises(WorkflowError, match="bukan milik kantor Anda"):
        complaints.complaint_verify(complaint=complaint, by=other_officer)
    with pytest.raises(WorkflowError, match="bukan petugas kantor ini"):
        complaints.complaint_assign(complaint=complaint, by=officer, to=other_officer)
    assert transitions(complaint) == ["file"]


@pytest.mark.django_db
def test_assigning_and_the_lapor_number_are_events(officer, supervisor):
    complaint = complaint_filed(office=officer.membership.office)
    complaints.complaint_assign(complaint=complaint, by=supervisor, to=officer)
    complaints.complaint_assign(complaint=complaint, by=supervisor, to=officer)  # no change
    complaints.complaint_set_lapor_ref(complaint=complaint, by=officer, lapor_ref="LAP-2612-77")
    with pytest.raises(WorkflowError, match="Nomor LAPOR!"):
        complaints.complaint_set_lapor_ref(complaint=complaint, by=officer, lapor_ref="<b>")

    complaint.refresh_from_db()
    assert complaint.assigned_to == officer and complaint.lapor_ref == "LAP-2612-77"
    assert transitions(complaint) == ["file", "assign", "lapor_ref"]


@pytest.mark.django_db
def test_only_a_supervisor_publishes_and_only_an_answered_complaint(officer, supervisor):
    complaint = complaint_filed(office=officer.membership.office)
    with pytest.raises(WorkflowError, match="sudah dijawab"):
        complaints.complaint_publish(complaint=complaint, by=supervisor, published=True)
    complaint = complaint_in("answered", by=officer, office=officer.membership.office)
    with pytest.raises(WorkflowError, match="Lurah/Sekretaris"):
        complaints.complaint_publish(complaint=complaint, by=officer, published=True)

    complaints.complaint_publish(complaint=complaint, by=supervisor, published=True)

    assert Complaint.objects.get(pk=complaint.pk).published
    assert transitions(complaint)[-1] == "publish"


# --- deadlines --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_deadlines_skip_weekends_holidays_and_closed_days(officer, time_machine):
    office = officer.membership.office
    # Tuesday 22 December 2026: day 1; Wednesday day 2; Thursday 24 (cuti bersama), Friday 25
    # (Christmas) and the weekend are skipped: day 3 is Monday 28 December.
    time_machine.move_to(at("2026-12-22T10:00"), tick=False)
    complaint = complaint_filed(office=office)
    assert complaint.verify_due == at("2026-12-28T16:00")

    # Verified Monday 28: 5 working days after it are 29, 30, 31 December, 4 January
    # (1 January: New Year) and 6 January (5 January 2027: Isra Mi'raj).
    time_machine.move_to(at("2026-12-28T09:00"), tick=False)
    complaints.complaint_verify(complaint=complaint, by=officer)
    complaint.refresh_from_db()
    assert complaint.answer_due == at("2027-01-06T16:00")


@pytest.mark.django_db
def test_a_complaint_after_the_cutoff_starts_on_the_next_working_day(officer, time_machine):
    time_machine.move_to(at("2026-11-20T15:00"), tick=False)  # Friday, after 14:00
    complaint = complaint_filed(office=officer.membership.office)
    # Day 1 Monday 23, day 3 Wednesday 25 November.
    assert complaint.verify_due == at("2026-11-25T16:00")


@pytest.mark.django_db
def test_the_working_days_are_set_per_kind_in_the_admin_table(officer, time_machine):
    ComplaintDeadline.objects.filter(kind="informasi").update(verify_days=1, answer_days=2)
    time_machine.move_to(at("2026-11-23T10:00"), tick=False)  # Monday
    info = complaint_filed(office=officer.membership.office, kind="informasi")
    other = complaint_filed(office=officer.membership.office, text="Jalan di RT 2 berlubang.")
    assert info.verify_due == at("2026-11-23T16:00")
    assert other.verify_due == at("2026-11-25T16:00")
    complaints.complaint_verify(complaint=info, by=officer)
    info.refresh_from_db()
    assert info.answer_due == at("2026-11-25T16:00")


# --- the sweep --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_sweep_records_an_overdue_complaint_once_and_escalates(
    officer, supervisor, time_machine
):
    time_machine.move_to(at("2026-11-23T10:00"), tick=False)  # Monday; verify by Wednesday
    sla_sweep()
    complaint = complaint_filed(office=officer.membership.office)
    on_time = complaint_filed(office=officer.membership.office, text="Lampu jalan padam.")
    complaints.complaint_verify(complaint=on_time, by=officer)

    time_machine.move_to(at("2026-11-26T08:00"), tick=False)  # Thursday: one day late
    assert sla_sweep() == 1
    assert sla_sweep() == 0
    time_machine.move_to(at("2026-11-26T09:00"), tick=False)
    assert sla_sweep() == 0  # a later run, still once

    breach = ComplaintBreach.objects.get()
    assert (breach.complaint, breach.milestone) == (complaint, "verify")
    rows = sorted(
        Notification.objects.filter(key__startswith="complaint:").values_list(
            "recipient__username", "kind", "message", "url"
        )
    )
    url = f"/pengaduan/kelola/{complaint.code}/"
    assert rows == [
        (
            "lurah",
            "escalation",
            f"Eskalasi: pengaduan {complaint.code} terlambat: belum diverifikasi.",
            url,
        ),
        ("petugas", "breach", f"pengaduan {complaint.code} terlambat: belum diverifikasi.", url),
    ]
    assert reverse("services:complaint_detail", args=[complaint.code]) == url


@pytest.mark.django_db
def test_an_answer_given_late_is_still_a_breach(officer, time_machine):
    time_machine.move_to(at("2026-11-23T10:00"), tick=False)
    sla_sweep()
    complaint = complaint_filed(office=officer.membership.office)
    complaints.complaint_verify(complaint=complaint, by=officer)  # answer by Monday 30
    time_machine.move_to(at("2026-12-01T10:00"), tick=False)
    complaints.complaint_answer(complaint=complaint, by=officer, answer="Maaf terlambat.")

    assert sla_sweep() == 1
    assert list(ComplaintBreach.objects.values_list("milestone", flat=True)) == ["answer"]


# --- the public form --------------------------------------------------------------------------
def post_complaint(client, remote_addr="127.0.0.1", **overrides):
    data = {
        "kind": "pengaduan",
        "text": COMPLAINT_TEXT,
        "application_code": "",
        "contact_name": "",
        "contact_phone": "",
        "contact_email": "",
        **overrides,
    }
    return client.post(reverse("services:complaint_form"), data, REMOTE_ADDR=remote_addr)


@pytest.mark.django_db
def test_the_public_form_files_a_complaint_about_an_application_without_login(client, officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)
    office = officer.membership.office

    response = post_complaint(
        client,
        office=office.pk,
        application_code=case.code.lower(),
        contact_phone="0812-3456-7890",
        photo=jpeg_upload("jalan.jpg"),
    )

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("services:complaint_status", args=[complaint.token])
    assert complaint.application == case and complaint.office == office
    assert complaint.photo.name.endswith(".jpg") and len(complaint.photo_sha256) == 64
    # The case's own status page names the complaint (code, kind, state; no text).
    page = client.get(reverse("services:public_status", args=[case.status_token])).content
    assert complaint.code.encode() in page and COMPLAINT_TEXT.encode() not in page


@pytest.mark.django_db
def test_a_bad_application_code_or_phone_is_a_field_message_and_nothing_is_stored(client, office):
    response = post_complaint(
        client, office=office.pk, application_code="BKS-0000-0000", contact_phone="12"
    )
    page = response.content.decode()
    assert response.status_code == 200 and Complaint.objects.count() == 0
    assert "Kode permohonan itu tidak ditemukan" in page
    assert COMPLAINT_TEXT in page  # the typed text is kept


@pytest.mark.django_db
def test_a_pdf_is_refused_as_a_complaint_photo(client, office):
    from tests.factories import pdf_upload

    response = post_complaint(client, office=office.pk, photo=pdf_upload())
    assert Complaint.objects.count() == 0
    assert "harus berupa foto" in response.content.decode()


KEPT_PHOTO = re.compile(r'name="photo__simpan" value="([^"]+)"')


def kept_photo_token(response) -> str:
    page = response.content.decode()
    assert response.status_code == 200 and "sudah dipilih: jalan.jpg ✓" in page
    (token,) = KEPT_PHOTO.findall(page)
    return token


def pending_folder(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "pending"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad",
    [{"text": "pendek"}, {"application_code": "BKS-0000-0000"}],
    ids=["text-too-short", "unknown-reference-code"],
)
def test_a_photo_is_kept_when_another_field_fails_and_used_on_the_corrected_submit(
    client, office, settings, bad
):
    expected = clean_upload(jpeg_upload("jalan.jpg", color=(10, 120, 200))).content
    failed = post_complaint(
        client, office=office.pk, photo=jpeg_upload("jalan.jpg", color=(10, 120, 200)), **bad
    )
    token = kept_photo_token(failed)
    assert len(token) >= 32 and Complaint.objects.count() == 0
    assert pending_folder(settings)  # kept in private media, not in a public folder

    response = post_complaint(client, office=office.pk, photo__simpan=token)  # no file now

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    with complaint.photo.open("rb") as f:
        assert f.read() == expected
    assert complaint.photo_sha256 == hashlib.sha256(expected).hexdigest()
    assert pending_folder(settings) == []  # forgotten once filed


@pytest.mark.django_db
def test_a_kept_photo_cannot_be_claimed_by_another_visitor(client, office, settings):
    token = kept_photo_token(
        post_complaint(client, office=office.pk, text="pendek", photo=jpeg_upload("jalan.jpg"))
    )
    stranger = Client()
    response = post_complaint(stranger, office=office.pk, photo__simpan=token)
    assert response.status_code == 302
    assert not Complaint.objects.get().photo  # the token is not in the stranger's session
    assert pending_folder(settings)  # and the resident who chose it still has it
    post_complaint(client, office=office.pk, text="Laporan kedua warga.", photo__simpan=token)
    assert Complaint.objects.get(text="Laporan kedua warga.").photo


@pytest.mark.django_db
def test_a_photo_chosen_again_replaces_the_kept_one(client, office, settings):
    token = kept_photo_token(
        post_complaint(client, office=office.pk, text="pendek", photo=jpeg_upload("jalan.jpg"))
    )
    newer = clean_upload(jpeg_upload("baru.jpg", color=(0, 0, 0))).content
    post_complaint(
        client,
        office=office.pk,
        photo__simpan=token,
        photo=jpeg_upload("baru.jpg", color=(0, 0, 0)),
    )
    with Complaint.objects.get().photo.open("rb") as f:
        assert f.read() == newer
    assert pending_folder(settings) == []


@pytest.mark.django_db
def test_the_kept_photo_can_be_removed_without_filing(client, office, settings):
    token = kept_photo_token(
        post_complaint(client, office=office.pk, text="pendek", photo=jpeg_upload("jalan.jpg"))
    )
    response = post_complaint(client, office=office.pk, photo__simpan=token, hapus_berkas=token)
    page = response.content.decode()
    assert response.status_code == 200 and Complaint.objects.count() == 0
    assert "jalan.jpg dihapus dari laporan." in page and "sudah dipilih: jalan" not in page
    assert pending_folder(settings) == []


@pytest.mark.django_db
def test_a_wrong_file_beside_a_kept_photo_gets_its_message(client, office):
    from tests.factories import pdf_upload

    token = kept_photo_token(
        post_complaint(client, office=office.pk, text="pendek", photo=jpeg_upload("jalan.jpg"))
    )
    response = post_complaint(client, office=office.pk, photo__simpan=token, photo=pdf_upload())
    assert response.status_code == 200 and Complaint.objects.count() == 0
    assert "harus berupa foto" in response.content.decode()


@pytest.mark.django_db
def test_the_form_is_throttled_per_address(client, office, settings):
    settings.COMPLAINTS_PER_HOUR = 2
    for n in range(2):
        assert (
            post_complaint(client, office=office.pk, text=f"Laporan nomor {n} uji.").status_code
            == 302
        )
    response = post_complaint(client, office=office.pk, text="Laporan ketiga dari alamat sama.")
    assert response.status_code == 429
    assert "Terlalu banyak laporan" in response.content.decode()
    assert Complaint.objects.count() == 2
    other = post_complaint(
        client, office=office.pk, text="Dari alamat lain.", remote_addr="10.0.0.9"
    )
    assert other.status_code == 302 and Complaint.objects.count() == 3


@pytest.mark.django_db
def test_spam_is_held_for_review_and_gets_no_receipt_message(officer):
    office = officer.membership.office
    link = complaint_filed(office=office, text="Promo murah kunjungi www.contoh-promo.xyz sekarang")
    first = complaint_filed(office=office, text="Sampah  menumpuk di depan pos RW 3.")
    again = complaint_filed(office=office, text="sampah menumpuk di depan pos RW 3. ")

    assert (link.held, link.held_reason) == (True, "berisi tautan")
    assert not first.held
    assert (again.held, again.held_reason) == (True, "teks sama dengan laporan sebelumnya")
    assert messages_of(link) == messages_of(again) == []
    assert "Ditahan" in ComplaintEvent.objects.get(complaint=link).note
    complaints.complaint_verify(complaint=again, by=officer)  # an officer looked: released
    assert not Complaint.objects.get(pk=again.pk).held


@pytest.mark.django_db
def test_dismissing_a_held_complaint_messages_no_one(officer):
    office = officer.membership.office
    spam = complaint_filed(
        office=office,
        text="Promo murah kunjungi www.contoh-promo.xyz sekarang",
        contact_phone="081298765432",
        contact_email="korban@example.com",
    )
    assert spam.held

    complaints.complaint_dismiss(complaint=spam, by=officer, reason="Iklan, bukan pengaduan.")

    spam.refresh_from_db()
    assert spam.state == C.DISMISSED and spam.dismiss_reason == "Iklan, bukan pengaduan."
    assert transitions(spam) == ["file", "dismiss"]
    assert messages_of(spam) == []  # no receipt, and no dismissal either
    assert not ResidentMessage.objects.exists()


# --- the status page --------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_status_page_shows_the_answer_and_never_the_contact_in_full(client, officer):
    complaint = complaint_in(
        "answered",
        by=officer,
        office=officer.membership.office,
        contact_email="siti.rahma@contoh.id",
        answer="Kami sudah menegur petugas loket.",
    )
    response = client.get(reverse("services:complaint_status", args=[complaint.token]))
    page = response.content.decode()

    assert response.status_code == 200
    assert "Kami sudah menegur petugas loket." in page and complaint.code in page
    assert "noindex" in response["X-Robots-Tag"] and "no-store" in response["Cache-Control"]
    assert "081234567890" not in page and "6281234567890" not in page
    assert "siti.rahma@contoh.id" not in page
    assert "0812****7890" in page and "s*********@contoh.id" in page
    assert "Siti Rahmawati" not in page


@pytest.mark.django_db
def test_an_unknown_or_malformed_token_is_404(client):
    assert client.get(reverse("services:complaint_status", args=["x" * 22])).status_code == 404
    assert client.get("/pengaduan/s/%00abc/").status_code == 404


@pytest.mark.django_db
def test_the_public_list_is_off_by_default_and_shows_only_what_a_supervisor_published(
    client, officer, supervisor
):
    office = officer.membership.office
    url = reverse("services:complaint_public_list", args=[office.code])
    assert client.get(url).status_code == 404

    office.complaints_public_list = True
    office.save()
    shown = complaint_in("answered", by=officer, office=office, answer="Jalan diperbaiki.")
    complaint_in(
        "answered", by=officer, office=office, text="Lain hal tentang pasar.", answer="Rahasia."
    )
    complaints.complaint_publish(complaint=shown, by=supervisor, published=True)

    page = client.get(url).content.decode()
    assert "Jalan diperbaiki." in page and "Rahasia." not in page
    assert COMPLAINT_TEXT not in page and "Siti" not in page


# --- the office's pages -----------------------------------------------------------------------
@pytest.mark.django_db
def test_the_officer_answers_from_the_complaint_page_and_the_reporter_reads_it(client, officer):
    complaint = complaint_filed(office=officer.membership.office)
    client.force_login(officer)
    detail = reverse("services:complaint_detail", args=[complaint.code])
    assert client.get(detail).status_code == 200

    client.post(reverse("services:complaint_verify", args=[complaint.code]))
    refused = client.post(
        reverse("services:complaint_answer", args=[complaint.code]), {"answer": ""}
    )
    assert refused.status_code == 400 and "Tuliskan jawaban" in refused.content.decode()
    done = client.post(
        reverse("services:complaint_answer", args=[complaint.code]),
        {"answer": "Sudah kami tindak."},
    )

    assert done.status_code == 302 and done["Location"] == detail
    status = client.get(reverse("services:complaint_status", args=[complaint.token]))
    assert "Sudah kami tindak." in status.content.decode()
    page = client.get(detail).content.decode()
    assert "Kirim lewat WhatsApp" in page  # the answer waits for the officer's click


@pytest.mark.django_db
def test_the_whatsapp_click_on_a_complaint_message_is_an_event_once(client, officer):
    complaint = complaint_filed(office=officer.membership.office)
    message = ResidentMessage.objects.get(complaint=complaint)
    client.force_login(officer)
    url = reverse("services:resident_message_send", args=[message.uuid])
    first = client.post(url)
    client.post(url)
    assert first.status_code == 303 and first["Location"].startswith("https://wa.me/6281234567890")
    assert transitions(complaint) == ["file", "message_sent"]


@pytest.mark.django_db
def test_another_offices_officer_gets_404_on_every_complaint_page(client, officer, other_officer):
    complaint = complaint_in("verified", by=officer, office=officer.membership.office, photo=None)
    client.force_login(other_officer)
    code = complaint.code
    for name in ("complaint_detail", "complaint_photo"):
        assert client.get(reverse(f"services:{name}", args=[code])).status_code == 404
    for name, data in (
        ("complaint_verify", {}),
        ("complaint_answer", {"answer": "x"}),
        ("complaint_dismiss", {"reason": "x"}),
        ("complaint_close", {}),
        ("complaint_lapor", {"lapor_ref": "1"}),
        ("complaint_publish", {"published": "1"}),
        ("complaint_assign", {"to": str(other_officer.pk)}),
    ):
        assert client.post(reverse(f"services:{name}", args=[code]), data).status_code == 404
    assert transitions(complaint) == ["file", "verify"]
    assert other_officer.membership.office.code not in [
        c.code for c in client.get(reverse("services:complaint_queue")).context["page"]
    ]


@pytest.mark.django_db
def test_an_rt_chair_or_anonymous_user_does_not_see_the_queue(client, rt_chair):
    assert client.get(reverse("services:complaint_queue")).status_code == 302
    client.force_login(rt_chair)
    assert client.get(reverse("services:complaint_queue")).status_code == 404


@pytest.mark.django_db
def test_the_queue_lists_the_oldest_due_first_in_a_fixed_number_of_queries(
    client, officer, time_machine, django_assert_max_num_queries
):
    office = officer.membership.office
    time_machine.move_to(at("2026-11-23T10:00"), tick=False)
    late = complaint_filed(office=office, text="Laporan pertama yang paling lama.")
    time_machine.move_to(at("2026-11-24T10:00"), tick=False)
    for n in range(12):
        complaint_in("verified", by=officer, office=office, text=f"Laporan ke-{n} uji.")
    complaint_in("closed", by=officer, office=office, text="Sudah selesai.")
    client.force_login(officer)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("services:complaint_queue"))

    rows = list(response.context["page"])
    assert len(rows) == 13 and rows[0] == late
    assert [r.queue_due for r in rows] == sorted(r.queue_due for r in rows)
    closed = client.get(reverse("services:complaint_queue") + "?state=done").context["page"]
    assert [c.state for c in closed] == [C.CLOSED]


@pytest.mark.django_db
def test_the_photo_is_served_only_to_the_office(client, officer):
    from services.documents.cleaning import clean_upload

    complaint = complaint_filed(office=officer.membership.office, photo=clean_upload(jpeg_upload()))
    client.force_login(officer)
    response = client.get(reverse("services:complaint_photo", args=[complaint.code]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
