"""The supervisor reads the access log on a phone: the office's log and one case's
"siapa yang melihat data ini", reached from the case page; 0 axe violations."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from kelurahan.models import RT
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import case_in


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_supervisor_sees_who_viewed_a_case(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    application = case_in(
        "received",
        officer=officer,
        rt=RT.objects.get(rw__office__code="BKS", rw__number=1, number=1),
    )

    login(page, live_server.url, "petugas")
    page.goto(f"{live_server.url}/permohonan/{application.code}/tanda-terima/")
    page.get_by_role("button", name="Keluar").click()

    login(page, live_server.url, "lurah")
    page.goto(f"{live_server.url}/permohonan/{application.code}/")
    page.get_by_role("link", name="Siapa yang melihat data ini").click()
    assert page.get_by_role("heading", level=1).inner_text().endswith(application.code)
    table = page.locator("table").inner_text()
    assert "Membuka tanda terima" in table and "Petugas" in table
    assert "Membuka halaman permohonan" in table  # the supervisor's own visit, just now
    assert_no_axe_violations(page, "log akses permohonan")
    assert_tap_targets(page)

    page.get_by_role("link", name="Log akses").click()
    assert application.code in page.locator("table").inner_text()
    assert_no_axe_violations(page, "log akses kantor")
    assert_tap_targets(page)
    page.get_by_label("Dari tanggal").fill("2026-12-10")
    page.get_by_label("Sampai tanggal").fill("2026-12-01")
    page.get_by_role("button", name="Tampilkan").click()
    assert "harus sebelum" in page.content()
    assert_no_axe_violations(page, "log akses kantor, tanggal terbalik")
