"""The Lurah's first login on a phone: password, then enrolling the authenticator app from the
QR page, then the code on the next login; the admin's the same before /admin/. Each page has
0 axe violations and thumb-sized targets."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.second_factor import pass_second_factor


def password(page, base, username):
    page.goto(base + "/masuk/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_lurah_enrolls_the_app_then_gives_the_code_on_the_next_login(
    live_server, page, settings
):
    settings.DEBUG = True
    call_command("seed_demo")
    base = live_server.url

    password(page, base, "lurah")
    expect(page).to_have_url(re.compile(r"/masuk/kode/daftar/"))
    expect(page.get_by_role("heading", name="Aktifkan verifikasi dua langkah")).to_be_visible()
    qr = page.get_by_role("img", name="Kode QR untuk aplikasi autentikator")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")  # drawn here
    assert_no_axe_violations(page, "daftar kode")
    assert_tap_targets(page)
    # A wrong code is refused in Indonesian, on the same page.
    page.get_by_label("Kode 6 angka").fill("000000")
    page.get_by_role("button", name="Aktifkan").click()
    expect(page.get_by_role("alert")).to_contain_text("Kode salah")
    assert_no_axe_violations(page, "daftar kode, kode salah")
    page.wait_for_timeout(1100)  # the device refuses codes for a second after a wrong one
    pass_second_factor(page, "lurah")
    expect(page.locator(".message.success")).to_contain_text("Verifikasi dua langkah aktif")
    expect(page).to_have_url(re.compile(r"/permohonan/$"))

    # The password change page, from the header.
    page.get_by_role("link", name="Ganti kata sandi").click()
    expect(page.get_by_role("heading", name="Ganti kata sandi")).to_be_visible()
    assert_no_axe_violations(page, "ganti kata sandi")
    assert_tap_targets(page)

    page.get_by_role("button", name="Keluar").click()
    password(page, base, "lurah")
    expect(page).to_have_url(re.compile(r"/masuk/kode/\?"))
    expect(page.get_by_role("heading", name="Kode verifikasi")).to_be_visible()
    assert_no_axe_violations(page, "kode verifikasi")
    assert_tap_targets(page)
    pass_second_factor(page, "lurah")
    expect(page).to_have_url(re.compile(r"/permohonan/$"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_admin_reaches_the_admin_only_after_the_code(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")

    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/masuk/\?next=/admin/"))
    page.get_by_label("Nama pengguna").fill("pengelola")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/masuk/kode/daftar/"))
    pass_second_factor(page, "pengelola")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_text("Administrasi Portal Layanan Kelurahan")).to_be_visible()
