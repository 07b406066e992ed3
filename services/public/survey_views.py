"""The resident's SKM survey (no login): reached from the status page of a completed case,
answered once per application; afterwards the link says so plainly."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from services.models import ApplicationState
from services.public.views import TOKEN, _private
from services.survey import USED, application_for_survey, has_response, survey_submit
from services.survey_forms import SurveyForm
from services.workflow import WorkflowError

NOT_YET = "Survei kepuasan dibuka setelah surat diserahkan kepada Anda."


def _closed(request, application, message: str, status: int):
    context = {"message": message, "application": application}
    return _private(render(request, "public/survey_closed.html", context, status=status))


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def survey(request, status_token: str):
    """Nine questions, the profile and a suggestion; one response per application."""
    application = application_for_survey(status_token) if TOKEN.fullmatch(status_token) else None
    if application is None:
        raise Http404("Halaman tidak ditemukan.")
    if has_response(application):
        return _closed(request, application, USED, 410)
    if application.state != ApplicationState.COMPLETED:
        return _closed(request, application, NOT_YET, 404)
    form = SurveyForm(request.POST or None)
    if form.is_valid():
        try:
            survey_submit(
                application=application,
                answers=form.answers,
                profile=form.profile,
                suggestion=form.cleaned_data["suggestion"],
            )
        except WorkflowError as exc:
            # Lost the race to another tab or a double tap: that one answer counts.
            return _closed(request, application, exc.message, 410 if exc.message == USED else 409)
        messages.success(request, "Terima kasih! Jawaban survei Anda sudah kami terima.")
        return redirect("services:public_status", status_token=status_token)
    context = {"form": form, "application": application}
    return _private(render(request, "public/survey.html", context))
