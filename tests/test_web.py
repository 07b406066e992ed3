"""services.web.run_step: how every view answers a workflow step (both apps use it)."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from django.urls import reverse

from services.forms import NoteForm
from services.models import ApplicationState
from services.web import run_step
from services.workflow import CHANGED_UNDER_YOU, WorkflowError, WorkflowPermissionDenied

pytestmark = pytest.mark.django_db


def post(user, data=None):
    request = RequestFactory().post("/x/", data or {})
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def texts(request) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(request)]


def refusing(error):
    def step(**kwargs):
        raise error

    return step


def test_success_runs_the_step_as_the_user_and_redirects_with_the_message(officer):
    seen = {}

    def step(**kwargs):
        seen.update(kwargs)
        return "KBR-1"

    request = post(officer)
    response = run_step(
        request,
        step,
        success=lambda code: f"{code} tercatat.",
        redirect_to=lambda code: f"/selesai/{code}/",
        note="x",
    )
    assert seen == {"by": officer, "note": "x"}
    assert response.status_code == 302 and response["Location"] == "/selesai/KBR-1/"
    assert texts(request) == [("success", "KBR-1 tercatat.")]


def test_no_success_message_when_none_is_given(officer):
    request = post(officer)
    run_step(request, lambda **kw: None, success=None, redirect_to="/ok/")
    assert texts(request) == []


def test_a_refused_step_becomes_an_error_message_and_goes_where_refusals_go(officer):
    request = post(officer)
    response = run_step(
        request,
        refusing(WorkflowError("Belum lengkap.")),
        success="tidak tampil",
        redirect_to="/daftar/",
        refused_to="/permintaan/",
    )
    assert response["Location"] == "/permintaan/"
    assert texts(request) == [("error", "Belum lengkap.")]
    request = post(officer)
    response = run_step(
        request, refusing(WorkflowError("Belum lengkap.")), success="x", redirect_to="/daftar/"
    )
    assert response["Location"] == "/daftar/"


def test_a_step_the_user_may_not_take_answers_403_with_its_message(officer):
    request = post(officer)
    form = NoteForm({})
    response = run_step(
        request,
        refusing(WorkflowPermissionDenied("Anda tidak berwenang.")),
        success="x",
        redirect_to="/",
        form=form,
    )
    assert response.status_code == 403
    assert "Anda tidak berwenang." in response.content.decode()


def test_with_a_form_the_refusal_goes_on_the_form_and_nothing_is_returned(officer):
    form = NoteForm({})
    assert form.is_valid()
    request = post(officer)
    result = run_step(
        request, refusing(WorkflowError("Sudah ada.")), success="x", redirect_to="/", form=form
    )
    assert result is None
    assert form.non_field_errors() == ["Sudah ada."]
    assert texts(request) == []
    denied = NoteForm({})
    denied.is_valid()
    result = run_step(
        request,
        refusing(WorkflowPermissionDenied("Anda tidak berwenang.")),
        success="x",
        redirect_to="/",
        form=denied,
        denied_on_form=True,
    )
    assert result is None and denied.non_field_errors() == ["Anda tidak berwenang."]


def test_a_step_from_a_stale_page_is_not_run(officer, application):
    ran = []
    request = post(officer, {"state": ApplicationState.ARCHIVED})
    response = run_step(
        request,
        lambda **kw: ran.append(kw),
        success="x",
        redirect_to=application,
        stale_check=True,
        application=application,
    )
    assert ran == []
    assert response["Location"] == application.get_absolute_url()
    assert texts(request) == [("error", CHANGED_UNDER_YOU)]
    # The page that showed the current state (or no state at all) runs it.
    for data in ({"state": ApplicationState.RECEIVED}, {}):
        run_step(
            post(officer, data),
            lambda **kw: ran.append(kw),
            success="x",
            redirect_to=application,
            stale_check=True,
            application=application,
        )
    assert len(ran) == 2


def test_intake_by_an_officer_who_may_no_longer_record_keeps_the_typed_form(
    officer_client, officer, rt1
):
    """An admin took the permission away from the role: the form comes back as typed, with
    the reason on it, instead of a bare 403 that loses the input."""
    officer.groups.get().permissions.remove(Permission.objects.get(codename="receive_application"))
    response = officer_client.post(
        reverse("services:application_create", args=["KTP"]),
        {
            "applicant_name": "Siti Rahmawati",
            "nik": "3271014501900002",
            "phone": "081234567890",
            "address": "Jl. Mawar No. 3",
            "rt": rt1.pk,
            "channel": "walk_in",
            "delivery": "pickup",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Anda tidak berwenang mencatat permohonan ini." in page
    assert 'value="Siti Rahmawati"' in page
