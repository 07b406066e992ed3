"""The admin is for superusers who passed the second factor (SECURITY.md J60, B15).

kelurahan/admin_site.py says why the admin is not scoped by office for officers: what it holds
is shared by every office, or it is an office's cases, which the portal's own pages already show
scoped. So an officer whom an admin marks "staff status" — even holding every permission and a
verified device — opens no admin page of any registered ModelAdmin: no list, change page,
history, autocomplete JSON or action, and sees none of another office's NIK.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, reverse

from kelurahan.admin import STAFF_WARNING, SUPERUSER_WARNING
from services.models import ApplicationState
from tests.factories import (
    AdminFactory,
    ApplicationFactory,
    OfficerFactory,
    SupervisorFactory,
    UserFactory,
    complaint_filed,
    log_in,
)

SECRET_NIK = "3271014501900099"
SECRET_NAME = "Rahasia Kober"


@pytest.fixture
def other_case(other_officer, other_rt):
    case = ApplicationFactory(
        officer=other_officer, rt=other_rt, nik=SECRET_NIK, applicant_name=SECRET_NAME
    )
    complaint_filed(office=other_officer.membership.office, contact_phone="081299990000")
    return case


@pytest.fixture
def staff_officer(office):
    """An officer of office A whom an admin ticked "staff status" and gave every permission."""
    user = OfficerFactory(username="petugas_staf", office=office)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.all())
    return user


def admin_urls(sample_id) -> list[tuple[str, object]]:
    """Every URL of the admin site (its own and each ModelAdmin's), with real arguments."""
    found = []

    by_route = {
        f"{model._meta.app_label}/{model._meta.model_name}/": model_admin
        for model, model_admin in admin.site._registry.items()
    }

    def walk(patterns, prefix="/admin/", owner=None):
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route, by_route.get(route, owner))
            elif isinstance(p, URLPattern):
                url = prefix + route.lstrip("^").rstrip("$")
                url = url.replace("<path:object_id>", str(sample_id(owner)))
                url = url.replace("<int:content_type_id>", "1").replace("<path:object_id>", "1")
                if "(?P" in url or "<" in url:
                    url = "/admin/services/"  # the app index, spelled as a regex by Django
                found.append((url, owner))

    walk(admin.site.get_urls())
    return found


@pytest.mark.django_db
def test_j60_every_admin_url_of_every_model_admin_is_closed_to_a_staff_officer(
    client, staff_officer, other_case
):
    log_in(client, staff_officer, verified=True)  # a device alone opens nothing either
    assert staff_officer.has_perm("services.change_application")

    def sample_id(model_admin):
        if model_admin is None:
            return 1
        first = model_admin.model._default_manager.order_by("-pk").first()
        return first.pk if first else 1

    urls = admin_urls(sample_id)
    opened, leaked = [], []
    for url, _ in urls:
        response = client.get(url, follow=True)
        page = response.content.decode(errors="replace")
        if response.status_code == 200:
            opened.append(url)
        if SECRET_NIK in page or SECRET_NAME in page:
            leaked.append(url)
    assert opened == [] and leaked == []
    # The walk reached every registered ModelAdmin, so a new one cannot escape it.
    assert {owner for _, owner in urls if owner} == set(admin.site._registry.values())


@pytest.mark.django_db
def test_j60_a_staff_officer_sees_no_other_offices_case_in_lists_change_history_or_autocomplete(
    client, staff_officer, other_case
):
    log_in(client, staff_officer, verified=True)
    pk = other_case.pk
    urls = [
        reverse("admin:services_application_changelist"),
        reverse("admin:services_application_changelist") + f"?q={SECRET_NIK}",
        reverse("admin:services_application_change", args=[pk]),
        reverse("admin:services_application_history", args=[pk]),
        reverse("admin:services_attachment_changelist")
        if admin.site.is_registered(other_case.attachments.model)
        else reverse("admin:services_letter_changelist"),
        reverse("admin:autocomplete")
        + "?app_label=services&model_name=slabreach&field_name=application&term=Rahasia",
        reverse("admin:index"),
    ]
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 404, url
        page = response.content.decode()
        assert SECRET_NIK not in page and SECRET_NAME not in page, url
    # An action posted to the list changes nothing.
    client.post(
        reverse("admin:services_application_changelist"),
        {"action": "cancel", "_selected_action": [pk]},
    )
    other_case.refresh_from_db()
    assert other_case.state == ApplicationState.RECEIVED


@pytest.mark.django_db
def test_j60_a_verified_supervisor_marked_staff_gets_no_admin_either(client, office):
    supervisor = SupervisorFactory(office=office)
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])
    log_in(client, supervisor)
    assert client.get(reverse("admin:index"), follow=True).status_code == 404
    page = client.get(reverse("services:queue")).content.decode()
    assert reverse("admin:index") not in page  # no "Pengaturan" in the menu


@pytest.mark.django_db
def test_j60_the_verified_superuser_keeps_the_whole_admin(client, other_case):
    log_in(client, AdminFactory())
    page = client.get(reverse("admin:services_application_changelist")).content.decode()
    assert other_case.code in page
    menu = client.get(reverse("services:catalogue")).content.decode()
    assert reverse("admin:index") in menu


@pytest.mark.django_db
def test_j60_the_user_form_warns_when_staff_status_is_ticked(client, office):
    log_in(client, AdminFactory(username="pengelola"))
    user = UserFactory(username="baru")
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = client.get(url).content.decode()
    assert "status staf saja tidak membuka halaman admin" in form
    assert "termasuk NIK dan nomor KK" in form

    data = {
        "username": "baru",
        "first_name": "Baru",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-11-23",
        "date_joined_1": "09:00:00",
        "membership-TOTAL_FORMS": 1,
        "membership-INITIAL_FORMS": 0,
        "membership-MIN_NUM_FORMS": 0,
        "membership-MAX_NUM_FORMS": 1,
        "membership-0-office": office.pk,
        "membership-0-role": "officer",
        "membership-0-phone": "",
    }
    saved = client.post(url, data, follow=True)
    assert STAFF_WARNING in saved.content.decode()
    data["is_superuser"] = "on"
    saved = client.post(url, data, follow=True)
    assert SUPERUSER_WARNING in saved.content.decode()
