"""Oversight (issue 17): the camat sees the offices of their kecamatan, the city supervisor
every office of the city, read-only; everything else answers 404 and nothing changes.

The access matrix (tests/test_access_matrix.py) walks every URL with the oversight personas;
this file holds the scoping of the oversight pages themselves, the model's rules, the
constant cost of the overview and the case page's access log.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kelurahan.models import Membership, Oversight, OversightRole, Role
from services.models import AccessLog, Application, ApplicationState
from tests.factories import (
    ApplicationFactory,
    KecamatanFactory,
    OfficeFactory,
    OfficerFactory,
    RTFactory,
    UserFactory,
    camat_of,
    case_in,
    city_supervisor_of,
    complaint_filed,
    log_in,
)

S = ApplicationState


@pytest.fixture
def sako(db):
    """Kecamatan B of the same city (the fixtures' offices BKS and KBR are in Kalidoni)."""
    return KecamatanFactory(name="Sako", city="Kota Palembang")


@pytest.fixture
def office_b(sako):
    return OfficeFactory(code="SKO", name="Sako Baru", kecamatan_ref=sako)


@pytest.fixture
def office_c(db):
    """An office of another city."""
    return OfficeFactory(
        code="LBG",
        name="Lubuk Gajah",
        kecamatan_ref=KecamatanFactory(name="Ilir", city="Kota Lain"),
    )


def case_of(office, **kwargs) -> Application:
    officer = OfficerFactory(office=office)
    return ApplicationFactory(officer=officer, rt=RTFactory(rw__office=office), **kwargs)


@pytest.fixture
def camat(office):
    return camat_of(office.kecamatan_ref, username="camat_kalidoni")


@pytest.fixture
def city(office):
    return city_supervisor_of("Kota Palembang", username="pengawas_kota")


def client_of(user) -> Client:
    return log_in(Client(), user)


# --- the model ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_camat_and_city_supervisor_get_their_group_and_the_camat_the_kecamatan_city(office):
    camat = camat_of(office.kecamatan_ref)
    assert camat.oversight.city == "Kota Palembang"
    assert list(camat.groups.values_list("name", flat=True)) == [OversightRole.KECAMATAN]
    assert not camat.has_perm("services.issue_application")
    assert camat.has_perm("services.view_application")
    boss = city_supervisor_of(" Kota Palembang ")
    assert boss.oversight.city == "Kota Palembang"
    assert list(boss.groups.values_list("name", flat=True)) == [OversightRole.CITY]


@pytest.mark.django_db
def test_a_user_has_a_membership_or_an_oversight_never_both(office, officer):
    with pytest.raises(ValidationError, match="sudah punya keanggotaan kantor"):
        Oversight(user=officer, role=OversightRole.CITY, city="Kota Palembang").full_clean()
    camat = camat_of(office.kecamatan_ref)
    with pytest.raises(ValidationError, match="sudah menjadi pengawas"):
        Membership(user=camat, office=office, role=Role.OFFICER).full_clean()


@pytest.mark.django_db
def test_a_camat_needs_a_kecamatan_and_a_city_supervisor_a_city_and_no_kecamatan(office):
    user = UserFactory()
    with pytest.raises(ValidationError) as camat_error:
        Oversight(user=user, role=OversightRole.KECAMATAN).full_clean()
    assert "Camat harus dihubungkan" in str(camat_error.value)
    with pytest.raises(ValidationError) as city_error:
        Oversight(
            user=user, role=OversightRole.CITY, kecamatan=office.kecamatan_ref, city="X"
        ).full_clean()
    assert "tidak dihubungkan dengan satu kecamatan" in str(city_error.value)
    with pytest.raises(ValidationError, match="Isi kota"):
        Oversight(user=user, role=OversightRole.CITY, city="  ").full_clean()


@pytest.mark.django_db
def test_every_office_belongs_to_a_kecamatan_whose_names_it_prints(db):
    from kelurahan.models import Office

    office = Office.objects.create(
        code="NEW",
        name="Baru",
        kecamatan="Sematang",
        city="Kota Palembang",
        address="Jl. 1",
        lurah_name="Lurah",
    )
    assert (office.kecamatan_ref.name, office.kecamatan_ref.city) == ("Sematang", "Kota Palembang")
    moved = OfficeFactory(kecamatan_ref=KecamatanFactory(name="Sako"))
    assert (moved.kecamatan, moved.city) == ("Sako", "Kota Palembang")


# --- signing in ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_oversight_users_give_a_second_factor_and_land_on_the_overview(camat, city):
    for user in (camat, city):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("oversight:overview"))["Location"].startswith("/masuk/kode/")
        log_in(client, user)
        assert client.get("/")["Location"] == reverse("oversight:overview")


