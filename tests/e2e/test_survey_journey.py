"""The SKM survey on a phone: the resident answers after hand-over, once; the supervisor opens
the report and downloads the PDF, which is read back as one A4 page per table."""

import re
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from kelurahan.models import RT
from services.models import ApplicationState, SurveyResponse
from services.survey import ELEMENTS
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import case_in

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "id-ID"}
ANSWERS = [4, 3, 3, 4, 3, 4, 4, 2, 3]  # the resident's picks, U1–U9


def question(page, number: int):
    """The fieldset of question ``number`` (1–9), named by its legend."""
    return page.get_by_role("group", name=f"{number}. {ELEMENTS[number - 1].question}")


def pdf_pages(pdf, tmp_path) -> list[dict]:
    """Each page of the PDF: its size in points, its text, and its PNG (150 dpi)."""
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", pdf], capture_output=True, text=True, check=True
    ).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    subprocess.run(["pdftoppm", "-r", "150", "-png", pdf, tmp_path / "skm"], check=True)
    pages = []
    for n in range(1, count + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-layout", pdf, "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        png = next(tmp_path.glob(f"skm-{n}.png")) if count < 10 else tmp_path / f"skm-{n:02d}.png"
        pages.append({"size": tuple(float(v) for v in sizes[n - 1]), "text": text, "png": png})
    return pages


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_resident_answers_the_survey_and_the_supervisor_downloads_the_report(
    live_server, browser, settings, tmp_path
):
    settings.DEBUG = True
    call_command("seed_demo")  # 48 paper questionnaires of this semester
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    case = case_in(ApplicationState.COMPLETED, officer=officer, rt=rt, nik="3271014501900002")

    resident = browser.new_context(**PHONE)
    phone = resident.new_page()
    phone.set_default_timeout(15_000)
    staff = browser.new_context(**PHONE, accept_downloads=True)
    desk = staff.new_page()
    desk.set_default_timeout(15_000)
    try:
        # After hand-over the status page invites the resident.
        phone.goto(f"{live_server.url}/s/{case.status_token}/")
        phone.get_by_role("link", name="Isi survei kepuasan").click()
        expect(phone.get_by_role("heading", name="Survei Kepuasan Masyarakat")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert_no_axe_violations(phone, "survei")
        assert_tap_targets(phone)

        # Sending it half-filled names what is missing and keeps the picks.
        question(phone, 1).get_by_label(ELEMENTS[0].answers[3]).check()
        phone.get_by_role("button", name="Kirim jawaban").click()
        expect(phone.locator(".error-box")).to_contain_text("belum dijawab")
        assert_no_axe_violations(phone, "survei dengan kesalahan")
        assert question(phone, 1).get_by_label(ELEMENTS[0].answers[3]).is_checked()

        for number, (element, answer) in enumerate(zip(ELEMENTS, ANSWERS, strict=True), 1):
            question(phone, number).get_by_label(element.answers[answer - 1], exact=True).check()
        phone.get_by_role("group", name="Jenis kelamin").get_by_label("Perempuan").check()
        phone.get_by_role("group", name="Umur").get_by_label("30–39 tahun").check()
        phone.get_by_role("group", name="Pendidikan terakhir").get_by_label("SMA/SMK").check()
        phone.get_by_role("group", name="Pekerjaan utama").get_by_label("Lainnya").check()
        phone.get_by_label("Saran dan masukan").fill("Kursi ruang tunggu ditambah.")
        phone.get_by_role("button", name="Kirim jawaban").click()

        expect(phone.locator(".message.success")).to_contain_text("Terima kasih")
        expect(phone.locator(".survey-done")).to_be_visible()
        expect(phone.get_by_role("link", name="Isi survei kepuasan")).to_have_count(0)
        stored = SurveyResponse.objects.get(application=case)
        assert list(stored.answers) == ANSWERS and stored.channel == "online"

        # The link stops working after use, and says so.
        phone.goto(f"{live_server.url}/s/{case.status_token}/survei/")
        expect(phone.locator(".headline")).to_have_text(re.compile("sudah diisi"))
        assert_no_axe_violations(phone, "survei sudah diisi")

        # The supervisor opens the report from the menu and downloads the PDF.
        login(desk, live_server.url, "lurah")
        desk.get_by_role("link", name="SKM").click()
        expect(desk.get_by_role("heading", name="Survei Kepuasan Masyarakat")).to_be_visible()
        expect(desk.locator(".suggestions")).to_contain_text("Kursi ruang tunggu ditambah.")
        assert case.code not in desk.content()  # anonymous to staff
        n = SurveyResponse.objects.count()
        expect(desk.locator("#tabel-nrr caption")).to_contain_text(f"{n} responden")
        ikm_on_page = desk.locator(".ikm-value").inner_text().strip()
        assert_no_axe_violations(desk, "laporan SKM")
        assert_tap_targets(desk)
        with desk.expect_download() as download:
            desk.get_by_role("link", name="Unduh PDF").click()
        pdf = tmp_path / "skm.pdf"
        download.value.save_as(pdf)
    finally:
        resident.close()
        staff.close()

    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) == 3  # the NRR table, the profile tables, the suggestions
    for page in pages:
        width, height = page["size"]
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        with Image.open(page["png"]) as image:
            # A4 (210 × 297 mm) at 150 dpi: 1240.2 × 1753.9 px.
            assert abs(image.width - 1240) <= 1 and abs(image.height - 1754) <= 1
            # Readable: a page with ink on it, not a blank or a black sheet.
            grey = image.convert("L")
            dark = sum(grey.histogram()[:128]) / (grey.width * grey.height)
            assert 0.005 < dark < 0.3
    first, profile, suggestions = (p["text"] for p in pages)
    assert "Laporan Survei Kepuasan Masyarakat" in first and f"{n} responden" in first
    assert ikm_on_page in first and "U9" in first and "Sarana dan prasarana" in first
    assert "IKM = (Σ NRR × 1/9) × 25" in first
    assert "Profil responden" in profile and "Pekerjaan utama" in profile
    assert "Saran dan masukan" in suggestions and "Kursi ruang tunggu ditambah." in suggestions
