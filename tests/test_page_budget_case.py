"""Issue 12: the case page and the resident's status page cost the same however long the case's
history is: the same number of queries (under a cap) and the same number of templates rendered
(no include per event or per document row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.forms.renderers import get_default_renderer
from django.template.loader import get_template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from services import workflow
from services.case_page import FAST_WIDGETS, FIELD_TEMPLATE, field_html
from services.forms import CorrectionForm, HandOverForm, ReopenForm, UploadForm
from services.models import (
    ApplicationEvent,
    MessageChannel,
    MessageState,
    ResidentMessage,
    Service,
    ServiceField,
)
from tests.factories import ApplicationFactory, case_in, clean_jpeg
from verification.forms import SendToRtForm
from verification.models import NeighbourAttestation

# Session renewals (once a minute) are not the page's queries: tests/conftest.py.
pytestmark = pytest.mark.usefixtures("session_clock_stopped")

# The session, the user (membership, perms, bell), the case (its office's closed days and RTs,
# whether it has letters or waiting messages), documents, history, the access log's row, the
# messages waiting (intake leaves one), the RT requests (of a case sent to its RT); the catalogue
# comes from the process's cache (was 17, then 14).
CASE_QUERY_CAP = 8
# Rows read only by a case that has them: letters, messages waiting, neighbours' statements.
CASE_WORST_QUERY_CAP = 10
CASE_TEMPLATE_BUDGET = 9  # the page, its Jinja2 body, base, nav, the RT panel, … (was 67)
STATUS_QUERY_CAP = 5  # the case, its history, complaints, documents, requirements (was 7)
STATUS_TEMPLATE_BUDGET = 6


def _grown(application, officer, *, events: int, documents: int):
    """Give a case ``events`` more history rows and ``documents`` more documents."""
    requirement = application.attachments.first().requirement
    for n in range(documents):
        workflow.attachment_add(
            application=application,
            requirement=requirement,
            files=[clean_jpeg(f"tambahan{n}.jpg")],
            by=officer,
        )
    ApplicationEvent.objects.bulk_create(
        ApplicationEvent(
            application=application, by=officer, transition="note", note=f"catatan {n}"
        )
        for n in range(events)
    )
    return application


def _cost(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.templates)


@pytest.fixture
def small_and_big(officer, rt1):
    small = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900041")
    big = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900042")
    _grown(big, officer, events=27, documents=7)
    assert big.events.count() >= 30 and big.attachments.count() >= 8
    return small, big


@pytest.mark.django_db
def test_the_case_page_costs_the_same_with_a_long_history(officer_client, small_and_big):
    small, big = small_and_big
    url = lambda case: reverse("services:application_detail", args=[case.code])  # noqa: E731
    _cost(officer_client, url(small))  # warm per-process caches (catalogue, session)
    small_cost, big_cost = _cost(officer_client, url(small)), _cost(officer_client, url(big))
    assert small_cost == big_cost
    queries, templates = big_cost
    assert queries <= CASE_QUERY_CAP
    assert templates <= CASE_TEMPLATE_BUDGET


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state", ["received", "in_verification", "verified", "issued", "completed", "rejected"]
)
def test_no_state_of_a_case_costs_more_than_the_cap(officer, rt1, officer_client, state):
    """Every state, with everything a case may have besides: a letter (issued on), a message
    waiting for the officer, a neighbour's statement on its RT request."""
    case = case_in(state, officer=officer, rt=rt1, nik="3271014501900044")
    url = reverse("services:application_detail", args=[case.code])
    _cost(officer_client, url)
    plain, _ = _cost(officer_client, url)
    ResidentMessage.objects.create(
        office=case.office,
        application=case,
        step="uji",
        channel=MessageChannel.WHATSAPP,
        recipient=case.phone,
        text="Pesan uji",
        state=MessageState.PENDING,
    )
    request = case.verification_requests.first()
    if request is not None:
        NeighbourAttestation.objects.create(
            request=request,
            name="Tetangga",
            address="Rumah sebelah",
            relation="tetangga",
            statement="Benar tinggal di sini",
            recorded_by=officer,
        )
    queries, _ = _cost(officer_client, url)
    assert plain <= CASE_QUERY_CAP + (state in ("issued", "completed"))  # + its letters
    assert queries <= CASE_WORST_QUERY_CAP


