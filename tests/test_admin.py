"""The Django admin: catalogue editing, and applications changed only through the workflow."""

import pytest
from django.urls import reverse

from services.models import Application, ApplicationState, Requirement, Service
from tests.factories import AdminFactory, ApplicationFactory, UserFactory, log_in


@pytest.fixture
def admin_client(client, django_user_model):
    admin = AdminFactory(username="pengelola", password="x")
    log_in(client, admin)
    return client


def inline_management(prefix: str, total: int, initial: int | None = None) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": total if initial is None else initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def data_field_rows(service) -> dict:
    """The POST rows of the service's stored data fields, as the change form sends them."""
    data = {}
    for i, f in enumerate(service.data_fields.order_by("order", "id")):
        data.update(
            {
                f"data_fields-{i}-id": f.pk,
                f"data_fields-{i}-service": service.pk,
                f"data_fields-{i}-order": f.order,
                f"data_fields-{i}-code": f.code,
                f"data_fields-{i}-label": f.label,
                f"data_fields-{i}-kind": f.kind,
                f"data_fields-{i}-required": "on" if f.required else "",
                f"data_fields-{i}-max_length": f.max_length,
                f"data_fields-{i}-choices": f.choices,
                f"data_fields-{i}-help_text": f.help_text,
                f"data_fields-{i}-on_letter": "on" if f.on_letter else "",
            }
        )
    return data


