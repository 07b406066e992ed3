"""A resident reports a problem with their application from a phone (390×844), an officer
answers it on the office's pages, and the resident reads the answer on the complaint's status
page; every public page of the journey passes axe with 44 px tap targets."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.models import RT
from services.models import ApplicationState, Complaint, ResidentMessage
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import case_in, jpeg_upload

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "id-ID"}
TEXT = "Sudah lewat tanggal janji di tanda terima, tetapi surat saya belum juga jadi."
ANSWER = "Mohon maaf, Ketua RT baru memeriksa kemarin. Surat Anda selesai hari ini."


def new_phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_resident_files_a_complaint_the_officer_answers_the_resident_reads_it(
    live_server, browser, settings
):
    settings.DEBUG = True
    settings.SITE_URL = live_server.url
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    case = case_in(ApplicationState.ARCHIVED, officer=officer, rt=rt, nik="3271014501900002")

    resident_context, resident = new_phone(browser)
    staff_context, staff = new_phone(browser)
    try:
        # The resident starts from the footer of their case's status page.
        resident.goto(live_server.url + f"/s/{case.status_token}/")
        resident.get_by_role("link", name="Sampaikan pengaduan").click()
        expect(resident.get_by_role("heading", name="Sampaikan pengaduan")).to_be_visible()
        assert_no_axe_violations(resident, "formulir pengaduan")
        assert_tap_targets(resident)

        resident.get_by_label("Pengaduan", exact=True).check()
        resident.get_by_label("Isi laporan").fill(TEXT)
        resident.get_by_label("Kode permohonan yang dilaporkan").fill("BKS-0000-0000")  # typo
        resident.get_by_label("Nama").fill("Siti Rahmawati")
        resident.get_by_label("Nomor WhatsApp/telepon").fill("0812 3456 7890")
        photo = jpeg_upload("jalan.jpg")
        resident.get_by_label("Foto pendukung").set_input_files(
            files=[{"name": "jalan.jpg", "mimeType": "image/jpeg", "buffer": photo.read()}]
        )
        resident.get_by_role("button", name="Kirim laporan").click()

        # The typo is marked; the photo is kept and need not be picked again.
        expect(resident.get_by_text("Kode permohonan itu tidak ditemukan")).to_be_visible()
        expect(resident.get_by_text("sudah dipilih: jalan.jpg ✓")).to_be_visible()
        assert_no_axe_violations(resident, "formulir pengaduan: foto tersimpan")
        assert_tap_targets(resident)
        resident.get_by_label("Kode permohonan yang dilaporkan").fill(case.code)
        resident.get_by_role("button", name="Kirim laporan").click()

        expect(resident.get_by_text("sudah diterima dan sedang diperiksa")).to_be_visible()
        complaint = Complaint.objects.get(application=case)
        assert complaint.photo  # the kept photo came with the corrected submit
        assert resident.url == live_server.url + f"/pengaduan/s/{complaint.token}/"
        expect(resident.get_by_text(complaint.code).first).to_be_visible()
        expect(resident.get_by_text("0812****7890")).to_be_visible()
        assert "0812 3456 7890" not in resident.content()
        assert_no_axe_violations(resident, "status pengaduan: diterima")
        assert_tap_targets(resident)

        # The officer, on another phone: the queue, the complaint, verify, answer.
        login(staff, live_server.url, "petugas")
        staff.get_by_role("link", name="Pengaduan", exact=True).click()
        expect(staff.get_by_role("heading", name="Pengaduan")).to_be_visible()
        assert_no_axe_violations(staff, "antrean pengaduan")
        assert_tap_targets(staff)
        staff.get_by_role("link", name=complaint.code).click()
        expect(staff.get_by_role("heading", name=complaint.code)).to_be_visible()
        expect(staff.get_by_role("link", name=case.code)).to_be_visible()
        assert_no_axe_violations(staff, "halaman pengaduan")
        assert_tap_targets(staff)
        staff.get_by_role("button", name="Verifikasi: ini laporan yang ditindaklanjuti").click()
        expect(staff.get_by_text("Pengaduan diverifikasi")).to_be_visible()
        staff.get_by_label("Jawaban untuk pelapor").fill(ANSWER)
        staff.get_by_role("button", name="Kirim jawaban").click()
        expect(staff.get_by_text("Jawaban disimpan")).to_be_visible()
        section = staff.locator(
            "section", has=staff.get_by_role("heading", name="Pesan untuk pelapor")
        )
        expect(section).to_contain_text(ANSWER)
        assert_no_axe_violations(staff, "halaman pengaduan: dijawab")

        # The resident reloads the complaint's status page and reads the answer.
        resident.reload()
        answer = resident.locator(
            "section", has=resident.get_by_role("heading", name="Jawaban kantor kelurahan")
        )
        expect(answer).to_contain_text(ANSWER)
        assert_no_axe_violations(resident, "status pengaduan: dijawab")
        assert_tap_targets(resident)
        # ... and the case's status page lists the complaint.
        resident.goto(live_server.url + f"/s/{case.status_token}/")
        expect(resident.get_by_text(complaint.code)).to_be_visible()
        assert_no_axe_violations(resident, "status permohonan dengan pengaduan")

        assert ResidentMessage.objects.filter(
            complaint=complaint, step="complaint_answer", recipient="6281234567890"
        ).exists()
    finally:
        resident_context.close()
        staff_context.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_public_complaint_list_passes_axe(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    from kelurahan.models import Office

    Office.objects.update(complaints_public_list=True)
    Complaint.objects.filter(state="closed").update(published=True)
    page.goto(live_server.url + "/pengaduan/daftar/BKS/")
    expect(
        page.get_by_role("heading", name="Pengaduan dan jawaban Kelurahan Bukit Sangkal")
    ).to_be_visible()
    expect(page.get_by_text("Ketua RT diingatkan otomatis", exact=False)).to_be_visible()
    assert_no_axe_violations(page, "daftar pengaduan publik")
    assert_tap_targets(page)
