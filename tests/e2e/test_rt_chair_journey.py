import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD
from kelurahan.models import RT
from services.models import Application, ApplicationState
from tests.e2e.second_factor import pass_second_factor
from tests.factories import case_in


def login(page, base, username):
    page.goto(base + "/masuk/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    pass_second_factor(page, username)  # supervisors and superusers: the TOTP step


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rt_chair_verifies_on_a_phone_and_the_officer_sees_the_return(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    first = case_in(
        ApplicationState.IN_VERIFICATION,
        officer=officer,
        rt=rt,
        nik="3271014501900002",
        neighbour_reason="baru pindah",
    )
    second = case_in(
        ApplicationState.IN_VERIFICATION, officer=officer, rt=rt, nik="3271010101900003"
    )
    assert page.viewport_size == {"width": 390, "height": 844}

    login(page, live_server.url, "ketua_rt01")
    expect(page.get_by_role("heading", name="Verifikasi RT 001/RW 001")).to_be_visible()
    expect(page.locator(".nav .count")).to_have_text("2")
    page.locator(".request-row", has_text=first.code).click()

    # Open a document in the viewer, then full size in a tab of its own.
    page.locator(".gallery a").first.click()
    expect(page.locator("dialog.viewer")).to_be_visible()
    with page.expect_popup() as popup_info:
        page.locator("dialog.viewer").get_by_role("link", name="Asli").click()
    page.locator("dialog.viewer").get_by_role("button", name="Tutup").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert "/berkas/" in popup.url
    popup.close()

    # Approving a flagged request needs a neighbour first.
    page.get_by_role("button", name=re.compile("Setujui")).click()
    expect(page.locator(".message.error")).to_contain_text("perlu kesaksian tetangga")
    page.get_by_label("Nama tetangga").fill("Pak Joko")
    page.get_by_label("Rumah/alamat").fill("Jl. Mawar No. 5")
    page.get_by_label("Hubungan dengan pemohon").fill("tetangga sebelah")
    page.get_by_role("button", name="Simpan kesaksian").click()
    expect(page.get_by_text("Kesaksian tetangga dicatat.")).to_be_visible()
    page.get_by_role("button", name=re.compile("Setujui")).click()
    expect(page.locator(".message.success")).to_contain_text(f"{first.code} disetujui")
    assert Application.objects.get(pk=first.pk).state == ApplicationState.VERIFIED

    # Return the second with a reason.
    page.locator(".request-row", has_text=second.code).click()
    page.get_by_label("Berkas mana yang salah?").fill("Foto KK terpotong, kirim ulang")
    page.get_by_role("button", name="Kembalikan untuk diperbaiki").click()
    expect(page.locator(".message.success")).to_contain_text(f"{second.code} dikembalikan")
    expect(page.locator(".nav .count")).to_have_text("0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The officer sees it as incomplete, with the reason.
    page.get_by_role("button", name="Keluar").click()
    login(page, live_server.url, "petugas")
    page.goto(live_server.url + f"/permohonan/{second.code}/")
    expect(page.locator("h1 .state")).to_have_text("Belum lengkap")
    expect(page.locator(".timeline")).to_contain_text("Foto KK terpotong, kirim ulang")
