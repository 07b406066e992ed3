"""UU PDP 27/2022 (SECURITY.md H47–H53; issue 15 point 11): the records of processing, a
person's data export, the retention job, the breach register's 72-hour clock, the DPIA and the
data protection officer on the privacy notice."""

import io
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from services.models import (
    AccessLog,
    Application,
    Attachment,
    DataBreach,
    Letter,
    Notification,
    ResidentMessage,
)
from services.pdp.breaches import breach_sweep
from services.pdp.export import person_export
from services.pdp.retention import REMOVED, retention_sweep
from tests.factories import NIK, AdminFactory, case_in, complaint_filed, issued_letter, log_in
from verification.models import NeighbourAttestation

ROOT = Path(__file__).resolve().parent.parent
OTHER_NIK = "3271011203850001"  # a man born 12 March 1985: someone else
WIB = ZoneInfo("Asia/Jakarta")


# --- H47: records of processing --------------------------------------------------------------
def test_h47_every_model_is_classified_in_the_records_of_processing():
    records = (ROOT / "docs" / "records-of-processing.md").read_text()
    models = [
        m
        for app in ("kelurahan", "services", "verification")
        for m in apps.get_app_config(app).get_models()
    ] + [apps.get_model("auth", "User")]
    missing = [m._meta.label for m in models if f"`{m._meta.label}`" not in records]
    assert not missing, f"docs/records-of-processing.md does not classify: {missing}"


def test_h49_the_dpia_names_the_specific_data_it_is_required_for():
    dpia = (ROOT / "docs" / "dpia.md").read_text()
    assert "Pasal 34" in dpia and "KK" in dpia and "pas foto" in dpia
    assert "children" in dpia and "facial image" in dpia


# --- H48: one person's data ------------------------------------------------------------------
@pytest.fixture
def two_people(officer, rt1, rt_chair):
    """Person A with two cases (one issued, with messages, an RT request and a complaint)
    and person B in the same office, sharing A's family card and phone."""
    issued = issued_letter(
        officer=officer, rt=rt1, chair=rt_chair, kk_number="3271010101010001", service="KTP"
    )
    a_issued = issued.application
    a_open = case_in("received", officer=officer, rt=rt1, service="KK")
    b_case = case_in(
        "received",
        officer=officer,
        rt=rt1,
        nik=OTHER_NIK,
        applicant_name="Budi Santoso",
        kk_number="3271010101010001",
        address="Jl. Melati No. 9",
    )
    complaint = complaint_filed(application=a_issued, text="Surat saya lama sekali jadinya.")
    return a_issued, a_open, b_case, issued, complaint


@pytest.mark.django_db
def test_h48_the_export_holds_every_case_document_and_message_of_the_person_only(
    two_people, supervisor
):
    a_issued, a_open, b_case, letter, complaint = two_people
    export = person_export(nik=NIK, by=supervisor)
    data = json.loads(export.json())
    assert {c["kode"] for c in data["permohonan"]} == {a_issued.code, a_open.code}
    issued = next(c for c in data["permohonan"] if c["kode"] == a_issued.code)
    assert issued["data_pemohon"]["nik"] == NIK
    assert len(issued["berkas"]) == a_issued.attachments.count()
    assert issued["surat"][0]["nomor"] == letter.number
    messages = ResidentMessage.objects.filter(application=a_issued)
    assert messages.exists()
    assert len(issued["pesan_kepada_pemohon"]) == messages.count()
    assert issued["pengaduan"][0]["kode"] == complaint.code
    assert issued["verifikasi_rt"], "the RT chair's decision is part of the export"
    # The files themselves: every document and the letter's PDF.
    expected = a_issued.attachments.count() + a_open.attachments.count() + 1
    assert len(export.files) == expected
    # Nothing of B, though B shares A's family card.
    text = export.json()
    assert b_case.code not in text and "Budi Santoso" not in text and OTHER_NIK not in text
    # Each exported case is in the access log under the person who answered the request.
    logged = AccessLog.objects.filter(action="pdp_export")
    assert set(logged.values_list("application_id", flat=True)) == {a_issued.pk, a_open.pk}
    assert set(logged.values_list("user_id", flat=True)) == {supervisor.pk}
    # The PDF is readable and names the cases.
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(export.pdf())).pages)
    assert a_issued.code in pdf_text and a_open.code in pdf_text


