"""An officer corrects a resident's data on the case page; a supervisor reopens a rejection."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD
from kelurahan.models import RT
from services.models import Application, ApplicationState
from tests.e2e.second_factor import pass_second_factor
from tests.factories import ApplicationFactory, case_in


def log_in(page, live_server, username):
    page.goto(live_server.url + "/masuk/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    pass_second_factor(page, username)  # supervisors and superusers: the TOTP step


def no_axe_violations(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_officer_corrects_a_typo_and_the_rt_keeping_input_after_an_error(
    live_server, desktop, settings
):
    settings.DEBUG = True
    page = desktop
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    application = ApplicationFactory(
        officer=officer, rt=RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    )
    log_in(page, live_server, "petugas")
    page.goto(live_server.url + f"/permohonan/{application.code}/")

    page.get_by_text("Koreksi data pemohon").click()
    form = page.locator("#koreksi form")
    form.get_by_label("Nama lengkap pemohon (sesuai KTP/KK)").fill("Siti Rahmawaty")
    form.get_by_label("NIK pemohon").fill("3271013201900001")  # day 32: not a date
    form.get_by_label("Alasan koreksi").fill("salah ketik saat pencatatan")
    form.get_by_role("button", name="Simpan koreksi").click()

    expect(page.locator("#koreksi")).to_have_attribute("open", "")
    expect(page.locator("#koreksi .field-error")).to_contain_text("Tanggal lahir pada NIK")
    expect(form.get_by_label("Nama lengkap pemohon (sesuai KTP/KK)")).to_have_value(
        "Siti Rahmawaty"
    )
    expect(form.get_by_label("Alasan koreksi")).to_have_value("salah ketik saat pencatatan")
    no_axe_violations(page)

    form.get_by_label("NIK pemohon").fill("3271014501900003")
    form.get_by_label("RT/RW tempat tinggal").select_option(label="RT 002/RW 001")
    form.get_by_role("button", name="Simpan koreksi").click()
    expect(page.locator(".message.success")).to_contain_text("Data pemohon dikoreksi")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Data pemohon dikoreksi")
    expect(timeline).to_contain_text("Nama: Siti Rahmawati → Siti Rahmawaty")
    expect(timeline).to_contain_text("NIK: 327101******0002 → 327101******0003")
    expect(timeline).to_contain_text("RT: 001/001 → 002/001")
    stored = Application.objects.get(pk=application.pk)
    assert stored.applicant_name == "Siti Rahmawaty" and stored.rt.number == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_supervisor_reopens_a_rejection_to_another_rt(live_server, desktop, settings):
    settings.DEBUG = True

    page = desktop
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    chair = get_user_model().objects.get(username="ketua_rt01")
    application = case_in(
        ApplicationState.REJECTED, officer=officer, rt=chair.membership.rt, chair=chair
    )

    log_in(page, live_server, "lurah")
    page.goto(live_server.url + f"/permohonan/{application.code}/")
    card = page.locator("#buka-kembali")
    expect(card).to_be_visible()
    no_axe_violations(page)
    card.get_by_label("Kirim ke RT").select_option(label="RT 002/RW 001")
    card.get_by_label("Alasan membuka kembali").fill("pemohon warga RT 002")
    card.get_by_role("button", name="Buka kembali & kirim ke Ketua RT").click()
    expect(page.locator(".message.success")).to_contain_text("dikirim ke Ketua RT 002/RW 001")
    expect(page.locator("h1 .state")).to_have_text("Verifikasi RT")
