"""The queue's and the RT list's bodies are Jinja2 (kelurahan.jinja, issue 12): what a
resident typed is printed escaped there as in every Django template, and a name the body
does not know is an error, not a blank."""

import pytest
from django.template import engines
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
