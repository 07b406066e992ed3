"""The queue's, the RT list's and the case page's bodies are Jinja2 (kelurahan.jinja, issue 12):
what a resident typed is printed escaped there as in every Django template, and a name the body
does not know is an error, not a blank."""

import re

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse
from jinja2 import UndefinedError

from services.workflow import S
from tests.factories import case_in, log_in

TYPED = '<b onmouseover="alert(1)">Siti</b> & Co'
PRINTED = "&lt;b onmouseover=&#34;alert(1)&#34;&gt;Siti&lt;/b&gt; &amp; Co"


@pytest.mark.django_db
def test_the_queue_prints_an_applicants_markup_as_text(client, officer, rt1):
    case = case_in(S.RECEIVED, officer=officer, rt=rt1, applicant_name=TYPED)
    log_in(client, officer)
    page = client.get(reverse("services:queue")).content.decode()
    assert PRINTED in page
    assert "<b onmouseover" not in page
    assert f'href="{reverse("services:application_detail", args=[case.code])}"' in page
    # The form posts with its CSRF token (csrf_input of Django's Jinja2 backend).
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.django_db
def test_the_rt_list_prints_an_applicants_markup_as_text(client, officer, rt1, rt_chair):
    vr = case_in(S.IN_VERIFICATION, officer=officer, rt=rt1, applicant_name=TYPED)
    log_in(client, rt_chair)
    page = client.get(reverse("verification:rt_home")).content.decode()
    assert PRINTED in page
    assert "<b onmouseover" not in page
    assert reverse("verification:request", args=[vr.verification_requests.get().uuid]) in page


def test_a_name_the_body_does_not_know_is_an_error():
    template = engines["jinja2"].from_string("<p>{{ row.nmae }}</p>")
    with pytest.raises(UndefinedError):
        template.render({"row": {"name": "Siti"}})


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.mark.django_db
def test_the_case_page_prints_an_applicants_markup_as_text(client, officer, rt1):
    case = case_in(S.RECEIVED, officer=officer, rt=rt1, applicant_name=TYPED, purpose=TYPED)
    log_in(client, officer)
    page = client.get(reverse("services:application_detail", args=[case.code])).content.decode()
    assert page.count(PRINTED) >= 3  # the lead, the applicant's data, the purpose
    assert "<b onmouseover" not in page


@pytest.mark.django_db
def test_the_case_pages_forms_carry_one_token_that_the_portal_accepts(officer, rt1):
    """The body reads the CSRF token once (kelurahan.jinja.Template): every form of it carries
    the same masked token (Django's lazy csrf_input masks it anew for each form), and a form
    posted with it passes the CSRF check."""
    case = case_in(S.RECEIVED, officer=officer, rt=rt1)
    client = Client(enforce_csrf_checks=True)
    log_in(client, officer)
    page = client.get(reverse("services:application_detail", args=[case.code])).content.decode()
    body = page[page.index("<main") :]
    tokens = TOKEN.findall(body)
    assert len(tokens) >= 2
    assert len(set(tokens)) == 1
    action = re.search(r'<form method="post" action="([^"]+)"', body).group(1)
    assert client.post(action, {"csrfmiddlewaretoken": "x" * 64}).status_code == 403
    assert client.post(action, {"csrfmiddlewaretoken": tokens[0]}).status_code != 403


@pytest.mark.django_db
def test_the_dashboard_prints_a_chairs_markup_as_text(client, officer, supervisor, rt1, rt_chair):
    rt_chair.first_name = TYPED
    rt_chair.save()
    case_in(S.IN_VERIFICATION, officer=officer, rt=rt1)
    log_in(client, supervisor)
    page = client.get(reverse("services:dashboard")).content.decode()
    assert "<h1>Dasbor layanan</h1>" in page
    assert PRINTED in page
    assert "<b onmouseover" not in page


@pytest.mark.django_db
def test_the_notifications_list_prints_a_messages_markup_as_text(client, officer):
    """A note's message names a resident (typed at the counter): the Jinja2 list escapes it;
    a note without a link points nowhere ('#'), as Django's ``default:'#'`` did."""
    from services.models import Notification

    Notification.objects.create(recipient=officer, key="t:1", kind="breach", message=TYPED)
    log_in(client, officer)
    page = client.get(reverse("services:notifications")).content.decode()
    assert "<h1>Notifikasi</h1>" in page
    assert PRINTED in page
    assert "<b onmouseover" not in page
    assert '<a href="#" class="row-link">' in page
    assert " · baru</span>" in page
