"""The officer's intake and case page at 1366×768: files kept, anchors, accept all, one click."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from services.models import Application, ApplicationState, Verdict
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_intake_journey import photo
from tests.e2e.test_rt_chair_journey import login

REQUIREMENTS = [
    "Surat pengantar RT",
    "Fotokopi Kartu Keluarga (KK)",
    "Fotokopi KTP lama",
    "Pas foto",
]


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    # An anchor scrolls the element's top to the viewport's, give or take a sub-pixel
    # (-0.16 px when the page above it is a fractional height).
    return box is not None and -1 < box["y"] < page.viewport_size["height"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_officer_intake_keeps_files_and_the_case_page_lands_where_work_goes_on(
    live_server, desktop, settings
):
    page = desktop
    settings.DEBUG = True
    call_command("seed_demo")
    login(page, live_server.url, "petugas")

    # A typo in the NIK: the two photos already chosen are kept.
    page.goto(live_server.url + "/permohonan/baru/KTP/")
    page.get_by_label("Nama lengkap pemohon").fill("Siti Rahmawati")
    page.get_by_label("NIK pemohon").fill("3271014501")
    page.get_by_label("Nomor WhatsApp/telepon").fill("0812 3456 7890")
    page.get_by_label("Alamat", exact=True).fill("Jl. Mawar No. 3")
    page.get_by_label("RT/RW tempat tinggal").select_option(label="RT 001/RW 001")
    for i, label in enumerate(REQUIREMENTS[:2]):
        page.get_by_label(label, exact=True).set_input_files(
            [photo(f"berkas-{i}.jpg", (40 * i, 120, 200))]
        )
    page.get_by_role("button", name="Simpan permohonan").click()
    expect(page.locator(".message.error")).to_contain_text("tidak perlu dipilih ulang")
    expect(page.get_by_text("sudah dipilih: berkas-0.jpg ✓")).to_be_visible()
    expect(page.get_by_text("sudah dipilih: berkas-1.jpg ✓")).to_be_visible()
    assert not Application.objects.exists()
    assert_no_axe_violations(page, "intake form with kept files")
    assert_tap_targets(page)

    # Fix the NIK, add the last two documents: the case has all four.
    page.get_by_label("NIK pemohon").fill("3271014501900002")
    for i, label in enumerate(REQUIREMENTS[2:], start=2):
        page.get_by_label(label, exact=True).set_input_files(
            [photo(f"berkas-{i}.jpg", (40 * i, 120, 200))]
        )
    page.get_by_label("NIK pemohon").press("Enter")  # Enter saves, it never removes a file
    expect(page.get_by_role("heading", name="Tanda Terima Permohonan")).to_be_visible()
    application = Application.objects.get()
    names = sorted(application.attachments.values_list("original_name", flat=True))
    assert names == [f"berkas-{i}.jpg" for i in range(4)]
    expect(page.locator(".promise-date")).to_contain_text(re.compile(r"\w+, \d+ \w+ 20\d\d"))
    assert_no_axe_violations(page, "receipt")

    # Accept the first document: the page lands on the next one, not the top.
    page.get_by_role("link", name="Buka permohonan").click()
    assert_no_axe_violations(page, "case page")
    assert_tap_targets(page)
    first, second = application.attachments.all()[:2]
    page.locator(f"#berkas-{first.uuid}").get_by_role("button", name="Terima").click()
    expect(page.get_by_text("Berkas diterima.")).to_be_visible()
    assert page.url.endswith(f"#berkas-{second.uuid}")
    assert page.evaluate("window.scrollY") > 0
    assert in_viewport(page, page.locator(f"#berkas-{second.uuid}"))

    # Accept all the rest; the one-click archive-and-send is now offered.
    page.get_by_role("button", name=re.compile("Terima semua")).click()
    expect(page.get_by_text("Semua berkas yang belum diperiksa diterima.")).to_be_visible()
    assert page.url.endswith("#h-docs")
    assert not application.attachments.exclude(verdict=Verdict.ACCEPTED).exists()
    page.get_by_label("Catatan untuk Ketua RT").fill("mohon dicek alamatnya")
    page.get_by_role("button", name="Arsipkan & kirim ke Ketua RT").click()
    expect(page.locator(".message.success")).to_contain_text("Diarsipkan dan dikirim")
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_VERIFICATION
    assert_no_axe_violations(page, "case page in verification")

    # The queue: one box finds the case by a part of the phone number.
    page.goto(live_server.url + "/permohonan/")
    page.get_by_label("Cari kode, nama, nomor HP atau NIK").fill("+62 812 3456")
    page.get_by_role("button", name="Cari", exact=True).click()
    expect(page.locator("tbody")).to_contain_text(application.code)
    assert "q=%2B62+812+3456" in page.url
    page.get_by_label("Cari kode, nama, nomor HP atau NIK").fill(application.nik)
    page.get_by_role("button", name="Cari", exact=True).click()
    expect(page.get_by_text("Hasil pencarian NIK.")).to_be_visible()
    assert application.nik not in page.url
    assert_no_axe_violations(page, "queue")
    assert_tap_targets(page)