@pytest.mark.django_db
def test_h48_pdp_export_command_writes_json_pdf_and_files(two_people, supervisor, tmp_path):
    a_issued, a_open, *_ = two_people
    out = io.StringIO()
    call_command("pdp_export", nik=NIK, by=supervisor.username, out=str(tmp_path / "x"), stdout=out)
    data = json.loads((tmp_path / "x" / "data.json").read_text())
    assert data["jumlah_permohonan"] == 2
    assert (tmp_path / "x" / "data.pdf").read_bytes().startswith(b"%PDF")
    stored = list((tmp_path / "x").rglob("berkas/*"))
    assert len(stored) == a_issued.attachments.count() + a_open.attachments.count()
    assert "2 permohonan" in out.getvalue()


@pytest.mark.django_db
def test_h48_pdp_export_command_refuses_a_bad_nik_or_user(supervisor):
    with pytest.raises(CommandError, match="NIK"):
        call_command("pdp_export", nik="12345", by=supervisor.username)
    with pytest.raises(CommandError, match="tidak ditemukan"):
        call_command("pdp_export", nik=NIK, by="tidak-ada")


@pytest.mark.django_db
def test_h48_admin_action_gives_the_export_as_a_zip(client, officer, rt1):
    case = case_in("received", officer=officer, rt=rt1)
    log_in(client, AdminFactory())
    response = client.post(
        reverse("admin:services_application_changelist"),
        {"action": "pdp_export", "_selected_action": [case.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"data.json", "data.pdf"} <= set(names)
    assert len([n for n in names if "/berkas/" in n]) == case.attachments.count()


# --- H51: retention --------------------------------------------------------------------------
@pytest.mark.django_db
def test_h51_files_of_a_long_closed_case_are_deleted_and_its_letter_still_verifies(
    client, officer, rt1, rt_chair, django_capture_on_commit_callbacks
):
    closed = case_in("completed", officer=officer, rt=rt1, chair=rt_chair, jobs=True)
    recent = case_in("completed", officer=officer, rt=rt1, chair=rt_chair, jobs=True, service="KK")
    still_open = case_in("received", officer=officer, rt=rt1, service="SITU")
    letter = closed.letters.get()
    files = [a.file.name for a in closed.attachments.all()] + [letter.pdf.name]
    assert all(default_storage.exists(name) for name in files)
    later = closed.closed_at + timedelta(days=settings.PDP_DOCUMENTS_RETENTION_DAYS + 1)
    Application.objects.filter(pk=recent.pk).update(closed_at=later - timedelta(days=10))

    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        result = retention_sweep(now=later)

    assert result.files_deleted == 1 and result.anonymised == 0
    assert not any(default_storage.exists(name) for name in files)
    # The rows stay: what was received, and the letter's number and hash.
    assert Attachment.objects.filter(application=closed).count() == len(files) - 1
    assert set(Attachment.objects.filter(application=closed).values_list("file", flat=True)) == {""}
    letter.refresh_from_db()
    assert letter.number and letter.sha256 and not letter.pdf
    page = client.get(reverse("services:letter_verify", args=[letter.token]))
    assert page.status_code == 200 and letter.number in page.content.decode()
    # Neither the recently closed case nor the open one lost anything.
    for case in (recent, still_open):
        assert all(default_storage.exists(a.file.name) for a in case.attachments.all())
    assert Application.objects.get(pk=closed.pk).applicant_name == closed.applicant_name
    # Twice is once.
    assert retention_sweep(now=later) == type(result)(files_deleted=0, anonymised=0)


@pytest.mark.django_db
def test_h51_personal_data_of_an_older_case_are_replaced_everywhere(officer, rt1, rt_chair):
    case = case_in(
        "completed",
        officer=officer,
        rt=rt1,
        chair=rt_chair,
        neighbour_reason="baru pindah",
        jobs=True,
    )
    complaint_filed(application=case)
    views = AccessLog.objects.count()
    later = case.closed_at + timedelta(days=settings.PDP_ANONYMISE_AFTER_DAYS + 1)

    result = retention_sweep(now=later)

    assert result.anonymised == 1
    case.refresh_from_db()
    assert case.applicant_name == REMOVED and case.nik == "" and case.phone == ""
    assert case.address == REMOVED and case.extra == {} and case.anonymised_at == later
    assert not ResidentMessage.objects.filter(application=case).exclude(text=REMOVED).exists()
    assert not ResidentMessage.objects.filter(application=case).exclude(recipient="").exists()
    attestations = NeighbourAttestation.objects.filter(request__application=case)
    assert attestations.exists() and set(attestations.values_list("name", flat=True)) == {REMOVED}
    assert case.complaints.get().contact_phone == ""
    # Numbers and hashes of letters stay; the access log stays; the NIK finds nothing now.
    assert Letter.objects.filter(application=case).exclude(sha256="").exists()
    assert AccessLog.objects.count() == views
    assert person_export(nik=NIK, by=officer).cases == []


def test_h51_retention_settings_must_be_in_order():
    assert settings.PDP_ANONYMISE_AFTER_DAYS >= settings.PDP_DOCUMENTS_RETENTION_DAYS


# --- H52: breach register ---------------------------------------------------------------------
@pytest.mark.django_db
def test_h52_the_deadline_is_72_clock_hours_and_each_alert_goes_once(office, supervisor, officer):
    admin = AdminFactory()
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=WIB)  # weekends count: clock hours
    breach = DataBreach.objects.create(
        office=office,
        title="Laptop petugas hilang",
        discovered_at=friday,
        occurred="Laptop berisi ekspor data dicuri dari kantor, Jumat 4 Desember 2026 pagi.",
        data_affected="Nama, NIK dan alamat sekitar 40 pemohon KTP.",
        subjects_count=40,
        remedy="Kata sandi semua akun diganti; laporan ke polisi.",
    )
    assert breach.notify_due == datetime(2026, 12, 7, 16, 0, tzinfo=WIB)

    assert breach_sweep(now=friday + timedelta(hours=40)) == 0
    warned = breach_sweep(now=friday + timedelta(hours=49))
    assert warned == 2  # the office's supervisor and the superuser; not the officer
    assert breach_sweep(now=friday + timedelta(hours=50)) == 0
    recipients = set(
        Notification.objects.filter(kind="pdp_breach").values_list("recipient", flat=True)
    )
    assert recipients == {supervisor.pk, admin.pk}
    assert breach_sweep(now=friday + timedelta(hours=72)) == 2
    assert breach_sweep(now=friday + timedelta(hours=90)) == 0
    assert Notification.objects.filter(kind="pdp_breach").count() == 4
    # The written notice says what data, when and how, and the remedy (Pasal 46(2)).
    notice = breach.notice_text()
    for part in (breach.data_affected, breach.occurred, breach.remedy, "3 × 24 jam"):
        assert part in notice


@pytest.mark.django_db
def test_h52_a_notified_breach_raises_no_alert(office, supervisor):
    now = datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
    DataBreach.objects.create(
        office=office,
        title="Email salah kirim",
        discovered_at=now,
        occurred="-",
        data_affected="-",
        remedy="-",
        subjects_notified_at=now,
        agency_notified_at=now,
    )
    assert breach_sweep(now=now + timedelta(hours=100)) == 0


# --- H53: the data protection officer and the privacy notice ----------------------------------
@pytest.mark.django_db
def test_h53_the_privacy_notice_names_the_office_data_protection_officer(client, office):
    office.dpo_name = "Rina Wulandari, Sekretaris Kelurahan"
    office.dpo_contact = "pdp@bukitsangkal.go.id"
    office.save()
    page = client.get(reverse("services:public_privacy"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Rina Wulandari" in text and "pdp@bukitsangkal.go.id" in text
    assert "3 × 24 jam" in text and "pas foto" in text


@pytest.mark.django_db
def test_h53_intake_and_complaint_forms_show_the_privacy_notice(officer_client, client):
    intake = officer_client.get(reverse("services:application_create", args=["KTP"]), follow=True)
    assert reverse("services:public_privacy") in intake.content.decode()
    complaint = client.get(reverse("services:complaint_form"))
    assert reverse("services:public_privacy") in complaint.content.decode()
