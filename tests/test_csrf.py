"""CSRF: a POST without a token is refused on every URL of the portal, whoever sends it.

The URLs come from the resolver (like the anonymous-access test in test_access.py), so a new
view is covered at once. Each is posted by a logged-in user of the role the view is for, with
real objects in the URL and the form data the view would act on: only the missing token stops
it. The same POST with a token gets past the CSRF check, so the refusal is the token's.
"""

import logging

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import reverse

from services.models import (
    Application,
    ApplicationEvent,
    ApplicationState,
    Complaint,
    Letter,
    SurveyResponse,
)
from services.selectors import current_letter
from tests.conftest import PASSWORD, named_url_patterns
from tests.factories import case_in, complaint_filed, sent_to_rt
from verification.models import VerificationRequest

S = ApplicationState
PUBLIC = {
    "login",
    "health",
    "services:letter_verify",
    "services:public_status",
    "services:public_letter",
    "services:public_lookup",
    "services:complaint_form",
    "services:complaint_status",
    "services:complaint_public_list",
    "services:public_survey",
    "services:public_standard_index",
    "services:public_standard",
    "services:public_standard_print",
}
URLS = [(name, route, tuple(p.pattern.converters)) for name, route, p in named_url_patterns()]
FORM = {
    "reason": "alasan uji",
    "note": "catatan uji",
    "method": "pickup",
    "received_by": "Siti",
    "name": "Pak Joko",
    "address": "Jl. Mawar No. 5",
    "relation": "tetangga",
    "statement": "Benar tinggal di sini.",
    "username": "lurah",
    "password": PASSWORD,
}


@pytest.fixture
def world(officer, supervisor, rt1, rt_chair):
    """A case with documents waiting at the RT, and a case with an issued letter."""
    request = sent_to_rt(officer=officer, rt=rt1, nik="3271014501900012")
    done = case_in(S.ISSUED, officer=officer, rt=rt1, nik="3271014501900013")
    letter = current_letter(done)  # PDF not needed here
    complaint = complaint_filed(office=officer.membership.office)
    return {
        "request": request,
        "letter": letter,
        "supervisor": supervisor,
        "rt_chair": rt_chair,
        "complaint": complaint,
    }


def url_and_user(name: str, route: str, arguments: tuple[str, ...], world):
    """The URL with real objects in it, and who would use it."""
    if name in PUBLIC:
        user = None
    elif route.startswith("rt/"):
        user = world["rt_chair"]
    else:
        user = world["supervisor"]
    request, letter = world["request"], world["letter"]
    case = request.application
    attachment = case.attachments.first()
    values = {
        "code": letter.application.code if "token" in route else case.code,
        "token": letter.token,
        "status_token": case.status_token,
        "service_code": "KK" if "variant_code" in arguments else "KTP",
        "variant_code": "baru",
        "uuid": request.uuid if route.startswith("rt/") else attachment.uuid,
        "attachment_uuid": attachment.uuid,
        "complaint_code": world["complaint"].code,
        "office_code": case.office.code,
        "chart": "ikm",
    }
    return reverse(name, kwargs={key: values[key] for key in arguments}), user


def stored_state():
    return (
        ApplicationEvent.objects.count(),
        sorted(Application.objects.values_list("code", "state")),
        sorted(VerificationRequest.objects.values_list("id", "state")),
        sorted(Letter.objects.values_list("id", "revoked_at")),
        sorted(Complaint.objects.values_list("code", "state", "answer", "assigned_to")),
        SurveyResponse.objects.count(),
    )


def csrf_refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "django.security.csrf"]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "route", "arguments"), URLS, ids=[url[0] for url in URLS])
def test_a_post_without_a_csrf_token_is_refused_on_every_url(name, route, arguments, world, caplog):
    url, user = url_and_user(name, route, arguments, world)
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    before = stored_state()

    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        response = client.post(url, FORM)

    assert response.status_code == 403, (url, response.status_code)
    assert csrf_refusals(caplog), f"{url}: refused, but not by the CSRF check"
    assert stored_state() == before

    # With a token the same request passes the CSRF check: the token was all it lacked.
    caplog.clear()
    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        client.post(url, FORM, HTTP_X_CSRFTOKEN=secret)
    assert csrf_refusals(caplog) == []
