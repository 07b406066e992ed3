import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_demo_officer_logs_in_reads_the_catalogue_and_logs_out(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")

    page.goto(live_server.url + "/layanan/")
    expect(page).to_have_url(re.compile(r"/masuk/\?next=/layanan/$"))
    page.get_by_label("Nama pengguna").fill("petugas")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()

    expect(page.get_by_role("heading", name="Katalog Layanan")).to_be_visible()
    for name in (
        "Pembuatan Kartu Keluarga (KK)",
        "Pembuatan KTP",
        "Surat Pengantar Nikah",
        "Surat Izin Tempat Usaha (SITU)",
    ):
        expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator("#layanan-ktp")).to_contain_text("Fotokopi KTP lama")
    expect(page.get_by_text("Kelurahan Bukit Sangkal").first).to_be_visible()
    # Fits a phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Keluar").click()
    expect(page).to_have_url(re.compile(r"/masuk/$"))
    page.goto(live_server.url + "/layanan/")
    expect(page).to_have_url(re.compile(r"/masuk/"))
