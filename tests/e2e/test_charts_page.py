"""The supervisor's charts on a phone, on a desk and in print: 0 axe violations, each SVG an
image named by its title and description beside its table, the date range's Indonesian
error, and a CSV that is the table."""

import csv
import io
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kelurahan.models import RT
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import cases_in_bulk, complaint_filed

CHARTS = 7


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_supervisor_reads_the_charts_on_a_phone_a_desk_and_paper(
    live_server, browser, settings, tmp_path
):
    settings.DEBUG = True
    call_command("seed_demo")  # the demo office and its 48 paper questionnaires
    officer = get_user_model().objects.get(username="petugas")
    rts = list(RT.objects.filter(rw__office=officer.membership.office).order_by("id")[:3])
    cases_in_bulk(60, officer=officer, rts=rts, start=timezone.now() - timedelta(days=12))
    complaint_filed(office=officer.membership.office)
    url = f"{live_server.url}/dasbor/{officer.membership.office.code}/grafik/"

    for name, viewport in (("phone", (390, 844)), ("desk", (1280, 900))):
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            locale="id-ID",
            accept_downloads=True,
        )
        page = context.new_page()
        login(page, live_server.url, "lurah")
        page.goto(live_server.url + "/dasbor/")
        page.get_by_role("link", name="Grafik kinerja").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Grafik kinerja layanan")
        images = page.get_by_role("img")
        expect(images).to_have_count(CHARTS)
        expect(page.get_by_role("img", name="Pelanggaran SLA per RT")).to_be_visible()
        expect(page.locator("table")).to_have_count(CHARTS)
        for i in range(CHARTS):  # no chart wider than the screen
            box = images.nth(i).bounding_box()
            assert 0 < box["width"] <= viewport[0], (name, i, box)
        assert_no_axe_violations(page, f"grafik ({name})")
        assert_tap_targets(page)
        page.screenshot(path=tmp_path / f"charts-{name}.png", full_page=True)

        if name == "phone":
            page.get_by_label("Dari tanggal").fill("2026-01-01")
            page.get_by_label("Sampai tanggal").fill("2025-01-01")
            page.get_by_role("button", name="Tampilkan").click()
            expect(page.get_by_text("Tanggal awal harus sebelum")).to_be_visible()
            assert_no_axe_violations(page, "grafik, rentang salah")
            page.goto(url)
            with page.expect_download() as download:
                page.locator("#grafik-pelanggaran-rt").get_by_role("link", name="Unduh CSV").click()
            text = Path(download.value.path()).read_text(encoding="utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            table = page.locator("#grafik-pelanggaran-rt table")
            assert rows[0] == table.locator("thead th").all_inner_texts()
            assert len(rows) - 1 == table.locator("tbody tr").count() > 0
        else:  # paper: the filter and the buttons go, every chart and table stays
            page.emulate_media(media="print")
            expect(page.locator("form.skm-filter")).to_be_hidden()
            expect(images).to_have_count(CHARTS)
            for i in range(CHARTS):
                expect(images.nth(i)).to_be_visible()
            page.screenshot(path=tmp_path / "charts-print.png", full_page=True)
        context.close()
    if os.environ.get("E2E_SCREENSHOTS"):  # to look at them: E2E_SCREENSHOTS=/some/dir
        for png in tmp_path.glob("*.png"):
            shutil.copy(png, os.environ["E2E_SCREENSHOTS"])
