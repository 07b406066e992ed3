"""The resident's side on a phone: the link on the receipt, the status page, the lookup.

A resident (a browser context of their own, never logged in) opens the link printed on the
receipt (and held by its QR code), sees the case waiting for the Ketua RT; the chair approves
and the officer issues the letter in another context; the resident reloads and sees the letter
ready, with where and when to collect it. With electronic delivery the resident downloads the
letter from the same page instead, and that completes the case.
"""

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.models import RT
from services.models import Application, ApplicationState
from services.selectors import current_letter
from services.tasks import render_letter_task
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import case_in

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "id-ID"}


def decode_qr(image, tmp_path) -> str:
    png = tmp_path / "qr.png"
    image.screenshot(path=str(png))
    return subprocess.run(
        ["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_resident_follows_the_receipt_link_while_rt_and_officer_move_the_case(
    live_server, browser, settings, tmp_path
):
    settings.DEBUG = True
    settings.SITE_URL = live_server.url
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    case = case_in(ApplicationState.IN_VERIFICATION, officer=officer, rt=rt, nik="3271014501900002")

    staff = browser.new_context(**PHONE)
    staff_page = staff.new_page()
    staff_page.set_default_timeout(15_000)
    resident = browser.new_context(**PHONE)
    phone = resident.new_page()
    phone.set_default_timeout(15_000)
    try:
        # The officer prints the receipt: a link in text and the same link in a QR code.
        login(staff_page, live_server.url, "petugas")
        staff_page.goto(live_server.url + f"/permohonan/{case.code}/tanda-terima/")
        link = staff_page.locator(".status-link").inner_text().strip()
        assert link == f"{live_server.url}/s/{case.status_token}/"
        assert decode_qr(staff_page.locator(".receipt-status img"), tmp_path) == link
        assert_no_axe_violations(staff_page, "tanda terima")

        # The resident opens it on a phone, logged in nowhere.
        phone.goto(link)
        expect(phone.locator(".headline")).to_have_text("Menunggu pemeriksaan Ketua RT 001/RW 001.")
        expect(phone.locator(".promise-date")).to_contain_text("Perkiraan selesai:")
        expect(phone.locator(".timeline")).to_contain_text("Dikirim ke Ketua RT untuk diperiksa")
        html = phone.content()
        assert case.nik not in html and "Jl. Mawar No. 3" not in html
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert_no_axe_violations(phone, "status: verifikasi RT")
        assert_tap_targets(phone)

        # Meanwhile the Ketua RT approves, and the officer issues the letter.
        staff_page.get_by_role("button", name="Keluar").click()
        login(staff_page, live_server.url, "ketua_rt01")
        staff_page.locator(".request-row", has_text=case.code).click()
        staff_page.get_by_role("button", name=re.compile("Setujui")).click()
        expect(staff_page.locator(".message.success")).to_contain_text(f"{case.code} disetujui")
        staff_page.get_by_role("button", name="Keluar").click()
        login(staff_page, live_server.url, "petugas")
        staff_page.goto(live_server.url + f"/permohonan/{case.code}/")
        staff_page.get_by_role("button", name=re.compile("Terbitkan surat")).click()
        expect(staff_page.locator(".message.success")).to_contain_text("Surat diterbitkan")
        assert Application.objects.get(pk=case.pk).state == ApplicationState.ISSUED

        # The officer's "what the resident sees" link opens the same page.
        with staff_page.expect_popup() as popup_info:
            staff_page.get_by_role("link", name="Lihat sebagai pemohon").click()
        popup = popup_info.value
        popup.wait_for_load_state()
        assert popup.url == link
        popup.close()

        # The resident reloads: the letter is ready, with where and when to collect it.
        phone.reload()
        expect(phone.locator(".headline")).to_have_text(
            "Surat sudah jadi dan siap diambil di kantor kelurahan."
        )
        pickup = phone.locator(".handover-info")
        expect(pickup).to_contain_text("Jl. Residen H. Abdul Rozak")
        expect(pickup).to_contain_text("Senin–Jumat, pukul 08.00–16.00 WIB")
        expect(pickup).to_contain_text("KTP asli pemohon")
        expect(phone.locator(".timeline")).to_contain_text("Surat selesai dibuat")
        assert_no_axe_violations(phone, "status: surat terbit")
        assert_tap_targets(phone)
    finally:
        staff.close()
        resident.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_resident_looks_up_a_case_by_code_and_phone_digits(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    case = case_in(ApplicationState.IN_VERIFICATION, officer=officer, rt=rt, nik="3271014501900002")

    page.goto(live_server.url + "/lacak/")
    assert_no_axe_violations(page, "lacak")
    assert_tap_targets(page)
    page.get_by_label("Kode permohonan").fill(case.code.lower())
    page.get_by_label("4 angka terakhir").fill("1111")
    page.get_by_role("button", name="Lihat status").click()
    expect(page.get_by_role("alert")).to_contain_text("tidak cocok")
    assert_no_axe_violations(page, "lacak: salah")
    page.get_by_label("4 angka terakhir").fill("7890")
    page.get_by_role("button", name="Lihat status").click()
    expect(page).to_have_url(f"{live_server.url}/s/{case.status_token}/")
    expect(page.locator(".headline")).to_contain_text("Menunggu pemeriksaan Ketua RT 001/RW 001")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_status_page_of_every_state_passes_axe_with_44px_targets(
    live_server, page, officer, rt_chair, rt1
):
    from tests.test_public_status import CASES

    for i, (name, expect_) in enumerate(CASES.items()):
        # One open case per NIK and service: each built case gets a NIK of its own.
        case = expect_.case(officer=officer, rt=rt1, chair=rt_chair, nik=f"32710145019002{i:02d}")
        page.goto(f"{live_server.url}/s/{case.status_token}/")
        expect(page.locator(".headline")).to_contain_text(expect_.headline)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        assert_no_axe_violations(page, f"status: {name}")
        assert_tap_targets(page)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_resident_downloads_the_letter_from_the_receipt_link_and_that_completes_the_case(
    live_server, browser, settings
):
    """Electronic delivery (SITU allows it): the resident follows the receipt's link, the
    RT chair approves and the officer issues in another context, the resident reloads and
    downloads the PDF (the file the verification page vouches for), which completes the
    case."""
    settings.DEBUG = True
    settings.SITE_URL = live_server.url
    # The letter's PDF is rendered below as the job cluster would, after the issue request,
    # so the resident first sees the page of a letter still being made.
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    case = case_in(
        ApplicationState.IN_VERIFICATION,
        officer=officer,
        rt=rt,
        service="SITU",
        delivery="electronic",
        nik="3271014501900002",
    )

    staff = browser.new_context(**PHONE)
    staff_page = staff.new_page()
    staff_page.set_default_timeout(15_000)
    resident = browser.new_context(**PHONE, accept_downloads=True)
    phone = resident.new_page()
    phone.set_default_timeout(15_000)
    try:
        login(staff_page, live_server.url, "petugas")
        staff_page.goto(live_server.url + f"/permohonan/{case.code}/tanda-terima/")
        expect(staff_page.locator(".receipt")).to_contain_text("Diunduh sendiri lewat tautan")
        link = staff_page.locator(".status-link").inner_text().strip()
        assert link == f"{live_server.url}/s/{case.status_token}/"

        phone.goto(link)
        expect(phone.locator(".headline")).to_have_text("Menunggu pemeriksaan Ketua RT 001/RW 001.")
        expect(phone.get_by_role("link", name="Unduh surat (PDF)")).to_have_count(0)
        assert_no_axe_violations(phone, "status elektronik: verifikasi RT")

        # The Ketua RT approves, the officer issues (its PDF is rendered by the job).
        staff_page.get_by_role("button", name="Keluar").click()
        login(staff_page, live_server.url, "ketua_rt01")
        staff_page.locator(".request-row", has_text=case.code).click()
        staff_page.get_by_role("button", name=re.compile("Setujui")).click()
        expect(staff_page.locator(".message.success")).to_contain_text(f"{case.code} disetujui")
        staff_page.get_by_role("button", name="Keluar").click()
        login(staff_page, live_server.url, "petugas")
        staff_page.goto(live_server.url + f"/permohonan/{case.code}/")
        staff_page.get_by_role("button", name=re.compile("Terbitkan surat")).click()
        expect(staff_page.locator(".message.success")).to_contain_text("Surat diterbitkan")
        letter = current_letter(case)
        assert not letter.is_rendered

        # Before the job has run, the page says so and there is nothing to download yet.
        phone.reload()
        expect(phone.locator(".headline")).to_have_text(
            "Surat sedang dibuat. Buka lagi halaman ini beberapa menit lagi."
        )
        assert phone.request.get(f"{link}surat/").status == 404
        assert_no_axe_violations(phone, "status elektronik: surat sedang dibuat")
        render_letter_task(letter.pk)  # the queued job, as the cluster runs it
        letter.refresh_from_db()

        # The resident reloads and downloads the letter.
        phone.reload()
        expect(phone.locator(".headline")).to_have_text(
            "Surat sudah jadi. Unduh surat Anda (PDF) di bawah ini."
        )
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert_no_axe_violations(phone, "status elektronik: surat terbit")
        assert_tap_targets(phone)
        with phone.expect_download() as download_info:
            phone.get_by_role("link", name="Unduh surat (PDF)").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        body = Path(download.path()).read_bytes()
        assert hashlib.sha256(body).hexdigest() == letter.sha256
        staff_page.goto(live_server.url + f"/v/{letter.token}")
        expect(staff_page.locator("main")).to_contain_text(letter.sha256)

        # The download completed the case: the resident's page and the officer's say so.
        phone.reload()
        expect(phone.locator(".headline")).to_have_text("Selesai. Surat sudah diunduh.")
        expect(phone.locator(".timeline")).to_contain_text("Surat diunduh pemohon")
        assert_no_axe_violations(phone, "status elektronik: selesai")
        assert_tap_targets(phone)
        staff_page.goto(live_server.url + f"/permohonan/{case.code}/")
        expect(staff_page.locator("main")).to_contain_text("Selesai")
        expect(staff_page.locator("main")).to_contain_text("Diunduh pemohon lewat tautan status")
        assert Application.objects.get(pk=case.pk).state == ApplicationState.COMPLETED
        assert case.events.filter(transition="hand_over").count() == 1
    finally:
        staff.close()
        resident.close()
