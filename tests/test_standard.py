"""The public Standar Pelayanan page: the six components from the catalogue, the office's
Maklumat, and the record measured from the office's own cases and survey."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from services import workflow
from services.models import ApplicationState, Requirement, RequirementKind, Service
from tests.factories import SurveyResponseFactory, case_in

S = ApplicationState


def at(text: str) -> datetime:
    from django.utils import timezone

    return datetime.fromisoformat(text).replace(tzinfo=timezone.get_default_timezone())


NOW = at("2026-11-20T12:00")  # a Friday


def page_of(client, code="KTP", **query) -> str:
    response = client.get(reverse("services:public_standard", args=[code]), query)
    assert response.status_code == 200
    return response.content.decode()


def requirement_lines(page: str) -> list[str]:
    block = re.search(r'<ol class="requirements">(.*?)</ol>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


@pytest.mark.django_db
def test_the_page_lists_exactly_the_admins_requirements(client, office):
    service = Service.objects.get(code="KTP")
    labels = list(service.requirements.order_by("order", "id").values_list("label", flat=True))
    assert requirement_lines(page_of(client)) == labels

    # The admin adds an optional requirement and renames one: the page follows.
    Requirement.objects.create(
        service=service,
        code="surat-kuasa",
        label="Surat kuasa bila diwakilkan",
        kind=RequirementKind.DOCUMENT,
        required=False,
        order=99,
    )
    first = service.requirements.order_by("order", "id").first()
    first.label = "Surat pengantar RT/RW asli"
    first.save()
    lines = requirement_lines(page_of(client))
    assert lines[0] == "Surat pengantar RT/RW asli"
    assert lines[-1] == "Surat kuasa bila diwakilkan (bila ada)"
    assert len(lines) == len(labels) + 1


@pytest.mark.django_db
def test_a_requirement_of_one_kind_of_application_says_so(client, office):
    service = Service.objects.get(code="KK")
    scoped = service.requirements.filter(variants__isnull=False).distinct().first()
    assert scoped is not None  # the seeded KK catalogue scopes some documents
    names = ", ".join(scoped.variants.order_by("order", "id").values_list("name", flat=True))

    assert f"{scoped.label} — hanya untuk: {names}" in requirement_lines(page_of(client, "KK"))


@pytest.mark.django_db
def test_the_six_components_and_the_maklumat(client, office):
    office.maklumat = "Kami berjanji melayani dengan ramah, cepat dan tanpa pungutan."
    office.save()
    page = page_of(client)

    for heading in (
        "1. Persyaratan",
        "2. Sistem, mekanisme dan prosedur",
        "3. Jangka waktu pelayanan",
        "4. Biaya/tarif",
        "5. Produk pelayanan",
        "6. Penanganan pengaduan, saran dan masukan",
    ):
        assert heading in page
    assert "3 hari kerja sejak berkas lengkap" in page
    assert "Rp0 / tidak dipungut biaya" in page
    assert "Ketua RT memeriksa permohonan" in page  # the state machine's day 2
    assert 'href="/pengaduan/"' in page
    assert "Kami berjanji melayani dengan ramah, cepat dan tanpa pungutan." in page
    assert "Dukcapil" in page  # KTP: the kelurahan's product is its letter, said honestly


@pytest.mark.django_db
def test_the_fee_is_configurable_in_the_admin(client, office):
    Service.objects.filter(code="SITU").update(fee="Rp10.000 (retribusi daerah)")
    Service.objects.filter(code="KTP").update(fee="")

    assert '<td class="fee">Rp10.000 (retribusi daerah)</td>' in page_of(client, "SITU")
    assert '<td class="fee">Rp0 / tidak dipungut biaya</td>' in page_of(client, "KTP")


@pytest.fixture
def history(officer, rt1, rt_chair, other_officer, other_rt):
    """Three KTP letters in the last 90 days (day 1 and day 2: on time; day 4: late), one
    older than 90 days, and one of another office."""
    with time_machine.travel(at("2026-11-02T09:00"), tick=False):  # Monday
        case_in(S.ISSUED, officer=officer, rt=rt1, nik="3271014501900021")  # day 1
        late = case_in(S.VERIFIED, officer=officer, rt=rt1, nik="3271014501900022")
    with time_machine.travel(at("2026-11-05T10:00"), tick=False):  # Thursday: day 4, late
        workflow.application_issue(application=late, by=officer)
    with time_machine.travel(at("2026-11-09T09:00"), tick=False):
        second_day = case_in(S.VERIFIED, officer=officer, rt=rt1, nik="3271014501900023")
    with time_machine.travel(at("2026-11-10T10:00"), tick=False):  # Tuesday: day 2
        workflow.application_issue(application=second_day, by=officer)
    with time_machine.travel(at("2026-07-06T09:00"), tick=False):  # outside the 90 days
        old = case_in(S.VERIFIED, officer=officer, rt=rt1, nik="3271014501900024")
    with time_machine.travel(at("2026-07-13T09:00"), tick=False):
        workflow.application_issue(application=old, by=officer)
    with time_machine.travel(at("2026-11-02T09:00"), tick=False):
        other = case_in(S.VERIFIED, officer=other_officer, rt=other_rt, nik="3271014501900025")
    with time_machine.travel(at("2026-11-16T09:00"), tick=False):
        workflow.application_issue(application=other, by=other_officer)  # late, Kober's
    with time_machine.travel(at("2026-11-12T09:00"), tick=False):
        SurveyResponseFactory.create_batch(2, office=rt1.rw.office, answers=(4,) * 9)
        SurveyResponseFactory(office=rt1.rw.office, answers=(3,) * 9)


@pytest.mark.django_db
def test_the_measured_share_and_median_come_from_the_offices_own_cases(client, history):
    with time_machine.travel(NOW, tick=False):
        page = page_of(client, kantor="BKS")

    assert "67% (2 dari 3 permohonan) selesai dalam 3 hari kerja" in page
    assert "surat terbit pada hari kerja ke-2" in page  # days 1, 2, 4
    # (4×9 + 4×9 + 3×9) ÷ 3 respondents: Σ NRR = 33, IKM = 33 × 25/9 = 91.67: A.
    assert "91,67 — mutu A (Sangat Baik), 3 responden, Semester II (Juli–Desember) 2026" in page


@pytest.mark.django_db
def test_an_office_without_cases_says_so(client, office):
    page = page_of(client)
    assert "Belum ada permohonan yang selesai." in page and "Belum ada hasil survei." in page


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_with_more_cases(
    client, history, officer, rt1, django_assert_max_num_queries
):
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(10) as before:
        page_of(client, kantor="BKS")
    with time_machine.travel(at("2026-11-16T09:00"), tick=False):
        for i in range(3):
            case_in(S.ISSUED, officer=officer, rt=rt1, nik=f"32710145019001{i:02d}")
    most = len(before.captured_queries)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(most):
        assert "83% (5 dari 6 permohonan)" in page_of(client, kantor="BKS")


@pytest.mark.django_db
def test_with_several_offices_the_page_is_per_office(client, office, other_office):
    other_office.maklumat = "Maklumat Kober."
    other_office.save()
    index = client.get(reverse("services:public_standard_index")).content.decode()

    assert "/standar-pelayanan/KTP/?kantor=BKS" in index
    assert "/standar-pelayanan/KTP/?kantor=KBR" in index
    assert client.get(reverse("services:public_standard", args=["KTP"])).status_code == 404
    assert "Maklumat Kober." in page_of(client, kantor="KBR")
    assert "Maklumat Kober." not in page_of(client, kantor="BKS")
    unknown = client.get(reverse("services:public_standard", args=["XYZ"]), {"kantor": "BKS"})
    assert unknown.status_code == 404


@pytest.mark.django_db
def test_the_a4_version_has_the_same_content_without_the_menu(client, office):
    response = client.get(reverse("services:public_standard_print", args=["KTP"]))
    page = response.content.decode()

    assert response.status_code == 200
    assert "standard_print.css" in page and "Maklumat Pelayanan" in page
    assert requirement_lines(page) == requirement_lines(page_of(client))
    assert "public-footer" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "status"),
    # A NUL in a query string is refused before any view by ControlCharactersMiddleware (400).
    [("%00", 400), ("BKS%00", 400), ("bks';--", 404)],
)
def test_a_malformed_office_code_is_a_404_before_any_query(
    client, office, query, status, django_assert_max_num_queries
):
    with django_assert_max_num_queries(0):
        response = client.get(f"/standar-pelayanan/KTP/?kantor={query}")
    assert response.status_code == status


@pytest.mark.django_db
def test_a_malformed_service_code_is_a_404(client, office):
    assert client.get("/standar-pelayanan/KT%00P/").status_code == 404
    assert page_of(client, "KTP", kantor="bks")  # a code in lower case still finds its office


@pytest.mark.django_db
def test_an_office_that_cleared_its_maklumat_shows_the_standard_promise(client, office):
    from kelurahan.models import DEFAULT_MAKLUMAT

    office.maklumat = "  "
    office.save()
    assert DEFAULT_MAKLUMAT in page_of(client)