@pytest.mark.django_db
def test_the_status_page_costs_the_same_with_a_long_history(client, small_and_big):
    small, big = small_and_big
    url = lambda case: reverse("services:public_status", args=[case.status_token])  # noqa: E731
    _cost(client, url(small))
    small_cost, big_cost = _cost(client, url(small)), _cost(client, url(big))
    assert small_cost == big_cost
    queries, templates = big_cost
    assert queries <= STATUS_QUERY_CAP
    assert templates <= STATUS_TEMPLATE_BUDGET


def _every_widget_both_ways(form) -> list[tuple[str, str, str]]:
    """(field, Django's templates' HTML, FAST_WIDGETS' HTML) for every field of the form."""
    rows = []
    for name in form.fields:
        form.renderer = get_default_renderer()
        django_html = str(form[name])
        form.renderer = FAST_WIDGETS
        rows.append((name, django_html, str(form[name])))
    return rows


@pytest.mark.django_db
def test_the_case_page_forms_render_the_same_html_as_django_templates(officer, rt1):
    """FAST_WIDGETS writes the case page's widgets in Python, and field_html the field around
    each (includes/field.html): the same bytes as Django's templates, for every kind of field
    the case page's forms have (text, email, textarea, select, radio, checkbox, hidden,
    multiple file, date/number/choice data fields), unbound and bound with errors and with
    markup in the values."""
    service = Service.objects.get(code="KTP")
    ServiceField.objects.create(service=service, code="tgl", label="Tanggal <hilang>", kind="date")
    ServiceField.objects.create(service=service, code="jumlah", label="Jumlah", kind="number")
    ServiceField.objects.create(
        service=service,
        code="alasan",
        label="Alasan",
        kind="choice",
        choices="Hilang\nRusak & <x>\n",
    )
    ServiceField.objects.create(service=service, code="cerita", label="Cerita", kind="long_text")
    kk = ApplicationFactory(officer=officer, rt=rt1, service="KK", nik="3271014501900043")
    ktp = ApplicationFactory(
        officer=officer,
        rt=rt1,
        service="KTP",
        docs=False,
        extra={"tgl": "2026-11-02", "jumlah": "3", "alasan": "Rusak & <x>", "cerita": "a\n<b>"},
    )
    bad = {"applicant_name": '"><script>x</script>', "nik": "12", "delivery": "courier"}
    bad |= {"data_jumlah": "tiga", "reason": "", "needs_neighbours": "on", "method": "pickup"}
    forms = [
        CorrectionForm(application=kk),
        CorrectionForm(application=ktp),
        CorrectionForm(bad, application=ktp),
        ReopenForm(application=kk),
        ReopenForm(bad, application=kk),
        HandOverForm(initial={"method": "pickup"}),
        HandOverForm(bad),
        UploadForm(service=kk.service, variant=kk.variant),
        SendToRtForm(),
        SendToRtForm(bad),
    ]
    compared = 0
    for form in forms:
        form.is_bound and form.is_valid()
        for name, django_html, fast_html in _every_widget_both_ways(form):
            assert fast_html == django_html, (type(form).__name__, name)
            for hide_optional in (False, True):
                template = get_template(FIELD_TEMPLATE).render(
                    {"field": form[name], "hide_optional": hide_optional}
                )
                assert field_html(form[name], hide_optional=hide_optional) == template, name
            compared += 1
    assert compared >= 60
    assert "variant" in forms[0].fields and "data_cerita" in forms[1].fields


@pytest.mark.django_db
def test_the_rt_panel_asks_for_requests_only_of_a_case_that_has_some(officer, rt1, officer_client):
    """Whether the case has RT requests comes with the case (the panel's registered column):
    a case never sent reads none and says so; a case at its RT shows its request."""
    received = case_in("received", officer=officer, rt=rt1, nik="3271014501900045")
    waiting = case_in("in_verification", officer=officer, rt=rt1, nik="3271014501900046")
    for case, asked, shown in [
        (received, False, f"Belum dikirim ke Ketua {rt1}"),
        (waiting, True, "menunggu RT sejak"),
    ]:
        url = reverse("services:application_detail", args=[case.code])
        officer_client.get(url)
        with CaptureQueriesContext(connection) as queries:
            page = officer_client.get(url)
        requests = [
            q["sql"]
            for q in queries.captured_queries
            # The panel's own read (the case's query names the table in a subquery only).
            if q["sql"].startswith('SELECT "verification_verificationrequest"."id"')
        ]
        assert bool(requests) is asked, case.state
        assert shown in page.content.decode()
