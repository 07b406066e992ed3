"""Running a workflow step from a view, the same way on every page of both apps.

``run_step`` is the one place that turns the outcome of a step into what the user sees: a
success message and a redirect, a refusal (``WorkflowError``) as an Indonesian message on
the page or on the form, a step the user may not take at all (``WorkflowPermissionDenied``)
as 403, and a step posted from a page that showed the case in another state as "changed
under you" without running it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect

from services.workflow import CHANGED_UNDER_YOU, WorkflowError, WorkflowPermissionDenied

# A redirect() target (a URL, a URL name, a model with get_absolute_url), or a callable
# given the step's result (None when the step was refused) that returns one.
Target = Any


def page_is_stale(request: HttpRequest, application) -> bool:
    """The form came from a page that showed the case in another state than it is in now.

    Case pages post the state they showed in a hidden ``state`` field; a second officer's
    click on a page that went stale must not take a second step.
    """
    expected = request.POST.get("state")
    return bool(expected) and expected != application.state


def run_step(
    request: HttpRequest,
    step: Callable[..., Any],
    /,
    *,
    success: str | Callable[[Any], str] | None,
    redirect_to: Target,
    refused_to: Target | None = None,
    form: forms.Form | None = None,
    denied_on_form: bool = False,
    stale_check: bool = False,
    **kwargs,
) -> HttpResponse | None:
    """Run ``step(by=request.user, **kwargs)`` for a view and answer the way every view does.

    - ``stale_check``: when the posted ``state`` differs from ``kwargs["application"]``'s,
      the step is not run; the user is told the case changed and sent to ``redirect_to``.
    - ``WorkflowPermissionDenied`` answers 403 with its message (``denied_on_form``: it goes
      on the form like any other refusal, so the typed intake is not lost).
    - ``WorkflowError``: with ``form``, its message goes on the form and None is returned
      (the view shows the form again); otherwise it becomes an error message and a redirect
      to ``refused_to`` (default: ``redirect_to``).
    - Success: ``success`` (a text, or a callable given the step's result; None for no
      message) as a success message, and a redirect to ``redirect_to``.
    """
    if stale_check and page_is_stale(request, kwargs["application"]):
        messages.error(request, CHANGED_UNDER_YOU)
        return _redirect(redirect_to, None)
    try:
        result = step(by=request.user, **kwargs)
    except WorkflowError as exc:
        if isinstance(exc, WorkflowPermissionDenied) and not (form is not None and denied_on_form):
            return HttpResponseForbidden(exc.message)
        if form is not None:
            form.add_error(None, exc.message)
            return None
        messages.error(request, exc.message)
        return _redirect(refused_to if refused_to is not None else redirect_to, None)
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return _redirect(redirect_to, result)


def _redirect(target: Target, result) -> HttpResponse:
    return redirect(target(result) if callable(target) else target)
