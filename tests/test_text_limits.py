"""Length limits on every free-text field, and the letter render guard (SECURITY.md J63, F41).

The probe: a 2,000,000-character address was accepted and made a 1,277-page, 436 MB letter
that took 102 s to render (the job timeout is 120 s). The guards below walk every model and
every form of the project, so a new text field without a limit fails here.
"""

import importlib
import pkgutil
import re

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import DataError, IntegrityError, models, transaction
from django.urls import reverse

from kelurahan import limits
from services import workflow
from services.letters import pdf
from services.models import Application, Letter, Service
from tests.factories import ApplicationFactory, catalogue_service, issued_letter, jpeg_upload

PROJECT_PACKAGES = ("kelurahan", "services", "verification", "bench")
HUGE = "Jl. Mawar " + "x" * 2_000_000

# Third-party tables whose text the portal's users never type: written by the library itself.
THIRD_PARTY_TEXT = {
    "admin.LogEntry.object_id": "the admin's own record of a changed row's primary key",
    "admin.LogEntry.change_message": "JSON the admin writes about a change",
    "sessions.Session.session_data": "signed session data Django writes",
    "axes.AccessAttempt.get_data": "django-axes's copy of a login request (AXES_* settings)",
    "axes.AccessAttempt.post_data": "django-axes's copy of a login request (passwords masked)",
    "django_q.Schedule.args": "job arguments the portal's own code schedules",
    "django_q.Schedule.kwargs": "job arguments the portal's own code schedules",
    "django_q.OrmQ.payload": "a signed job package django-q2 writes",
}


def _import_project_modules() -> None:
    for package_name in PROJECT_PACKAGES:
        if not apps.is_installed(package_name) and package_name == "bench":
            continue
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if ".migrations" in info.name or info.name.endswith((".wsgi", ".asgi")):
                continue
            importlib.import_module(info.name)


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def project_forms() -> list[type[forms.BaseForm]]:
    _import_project_modules()
    return sorted(
        {
            form
            for form in _all_subclasses(forms.BaseForm)
            if form.__module__.split(".")[0] in PROJECT_PACKAGES
        },
        key=lambda form: f"{form.__module__}.{form.__qualname__}",
    )


def unlimited_form_fields(form_fields: dict, where: str) -> list[str]:
    return [
        f"{where}.{name}"
        for name, field in form_fields.items()
        if isinstance(field, forms.CharField) and not field.max_length
    ]


# --- the guards: no text field without a limit ------------------------------------------------
def test_j63_every_model_text_field_has_a_limit_in_the_model():
    missing = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.CharField | models.TextField):
                continue
            label = f"{model._meta.label}.{field.name}"
            if label in THIRD_PARTY_TEXT:
                continue
            validated = any(
                isinstance(v, MaxLengthValidator) and v.limit_value == field.max_length
                for v in field.validators
            )
            if not field.max_length or not validated:
                missing.append(label)
    assert not missing, f"text fields without max_length + MaxLengthValidator: {missing}"


def test_j63_every_form_text_field_has_a_limit():
    found = project_forms()
    assert len(found) > 20  # the walk really finds the project's forms
    missing = []
    for form in found:
        missing += unlimited_form_fields(form.base_fields, f"{form.__module__}.{form.__name__}")
    assert not missing, f"form CharFields without max_length: {missing}"


@pytest.mark.django_db
def test_j63_the_intake_forms_data_fields_are_limited_too(office, rt_chair):
    # Fields made in __init__ from the catalogue (the service's data fields) are checked on
    # real instances of the intake, assisted and correction forms.
    from services.forms import ApplicationForm, CorrectionForm
    from verification.forms import AssistedForm

    missing = []
    for service in Service.objects.all():
        for form in (
            ApplicationForm(office=office, service=service),
            AssistedForm(service=service, chair=rt_chair),
        ):
            missing += unlimited_form_fields(form.fields, f"{type(form).__name__}[{service.code}]")
    case = ApplicationFactory(office=office, service="SITU")
    missing += unlimited_form_fields(CorrectionForm(application=case).fields, "CorrectionForm")
    assert not missing


# --- the 2,000,000-character address -----------------------------------------------------------
def intake_data(service: Service, address: str) -> dict:
    data = {
        "applicant_name": "Mbah Karsiyem",
        "nik": "3271016507450001",
        "phone": "0813 1111 2222",
        "address": address,
        "delivery": "pickup",
    }
    for requirement in service.requirements.all():
        data[f"berkas_{requirement.pk}"] = [jpeg_upload(f"{requirement.code}.jpg")]
    return data


