import pytest
from django.urls import reverse

from services.models import Requirement, RequirementKind, Service
from tests.factories import UserFactory

EXPECTED = {
    "KK": [
        "Surat pengantar RT",
        "Fotokopi Kartu Keluarga (KK) lama",
        "Surat keterangan pindah dari daerah asal",
    ],
    "KTP": ["Surat pengantar RT", "Fotokopi Kartu Keluarga (KK)", "Fotokopi KTP lama", "Pas foto"],
    "NIKAH": ["Surat pengantar RT", "Fotokopi Kartu Keluarga (KK)", "Fotokopi KTP", "Pas foto"],
    "SITU": ["Surat pengantar RT", "Fotokopi KTP", "Pas foto"],
}


@pytest.mark.django_db
def test_migrate_seeds_exactly_the_four_services_with_their_requirements():
    assert set(Service.objects.values_list("code", flat=True)) == set(EXPECTED)
    for code, labels in EXPECTED.items():
        service = Service.objects.get(code=code)
        assert service.active and service.sla_days == 3
        requirements = list(service.requirements.order_by("order"))
        assert [r.label for r in requirements] == labels
        assert requirements[0].kind == RequirementKind.RT_COVER_LETTER
        assert all(r.required for r in requirements)
    assert Requirement.objects.filter(kind=RequirementKind.PHOTO).count() == 3


@pytest.mark.django_db
def test_catalogue_shows_each_service_its_requirements_and_the_promise(officer_client):
    response = officer_client.get(reverse("services:catalogue"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Katalog Layanan" in page
    assert "3 hari kerja" in page
    for code, labels in EXPECTED.items():
        service = Service.objects.get(code=code)
        assert service.name in page
        for label in labels:
            assert label in page


@pytest.mark.django_db
def test_inactive_service_is_not_offered(officer_client):
    Service.objects.filter(code="SITU").update(active=False)
    page = officer_client.get(reverse("services:catalogue")).content.decode()
    assert "Surat Izin Tempat Usaha" not in page
    assert "Surat Pengantar Nikah" in page


@pytest.mark.django_db
def test_catalogue_query_count_does_not_grow_with_services(
    officer_client, django_assert_max_num_queries
):
    for i in range(10):
        service = Service.objects.create(code=f"EXTRA{chr(65 + i)}", name=f"Layanan {i}")
        for j in range(3):
            Requirement.objects.create(
                service=service, code=f"r{j}", label=f"Syarat {j}", kind="document"
            )
    # Session, user, membership..., then one query each for services, requirements, the
    # variants each requirement is limited to, the services' variants and data fields.
    with django_assert_max_num_queries(13):
        response = officer_client.get(reverse("services:catalogue"))
    assert "Layanan 9" in response.content.decode()


@pytest.mark.django_db
def test_user_without_an_office_gets_404(client, django_user_model):
    user = UserFactory(username="tanpa_kantor", password="x")
    client.force_login(user)
    assert client.get(reverse("services:catalogue")).status_code == 404
