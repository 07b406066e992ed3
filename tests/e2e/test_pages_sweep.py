"""Every staff, RT and public page on a phone: 0 axe violations and 44 px tap targets."""

import pytest
from django.core.management import call_command

from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login

OFFICER_PAGES = [
    "/permohonan/",
    "/dasbor/",
    "/dasbor/dokumen-belum-jadi/",
    "/permohonan/baru/",
    "/permohonan/baru/SITU/",
    "/permohonan/baru/KK/",
    "/permohonan/baru/KK/pindah-datang/",
    "/layanan/",
    "/wilayah/",
    "/notifikasi/",
    "/pengaduan/kelola/",
    "/pengaduan/kelola/?state=answered",
    "/pengaduan/kelola/?state=done",
    "/akun/kata-sandi/",
]
RT_PAGES = ["/rt/", "/rt/ajukan/", "/rt/ajukan/KK/", "/rt/ajukan/KK/baru/", "/notifikasi/"]
OFFICER_PAGES += ["/skm/kuesioner-kertas/"]
SUPERVISOR_PAGES = ["/skm/", "/skm/?layanan=KK", "/skm/kuesioner-kertas/", "/dasbor/BKS/grafik/"]
OVERSIGHT_PAGES = ["/pengawasan/", "/pengawasan/kantor/BKS/", "/akun/kata-sandi/"]
PUBLIC_PAGES = [
    "/standar-pelayanan/",
    # The demo has two offices: a service's standard is asked for one (the index links so).
    "/standar-pelayanan/KTP/?kantor=BKS",
    "/standar-pelayanan/KK/?kantor=BKS",
    "/standar-pelayanan/KTP/cetak/?kantor=BKS",
    "/lacak/",
    "/pengaduan/",
    "/privasi/",
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_and_rt_pages_pass_axe_and_have_44px_tap_targets(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    from services.models import Complaint

    # The complaint page in each state seed_demo leaves one in.
    complaint_pages = [c.get_absolute_url() for c in Complaint.objects.order_by("id")]
    # Read-only case pages for the camat: a case at its RT and one with its letter issued.
    from django.contrib.auth import get_user_model

    from kelurahan.models import RT
    from services.models import ApplicationState
    from tests.factories import case_in

    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    case_pages = [
        f"/pengawasan/permohonan/{case_in(state, officer=officer, rt=rt, nik=nik).code}/"
        for state, nik in (
            (ApplicationState.IN_VERIFICATION, "3271014501900002"),
            (ApplicationState.ISSUED, "3271010101900003"),
        )
    ]
    # The officer's case page, and the same page with the correction form open (its link).
    received = case_in(ApplicationState.RECEIVED, officer=officer, rt=rt, nik="3271014501900004")
    officer_case_pages = [received.get_absolute_url(), f"/permohonan/{received.code}/koreksi/"]
    for path in PUBLIC_PAGES:
        page.goto(live_server.url + path)
        assert_no_axe_violations(page, f"publik {path}")
        assert_tap_targets(page)
    for username, paths in (
        ("petugas", OFFICER_PAGES + complaint_pages + officer_case_pages),
        ("lurah", SUPERVISOR_PAGES + complaint_pages),
        ("ketua_rt01", RT_PAGES),
        ("camat", OVERSIGHT_PAGES + case_pages),
        ("pengawas_kota", OVERSIGHT_PAGES + ["/pengawasan/kantor/SKB/"]),
    ):
        login(page, live_server.url, username)
        for path in paths:
            page.goto(live_server.url + path)
            assert_no_axe_violations(page, f"{username} {path}")
            assert_tap_targets(page)
        page.get_by_role("button", name="Keluar").click()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_429_page_of_the_rate_limits_passes_axe_on_a_phone(live_server, page, settings):
    """What a resident sees over the public pages' limit (kelurahan.ratelimit's page, also
    shown by the login and case-view limits)."""
    settings.DEBUG = True
    settings.PUBLIC_RATE_PER_MINUTE = 0  # the first public request is already over
    response = page.goto(live_server.url + "/lacak/")
    assert response.status == 429
    assert page.get_by_role("heading", name="Terlalu banyak permintaan").is_visible()
    assert_no_axe_violations(page, "publik 429 /lacak/")
    assert_tap_targets(page)
