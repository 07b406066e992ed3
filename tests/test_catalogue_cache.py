"""Issue 12: the case page reads its service's catalogue (requirements, variants, data fields)
from a per-process cache keyed by ``Service.catalogue_version``, which comes with the case's
own query. A change saved anywhere, in the admin or in code, shows on the next request in every
process: another process is played by putting back the cache as it was before the change (its
receivers ran here, not there) and then loading the page."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from services import catalogue as catalogue_module
from services.catalogue import catalogue
from services.models import Requirement, RequirementKind, Service, ServiceField, ServiceVariant
from tests.factories import ApplicationFactory, log_in
from tests.test_variants_and_fields import service_post

pytestmark = pytest.mark.usefixtures("session_clock_stopped")

CATALOGUE_READ = re.compile(
    r'FROM "services_(requirement|servicevariant|servicefield|requirement_variants)"'
)


@contextmanager
def in_another_process():
    """Make a change as another process would: this process's cache stays as it was."""
    cached = dict(catalogue_module._catalogues)
    yield
    catalogue_module._catalogues.clear()
    catalogue_module._catalogues.update(cached)
    catalogue_module._changing.clear()


@pytest.fixture
def kk_case(officer, rt1):
    return ApplicationFactory(officer=officer, rt=rt1, service="KK", nik="3271014501900051")


def _page(client, case) -> tuple[str, list[str]]:
    """The case page with its correction form open (the page's link to it): all the case
    page shows, and the form's variants and data fields from the same catalogue."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("verification:correct", args=[case.code]))
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_the_case_page_reads_the_catalogue_once_per_process(officer_client, kk_case):
    catalogue_module.clear_catalogue_cache()
    _, first = _page(officer_client, kk_case)
    assert any(CATALOGUE_READ.search(sql) for sql in first)
    html, again = _page(officer_client, kk_case)
    assert not [sql for sql in again if CATALOGUE_READ.search(sql)]
    variant = kk_case.variant
    assert variant is not None and f">{variant.name}</option>" in html  # the variants shown


def _add_requirement(service, label="Surat keterangan tambahan", **kwargs):
    return Requirement.objects.create(
        service=service, code="tambahan", label=label, kind=RequirementKind.DOCUMENT, **kwargs
    )


# (what is done before the page is cached, the change made elsewhere, text gone, text shown)
def _requirement_added(case):
    return None, lambda: _add_requirement(case.service), None, "Surat keterangan tambahan"


def _requirement_renamed(case):
    requirement = case.attachments.first().requirement
    old = requirement.label

    def change():
        requirement.label = "Nama baru persyaratan"
        requirement.save()

    return None, change, f"<strong>{old}</strong>", "Nama baru persyaratan"


def _requirement_deleted(case):
    made = {}

    def before():
        made["r"] = _add_requirement(case.service, label="Persyaratan yang dihapus")

    return before, lambda: made["r"].delete(), "Persyaratan yang dihapus", None


def _variant_renamed(case):
    variant = case.variant

    def change():
        variant.name = "Jenis yang diganti namanya"
        variant.save()

    return None, change, f">{variant.name}</option>", "Jenis yang diganti namanya"


def _variant_added(case):
    def change():
        ServiceVariant.objects.create(service=case.service, code="uji", name="Jenis baru sekali")

    return None, change, None, "Jenis baru sekali"


def _field_added(case):
    def change():
        ServiceField.objects.create(service=case.service, code="warna", label="Warna favorit")

    return None, change, None, "Warna favorit"


def _requirement_limited_to_another_variant(case):
    made = {}
    other = case.service.variants.exclude(pk=case.variant_id).first()

    def before():
        made["r"] = _add_requirement(case.service, label="Hanya untuk semua jenis")

    return before, lambda: made["r"].variants.add(other), "Hanya untuk semua jenis", None


def _variant_given_a_requirement(case):
    """The other side of the many-to-many: variant.requirements.add."""
    made = {}
    other = case.service.variants.exclude(pk=case.variant_id).first()

    def before():
        made["r"] = _add_requirement(case.service, label="Hanya untuk semua jenis")

    return before, lambda: other.requirements.add(made["r"]), "Hanya untuk semua jenis", None


def _requirement_opened_to_every_variant(case):
    made = {}
    other = case.service.variants.exclude(pk=case.variant_id).first()

    def before():
        made["r"] = _add_requirement(case.service, label="Kini untuk semua jenis")
        made["r"].variants.add(other)

    return before, lambda: made["r"].variants.clear(), None, "Kini untuk semua jenis"


CHANGES = [
    _requirement_added,
    _requirement_renamed,
    _requirement_deleted,
    _variant_renamed,
    _variant_added,
    _field_added,
    _requirement_limited_to_another_variant,
    _variant_given_a_requirement,
    _requirement_opened_to_every_variant,
]


@pytest.mark.django_db
@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_a_catalogue_change_elsewhere_shows_on_the_next_request(
    officer_client, kk_case, change, django_capture_on_commit_callbacks
):
    before, make_change, gone, shown = change(kk_case)
    if before:
        with django_capture_on_commit_callbacks(execute=True):  # committed: cached from now on
            before()
    html, _ = _page(officer_client, kk_case)  # cached here
    assert (gone is None or gone in html) and (shown is None or shown not in html)
    with in_another_process():
        make_change()
    html, _ = _page(officer_client, kk_case)
    assert gone is None or gone not in html
    assert shown is None or shown in html


@pytest.mark.django_db
def test_a_change_in_the_admin_inlines_shows_on_the_next_request(
    officer_client, admin_user, kk_case
):
    admin_client = log_in(Client(), admin_user)
    requirement = kk_case.attachments.first().requirement
    html, _ = _page(officer_client, kk_case)
    assert requirement.label in html
    service = kk_case.service
    index = list(service.requirements.order_by("order", "id")).index(requirement)
    with in_another_process():
        response = admin_client.post(
            reverse("admin:services_service_change", args=[service.pk]),
            service_post(service, **{f"requirements-{index}-label": "Dari admin"}),
        )
        assert response.status_code == 302
    html, _ = _page(officer_client, kk_case)
    assert "<strong>Dari admin</strong>" in html


@pytest.mark.django_db
def test_every_save_of_a_service_gives_a_new_version_even_from_a_stale_instance():
    service = Service.objects.get(code="KK")
    stale = Service.objects.get(code="KK")
    first = service.catalogue_version
    _add_requirement(service)
    bumped = Service.objects.get(pk=service.pk).catalogue_version
    assert bumped != first
    stale.name = "Kartu Keluarga"
    stale.save()  # a stale copy cannot bring back a version some process cached rows under
    assert Service.objects.get(pk=service.pk).catalogue_version not in (first, bumped)


@pytest.mark.django_db
def test_a_rolled_back_change_is_never_cached():
    service = Service.objects.get(code="KK")
    catalogue(service)
    with pytest.raises(RuntimeError), transaction.atomic():
        _add_requirement(service, label="Tidak jadi")
        # Read (by a request holding the old version) before the rollback.
        assert "Tidak jadi" in [r.label for r in catalogue(service).requirements]
        raise RuntimeError
    fresh = Service.objects.get(pk=service.pk)
    assert fresh.catalogue_version == service.catalogue_version
    assert "Tidak jadi" not in [r.label for r in catalogue(fresh).requirements]