# --- scoping ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_camat_of_a_sees_a_offices_only_and_404_on_b_office_and_case(
    camat, office, other_office, office_b, office_c
):
    client = client_of(camat)
    page = client.get(reverse("oversight:overview")).content.decode()
    assert "Bukit Sangkal" in page and "Kober" in page
    assert "Sako Baru" not in page and "Lubuk Gajah" not in page
    assert client.get(reverse("oversight:office", args=["BKS"])).status_code == 200
    own = case_of(office, applicant_name="Rahmat Hidayat")
    assert client.get(reverse("oversight:case", args=[own.code])).status_code == 200
    for outside in (office_b, office_c):
        case = case_of(outside, applicant_name="Warga Luar")
        assert client.get(reverse("oversight:office", args=[outside.code])).status_code == 404
        response = client.get(reverse("oversight:case", args=[case.code]))
        assert response.status_code == 404 and b"Warga Luar" not in response.content


@pytest.mark.django_db
def test_city_supervisor_sees_every_office_of_the_city_per_kecamatan_and_404_elsewhere(
    city, office, other_office, office_b, office_c
):
    client = client_of(city)
    page = client.get(reverse("oversight:overview")).content.decode()
    for name in ("Bukit Sangkal", "Kober", "Sako Baru", "Per kecamatan", "Kalidoni", "Sako"):
        assert name in page, name
    assert "Lubuk Gajah" not in page and "Ilir" not in page
    for inside in (office, other_office, office_b):
        assert client.get(reverse("oversight:office", args=[inside.code])).status_code == 200
    case = case_of(office_c, applicant_name="Warga Kota Lain")
    assert client.get(reverse("oversight:office", args=["LBG"])).status_code == 404
    assert client.get(reverse("oversight:case", args=[case.code])).status_code == 404


@pytest.mark.django_db
def test_office_staff_and_rt_chairs_get_404_on_the_oversight_pages(
    officer, supervisor, rt_chair, application
):
    for user in (officer, supervisor, rt_chair):
        client = client_of(user)
        for url in (
            reverse("oversight:overview"),
            reverse("oversight:office", args=["BKS"]),
            reverse("oversight:case", args=[application.code]),
        ):
            assert client.get(url).status_code == 404, (user, url)


# --- the overview's figures and cost ------------------------------------------------------------
@pytest.mark.django_db
def test_the_overview_counts_each_office_in_its_row(camat, office, other_office, officer, rt1):
    from django.utils import timezone

    from services.oversight.selectors import offices_for_overview, overview
    from services.sla.charts import DateRange

    ApplicationFactory(officer=officer, rt=rt1)
    ApplicationFactory(officer=officer, rt=rt1, service="KK")
    case_of(other_office)
    complaint_filed(office=office)
    now = timezone.now()
    result = overview(offices_for_overview(camat), DateRange.default(timezone.localdate()), now)
    by_code = {row.office.code: row.figures for row in result.rows}
    assert by_code["BKS"].open_cases == 2 and by_code["BKS"].cases_by_age[0] == 2
    assert by_code["KBR"].open_cases == 1
    assert by_code["BKS"].open_complaints == 1 and by_code["KBR"].open_complaints == 0
    assert result.total.open_cases == 3
    assert [g.name for g in result.kecamatan] == ["Kalidoni"]


def _offices(n: int, kecamatan):
    for _ in range(n):
        office = OfficeFactory(kecamatan_ref=kecamatan)
        case_of(office)
        complaint_filed(office=office)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [2, 12])
def test_the_overview_costs_the_same_queries_for_2_or_12_offices(
    n, django_assert_max_num_queries, sako
):
    city = city_supervisor_of("Kota Palembang")
    _offices(n // 2, sako)
    _offices(n - n // 2, KecamatanFactory(name="Sukarami"))
    client = client_of(city)
    client.get(reverse("oversight:overview"))  # the session's first request
    with django_assert_max_num_queries(12):
        page = client.get(reverse("oversight:overview"))
    assert page.status_code == 200 and page.content.decode().count("/pengawasan/kantor/") == n


# --- read-only ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_case_page_is_read_only_and_access_logged(camat, officer, rt1):
    case = case_in(S.ISSUED, officer=officer, rt=rt1, applicant_name="Dewi Lestari")
    client = client_of(camat)
    url = reverse("oversight:case", args=[case.code])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Dewi Lestari" in html
    assert case.nik not in html and case.phone not in html and case.address not in html
    assert html.count("<form") == 1  # the header's "Keluar", nothing else
    assert "/berkas/" not in html and ".pdf" not in html
    row = AccessLog.objects.get(user=camat)
    assert (row.application_id, row.action) == (case.pk, "oversight_view")
    before = Application.objects.values_list("state", "updated_at").get(pk=case.pk)
    assert client.post(url, {"state": "issued"}).status_code == 405
    assert Application.objects.values_list("state", "updated_at").get(pk=case.pk) == before


@pytest.mark.django_db
def test_the_office_page_shows_the_dashboard_charts_and_cases_without_actions(
    camat, office, application
):
    page = client_of(camat).get(reverse("oversight:office", args=[office.code]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Terlambat per tahap" in html and "Indeks Kepuasan Masyarakat" in html
    assert reverse("oversight:case", args=[application.code]) in html
    assert application.applicant_name not in html  # names only on the access-logged page
    assert ".csv" not in html and 'href="/permohonan/' not in html and 'href="/dasbor/' not in html
    assert html.count("<form") == 2  # "Keluar" and the charts' date range (GET)
    assert html.count('method="get"') == 1
