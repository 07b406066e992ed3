"""The admin speaks Indonesian: field names, history labels, roles and the job cluster's pages.

Admins of a kelurahan read /admin/ in Indonesian; English column names ("OFFICE", "Is open"),
raw codes ("accept_document", "officer") and sort keys ("Queue due: 31 Des 9999") were what
they met before.
"""

import html
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from kelurahan.models import Role
from services import workflow
from tests.factories import AdminFactory, ApplicationFactory, log_in

OUR_APPS = ("kelurahan", "services", "verification")


def visible_text(response) -> str:
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def admin_client(client, django_user_model):
    admin_user = AdminFactory(username="pengelola", password="x")
    log_in(client, admin_user)
    return client


def test_every_field_and_model_of_the_portal_has_an_indonesian_name():
    unnamed = []
    for label in OUR_APPS:
        for model in apps.get_app_config(label).get_models():
            if "verbose_name" not in model._meta.original_attrs:
                unnamed.append(model.__name__)
            for field in model._meta.get_fields():
                # Django derives "office" from office when no name is given; that is what
                # the admin then shows as a column header.
                if not field.auto_created and field._verbose_name is None:
                    unnamed.append(f"{model.__name__}.{field.name}")
    assert unnamed == []


@pytest.mark.django_db
def test_history_in_the_admin_reads_as_steps_and_states_not_codes(admin_client, officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1)
    attachment = application.attachments.first()
    workflow.attachment_accept(attachment=attachment, by=officer)
    workflow.application_cancel(application=application, by=officer, reason="Salah layanan")

    page = visible_text(
        admin_client.get(reverse("admin:services_application_change", args=[application.pk]))
    )

    assert "Permohonan dicatat" in page and "Berkas diterima" in page
    assert "Dibatalkan" in page
    for code in ("accept_document", "receive", "cancelled", "received"):
        assert not re.search(rf"\b{code}\b", page), code
    # Generated sort keys and flags are not fields an admin reads.
    assert "9999" not in page
    assert not re.search(r"\b(True|False)\b", page)
    assert "jam layanan tidak berjalan" in page


@pytest.mark.django_db
def test_role_groups_are_shown_by_their_indonesian_names(admin_client, officer):
    groups = visible_text(admin_client.get(reverse("admin:auth_group_changelist")))
    user_form = admin_client.get(reverse("admin:auth_user_change", args=[officer.pk]))
    group_select = re.search(
        r'<select name="groups".*?</select>', user_form.content.decode(), flags=re.S
    ).group(0)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", group_select)

    for role in Role:
        assert role.label in groups
        assert f"{role.label} ({role.value})" in [html.unescape(o) for o in options]


@pytest.mark.django_db
def test_job_cluster_pages_are_in_indonesian(admin_client):
    schedules = visible_text(admin_client.get(reverse("admin:django_q_schedule_changelist")))
    schedule_form = visible_text(admin_client.get(reverse("admin:django_q_schedule_add")))
    index = visible_text(admin_client.get(reverse("admin:index")))

    assert "Tugas terjadwal" in schedules and "Jenis jadwal" in schedules
    assert "Fungsi" in schedule_form and "Pengulangan" in schedule_form
    for english in ("Scheduled task", "Successful task", "Failed task", "Queued task"):
        assert english not in index
        assert english not in schedules
    assert "Schedule Type" not in schedule_form and "Repeats" not in schedule_form


@pytest.mark.django_db
def test_every_admin_page_of_the_portal_opens(admin_client, officer, rt1):
    ApplicationFactory(officer=officer, rt=rt1)
    failures = []
    for model in admin.site._registry:
        opts = model._meta
        urls = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
        first = model.objects.first()
        if first is not None:
            urls.append(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            )
        for url in urls:
            response = admin_client.get(url)
            if response.status_code != 200:
                failures.append((url, response.status_code))
    assert failures == []


@pytest.mark.django_db
def test_user_list_and_login_throttling_have_indonesian_headings(admin_client, officer):
    users = visible_text(admin_client.get(reverse("admin:auth_user_changelist")))
    index = visible_text(admin_client.get(reverse("admin:index")))

    assert "Nama lengkap" in users and "Get full name" not in users
    assert "Pembatasan login" in index and not re.search(r"\bAxes\b", index)