@pytest.mark.django_db
def test_admin_edits_a_service_with_its_requirements_inline(admin_client):
    service = Service.objects.get(code="SITU")
    url = reverse("admin:services_service_change", args=[service.pk])
    page = admin_client.get(url).content.decode()
    assert "Fotokopi KTP" in page and "Pas foto" in page
    requirements = list(service.requirements.order_by("order"))
    data = {
        "code": "SITU",
        "name": "Surat Izin Tempat Usaha (SITU)",
        "description": service.description,
        "output": service.output,
        "sla_days": 3,
        "order": 4,
        "active": "on",
        "rt_approval_replaces_cover_letter": "on",
        "classification": service.classification,
        "number_pattern": service.number_pattern,
        "letter_title": service.letter_title,
        "letter_body": service.letter_body,
        **inline_management("variants", 0),
        **inline_management("data_fields", service.data_fields.count()),
        "requirements-TOTAL_FORMS": len(requirements) + 1,
        "requirements-INITIAL_FORMS": len(requirements),
        "requirements-MIN_NUM_FORMS": 0,
        "requirements-MAX_NUM_FORMS": 1000,
    }
    for i, r in enumerate(requirements):
        data.update(
            {
                f"requirements-{i}-id": r.pk,
                f"requirements-{i}-service": service.pk,
                f"requirements-{i}-order": r.order,
                f"requirements-{i}-code": r.code,
                f"requirements-{i}-label": r.label,
                f"requirements-{i}-kind": r.kind,
                f"requirements-{i}-required": "on",
                f"requirements-{i}-help_text": r.help_text,
            }
        )
    data.update(data_field_rows(service))
    n = len(requirements)
    data.update(
        {
            f"requirements-{n}-service": service.pk,
            f"requirements-{n}-order": 99,
            f"requirements-{n}-code": "denah-lokasi",
            f"requirements-{n}-label": "Denah lokasi usaha",
            f"requirements-{n}-kind": "document",
            f"requirements-{n}-help_text": "",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    added = Requirement.objects.get(service=service, code="denah-lokasi")
    assert added.required is False
    assert list(service.requirements.order_by("order").values_list("code", flat=True))[-1] == (
        "denah-lokasi"
    )


@pytest.mark.django_db
def test_admin_deactivates_and_activates_services(admin_client):
    url = reverse("admin:services_service_changelist")
    ids = list(Service.objects.filter(code__in=["KK", "SITU"]).values_list("pk", flat=True))
    admin_client.post(url, {"action": "deactivate", "_selected_action": ids})
    assert set(Service.objects.filter(active=False).values_list("code", flat=True)) == {
        "KK",
        "SITU",
    }
    admin_client.post(url, {"action": "activate", "_selected_action": ids})
    assert not Service.objects.filter(active=False).exists()


@pytest.mark.django_db
def test_admin_application_page_shows_history_and_cannot_edit_state(admin_client, officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1)
    page = admin_client.get(
        reverse("admin:services_application_change", args=[application.pk])
    ).content.decode()
    assert "receive" in page and application.code in page
    assert 'name="state"' not in page


@pytest.mark.django_db
def test_admin_action_goes_through_the_workflow(admin_client, officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1)
    url = reverse("admin:services_application_changelist")
    response = admin_client.post(
        url, {"action": "archive", "_selected_action": [application.pk]}, follow=True
    )
    assert "belum diperiksa" in response.content.decode()  # refused, with the workflow's reason
    assert Application.objects.get(pk=application.pk).state == ApplicationState.RECEIVED
    admin_client.post(url, {"action": "cancel", "_selected_action": [application.pk]})
    application.refresh_from_db()
    assert application.state == ApplicationState.CANCELLED
    assert application.events.latest("id").transition == "cancel"


@pytest.mark.django_db
def test_admin_sets_a_user_office_role_and_rt(admin_client, office, rt1, django_user_model):
    user = UserFactory(username="baru")
    url = reverse("admin:auth_user_change", args=[user.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "username": "baru",
            "first_name": "Ketua",
            "last_name": "Baru",
            "email": "",
            "is_active": "on",
            "date_joined_0": "2026-11-23",
            "date_joined_1": "09:00:00",
            "membership-TOTAL_FORMS": 1,
            "membership-INITIAL_FORMS": 0,
            "membership-MIN_NUM_FORMS": 0,
            "membership-MAX_NUM_FORMS": 1,
            "membership-0-office": office.pk,
            "membership-0-role": "rt_chair",
            "membership-0-rt": rt1.pk,
            "membership-0-phone": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.membership.rt == rt1
    assert list(user.groups.values_list("name", flat=True)) == ["rt_chair"]
    rt1.refresh_from_db()
    assert rt1.chair == user


@pytest.mark.django_db
def test_admin_pages_for_offices_letters_and_breaches_load(admin_client, office):
    for url in (
        reverse("admin:kelurahan_office_change", args=[office.pk]),
        reverse("admin:services_letter_changelist"),
        reverse("admin:services_slabreach_changelist"),
        reverse("admin:kelurahan_officeclosedday_add"),
        reverse("admin:django_q_schedule_changelist"),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    page = admin_client.get(reverse("admin:kelurahan_office_change", args=[office.pk]))
    assert "Penanda tangan surat" in page.content.decode()


@pytest.mark.django_db
def test_the_outbox_admin_lists_and_filters_the_state_and_the_last_error(admin_client, office):
    from services.models import MessageState, ResidentMessage
    from tests.factories import complaint_filed

    complaint_filed(office=office, contact_phone="081234567890", contact_email="a@example.com")
    failed, waiting = ResidentMessage.objects.order_by("id")[:2]
    ResidentMessage.objects.filter(pk=failed.pk).update(
        state=MessageState.FAILED, last_error="Gateway menolak: nomor tidak terdaftar"
    )
    url = reverse("admin:services_residentmessage_changelist")

    page = admin_client.get(url).content.decode()
    assert "Gagal terkirim" in page and "Belum terkirim" in page
    assert "Gateway menolak: nomor tidak terdaftar" in page
    assert f"?state__exact={MessageState.FAILED}" in page  # the filter is offered

    only_failed = admin_client.get(url, {"state__exact": MessageState.FAILED})
    assert only_failed.status_code == 200
    assert list(only_failed.context["cl"].result_list) == [failed]

    change = admin_client.get(reverse("admin:services_residentmessage_change", args=[waiting.pk]))
    assert change.status_code == 200
    assert 'name="state"' not in change.content.decode()  # read-only, as the rest