@pytest.mark.django_db
def test_j63_a_two_million_character_address_is_refused_at_the_form(client, rt_chair):
    client.force_login(rt_chair)
    service = Service.objects.get(code="KTP")
    response = client.post(
        reverse("verification:assisted_create", args=["KTP"]), intake_data(service, HUGE)
    )
    assert response.status_code == 200
    page = response.content.decode()
    # The form's own refusal (the workflow's would read "Alamat terlalu panjang").
    assert f"Terlalu panjang: paling banyak 500 karakter (tertulis {len(HUGE)})" in page
    assert not Application.objects.exists()
    # The browser stops typing at the limit too.
    assert re.search(r'<textarea name="address"[^>]*maxlength="500"', page)


@pytest.mark.django_db
def test_j63_a_two_million_character_address_is_refused_by_the_workflow(officer, office, rt1):
    with pytest.raises(workflow.WorkflowError) as refused:
        ApplicationFactory(officer=officer, rt=rt1, address=HUGE)
    message = str(refused.value)
    assert "Alamat terlalu panjang" in message and "paling banyak 500 karakter" in message
    assert not Application.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, limit",
    [
        ("applicant_name", 120),
        ("purpose", 240),
        ("assisted_by", 160),
        ("delivery_address", limits.ADDRESS_MAX),
    ],
)
def test_j63_every_applicant_text_the_workflow_takes_is_limited(officer, rt1, field, limit):
    values = {field: "a" * (limit + 1)}
    if field == "delivery_address":
        values["delivery"] = "courier"
    with pytest.raises(workflow.WorkflowError, match="terlalu panjang"):
        ApplicationFactory(officer=officer, rt=rt1, **values)
    ApplicationFactory(officer=officer, rt=rt1, **{**values, field: "a" * limit})


@pytest.mark.django_db
def test_j63_a_bulk_write_cannot_bypass_the_address_limit(officer, rt1):
    # update() and bulk_create skip model validation; the CHECK constraint does not.
    case = ApplicationFactory(officer=officer, rt=rt1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=case.pk).update(address=HUGE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=case.pk).update(delivery_address="a" * 501)
    case.refresh_from_db()
    assert case.address == "Jl. Mawar No. 3"


@pytest.mark.django_db
def test_j63_model_validation_refuses_over_long_text(office):
    office.address = "a" * (limits.ADDRESS_MAX + 1)
    with pytest.raises(ValidationError) as refused:
        office.full_clean()
    assert "address" in refused.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    "step",
    ["cancel", "mark_incomplete", "archive", "reject_document", "revoke", "send_to_rt", "rt_note"],
)
def test_j63_reasons_and_notes_are_refused_over_the_limit(officer, rt_chair, rt1, step):
    from verification import workflow as rt_workflow

    too_long = "a" * (limits.NOTE_MAX + 1)
    with pytest.raises(workflow.WorkflowError, match="terlalu panjang"):
        if step == "cancel":
            case = ApplicationFactory(officer=officer, rt=rt1)
            workflow.application_cancel(application=case, by=officer, reason=too_long)
        elif step == "mark_incomplete":
            case = ApplicationFactory(officer=officer, rt=rt1, one_rejected=True)
            workflow.application_mark_incomplete(application=case, by=officer, note=too_long)
        elif step == "archive":
            case = ApplicationFactory(officer=officer, rt=rt1, checked=True)
            workflow.application_archive(application=case, by=officer, note=too_long)
        elif step == "reject_document":
            case = ApplicationFactory(officer=officer, rt=rt1)
            attachment = case.attachments.first()
            workflow.attachment_reject(attachment=attachment, by=officer, reason=too_long)
        elif step == "revoke":
            letter = issued_letter(officer=officer, rt=rt1, chair=rt_chair)
            workflow.letter_revoke(letter=letter, by=officer, reason=too_long)
        elif step == "send_to_rt":
            case = ApplicationFactory(officer=officer, rt=rt1, state="archived")
            rt_workflow.application_send_to_rt(application=case, by=officer, note=too_long)
        elif step == "rt_note":
            case = ApplicationFactory(officer=officer, rt=rt1, state="in_verification")
            request = case.verification_requests.get()
            rt_workflow.verification_reject(request=request, by=rt_chair, note=too_long)


@pytest.mark.django_db
def test_j63_public_and_rt_text_is_refused_by_its_workflow_step(office, officer, rt1, rt_chair):
    from tests.factories import complaint_filed, online_response, sent_to_rt
    from verification import workflow as rt_workflow

    with pytest.raises(workflow.WorkflowError, match="terlalu panjang"):
        complaint_filed(office=office, text=HUGE)
    with pytest.raises(workflow.WorkflowError, match="terlalu panjang"):
        complaint_filed(office=office, contact_email="a" * 250 + "@x.example")
    request = sent_to_rt(officer=officer, rt=rt1, chair=rt_chair, neighbour_reason="perlu")
    with pytest.raises(workflow.WorkflowError, match="Keterangan terlalu panjang"):
        rt_workflow.attestation_add(
            request=request,
            by=rt_chair,
            name="Pak Joko",
            address="sebelah",
            relation="tetangga",
            statement=HUGE,
        )
    completed = ApplicationFactory(
        officer=officer, rt=rt1, state="completed", chair=rt_chair, nik="3271016507450009"
    )
    with pytest.raises(workflow.WorkflowError, match="Saran terlalu panjang"):
        online_response(completed, suggestion="s" * (limits.SUGGESTION_MAX + 1))


