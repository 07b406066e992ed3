"""The camat on a phone: logs in with the second factor, reads the kecamatan's offices side
by side, drills into the office and into a case (read-only, access-logged), and the page
prints cleanly; 0 axe violations and 44 px tap targets on each page."""

import os
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.models import RT
from services.models import AccessLog, ApplicationState
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import case_in


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_camat_reads_the_overview_an_office_and_a_case_on_a_phone(
    live_server, page, settings, tmp_path
):
    settings.DEBUG = True
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    case = case_in(
        ApplicationState.IN_VERIFICATION, officer=officer, rt=rt, applicant_name="Rahmat Hidayat"
    )
    assert page.viewport_size == {"width": 390, "height": 844}

    login(page, live_server.url, "camat")  # enrolls the authenticator on the first login
    assert page.url == live_server.url + "/pengawasan/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Pengawasan layanan kelurahan")
    expect(page.get_by_role("link", name="Kel. Bukit Sangkal")).to_be_visible()
    expect(page.get_by_text("Sukabangun")).to_have_count(0)  # another kecamatan
    assert_no_axe_violations(page, "camat: pengawasan")
    assert_tap_targets(page)
    page.screenshot(path=tmp_path / "oversight-phone.png", full_page=True)

    page.get_by_role("link", name="Kel. Bukit Sangkal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kelurahan Bukit Sangkal")
    expect(page.get_by_role("heading", name="Terlambat per tahap")).to_be_visible()
    expect(page.get_by_role("heading", name="Pelanggaran SLA per RT")).to_be_visible()
    expect(page.get_by_role("link", name="Unduh CSV")).to_have_count(0)
    assert_no_axe_violations(page, "camat: kantor BKS")
    assert_tap_targets(page)

    page.get_by_role("link", name=case.code).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.code)
    expect(page.get_by_text(case.applicant_name).first).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)  # no action of any kind
    assert_no_axe_violations(page, f"camat: permohonan {case.code}")
    assert_tap_targets(page)
    camat = get_user_model().objects.get(username="camat")
    assert AccessLog.objects.filter(user=camat, application=case, action="oversight_view").exists()

    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="‹ Kel. Bukit Sangkal")).to_be_hidden()
    expect(page.get_by_role("heading", name="Riwayat")).to_be_visible()
    page.screenshot(path=tmp_path / "oversight-case-print.png", full_page=True)
    if os.environ.get("E2E_SCREENSHOTS"):  # to look at them: E2E_SCREENSHOTS=/some/dir
        for png in tmp_path.glob("*.png"):
            shutil.copy(png, os.environ["E2E_SCREENSHOTS"])
