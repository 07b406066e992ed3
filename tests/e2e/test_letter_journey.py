import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD
from kelurahan.models import RT
from services.models import Application, ApplicationState
from tests.factories import case_in


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_officer_issues_downloads_verifies_and_hands_over_a_letter(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    application = case_in(ApplicationState.VERIFIED, officer=officer, rt=rt)

    page.goto(live_server.url + "/masuk/")
    page.get_by_label("Nama pengguna").fill("petugas")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto(live_server.url + f"/permohonan/{application.code}/")
    page.get_by_role("button", name=re.compile("Terbitkan surat")).click()
    expect(page.locator(".message.success")).to_contain_text("Surat diterbitkan")
    expect(page.locator("h1 .state")).to_have_text("Surat terbit")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Unduh PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"

    with page.expect_popup() as popup_info:
        page.get_by_role("link", name="Halaman verifikasi").click()
    verify = popup_info.value
    expect(verify.get_by_text("SAH")).to_be_visible()
    verify.close()

    # Scoped: the correction form on the same page offers the same delivery choices.
    page.locator("form.handover").get_by_label("Diambil di kantor kelurahan").check()
    page.get_by_label("Diambil oleh (nama dan hubungan)").fill("Siti Rahmawati (pemohon)")
    page.get_by_role("button", name="Catat penyerahan").click()
    expect(page.locator(".message.success")).to_contain_text("permohonan selesai")
    expect(page.locator("h1 .state")).to_have_text("Selesai")
    assert Application.objects.get(pk=application.pk).state == ApplicationState.COMPLETED