# --- the render guard (F41) ----------------------------------------------------------------------
@pytest.fixture
def weasyprint_spy(monkeypatch):
    calls = []
    real = pdf.weasyprint.HTML

    def spy(*args, **kwargs):
        calls.append(kwargs.get("string", "")[:40])
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf.weasyprint, "HTML", spy)
    return calls


@pytest.mark.django_db
def test_f41_an_over_long_letter_is_refused_before_any_render(
    officer, rt1, rt_chair, weasyprint_spy, settings
):
    from services.letters.render import render_letter

    letter = issued_letter(officer=officer, rt=rt1, chair=rt_chair)
    rendered = len(weasyprint_spy)
    assert Letter.objects.get(pk=letter.pk).sha256  # a normal letter renders
    # A letter's wording made enormous behind the forms' back (a bulk write, an old row).
    Service.objects.filter(pk=letter.application.service_id).update(letter_body="kata " * 60_000)
    Letter.objects.filter(pk=letter.pk).update(sha256="", pdf="")
    with pytest.raises(pdf.LetterTooLarge, match="terlalu panjang"):
        render_letter(letter.pk)
    assert len(weasyprint_spy) == rendered  # WeasyPrint was never called
    assert not Letter.objects.get(pk=letter.pk).sha256


@pytest.mark.django_db
def test_f41_issuing_a_case_with_over_long_stored_text_is_refused_before_numbering(
    officer, rt1, rt_chair, weasyprint_spy
):
    # An address stored before the limits (shortened by the migration, or on a database
    # where the CHECK constraint is not there yet) must not reach a render: the workflow
    # looks at the text the letter prints before it numbers the letter.
    case = ApplicationFactory(officer=officer, rt=rt1, state="verified", chair=rt_chair)
    try:
        with transaction.atomic():
            Application.objects.filter(pk=case.pk).update(purpose="p" * 241)
    except DataError:  # PostgreSQL's varchar(240) refuses it: such a row cannot exist there
        pytest.skip("the database itself bounds CharFields")
    case.refresh_from_db()
    with pytest.raises(workflow.WorkflowError, match="terlalu panjang untuk dicetak"):
        workflow.application_issue(application=case, by=officer)
    assert not Letter.objects.filter(application=case).exists()
    assert weasyprint_spy == []


def test_f41_a_normal_letter_is_far_below_the_guard():
    # The guard's size (characters of HTML, embedded images not counted) against a real
    # letter's: the demo's letters are ~5 kB of HTML, 2.4-2.8 kB without their data: URIs.
    assert pdf.PDF_MAX_HTML_CHARS >= 100_000


@pytest.mark.django_db
def test_f41_the_guard_does_not_count_embedded_images(monkeypatch):
    image = "data:image/png;base64," + "A" * (pdf.PDF_MAX_HTML_CHARS + 10)
    html = f'<html><body><img src="{image}"><p>Surat</p></body></html>'
    pdf.check_html_size(html)  # no error: the picture is not text
    with pytest.raises(pdf.LetterTooLarge):
        pdf.check_html_size("<p>" + "x" * (pdf.PDF_MAX_HTML_CHARS + 1) + "</p>")
    assert catalogue_service("KTP")


# --- the migration and the rows already stored ------------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_j63_the_migration_shortens_stored_over_long_addresses_instead_of_failing(officer, rt1):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    case = ApplicationFactory(officer=officer, rt=rt1)
    before, after = ("services", "0024_upload_hardening"), ("services", "0025_text_limits")
    executor = MigrationExecutor(connection)
    executor.migrate([before])  # the constraint is gone: store what the probe stored
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE services_application SET address = %s, delivery_address = %s WHERE id = %s",
            [HUGE, "y" * 501, case.pk],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([after])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to today's schema
    case.refresh_from_db()
    assert len(case.address) == limits.ADDRESS_MAX and case.address.endswith("[…]")
    assert case.address.startswith("Jl. Mawar x")
    assert len(case.delivery_address) == limits.ADDRESS_MAX
    notes = list(case.events.filter(transition="shorten_text").values_list("note", flat=True))
    assert len(notes) == 2
    assert any("Alamat dipotong dari 2000010 menjadi 500 karakter" in n for n in notes)
